//! Login lockout over real sockets, with clients bound to distinct loopback addresses.

use std::net::Ipv4Addr;

use rampart_tests::TestServer;
use rampart_tests::postgres::Backend;
use serde_json::{Value, json};

const PASSWORD: &str = "Violet-Harbor-87";
const WRONG: &str = "Wrong-Guess-0001";

async fn attempt(
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
async fn sixth_failure_locks_pair_only() {
    sixth_failure_locks_pair_only_on(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn sixth_failure_locks_pair_only_on_postgres() {
    sixth_failure_locks_pair_only_on(Backend::Postgres).await;
}

async fn sixth_failure_locks_pair_only_on(backend: Backend) {
    let server = TestServer::start_on(backend, &[]).await;
    let attacker = server.client_from(Ipv4Addr::new(127, 0, 0, 1));
    let elsewhere = server.client_from(Ipv4Addr::new(127, 0, 0, 2));
    server.register(&attacker, "alice", PASSWORD).await;

    for i in 1..=5 {
        let response = attempt(&server, &attacker, "alice", WRONG).await;
        assert_eq!(response.status(), 401, "attempt {i}");
    }
    let sixth = attempt(&server, &attacker, "alice", WRONG).await;
    let correct = attempt(&server, &attacker, "alice", PASSWORD).await;
    let other_address = attempt(&server, &elsewhere, "alice", PASSWORD).await;

    assert_eq!(sixth.status(), 429);
    let retry_after: u64 = sixth.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        (850..=900).contains(&retry_after),
        "Retry-After {retry_after}"
    );
    let problem: Value = sixth.json().await.unwrap();
    assert_eq!(problem["type"], "urn:rampart:problem:account-locked");
    assert_eq!(correct.status(), 429);
    assert!(correct.headers().contains_key("retry-after"));
    assert_eq!(other_address.status(), 200);

    let log = server.wait_for_security_log("account_locked").await;
    let failures = log.lines().filter(|l| l.contains("failed_login")).count();
    assert_eq!(failures, 5, "{log}");
    assert!(log.contains("account_locked"));
    assert!(!log.contains(WRONG), "the security log holds a password");
    assert!(!log.contains(PASSWORD), "the security log holds a password");
    let app_log = server.settled_app_log().await;
    assert!(!app_log.contains(WRONG), "the app log holds a password");
    assert!(!app_log.contains(PASSWORD), "the app log holds a password");
}

#[tokio::test(flavor = "multi_thread")]
async fn username_forms_count_as_one() {
    let server = TestServer::start(&[]).await;
    let client = server.client_from(Ipv4Addr::new(127, 0, 0, 3));
    server.register(&client, "alice", PASSWORD).await;

    for form in [
        "alice",
        "ALICE",
        " alice ",
        "alice@example.com",
        "Alice@Example.com",
    ] {
        let response = attempt(&server, &client, form, WRONG).await;
        assert_eq!(response.status(), 401, "form {form:?}");
    }
    let locked = attempt(&server, &client, "alice", PASSWORD).await;

    assert_eq!(locked.status(), 429);
    let problem: Value = locked.json().await.unwrap();
    assert_eq!(problem["type"], "urn:rampart:problem:account-locked");
}

#[tokio::test(flavor = "multi_thread")]
async fn unknown_user_gets_same_answer() {
    let server = TestServer::start(&[]).await;
    let client = server.client_from(Ipv4Addr::new(127, 0, 0, 4));
    server.register(&client, "alice", PASSWORD).await;

    let wrong_password = attempt(&server, &client, "alice", WRONG).await;
    let wrong_status = wrong_password.status();
    let wrong_body: Value = wrong_password.json().await.unwrap();
    let unknown_user = attempt(&server, &client, "nobody", WRONG).await;
    let unknown_status = unknown_user.status();
    let unknown_body: Value = unknown_user.json().await.unwrap();

    assert_eq!(wrong_status, 401);
    assert_eq!(unknown_status, 401);
    assert_eq!(wrong_body, unknown_body);
}

#[tokio::test(flavor = "multi_thread")]
async fn registration_limit_per_address() {
    let server = TestServer::start(&[]).await;
    let client = server.client_from(Ipv4Addr::new(127, 0, 0, 5));
    for name in ["user1", "user2", "user3"] {
        server.register(&client, name, PASSWORD).await;
    }

    let fourth = client
        .post(server.url("/api/v1/auth/register"))
        .json(&json!({"username": "user4", "email": "user4@example.com", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    let other_address = server.client_from(Ipv4Addr::new(127, 0, 0, 6));

    assert_eq!(fourth.status(), 429);
    assert!(fourth.headers().contains_key("retry-after"));
    server.register(&other_address, "user5", PASSWORD).await;
}
