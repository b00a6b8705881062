//! The request throttles seen from outside: `RateLimit` headers, the 429 and its event, the
//! `/health/` exemption and the per-user limit.

use std::net::Ipv4Addr;

use rampart_tests::{TestServer, text};
use serde_json::Value;

const PASSWORD: &str = "Violet-Harbor-87";

fn header(response: &reqwest::Response, name: &str) -> String {
    response
        .headers()
        .get(name)
        .map(|value| value.to_str().unwrap().to_owned())
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread")]
async fn ip_limit_rejects_with_headers() {
    let server = TestServer::start(&[("RAMPART_LIMITS_IP_PER_MINUTE", "5")]).await;
    let client = server.client_from(Ipv4Addr::new(127, 0, 0, 40));

    let mut remaining = Vec::new();
    for _ in 0..5 {
        let response = client
            .get(server.url("/api/v1/categories"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(header(&response, "ratelimit-policy"), "\"ip\";q=5;w=60");
        remaining.push(header(&response, "ratelimit"));
    }
    let rejected = client
        .get(server.url("/api/v1/categories"))
        .send()
        .await
        .unwrap();
    let health = client.get(server.url("/health/live")).send().await.unwrap();

    assert!(remaining[0].starts_with("\"ip\";r=4;t="), "{remaining:?}");
    assert!(remaining[4].starts_with("\"ip\";r=0;t="), "{remaining:?}");
    assert_eq!(rejected.status(), 429);
    let retry_after: u64 = header(&rejected, "retry-after").parse().unwrap();
    assert!((1..=60).contains(&retry_after), "Retry-After {retry_after}");
    assert!(header(&rejected, "ratelimit").starts_with("\"ip\";r=0;t="));
    assert_eq!(
        header(&rejected, "content-type"),
        "application/problem+json"
    );
    let problem: Value = rejected.json().await.unwrap();
    assert_eq!(problem["type"], "urn:rampart:problem:rate-limited");
    assert_eq!(health.status(), 200, "health probe was throttled");
    assert!(!health.headers().contains_key("ratelimit"));
    let log = server.wait_for_security_log("rate_limit").await;
    let line = log
        .lines()
        .find(|l| l.contains("\"rate_limit\""))
        .expect("no rate_limit event");
    assert!(line.contains("127.0.0.40"), "{line}");
}

#[tokio::test(flavor = "multi_thread")]
async fn valid_token_counts_per_user() {
    let server = TestServer::start(&[("RAMPART_LIMITS_AUTHENTICATED_PER_HOUR", "4")]).await;
    let client = server.client_from(Ipv4Addr::new(127, 0, 0, 41));
    server.register(&client, "alice", PASSWORD).await;
    let access = text(
        &server.login(&client, "alice", PASSWORD).await,
        "access_token",
    );

    let mut statuses = Vec::new();
    for _ in 0..5 {
        let response = client
            .get(server.url("/api/v1/users/me"))
            .bearer_auth(&access)
            .send()
            .await
            .unwrap();
        if statuses.is_empty() {
            assert_eq!(header(&response, "ratelimit-policy"), "\"user\";q=4;w=3600");
        }
        statuses.push(response.status().as_u16());
    }
    let anonymous = client
        .get(server.url("/api/v1/categories"))
        .send()
        .await
        .unwrap();

    assert_eq!(statuses, [200, 200, 200, 200, 429]);
    assert_eq!(
        anonymous.status(),
        200,
        "the user limit applied to anonymous requests"
    );
}
