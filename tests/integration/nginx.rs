//! docs/deploy/nginx.conf in front of Rampart: a real nginx on loopback, with only its ports and
//! paths replaced.

use std::net::Ipv4Addr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use rampart_tests::{TestServer, free_port};
use serde_json::json;

const PASSWORD: &str = "Violet-Harbor-87";
const NGINX: &str = "/usr/sbin/nginx";

/// A running nginx, stopped on drop.
struct Nginx {
    child: Child,
    port: u16,
    _dir: tempfile::TempDir,
}

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Returns the deployment config with this test's ports and paths.
fn test_config(upstream: &str, port: u16, dir: &Path) -> String {
    let template = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../docs/deploy/nginx.conf"
    ))
    .unwrap();
    let path = |name: &str| dir.join(name).display().to_string();
    let replacements = [
        (
            "pid /run/nginx-rampart.pid;",
            format!("pid {};", path("nginx.pid")),
        ),
        (
            "error_log /var/log/nginx/rampart-error.log warn;",
            format!("error_log {} warn;", path("error.log")),
        ),
        (
            "access_log /var/log/nginx/rampart-access.log;",
            format!("access_log {};", path("access.log")),
        ),
        ("server 127.0.0.1:8000;", format!("server {upstream};")),
        ("listen 80;", format!("listen 127.0.0.1:{};", free_port())),
        ("listen [::]:80;", String::new()),
        (
            "listen 443 ssl http2;",
            format!("listen 127.0.0.1:{port} ssl http2;"),
        ),
        ("listen [::]:443 ssl http2;", String::new()),
        ("/etc/rampart/tls/cert.pem", path("cert.pem")),
        ("/etc/rampart/tls/key.pem", path("key.pem")),
    ];
    let mut config = template;
    for (from, to) in replacements {
        assert!(
            config.contains(from),
            "nginx.conf no longer contains {from:?}"
        );
        config = config.replace(from, &to);
    }
    config
}

fn start_nginx(upstream: &str) -> Nginx {
    assert!(
        Path::new(NGINX).exists(),
        "{NGINX} is missing: install the Debian package nginx-light (make deps does)"
    );
    let dir = tempfile::tempdir().unwrap();
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
            "subjectAltName=IP:127.0.0.1",
            "-addext",
            "basicConstraints=critical,CA:FALSE",
        ])
        .arg("-keyout")
        .arg(dir.path().join("key.pem"))
        .arg("-out")
        .arg(dir.path().join("cert.pem"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
    let port = free_port();
    let config = dir.path().join("nginx.conf");
    std::fs::write(&config, test_config(upstream, port, dir.path())).unwrap();

    let child = Command::new(NGINX)
        .arg("-p")
        .arg(dir.path())
        .arg("-c")
        .arg(&config)
        .args(["-g", "daemon off;"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let nginx = Nginx {
        child,
        port,
        _dir: dir,
    };
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "nginx did not listen on {port}");
        std::thread::sleep(Duration::from_millis(50));
    }
    nginx
}

async fn register(
    client: &reqwest::Client,
    nginx: &Nginx,
    name: &str,
    forwarded_for: Option<&str>,
) -> u16 {
    let mut request = client
        .post(format!("https://127.0.0.1:{}/api/v1/auth/register", nginx.port))
        .json(&json!({"username": name, "email": format!("{name}@example.com"), "password": PASSWORD}));
    if let Some(value) = forwarded_for {
        request = request.header("X-Forwarded-For", value);
    }
    request.send().await.unwrap().status().as_u16()
}

fn client_from(ip: Ipv4Addr) -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(std::net::IpAddr::V4(ip))
        .danger_accept_invalid_certs(true)
        .build()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn real_client_ip_is_the_key() {
    let server = TestServer::start(&[("RAMPART_TRUSTED_PROXIES", "127.0.0.1")]).await;
    let nginx = start_nginx(&server.addr.to_string());
    let first = client_from(Ipv4Addr::new(127, 0, 0, 2));
    let second = client_from(Ipv4Addr::new(127, 0, 0, 3));

    let mut from_first = Vec::new();
    for n in 1..=4 {
        from_first.push(register(&first, &nginx, &format!("first{n}"), None).await);
    }
    let from_second = register(&second, &nginx, "second1", None).await;

    assert_eq!(from_first, vec![201, 201, 201, 429]);
    assert_eq!(from_second, 201);
}

#[tokio::test(flavor = "multi_thread")]
async fn forged_forwarded_for_is_ignored() {
    let server = TestServer::start(&[("RAMPART_TRUSTED_PROXIES", "127.0.0.1")]).await;
    let nginx = start_nginx(&server.addr.to_string());
    let client = client_from(Ipv4Addr::new(127, 0, 0, 4));

    let mut statuses = Vec::new();
    for n in 1..=4 {
        let forged = format!("198.51.100.{n}");
        statuses.push(register(&client, &nginx, &format!("forger{n}"), Some(&forged)).await);
    }

    assert_eq!(statuses, vec![201, 201, 201, 429]);
}

#[tokio::test(flavor = "multi_thread")]
async fn proxied_responses_keep_headers() {
    let server = TestServer::start(&[("RAMPART_TRUSTED_PROXIES", "127.0.0.1")]).await;
    let nginx = start_nginx(&server.addr.to_string());
    let client = client_from(Ipv4Addr::new(127, 0, 0, 5));

    let response = client
        .get(format!("https://127.0.0.1:{}/health/live", nginx.port))
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["strict-transport-security"],
        "max-age=31536000; includeSubDomains; preload"
    );
    assert_eq!(response.headers()["x-content-type-options"], "nosniff");
    // nginx without the headers-more module always names itself; server_tokens off drops the
    // version.
    let server_header = response
        .headers()
        .get("server")
        .map(|v| v.to_str().unwrap().to_owned());
    assert!(
        matches!(server_header.as_deref(), None | Some("nginx")),
        "{server_header:?}"
    );
}
