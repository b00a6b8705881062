//! A full password hashing queue must not count against the user who logs in meanwhile.

use std::net::Ipv4Addr;
use std::time::Duration;

use rampart_tests::TestServer;
use serde_json::json;

const VICTIM_PASSWORD: &str = "Violet-Harbor-87";
const ATTACKER_PASSWORD: &str = "Granite-Falcon-42";

/// One hashing job at a time, each taking about two seconds in a debug build on two cores.
const SLOW_HASHING: [(&str, &str); 3] = [
    ("RAMPART_PASSWORD_HASH_QUEUE", "1"),
    ("RAMPART_PASSWORD_ARGON2_MEMORY_KIB", "131072"),
    ("RAMPART_PASSWORD_ARGON2_ITERATIONS", "24"),
];

async fn login(
    server: &TestServer,
    client: &reqwest::Client,
    username: &str,
    password: &str,
) -> reqwest::Response {
    client
        .post(server.url("/api/v1/auth/login"))
        .json(&json!({"username": username, "password": password}))
        .send()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn busy_logins_never_lock_victim() {
    let server = TestServer::start(&SLOW_HASHING).await;
    let attacker = server.client_from(Ipv4Addr::new(127, 0, 3, 1));
    let victim = server.client_from(Ipv4Addr::new(127, 0, 3, 2));
    server
        .register(&attacker, "mallory", ATTACKER_PASSWORD)
        .await;
    server.register(&victim, "alice", VICTIM_PASSWORD).await;

    // Each round the attacker's own login holds the only hashing slot while the victim logs in
    // with the right password, which gets 503; five counted failures would lock the pair.
    let mut statuses = Vec::new();
    for _ in 0..6 {
        let filler = {
            let server_url = server.url("/api/v1/auth/login");
            let attacker = attacker.clone();
            tokio::spawn(async move {
                attacker
                    .post(server_url)
                    .json(&json!({"username": "mallory", "password": ATTACKER_PASSWORD}))
                    .send()
                    .await
                    .unwrap()
                    .status()
            })
        };
        tokio::time::sleep(Duration::from_millis(500)).await;
        let response = login(&server, &victim, "alice", VICTIM_PASSWORD).await;
        statuses.push(response.status().as_u16());
        let filler_status = filler.await.unwrap();
        assert_eq!(filler_status, 200, "the attacker's own login failed");
    }

    assert!(
        statuses.iter().all(|status| *status == 503),
        "the queue was not full for every victim login: {statuses:?}"
    );
    let after = login(&server, &victim, "alice", VICTIM_PASSWORD).await;
    assert_eq!(after.status(), 200, "the victim is locked out");
    let log = server.settled_security_log().await;
    assert!(!log.contains("account_locked"), "{log}");
    assert!(!log.contains("failed_login"), "{log}");
}
