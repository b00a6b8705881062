//! The security headers on every status the service returns, errors included.
//!
//! The 500 comes from `GET /__test/panic`, which a debug build mounts only when
//! `RAMPART_TEST_FAULT_ROUTE=1` and `env = development`.

use std::net::Ipv4Addr;

use rampart_tests::TestServer;
use reqwest::Response;
use reqwest::header::HeaderMap;
use serde_json::json;

const PASSWORD: &str = "Violet-Harbor-87";

/// Each required header and a part its value must contain.
const REQUIRED: [(&str, &str); 10] = [
    ("x-content-type-options", "nosniff"),
    ("x-frame-options", "DENY"),
    ("x-xss-protection", "1; mode=block"),
    ("referrer-policy", "strict-origin-when-cross-origin"),
    ("permissions-policy", "geolocation=()"),
    ("content-security-policy", "default-src 'none'"),
    ("cross-origin-opener-policy", "same-origin"),
    ("cross-origin-resource-policy", "same-origin"),
    ("x-permitted-cross-domain-policies", "none"),
    ("cache-control", "no-store"),
];

fn check_headers(case: &str, headers: &HeaderMap) {
    for (name, part) in REQUIRED {
        let value = headers
            .get(name)
            .unwrap_or_else(|| panic!("{case}: {name} is missing"))
            .to_str()
            .unwrap();
        assert!(value.contains(part), "{case}: {name} is {value:?}");
    }
    let policy = headers["permissions-policy"].to_str().unwrap();
    assert!(policy.contains("camera=()"), "{case}: {policy}");
    assert!(policy.contains("microphone=()"), "{case}: {policy}");
    let csp = headers["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("frame-ancestors 'none'"), "{case}: {csp}");
    assert!(!headers.contains_key("server"), "{case}: Server is present");
    assert!(
        !headers.contains_key("x-powered-by"),
        "{case}: X-Powered-By is present"
    );
}

async fn registration(server: &TestServer, client: &reqwest::Client, name: &str) -> Response {
    client
        .post(server.url("/api/v1/auth/register"))
        .json(&json!({"username": name, "email": format!("{name}@example.com"), "password": PASSWORD}))
        .send()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn headers_on_every_status() {
    let server = TestServer::start(&[("RAMPART_TEST_FAULT_ROUTE", "1")]).await;
    let client = server.client_from(Ipv4Addr::new(127, 0, 0, 50));
    let registrant = server.client_from(Ipv4Addr::new(127, 0, 0, 51));
    for name in ["hdr1", "hdr2", "hdr3"] {
        assert_eq!(registration(&server, &registrant, name).await.status(), 201);
    }
    let oversized = vec![b'x'; 2 * 1024 * 1024];

    let responses = vec![
        (
            200,
            client.get(server.url("/health/live")).send().await.unwrap(),
        ),
        (
            401,
            client
                .get(server.url("/api/v1/users/me"))
                .send()
                .await
                .unwrap(),
        ),
        (
            403,
            client
                .get(server.url("/api/v1/posts"))
                .header("User-Agent", "Mozilla/5.00 (Nikto/2.1.6)")
                .send()
                .await
                .unwrap(),
        ),
        (
            404,
            client
                .get(server.url("/api/v1/nothing-here"))
                .send()
                .await
                .unwrap(),
        ),
        (
            405,
            client
                .put(server.url("/api/v1/posts"))
                .send()
                .await
                .unwrap(),
        ),
        (
            413,
            client
                .post(server.url("/api/v1/posts"))
                .header("content-type", "application/json")
                .body(oversized)
                .send()
                .await
                .unwrap(),
        ),
        (429, registration(&server, &registrant, "hdr4").await),
        (
            500,
            client
                .get(server.url("/__test/panic"))
                .send()
                .await
                .unwrap(),
        ),
    ];

    for (status, response) in &responses {
        let case = format!("status {status}");
        assert_eq!(response.status().as_u16(), *status, "{case}");
        check_headers(&case, response.headers());
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn fault_route_is_off_by_default() {
    let server = TestServer::start(&[]).await;

    let response = server
        .client()
        .get(server.url("/__test/panic"))
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), 404);
}
