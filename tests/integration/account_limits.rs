//! Per-user limits on profile and password changes, which would otherwise let a stolen access
//! token enumerate accounts or guess the current password.

use std::net::Ipv4Addr;

use rampart_tests::{TestServer, text};
use serde_json::{Value, json};

const PASSWORD: &str = "Violet-Harbor-87";

#[tokio::test(flavor = "multi_thread")]
async fn profile_changes_limited_per_user() {
    let server = TestServer::start(&[]).await;
    let client = server.client_from(Ipv4Addr::new(127, 0, 5, 1));
    server.register(&client, "alice", PASSWORD).await;
    server.register(&client, "bob", "Granite-Falcon-42").await;
    let token = text(
        &server.login(&client, "alice", PASSWORD).await,
        "access_token",
    );

    let mut statuses = Vec::new();
    for n in 0..11 {
        let taken_or_free = if n % 2 == 0 {
            "bob".to_owned()
        } else {
            format!("probe{n}")
        };
        let response = client
            .patch(server.url("/api/v1/users/me"))
            .bearer_auth(&token)
            .json(&json!({"username": taken_or_free}))
            .send()
            .await
            .unwrap();
        statuses.push(response);
    }

    let eleventh = statuses.pop().unwrap();
    let answered: Vec<u16> = statuses.iter().map(|r| r.status().as_u16()).collect();
    assert!(
        answered.iter().all(|status| [200, 409].contains(status)),
        "{answered:?}"
    );
    assert_eq!(eleventh.status(), 429);
    let retry_after: u64 = eleventh.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(retry_after > 3000, "Retry-After {retry_after}");
    let log = server.wait_for_security_log("profile change limit").await;
    assert!(log.contains("rate_limit"), "{log}");
}

#[tokio::test(flavor = "multi_thread")]
async fn password_guesses_limited_and_logged() {
    let server = TestServer::start(&[]).await;
    let client = server.client_from(Ipv4Addr::new(127, 0, 5, 2));
    server.register(&client, "alice", PASSWORD).await;
    let token = text(
        &server.login(&client, "alice", PASSWORD).await,
        "access_token",
    );
    let change = |current: &str| {
        client
            .post(server.url("/api/v1/users/me/password"))
            .bearer_auth(&token)
            .json(&json!({"current_password": current, "new_password": "Quartz-Meadow-4417"}))
            .send()
    };

    let mut guesses = Vec::new();
    for n in 0..5 {
        guesses.push(
            change(&format!("Guess-Number-{n:04}"))
                .await
                .unwrap()
                .status(),
        );
    }
    let sixth = change("Guess-Number-0005").await.unwrap();
    let right_after_limit = change(PASSWORD).await.unwrap();

    assert!(guesses.iter().all(|status| *status == 400), "{guesses:?}");
    assert_eq!(sixth.status(), 429);
    assert!(sixth.headers().contains_key("retry-after"));
    let problem: Value = sixth.json().await.unwrap();
    assert_eq!(problem["type"], "urn:rampart:problem:rate-limited");
    assert_eq!(right_after_limit.status(), 429);
    let log = server.wait_for_security_log("password change limit").await;
    let wrong = log
        .lines()
        .filter(|line| line.contains("failed_login") && line.contains("wrong current password"))
        .count();
    assert_eq!(wrong, 5, "{log}");
    assert!(log.contains("rate_limit"), "{log}");
    assert!(!log.contains("Guess-Number"), "a guess was logged");
}
