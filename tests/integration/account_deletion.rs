//! Revocations across a restart, and requests of an account deleted a moment before.

use std::net::Ipv4Addr;
use std::time::Duration;

use rampart_tests::{TestServer, text};
use serde_json::json;

const ALICE_PASSWORD: &str = "Violet-Harbor-87";
const BOB_PASSWORD: &str = "Granite-Falcon-42";

async fn me_status(server: &TestServer, client: &reqwest::Client, token: &str) -> u16 {
    client
        .get(server.url("/api/v1/users/me"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test(flavor = "multi_thread")]
async fn revoked_tokens_stay_revoked_after_restart() {
    let mut server = TestServer::start(&[]).await;
    let client = server.client_from(Ipv4Addr::new(127, 0, 6, 1));
    server.register(&client, "alice", ALICE_PASSWORD).await;
    server.register(&client, "bob", BOB_PASSWORD).await;

    let logged_out = server.login(&client, "alice", ALICE_PASSWORD).await;
    let logged_out_token = text(&logged_out, "access_token");
    let logout = client
        .post(server.url("/api/v1/auth/logout"))
        .bearer_auth(&logged_out_token)
        .send()
        .await
        .unwrap();
    assert_eq!(logout.status(), 204);

    let other_session = text(
        &server.login(&client, "alice", ALICE_PASSWORD).await,
        "access_token",
    );
    let changing = text(
        &server.login(&client, "alice", ALICE_PASSWORD).await,
        "access_token",
    );
    let change = client
        .post(server.url("/api/v1/users/me/password"))
        .bearer_auth(&changing)
        .json(&json!({"current_password": ALICE_PASSWORD, "new_password": "Quartz-Meadow-4417"}))
        .send()
        .await
        .unwrap();
    assert_eq!(change.status(), 204);

    // A refresh token two rotations old is reuse at once, without the grace of the previous one.
    let first = server.login(&client, "bob", BOB_PASSWORD).await;
    let mut latest = first.clone();
    for _ in 0..2 {
        let rotated = client
            .post(server.url("/api/v1/auth/refresh"))
            .json(&json!({"refresh_token": text(&latest, "refresh_token")}))
            .send()
            .await
            .unwrap();
        assert_eq!(rotated.status(), 200);
        latest = rotated.json().await.unwrap();
    }
    let rotated_token = text(&latest, "access_token");
    let reuse = client
        .post(server.url("/api/v1/auth/refresh"))
        .json(&json!({"refresh_token": text(&first, "refresh_token")}))
        .send()
        .await
        .unwrap();
    assert_eq!(reuse.status(), 401);
    assert_eq!(me_status(&server, &client, &rotated_token).await, 401);

    server.register(&client, "carol", ALICE_PASSWORD).await;
    let deleted_token = text(
        &server.login(&client, "carol", ALICE_PASSWORD).await,
        "access_token",
    );
    let delete = client
        .delete(server.url("/api/v1/users/me"))
        .bearer_auth(&deleted_token)
        .send()
        .await
        .unwrap();
    assert_eq!(delete.status(), 204);

    server.restart().await;

    assert_eq!(me_status(&server, &client, &logged_out_token).await, 401);
    assert_eq!(me_status(&server, &client, &other_session).await, 401);
    assert_eq!(me_status(&server, &client, &rotated_token).await, 401);
    let post = client
        .post(server.url("/api/v1/posts"))
        .bearer_auth(&deleted_token)
        .json(&json!({"title": "Still here?", "body": "<p>No.</p>"}))
        .send()
        .await
        .unwrap();
    assert_eq!(post.status(), 401);
    assert_eq!(me_status(&server, &client, &changing).await, 200);
}

#[tokio::test(flavor = "multi_thread")]
async fn login_during_deletion_is_unauthorized() {
    // Slow hashing keeps the login verifying while the account is deleted.
    let server = TestServer::start(&[
        ("RAMPART_PASSWORD_ARGON2_MEMORY_KIB", "131072"),
        ("RAMPART_PASSWORD_ARGON2_ITERATIONS", "24"),
    ])
    .await;
    let client = server.client_from(Ipv4Addr::new(127, 0, 6, 2));
    server.register(&client, "alice", ALICE_PASSWORD).await;
    let token = text(
        &server.login(&client, "alice", ALICE_PASSWORD).await,
        "access_token",
    );

    let racing_login = {
        let url = server.url("/api/v1/auth/login");
        let client = client.clone();
        tokio::spawn(async move {
            client
                .post(url)
                .json(&json!({"username": "alice", "password": ALICE_PASSWORD}))
                .send()
                .await
                .unwrap()
                .status()
        })
    };
    tokio::time::sleep(Duration::from_millis(500)).await;
    let delete = client
        .delete(server.url("/api/v1/users/me"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    let login_status = racing_login.await.unwrap();

    assert_eq!(delete.status(), 204);
    assert_eq!(login_status, 401);
}
