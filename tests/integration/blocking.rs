//! Blocking over real sockets: attack-tool user agents, the auto-block after repeated attacks,
//! and configured ranges. Clients bind to their own loopback addresses to act as distinct IPs.

use std::net::Ipv4Addr;

use rampart_tests::TestServer;
use serde_json::Value;

const SQLMAP: &str = "sqlmap/1.7.2#stable (https://sqlmap.org)";

async fn problem_type(response: reqwest::Response) -> String {
    let problem: Value = response.json().await.unwrap();
    problem["type"].as_str().unwrap_or_default().to_owned()
}

/// Returns the line of the security log that contains both needles.
fn log_line(log: &str, event: &str, needle: &str) -> Option<String> {
    log.lines()
        .find(|line| line.contains(event) && line.contains(needle))
        .map(str::to_owned)
}

#[tokio::test(flavor = "multi_thread")]
async fn attack_tool_agent_is_refused() {
    let server = TestServer::start(&[]).await;
    let client = server.client_from(Ipv4Addr::new(127, 0, 0, 20));

    let response = client
        .get(server.url("/api/v1/posts"))
        .header("User-Agent", "sqlmap/1.7")
        .header("X-Request-Id", "agent-probe-1")
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), 403);
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
    assert_eq!(
        problem_type(response).await,
        "urn:rampart:problem:user-agent-blocked"
    );
    let log = server.wait_for_security_log("user_agent_blocked").await;
    let line = log_line(&log, "user_agent_blocked", "agent-probe-1")
        .unwrap_or_else(|| panic!("no user_agent_blocked line with the request id: {log}"));
    assert!(line.contains("127.0.0.20"), "{line}");
}

#[tokio::test(flavor = "multi_thread")]
async fn eleventh_attack_finds_address_blocked() {
    let server = TestServer::start(&[]).await;
    let attacker = server.client_from(Ipv4Addr::new(127, 0, 0, 21));
    let bystander = server.client_from(Ipv4Addr::new(127, 0, 0, 9));
    let injection = server.url("/api/v1/posts?q=1%27%20OR%20%271%27%3D%271");

    for attack in 1..=10 {
        let (response, expected_status, expected_type) = if attack % 2 == 1 {
            let response = attacker
                .get(server.url("/api/v1/posts"))
                .header("User-Agent", SQLMAP)
                .send()
                .await
                .unwrap();
            (response, 403, "urn:rampart:problem:user-agent-blocked")
        } else {
            let response = attacker.get(&injection).send().await.unwrap();
            (response, 400, "urn:rampart:problem:attack-detected")
        };
        assert_eq!(response.status(), expected_status, "attack {attack}");
        assert_eq!(
            problem_type(response).await,
            expected_type,
            "attack {attack}"
        );
    }
    let eleventh = attacker.get(&injection).send().await.unwrap();
    let ordinary = attacker
        .get(server.url("/api/v1/posts"))
        .send()
        .await
        .unwrap();
    let elsewhere = bystander
        .get(server.url("/api/v1/posts"))
        .send()
        .await
        .unwrap();

    assert_eq!(eleventh.status(), 403);
    assert_eq!(
        problem_type(eleventh).await,
        "urn:rampart:problem:ip-blocked"
    );
    assert_eq!(ordinary.status(), 403);
    assert_eq!(
        problem_type(ordinary).await,
        "urn:rampart:problem:ip-blocked"
    );
    assert_eq!(elsewhere.status(), 200);
    let log = server.wait_for_security_log("auto-block").await;
    let block = log_line(&log, "ip_blocked", "auto-block")
        .unwrap_or_else(|| panic!("no auto-block line: {log}"));
    assert!(block.contains("127.0.0.21"), "{block}");
    assert!(
        log.lines().filter(|l| l.contains("sql_injection")).count() >= 5,
        "{log}"
    );
    assert!(
        !log.contains("127.0.0.9"),
        "the bystander was logged: {log}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn configured_ranges_are_refused() {
    let server = TestServer::start(&[("RAMPART_BLOCKING_IPS", "127.0.0.22, 127.0.1.0/24")]).await;
    let listed = server.client_from(Ipv4Addr::new(127, 0, 0, 22));
    let in_range = server.client_from(Ipv4Addr::new(127, 0, 1, 5));
    let outside = server.client_from(Ipv4Addr::new(127, 0, 0, 23));

    let listed_response = listed
        .get(server.url("/api/v1/posts"))
        .send()
        .await
        .unwrap();
    let range_response = in_range
        .get(server.url("/api/v1/categories"))
        .send()
        .await
        .unwrap();
    let outside_response = outside
        .get(server.url("/api/v1/posts"))
        .send()
        .await
        .unwrap();
    let probe = listed.get(server.url("/health/live")).send().await.unwrap();

    assert_eq!(listed_response.status(), 403);
    assert_eq!(
        problem_type(listed_response).await,
        "urn:rampart:problem:ip-blocked"
    );
    assert_eq!(range_response.status(), 403);
    assert_eq!(outside_response.status(), 200);
    assert_eq!(probe.status(), 200, "health probes are never blocked");
    let log = server.wait_for_security_log("127.0.1.5").await;
    assert!(
        log_line(&log, "ip_blocked", "127.0.1.5").is_some(),
        "no ip_blocked line for 127.0.1.5: {log}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn blocked_events_are_rate_limited() {
    let server = TestServer::start(&[("RAMPART_BLOCKING_IPS", "127.0.0.24")]).await;
    let client = server.client_from(Ipv4Addr::new(127, 0, 0, 24));

    for _ in 0..20 {
        let response = client
            .get(server.url("/api/v1/posts"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 403);
    }

    let log = server.wait_for_security_log("ip_blocked").await;
    let lines = log.lines().filter(|l| l.contains("ip_blocked")).count();
    assert_eq!(lines, 1, "{log}");
}
