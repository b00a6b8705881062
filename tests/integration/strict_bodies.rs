//! JSON types in request bodies: a string field takes a JSON string and nothing else.

use std::net::Ipv4Addr;

use rampart_tests::{TestServer, text};
use serde_json::{Value, json};

const PASSWORD: &str = "Violet-Harbor-87";

async fn send(request: reqwest::RequestBuilder, body: Value) -> (u16, Value) {
    let request = if body.is_null() {
        request
    } else {
        request.json(&body)
    };
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

fn assert_names_field(status: u16, problem: &Value, field: &str) {
    assert_eq!(status, 400, "{problem}");
    assert_eq!(
        problem["type"], "urn:rampart:problem:validation-error",
        "{problem}"
    );
    assert!(problem["errors"][field].is_array(), "{problem}");
}

#[tokio::test(flavor = "multi_thread")]
async fn wrong_json_types_are_rejected() {
    let server = TestServer::start(&[]).await;
    let client = server.client_from(Ipv4Addr::new(127, 0, 7, 1));
    server.register(&client, "alice", PASSWORD).await;
    let token = text(
        &server.login(&client, "alice", PASSWORD).await,
        "access_token",
    );
    let posts = server.url("/api/v1/posts");

    let cases = [
        (json!({"title": 5, "body": "<p>x</p>"}), "title"),
        (json!({"title": "Fine", "body": false}), "body"),
        (json!({"title": null, "body": "<p>x</p>"}), "title"),
        (json!({"body": "<p>x</p>"}), "title"),
    ];
    for (body, field) in cases {
        let (status, problem) = send(client.post(&posts).bearer_auth(&token), body).await;
        assert_names_field(status, &problem, field);
    }
    let (status, problem) = send(
        client.post(server.url("/api/v1/auth/refresh")),
        json!({"refresh_token": 1}),
    )
    .await;
    assert_names_field(status, &problem, "refresh_token");
    let (status, problem) = send(
        client.post(server.url("/api/v1/auth/login")),
        json!({"username": "alice", "password": 12_345_678_901_234_i64}),
    )
    .await;
    assert_names_field(status, &problem, "password");
    let (status, problem) = send(
        client
            .patch(server.url("/api/v1/users/me"))
            .bearer_auth(&token),
        json!({"email": true}),
    )
    .await;
    assert_names_field(status, &problem, "email");

    let (status, page) = send(client.get(&posts), Value::Null).await;
    assert_eq!(status, 200);
    assert_eq!(page["total"], 0, "a post was created: {page}");
}

#[tokio::test(flavor = "multi_thread")]
async fn null_title_patch_is_rejected() {
    let server = TestServer::start(&[]).await;
    let client = server.client_from(Ipv4Addr::new(127, 0, 7, 2));
    server.register(&client, "alice", PASSWORD).await;
    let token = text(
        &server.login(&client, "alice", PASSWORD).await,
        "access_token",
    );
    let (status, post) = send(
        client.post(server.url("/api/v1/posts")).bearer_auth(&token),
        json!({"title": "Original", "body": "<p>x</p>"}),
    )
    .await;
    assert_eq!(status, 201, "{post}");
    let post_url = server.url(&format!("/api/v1/posts/{}", text(&post, "id")));

    let (null_status, null_problem) = send(
        client.patch(&post_url).bearer_auth(&token),
        json!({"title": null}),
    )
    .await;
    let (bidi_status, bidi_problem) = send(
        client.patch(&post_url).bearer_auth(&token),
        json!({"title": "invoice\u{202E}fdp.exe"}),
    )
    .await;
    let (blank_status, blank_problem) = send(
        client.patch(&post_url).bearer_auth(&token),
        json!({"title": "\u{200B}\u{200B}"}),
    )
    .await;

    assert_names_field(null_status, &null_problem, "title");
    assert_names_field(bidi_status, &bidi_problem, "title");
    assert_names_field(blank_status, &blank_problem, "title");
    let (_, stored) = send(client.get(&post_url), Value::Null).await;
    assert_eq!(stored["title"], "Original");
}
