//! Token handling seen from outside: purposes, tampering, other keys, expiry, normalization.

use std::net::Ipv4Addr;

use rampart_domain::token::{AccessClaims, FamilyId, TokenId};
use rampart_domain::user::{Role, UserId};
use rampart_ports::TokenCodec;
use rampart_tests::{TestServer, text};
use serde_json::{Value, json};
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

const PASSWORD: &str = "Violet-Harbor-87";

async fn me_status(server: &TestServer, token: &str) -> u16 {
    server
        .client()
        .get(server.url("/api/v1/users/me"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

async fn refresh_status(server: &TestServer, token: &str) -> u16 {
    server
        .client()
        .post(server.url("/api/v1/auth/refresh"))
        .json(&json!({"refresh_token": token}))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test(flavor = "multi_thread")]
async fn token_purposes_do_not_mix() {
    let server = TestServer::start(&[]).await;
    let client = server.client();
    server.register(&client, "alice", PASSWORD).await;
    let pair = server.login(&client, "alice", PASSWORD).await;

    assert_eq!(me_status(&server, &text(&pair, "refresh_token")).await, 401);
    assert_eq!(
        refresh_status(&server, &text(&pair, "access_token")).await,
        401
    );
    assert_eq!(me_status(&server, &text(&pair, "access_token")).await, 200);
}

#[tokio::test(flavor = "multi_thread")]
async fn tampered_and_foreign_tokens_fail() {
    let server = TestServer::start(&[]).await;
    let other = TestServer::start(&[]).await;
    let client = server.client();
    server.register(&client, "alice", PASSWORD).await;
    other.register(&other.client(), "alice", PASSWORD).await;
    let access = text(
        &server.login(&client, "alice", PASSWORD).await,
        "access_token",
    );
    let foreign = text(
        &other.login(&other.client(), "alice", PASSWORD).await,
        "access_token",
    );

    let mut tampered = access.clone().into_bytes();
    let middle = "v4.public.".len() + 10;
    tampered[middle] = if tampered[middle] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(tampered).unwrap();

    assert_eq!(me_status(&server, &tampered).await, 401);
    assert_eq!(me_status(&server, &foreign).await, 401);
    assert_eq!(me_status(&server, "v4.local.AAAA").await, 401);
    assert_eq!(me_status(&server, "not-a-token").await, 401);
    assert_eq!(me_status(&server, &format!("{access}x")).await, 401);
}

#[tokio::test(flavor = "multi_thread")]
async fn expired_token_is_rejected() {
    let server = TestServer::start(&[]).await;
    let client = server.client();
    let user = server.register(&client, "alice", PASSWORD).await;
    let keys = rampart_token::KeyDir::new(server.data_dir().join("keys"))
        .load()
        .unwrap();
    let codec = rampart_token::PasetoTokenCodec::new(keys, "rampart", "rampart-api");
    let user_id = UserId::from_uuid(Uuid::parse_str(&text(&user, "id")).unwrap());
    let issued = OffsetDateTime::UNIX_EPOCH + Duration::days(20_000);
    let claims = AccessClaims::new(
        user_id,
        Role::Member,
        TokenId::from_uuid(Uuid::new_v4()),
        FamilyId::from_uuid(Uuid::new_v4()),
        issued,
    );
    let expired = codec.issue_access(&claims).unwrap();

    let response = client
        .get(server.url("/api/v1/users/me"))
        .bearer_auth(&expired)
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), 401);
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
    let problem: Value = response.json().await.unwrap();
    assert!(
        problem["detail"].as_str().unwrap().contains("expired"),
        "{problem}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn decomposed_password_logs_in() {
    let server = TestServer::start(&[]).await;
    let client = server.client_from(Ipv4Addr::new(127, 0, 0, 7));
    let composed = "Caf\u{e9}-Lumi\u{e8}re-2024";
    let decomposed = "Cafe\u{301}-Lumie\u{300}re-2024";
    server.register(&client, "alice", composed).await;

    let pair = server.login(&client, "alice", decomposed).await;

    assert!(
        pair["access_token"]
            .as_str()
            .unwrap()
            .starts_with("v4.public.")
    );
}
