//! What a login writes to the logs: never an oversized identifier, and never an identifier that
//! names no account, which may be a password typed into the wrong field.

use std::net::Ipv4Addr;

use rampart_tests::TestServer;
use serde_json::{Value, json};

const PASSWORD: &str = "Violet-Harbor-87";

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

fn log_sizes(server: &TestServer) -> u64 {
    ["app.log", "security.log"]
        .iter()
        .map(|name| {
            std::fs::metadata(server.log_dir().join(name)).map_or(0, |metadata| metadata.len())
        })
        .sum()
}

#[tokio::test(flavor = "multi_thread")]
async fn huge_username_is_rejected_unlogged() {
    let server = TestServer::start(&[]).await;
    let client = server.client_from(Ipv4Addr::new(127, 0, 4, 1));
    let huge = "x".repeat(900 * 1024);
    let at_limit_plus_one = "y".repeat(255);
    let before = log_sizes(&server);

    let oversized = login(&server, &client, &huge, PASSWORD).await;
    let over_limit = login(&server, &client, &at_limit_plus_one, PASSWORD).await;

    assert_eq!(oversized.status(), 400);
    assert_eq!(over_limit.status(), 400);
    let problem: Value = over_limit.json().await.unwrap();
    assert_eq!(problem["type"], "urn:rampart:problem:validation-error");
    assert!(problem["errors"]["username"].is_array(), "{problem}");
    // Let the log writers write what the requests logged before measuring.
    server.settled_app_log().await;
    server.settled_security_log().await;
    let grown = log_sizes(&server) - before;
    assert!(grown < 16 * 1024, "the logs grew by {grown} bytes");
    let log = server.settled_security_log().await;
    assert!(
        !log.contains("yyyyyyyy"),
        "the identifier was logged: {log}"
    );
    assert!(!log.contains("failed_login"), "{log}");
}

#[tokio::test(flavor = "multi_thread")]
async fn unknown_identifier_is_not_logged() {
    let server = TestServer::start(&[]).await;
    let client = server.client_from(Ipv4Addr::new(127, 0, 4, 2));
    server.register(&client, "alice", PASSWORD).await;

    let typed_password = login(&server, &client, "Quartz-Meadow-4417", "whatever").await;
    let wrong_password = login(&server, &client, "alice", "Wrong-Guess-0001").await;

    assert_eq!(typed_password.status(), 401);
    assert_eq!(wrong_password.status(), 401);
    let log = server.wait_for_security_log("\"alice\"").await;
    let failures: Vec<&str> = log
        .lines()
        .filter(|line| line.contains("failed_login"))
        .collect();
    assert_eq!(failures.len(), 2, "{log}");
    assert!(!log.to_lowercase().contains("quartz-meadow"), "{log}");
    let app_log = server.settled_app_log().await;
    assert!(!app_log.to_lowercase().contains("quartz-meadow"));
    assert!(
        failures.iter().any(|line| line.contains("unknown account")),
        "{log}"
    );
    assert!(
        failures
            .iter()
            .any(|line| line.contains("invalid credentials") && line.contains("\"alice\"")),
        "{log}"
    );
}
