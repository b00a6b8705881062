//! Bad input gets a problem+json 4xx: never a 500, never a hang.

use std::net::Ipv4Addr;
use std::time::Duration;

use rampart_tests::{TestServer, text};
use reqwest::Method;
use serde_json::{Value, json};

const PASSWORD: &str = "Violet-Harbor-87";

struct Case {
    name: &'static str,
    method: Method,
    path: String,
    body: Option<String>,
    bearer: bool,
    expected: u16,
}

fn case(
    name: &'static str,
    method: Method,
    path: &str,
    body: Option<&str>,
    bearer: bool,
    expected: u16,
) -> Case {
    Case {
        name,
        method,
        path: path.to_owned(),
        body: body.map(str::to_owned),
        bearer,
        expected,
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_input_gets_problem_details() {
    let server = TestServer::start(&[]).await;
    let client = reqwest::Client::builder()
        .local_address(std::net::IpAddr::V4(Ipv4Addr::new(127, 0, 0, 8)))
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    server.register(&client, "alice", PASSWORD).await;
    let access = text(
        &server.login(&client, "alice", PASSWORD).await,
        "access_token",
    );
    let huge = format!(
        "{{\"title\": \"t\", \"body\": \"{}\"}}",
        "x".repeat(2 * 1024 * 1024)
    );
    let long_password = format!(
        "{{\"username\": \"alice\", \"password\": \"{}\"}}",
        "A1!a".repeat(2_560)
    );
    let long_register = format!(
        "{{\"username\": \"bob\", \"email\": \"bob@example.com\", \"password\": \"{}\"}}",
        "A1!a".repeat(2_560)
    );

    let cases = vec![
        case(
            "malformed json",
            Method::POST,
            "/api/v1/auth/login",
            Some("{\"username\": "),
            false,
            400,
        ),
        case(
            "wrong types",
            Method::POST,
            "/api/v1/auth/login",
            Some("{\"username\": 5, \"password\": []}"),
            false,
            400,
        ),
        case(
            "missing fields",
            Method::POST,
            "/api/v1/auth/register",
            Some("{\"username\": \"bob\"}"),
            false,
            400,
        ),
        case(
            "not an object",
            Method::POST,
            "/api/v1/auth/login",
            Some("[1, 2]"),
            false,
            400,
        ),
        case(
            "oversized body",
            Method::POST,
            "/api/v1/posts",
            Some(&huge),
            true,
            413,
        ),
        case(
            "bad uuid in path",
            Method::GET,
            "/api/v1/posts/not-a-uuid",
            None,
            false,
            400,
        ),
        case(
            "page size 1000",
            Method::GET,
            "/api/v1/posts?page_size=1000",
            None,
            false,
            400,
        ),
        case(
            "page zero",
            Method::GET,
            "/api/v1/posts?page=0",
            None,
            false,
            400,
        ),
        case(
            "page not a number",
            Method::GET,
            "/api/v1/posts?page=abc",
            None,
            false,
            400,
        ),
        case(
            "10 KB password on login",
            Method::POST,
            "/api/v1/auth/login",
            Some(&long_password),
            false,
            400,
        ),
        case(
            "10 KB password on register",
            Method::POST,
            "/api/v1/auth/register",
            Some(&long_register),
            false,
            400,
        ),
        case(
            "author_id in post",
            Method::POST,
            "/api/v1/posts",
            Some(
                "{\"title\": \"t\", \"body\": \"b\", \"author_id\": \"00000000-0000-0000-0000-000000000000\"}",
            ),
            true,
            400,
        ),
        case(
            "role in profile",
            Method::PATCH,
            "/api/v1/users/me",
            Some("{\"role\": \"admin\"}"),
            true,
            400,
        ),
        case(
            "unknown post",
            Method::GET,
            "/api/v1/posts/00000000-0000-0000-0000-000000000000",
            None,
            false,
            404,
        ),
        case(
            "unknown path",
            Method::GET,
            "/api/v1/nothing-here",
            None,
            false,
            404,
        ),
        case(
            "unknown method",
            Method::PUT,
            "/api/v1/posts",
            Some("{}"),
            true,
            405,
        ),
        case(
            "no token",
            Method::GET,
            "/api/v1/users/me",
            None,
            false,
            401,
        ),
        case(
            "empty title",
            Method::POST,
            "/api/v1/posts",
            Some("{\"title\": \"  \", \"body\": \"b\"}"),
            true,
            400,
        ),
        case(
            "unknown category",
            Method::POST,
            "/api/v1/posts",
            Some(
                "{\"title\": \"t\", \"body\": \"b\", \"category_id\": \"00000000-0000-0000-0000-000000000000\"}",
            ),
            true,
            400,
        ),
    ];

    for case in cases {
        let mut request = client.request(case.method.clone(), server.url(&case.path));
        if let Some(body) = &case.body {
            request = request
                .header("content-type", "application/json")
                .body(body.clone());
        }
        if case.bearer {
            request = request.bearer_auth(&access);
        }

        let response = request
            .send()
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", case.name));

        assert_eq!(response.status().as_u16(), case.expected, "{}", case.name);
        assert_eq!(
            response.headers()["content-type"],
            "application/problem+json",
            "{}",
            case.name
        );
        assert_eq!(
            response.headers()["x-content-type-options"],
            "nosniff",
            "{}",
            case.name
        );
        let problem: Value = response
            .json()
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", case.name));
        assert_eq!(problem["status"], case.expected, "{}", case.name);
        assert!(
            problem["type"]
                .as_str()
                .unwrap()
                .starts_with("urn:rampart:problem:"),
            "{}",
            case.name
        );
        assert!(problem["title"].is_string(), "{}", case.name);
        assert!(problem["detail"].is_string(), "{}", case.name);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn author_id_is_named_in_errors() {
    let server = TestServer::start(&[]).await;
    let client = server.client();
    server.register(&client, "alice", PASSWORD).await;
    let access = text(
        &server.login(&client, "alice", PASSWORD).await,
        "access_token",
    );

    let response = client
        .post(server.url("/api/v1/posts"))
        .bearer_auth(&access)
        .json(&json!({"title": "t", "body": "b", "author_id": "00000000-0000-0000-0000-000000000000"}))
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), 400);
    let problem: Value = response.json().await.unwrap();
    assert!(problem["errors"]["author_id"].is_array(), "{problem}");
}

#[tokio::test(flavor = "multi_thread")]
async fn request_id_is_echoed_or_generated() {
    let server = TestServer::start(&[]).await;
    let client = server.client();

    let echoed = client
        .get(server.url("/health/live"))
        .header("X-Request-Id", "abc-123")
        .send()
        .await
        .unwrap();
    let replaced = client
        .get(server.url("/health/live"))
        .header("X-Request-Id", "bad id\tvalue")
        .send()
        .await
        .unwrap();

    assert_eq!(echoed.headers()["x-request-id"], "abc-123");
    let generated = replaced.headers()["x-request-id"].to_str().unwrap();
    assert_ne!(generated, "bad id\tvalue");
    assert_eq!(generated.len(), 36);
}
