//! The main flow of the service, from registration to restart.

use std::time::Duration;

use rampart_tests::postgres::Backend;
use rampart_tests::{TestServer, text};
use serde_json::{Value, json};

const ALICE_PASSWORD: &str = "Violet-Harbor-87";
const BOB_PASSWORD: &str = "Granite-Falcon-42";
const ADMIN_PASSWORD: &str = "Copper-Lantern-19";

#[tokio::test(flavor = "multi_thread")]
async fn weak_password_lists_every_rule() {
    let server = TestServer::start(&[]).await;
    let client = server.client();

    let response = client
        .post(server.url("/api/v1/auth/register"))
        .json(&json!({"username": "alice", "email": "alice@example.com", "password": "password"}))
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), 400);
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["type"], "urn:rampart:problem:validation-error");
    let rules: Vec<&str> = body["errors"]["password"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m.as_str().unwrap())
        .collect();
    assert!(rules.iter().any(|r| r.contains("at least 12")), "{rules:?}");
    assert!(rules.iter().any(|r| r.contains("uppercase")), "{rules:?}");
    assert!(rules.iter().any(|r| r.contains("digit")), "{rules:?}");
    assert!(rules.iter().any(|r| r.contains("special")), "{rules:?}");
    assert!(rules.iter().any(|r| r.contains("common")), "{rules:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn posts_permissions_and_restart() {
    posts_permissions_and_restart_on(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn posts_permissions_and_restart_on_postgres() {
    posts_permissions_and_restart_on(Backend::Postgres).await;
}

async fn posts_permissions_and_restart_on(backend: Backend) {
    let mut server = TestServer::start_on(backend, &[]).await;
    let client = server.client();
    server.register(&client, "alice", ALICE_PASSWORD).await;
    server.register(&client, "bob", BOB_PASSWORD).await;
    server.create_admin("root", "root@example.com", ADMIN_PASSWORD);
    let alice = text(
        &server.login(&client, "alice", ALICE_PASSWORD).await,
        "access_token",
    );
    let bob = text(
        &server.login(&client, "bob", BOB_PASSWORD).await,
        "access_token",
    );
    let admin = text(
        &server.login(&client, "root", ADMIN_PASSWORD).await,
        "access_token",
    );

    // me
    let me: Value = client
        .get(server.url("/api/v1/users/me"))
        .bearer_auth(&alice)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["username"], "alice");
    assert_eq!(me["role"], "member");

    // A post body with a script and an event handler is stored sanitized.
    let created = client
        .post(server.url("/api/v1/posts"))
        .bearer_auth(&alice)
        .json(&json!({"title": "Hello", "body": "<p onclick=\"steal()\">Hi <strong>there</strong></p><script>alert(1)</script>"}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    let post: Value = created.json().await.unwrap();
    let body = text(&post, "body");
    assert!(!body.contains("<script"), "{body}");
    assert!(!body.contains("onclick"), "{body}");
    assert!(body.contains("<strong>there</strong>"), "{body}");
    assert_eq!(post["author_id"], me["id"]);
    let post_id = text(&post, "id");

    let page: Value = client
        .get(server.url("/api/v1/posts"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(page["total"], 1);
    assert_eq!(page["items"][0]["id"], post["id"]);
    assert_eq!(page["items"][0]["body"], post["body"]);

    // Another user cannot change the post, and the denial is logged.
    let denied = client
        .patch(server.url(&format!("/api/v1/posts/{post_id}")))
        .bearer_auth(&bob)
        .json(&json!({"title": "Mine now"}))
        .send()
        .await
        .unwrap();
    assert_eq!(denied.status(), 403);
    assert_eq!(denied.headers()["content-type"], "application/problem+json");
    let log = server.wait_for_security_log("permission_denied").await;
    let line = log
        .lines()
        .find(|l| l.contains("permission_denied"))
        .expect("no permission_denied line");
    assert!(line.contains(&format!("post:{post_id}")), "{line}");
    assert!(line.contains("127.0.0.1"), "{line}");

    // The owner can.
    let renamed = client
        .patch(server.url(&format!("/api/v1/posts/{post_id}")))
        .bearer_auth(&alice)
        .json(&json!({"title": "Hello again"}))
        .send()
        .await
        .unwrap();
    assert_eq!(renamed.status(), 200);

    // Categories: members get 403, admins 201.
    let member_category = client
        .post(server.url("/api/v1/categories"))
        .bearer_auth(&alice)
        .json(&json!({"name": "News"}))
        .send()
        .await
        .unwrap();
    assert_eq!(member_category.status(), 403);
    let admin_category = client
        .post(server.url("/api/v1/categories"))
        .bearer_auth(&admin)
        .json(&json!({"name": "News"}))
        .send()
        .await
        .unwrap();
    assert_eq!(admin_category.status(), 201);

    // Users and posts survive a restart.
    server.restart().await;
    let client = server.client();
    let alice = text(
        &server.login(&client, "alice", ALICE_PASSWORD).await,
        "access_token",
    );
    let page: Value = client
        .get(server.url("/api/v1/posts"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(page["total"], 1);
    assert_eq!(page["items"][0]["title"], "Hello again");
    let categories: Value = client
        .get(server.url("/api/v1/categories"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(categories[0]["name"], "News");
    let me = client
        .get(server.url("/api/v1/users/me"))
        .bearer_auth(&alice)
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), 200);
}

#[tokio::test(flavor = "multi_thread")]
async fn refresh_reuse_revokes_family() {
    let server = TestServer::start(&[]).await;
    let client = server.client();
    server.register(&client, "alice", ALICE_PASSWORD).await;
    let first = server.login(&client, "alice", ALICE_PASSWORD).await;
    let refresh = |token: String| {
        client
            .post(server.url("/api/v1/auth/refresh"))
            .json(&json!({"refresh_token": token}))
            .send()
    };

    let rotated = refresh(text(&first, "refresh_token")).await.unwrap();
    assert_eq!(rotated.status(), 200);
    let second: Value = rotated.json().await.unwrap();
    assert_ne!(second["refresh_token"], first["refresh_token"]);
    assert_ne!(second["access_token"], first["access_token"]);
    assert_eq!(second["token_type"], "Bearer");
    assert_eq!(second["expires_in"], 900);
    assert_eq!(second["refresh_expires_in"], 604_800);

    // Within 10 s a second use counts as a concurrent tab: rejected, family kept.
    let superseded = refresh(text(&first, "refresh_token")).await.unwrap();
    assert_eq!(superseded.status(), 401);
    let problem: Value = superseded.json().await.unwrap();
    assert_eq!(
        problem["type"],
        "urn:rampart:problem:refresh-token-superseded"
    );

    // Later, the same replay is theft: 401, and the newest token of the family dies too.
    tokio::time::sleep(Duration::from_millis(10_500)).await;
    let replayed = refresh(text(&first, "refresh_token")).await.unwrap();
    assert_eq!(replayed.status(), 401);
    let newest = refresh(text(&second, "refresh_token")).await.unwrap();
    assert_eq!(newest.status(), 401);
    let me = client
        .get(server.url("/api/v1/users/me"))
        .bearer_auth(text(&second, "access_token"))
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), 401);
    let log = server.wait_for_security_log("refresh_token_reuse").await;
    assert!(log.contains("refresh_token_reuse"));
}

#[tokio::test(flavor = "multi_thread")]
async fn logout_revokes_access_token() {
    let server = TestServer::start(&[]).await;
    let client = server.client();
    server.register(&client, "alice", ALICE_PASSWORD).await;
    let pair = server.login(&client, "alice", ALICE_PASSWORD).await;
    let access = text(&pair, "access_token");

    let logout = client
        .post(server.url("/api/v1/auth/logout"))
        .bearer_auth(&access)
        .send()
        .await
        .unwrap();
    assert_eq!(logout.status(), 204);

    let me = client
        .get(server.url("/api/v1/users/me"))
        .bearer_auth(&access)
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), 401);
    assert_eq!(me.headers()["www-authenticate"], "Bearer");
    let refresh = client
        .post(server.url("/api/v1/auth/refresh"))
        .json(&json!({"refresh_token": text(&pair, "refresh_token")}))
        .send()
        .await
        .unwrap();
    assert_eq!(refresh.status(), 401);
}

#[tokio::test(flavor = "multi_thread")]
async fn password_change_revokes_other_sessions() {
    let server = TestServer::start(&[]).await;
    let client = server.client();
    server.register(&client, "alice", ALICE_PASSWORD).await;
    let other = text(
        &server.login(&client, "alice", ALICE_PASSWORD).await,
        "access_token",
    );
    let current = text(
        &server.login(&client, "alice", ALICE_PASSWORD).await,
        "access_token",
    );

    let wrong = client
        .post(server.url("/api/v1/users/me/password"))
        .bearer_auth(&current)
        .json(
            &json!({"current_password": "Not-The-Password-1", "new_password": "Saffron-Meadow-53"}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 400);
    let changed = client
        .post(server.url("/api/v1/users/me/password"))
        .bearer_auth(&current)
        .json(&json!({"current_password": ALICE_PASSWORD, "new_password": "Saffron-Meadow-53"}))
        .send()
        .await
        .unwrap();
    assert_eq!(changed.status(), 204);

    let other_me = client
        .get(server.url("/api/v1/users/me"))
        .bearer_auth(&other)
        .send()
        .await
        .unwrap();
    assert_eq!(other_me.status(), 401);
    let current_me = client
        .get(server.url("/api/v1/users/me"))
        .bearer_auth(&current)
        .send()
        .await
        .unwrap();
    assert_eq!(current_me.status(), 200);
    server.login(&client, "alice", "Saffron-Meadow-53").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn export_and_erasure() {
    let server = TestServer::start(&[]).await;
    let client = server.client();
    server.register(&client, "alice", ALICE_PASSWORD).await;
    let access = text(
        &server.login(&client, "alice", ALICE_PASSWORD).await,
        "access_token",
    );
    client
        .post(server.url("/api/v1/posts"))
        .bearer_auth(&access)
        .json(&json!({"title": "Mine", "body": "text"}))
        .send()
        .await
        .unwrap();

    let export: Value = client
        .get(server.url("/api/v1/users/me/export"))
        .bearer_auth(&access)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(export["user"]["username"], "alice");
    assert_eq!(export["posts"].as_array().unwrap().len(), 1);
    assert_eq!(export["sessions"].as_array().unwrap().len(), 1);

    let deleted = client
        .delete(server.url("/api/v1/users/me"))
        .bearer_auth(&access)
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), 204);
    let page: Value = client
        .get(server.url("/api/v1/posts"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(page["total"], 0);
    let me = client
        .get(server.url("/api/v1/users/me"))
        .bearer_auth(&access)
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), 401);
    let login = client
        .post(server.url("/api/v1/auth/login"))
        .json(&json!({"username": "alice", "password": ALICE_PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), 401);
    assert!(
        server
            .wait_for_security_log("account_deleted")
            .await
            .contains("account_deleted")
    );
}
