//! Transport: TLS versions, the plain listener, HSTS and forwarded headers.

use std::path::Path;
use std::process::{Command, Stdio};

use rampart_tests::{TestServer, free_port};
use reqwest::redirect::Policy;
use serde_json::{Value, json};

const PASSWORD: &str = "Violet-Harbor-87";

/// Writes a self-signed certificate for 127.0.0.1 and its key into `dir`.
fn self_signed(dir: &Path) -> (String, String) {
    let cert = dir.join("cert.pem");
    let key = dir.join("key.pem");
    let status = Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-days",
            "1",
        ])
        .args([
            "-subj",
            "/CN=localhost",
            "-addext",
            "subjectAltName=IP:127.0.0.1,DNS:localhost",
            "-addext",
            "basicConstraints=critical,CA:FALSE",
        ])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("openssl is missing: install the Debian package openssl");
    assert!(status.success(), "openssl req failed");
    (cert.display().to_string(), key.display().to_string())
}

/// Runs `openssl s_client` with one protocol flag and returns (success, output).
fn handshake(port: u16, protocol: &str) -> (bool, String) {
    let output = Command::new("openssl")
        .args([
            "s_client",
            "-connect",
            &format!("127.0.0.1:{port}"),
            protocol,
            "-cipher",
            "DEFAULT:@SECLEVEL=0",
        ])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), text)
}

#[tokio::test(flavor = "multi_thread")]
async fn tls_offers_only_modern_versions() {
    let keys = tempfile::tempdir().unwrap();
    let (cert, key) = self_signed(keys.path());
    let server = TestServer::start(&[("RAMPART_TLS_CERT", &cert), ("RAMPART_TLS_KEY", &key)]).await;
    let port = server.addr.port();

    let (tls11_ok, tls11) = handshake(port, "-tls1_1");
    let (tls12_ok, tls12) = handshake(port, "-tls1_2");
    let (tls13_ok, tls13) = handshake(port, "-tls1_3");

    assert!(!tls11_ok, "TLS 1.1 connected: {tls11}");
    // The client offered TLS 1.1 (security level 0 allows it) and the server sent an alert
    // instead of a cipher.
    assert!(tls11.contains("Cipher is (NONE)"), "{tls11}");
    assert!(tls11.contains("alert"), "{tls11}");
    assert!(tls12_ok, "{tls12}");
    assert!(tls12.contains("TLSv1.2"), "{tls12}");
    assert!(tls13_ok, "{tls13}");
    assert!(tls13.contains("TLSv1.3"), "{tls13}");
}

#[tokio::test(flavor = "multi_thread")]
async fn https_responses_carry_hsts() {
    let keys = tempfile::tempdir().unwrap();
    let (cert, key) = self_signed(keys.path());
    let server = TestServer::start(&[("RAMPART_TLS_CERT", &cert), ("RAMPART_TLS_KEY", &key)]).await;

    let live = server
        .client()
        .get(server.url("/health/live"))
        .send()
        .await
        .unwrap();
    let missing = server
        .client()
        .get(server.url("/nothing"))
        .send()
        .await
        .unwrap();

    assert_eq!(
        live.headers()["strict-transport-security"],
        "max-age=31536000; includeSubDomains; preload"
    );
    assert_eq!(missing.status(), 404);
    assert!(missing.headers().contains_key("strict-transport-security"));
}

#[tokio::test(flavor = "multi_thread")]
async fn plain_listener_redirects_pages_rejects_api() {
    let keys = tempfile::tempdir().unwrap();
    let (cert, key) = self_signed(keys.path());
    let plain_port = free_port();
    let plain_listen = format!("127.0.0.1:{plain_port}");
    let server = TestServer::start(&[
        ("RAMPART_TLS_CERT", &cert),
        ("RAMPART_TLS_KEY", &key),
        ("RAMPART_TLS_PLAIN_LISTEN", &plain_listen),
    ])
    .await;
    server.register(&server.client(), "alice", PASSWORD).await;
    let plain = reqwest::Client::builder()
        .redirect(Policy::none())
        .build()
        .unwrap();

    let docs = plain
        .get(format!("http://{plain_listen}/docs"))
        .send()
        .await
        .unwrap();
    let login = plain
        .post(format!("http://{plain_listen}/api/v1/auth/login"))
        .json(&json!({"username": "alice", "password": "Wrong-Guess-0001"}))
        .send()
        .await
        .unwrap();

    assert_eq!(docs.status(), 308);
    assert_eq!(
        docs.headers()["location"],
        format!("https://127.0.0.1:{}/docs", server.addr.port())
    );
    assert!(!docs.headers().contains_key("strict-transport-security"));
    assert_eq!(login.status(), 403);
    let problem: Value = login.json().await.unwrap();
    assert_eq!(problem["type"], "urn:rampart:problem:https-required");
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert!(
        !server.settled_security_log().await.contains("failed_login"),
        "the plain listener ran the login"
    );
}

/// Sends four registrations from 127.0.0.1, each claiming another client in X-Forwarded-For,
/// and returns their statuses.
async fn registrations_with_forwarded_for(server: &TestServer) -> Vec<u16> {
    let client = server.client();
    let mut statuses = Vec::new();
    for n in 1..=4 {
        let response = client
            .post(server.url("/api/v1/auth/register"))
            .header("X-Forwarded-For", format!("198.51.100.{n}"))
            .json(&json!({"username": format!("user{n}"), "email": format!("user{n}@example.com"), "password": PASSWORD}))
            .send()
            .await
            .unwrap();
        statuses.push(response.status().as_u16());
    }
    statuses
}

#[tokio::test(flavor = "multi_thread")]
async fn spoofed_forwarded_for_is_ignored() {
    let server = TestServer::start(&[]).await;

    let statuses = registrations_with_forwarded_for(&server).await;

    assert_eq!(statuses, vec![201, 201, 201, 429]);
}

#[tokio::test(flavor = "multi_thread")]
async fn trusted_proxy_forwarded_for_is_key() {
    let server = TestServer::start(&[("RAMPART_TRUSTED_PROXIES", "127.0.0.1")]).await;

    let statuses = registrations_with_forwarded_for(&server).await;

    assert_eq!(statuses, vec![201, 201, 201, 201]);
    let client = server.client();
    let mut same_client = Vec::new();
    for n in 5..=7 {
        let response = client
            .post(server.url("/api/v1/auth/register"))
            .header("X-Forwarded-For", "6.6.6.6, 198.51.100.1")
            .json(&json!({"username": format!("user{n}"), "email": format!("user{n}@example.com"), "password": PASSWORD}))
            .send()
            .await
            .unwrap();
        same_client.push(response.status().as_u16());
    }
    assert_eq!(same_client, vec![201, 201, 429]);
}
