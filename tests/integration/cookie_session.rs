//! Cookie mode for browsers: the refresh token in a `__Host-` cookie, and the CSRF check on
//! requests that rely on it.

use std::net::Ipv4Addr;

use rampart_tests::{TestServer, text};
use serde_json::{Value, json};

const PASSWORD: &str = "Violet-Harbor-87";

/// Returns the `name=value` part of the Set-Cookie header for `name`, and the whole header.
fn set_cookie(response: &reqwest::Response, name: &str) -> (String, String) {
    let header = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|value| value.to_str().unwrap().to_owned())
        .find(|value| value.starts_with(&format!("{name}=")))
        .unwrap_or_else(|| panic!("no Set-Cookie for {name}"));
    let pair = header.split(';').next().unwrap().to_owned();
    (pair, header)
}

async fn cookie_login(
    server: &TestServer,
    client: &reqwest::Client,
) -> (reqwest::Response, String, String) {
    server.register(client, "alice", PASSWORD).await;
    let response = client
        .post(server.url("/api/v1/auth/login?session=cookie"))
        .json(&json!({"username": "alice", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    let (refresh, _) = set_cookie(&response, "__Host-rampart-refresh");
    let (csrf, _) = set_cookie(&response, "__Host-rampart-csrf");
    (response, refresh, csrf)
}

#[tokio::test(flavor = "multi_thread")]
async fn cookie_login_sets_host_cookies() {
    let server = TestServer::start(&[]).await;
    let client = server.client_from(Ipv4Addr::new(127, 0, 0, 20));

    let (response, _, _) = cookie_login(&server, &client).await;

    assert_eq!(response.status(), 200);
    let (_, refresh) = set_cookie(&response, "__Host-rampart-refresh");
    let (_, csrf) = set_cookie(&response, "__Host-rampart-csrf");
    for attribute in ["HttpOnly", "Secure", "SameSite=Strict", "Path=/"] {
        assert!(refresh.contains(attribute), "{refresh} lacks {attribute}");
    }
    assert!(!refresh.contains("Domain"), "{refresh}");
    assert!(!csrf.contains("HttpOnly"), "the page must read {csrf}");
    let body: Value = response.json().await.unwrap();
    assert!(body.get("refresh_token").is_none(), "{body}");
    assert!(
        body["access_token"]
            .as_str()
            .unwrap()
            .starts_with("v4.public.")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn cookie_refresh_without_csrf_is_forbidden() {
    let server = TestServer::start(&[]).await;
    let client = server.client_from(Ipv4Addr::new(127, 0, 0, 21));
    let (_, refresh, csrf) = cookie_login(&server, &client).await;
    let own_origin = format!("http://{}", server.addr);

    let without_token = client
        .post(server.url("/api/v1/auth/refresh"))
        .header("Cookie", format!("{refresh}; {csrf}"))
        .header("Origin", &own_origin)
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    let foreign_origin = client
        .post(server.url("/api/v1/auth/refresh"))
        .header("Cookie", format!("{refresh}; {csrf}"))
        .header("X-CSRF-Token", csrf.split_once('=').unwrap().1)
        .header("Origin", "https://evil.example")
        .json(&json!({}))
        .send()
        .await
        .unwrap();

    assert_eq!(without_token.status(), 403);
    let problem: Value = without_token.json().await.unwrap();
    assert_eq!(problem["type"], "urn:rampart:problem:csrf-failure");
    assert_eq!(foreign_origin.status(), 403);
    let log = server.wait_for_security_log("csrf_failure").await;
    assert!(log.contains("csrf_failure"), "{log}");
}

#[tokio::test(flavor = "multi_thread")]
async fn cookie_refresh_with_csrf_rotates() {
    let server = TestServer::start(&[]).await;
    let client = server.client_from(Ipv4Addr::new(127, 0, 0, 22));
    let (_, refresh, csrf) = cookie_login(&server, &client).await;

    let response = client
        .post(server.url("/api/v1/auth/refresh"))
        .header("Cookie", format!("{refresh}; {csrf}"))
        .header("X-CSRF-Token", csrf.split_once('=').unwrap().1)
        .header("Origin", format!("http://{}", server.addr))
        .json(&json!({}))
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), 200);
    let (rotated, _) = set_cookie(&response, "__Host-rampart-refresh");
    assert_ne!(rotated, refresh);
    let body: Value = response.json().await.unwrap();
    assert!(body.get("refresh_token").is_none(), "{body}");
}

#[tokio::test(flavor = "multi_thread")]
async fn bearer_requests_skip_csrf_check() {
    let server = TestServer::start(&[]).await;
    let client = server.client_from(Ipv4Addr::new(127, 0, 0, 23));
    let (response, refresh, csrf) = cookie_login(&server, &client).await;
    let access = text(&response.json::<Value>().await.unwrap(), "access_token");

    let created = client
        .post(server.url("/api/v1/posts"))
        .bearer_auth(&access)
        .header("Cookie", format!("{refresh}; {csrf}"))
        .header("Origin", "https://evil.example")
        .json(&json!({"title": "From a tab", "body": "text"}))
        .send()
        .await
        .unwrap();
    let logout = client
        .post(server.url("/api/v1/auth/logout"))
        .bearer_auth(&access)
        .header("Cookie", format!("{refresh}; {csrf}"))
        .send()
        .await
        .unwrap();

    assert_eq!(created.status(), 201);
    assert_eq!(logout.status(), 204);
    assert_eq!(logout.headers()["clear-site-data"], "\"cookies\"");
    let (cleared, _) = set_cookie(&logout, "__Host-rampart-refresh");
    assert_eq!(cleared, "__Host-rampart-refresh=");
}
