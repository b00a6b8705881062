//! CORS over real sockets: the exact-origin allowlist, `null`, and preflights.

use std::net::Ipv4Addr;

use rampart_tests::TestServer;
use reqwest::Method;
use reqwest::header::HeaderMap;
use serde_json::Value;

const LISTED: &str = "https://app.example.com";
const ORIGINS: &str = "https://app.example.com,http://localhost:3000";

async fn server() -> TestServer {
    TestServer::start(&[("RAMPART_CORS_ALLOWED_ORIGINS", ORIGINS)]).await
}

fn has_cors_headers(headers: &HeaderMap) -> bool {
    headers
        .keys()
        .any(|name| name.as_str().starts_with("access-control-"))
}

fn no_wildcard(headers: &HeaderMap) {
    for (name, value) in headers {
        if name.as_str().starts_with("access-control-") {
            assert_ne!(value, "*", "{name} is a wildcard");
        }
    }
}

fn preflight(
    server: &TestServer,
    client: &reqwest::Client,
    origin: &str,
    method: &str,
    headers: &str,
) -> reqwest::RequestBuilder {
    client
        .request(Method::OPTIONS, server.url("/api/v1/posts"))
        .header("Origin", origin)
        .header("Access-Control-Request-Method", method)
        .header("Access-Control-Request-Headers", headers)
}

#[tokio::test(flavor = "multi_thread")]
async fn listed_origin_is_echoed() {
    let server = server().await;
    let client = server.client_from(Ipv4Addr::new(127, 0, 0, 40));

    let response = client
        .get(server.url("/api/v1/posts"))
        .header("Origin", LISTED)
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), 200);
    let headers = response.headers();
    assert_eq!(headers["access-control-allow-origin"], LISTED);
    assert_eq!(headers["access-control-allow-credentials"], "true");
    let vary: Vec<_> = headers.get_all("vary").iter().collect();
    assert!(
        vary.iter()
            .any(|v| v.to_str().unwrap().to_ascii_lowercase().contains("origin")),
        "{vary:?}"
    );
    no_wildcard(headers);
}

#[tokio::test(flavor = "multi_thread")]
async fn unlisted_and_null_get_nothing() {
    let server = server().await;
    let client = server.client_from(Ipv4Addr::new(127, 0, 0, 41));

    let unlisted = client
        .get(server.url("/api/v1/posts"))
        .header("Origin", "https://evil.example")
        .header("X-Request-Id", "cors-probe-1")
        .send()
        .await
        .unwrap();
    let null = client
        .get(server.url("/api/v1/posts"))
        .header("Origin", "null")
        .send()
        .await
        .unwrap();
    let look_alike = client
        .get(server.url("/api/v1/posts"))
        .header("Origin", "https://app.example.com.evil.example")
        .send()
        .await
        .unwrap();

    assert_eq!(unlisted.status(), 200);
    assert!(
        !has_cors_headers(unlisted.headers()),
        "{:?}",
        unlisted.headers()
    );
    assert!(!has_cors_headers(null.headers()), "{:?}", null.headers());
    assert!(
        !has_cors_headers(look_alike.headers()),
        "{:?}",
        look_alike.headers()
    );
    let log = server.wait_for_security_log("cors_rejected").await;
    let lines: Vec<_> = log
        .lines()
        .filter(|l| l.contains("cors_rejected"))
        .collect();
    assert_eq!(
        lines.len(),
        1,
        "cors_rejected is written once a minute: {log}"
    );
    assert!(lines[0].contains("cors-probe-1"), "{}", lines[0]);
    assert!(lines[0].contains("127.0.0.41"), "{}", lines[0]);
}

#[tokio::test(flavor = "multi_thread")]
async fn preflight_answers_listed_parts() {
    let server = server().await;
    let client = server.client_from(Ipv4Addr::new(127, 0, 0, 42));

    let response = preflight(
        &server,
        &client,
        "http://localhost:3000",
        "PATCH",
        "content-type, authorization, x-csrf-token",
    )
    .send()
    .await
    .unwrap();

    assert_eq!(response.status(), 204);
    let headers = response.headers();
    assert_eq!(
        headers["access-control-allow-origin"],
        "http://localhost:3000"
    );
    assert_eq!(headers["access-control-allow-credentials"], "true");
    let methods = headers["access-control-allow-methods"].to_str().unwrap();
    assert_eq!(methods, "GET, POST, PATCH, DELETE");
    let allowed = headers["access-control-allow-headers"].to_str().unwrap();
    assert!(allowed.contains("authorization"), "{allowed}");
    assert!(allowed.contains("x-csrf-token"), "{allowed}");
    no_wildcard(headers);
}

#[tokio::test(flavor = "multi_thread")]
async fn preflight_rejects_unlisted_parts() {
    let server = server().await;
    let client = server.client_from(Ipv4Addr::new(127, 0, 0, 43));
    let cases = [
        ("method PUT", LISTED, "PUT", "content-type"),
        ("header X-Evil", LISTED, "POST", "content-type, x-evil"),
        ("unlisted origin", "https://evil.example", "GET", ""),
        ("null origin", "null", "GET", ""),
    ];

    for (name, origin, method, headers) in cases {
        let response = preflight(&server, &client, origin, method, headers)
            .send()
            .await
            .unwrap();

        assert_eq!(response.status(), 403, "{name}");
        assert!(
            !has_cors_headers(response.headers()),
            "{name}: {:?}",
            response.headers()
        );
        assert_eq!(
            response.headers()["content-type"],
            "application/problem+json",
            "{name}"
        );
        let problem: Value = response.json().await.unwrap();
        assert_eq!(
            problem["type"], "urn:rampart:problem:cors-rejected",
            "{name}"
        );
    }
}
