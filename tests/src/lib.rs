//! Test harness for the end-to-end tests: starts the real `rampart` binary on a free loopback
//! port with its own data and log directories, and gives clients bound to chosen loopback
//! addresses.
//!
//! The binary is taken from `RAMPART_BIN`, or `target/debug/rampart` of this workspace; `make
//! test` builds it before the tests run.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test harness: a failed setup should stop the test with its message"
)]

pub mod postgres;
pub mod redis;

use std::io::Write;
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// How long a server gets to become ready.
const START_TIMEOUT: Duration = Duration::from_secs(60);

/// Returns the path of the `rampart` binary under test.
pub fn binary() -> PathBuf {
    if let Some(path) = std::env::var_os("RAMPART_BIN") {
        return PathBuf::from(path);
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("..")
                .join("target")
        });
    let path = target.join("debug").join("rampart");
    assert!(
        path.exists(),
        "{} is missing: run `cargo build -p rampart` first (make test does)",
        path.display()
    );
    path
}

/// Returns a loopback port that was free a moment ago.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A running `rampart serve` with its own directories, stopped on drop.
pub struct TestServer {
    pub dir: tempfile::TempDir,
    pub addr: SocketAddr,
    env: Vec<(String, String)>,
    child: Option<Child>,
}

impl TestServer {
    /// Starts a server with the default configuration plus `env`.
    pub async fn start(env: &[(&str, &str)]) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let addr = SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), free_port());
        let mut server = Self {
            dir,
            addr,
            env: env
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            child: None,
        };
        server.spawn().await;
        server
    }

    fn command(&self, subcommand: &str) -> Command {
        let mut command = Command::new(binary());
        command
            .arg(subcommand)
            .current_dir(self.dir.path())
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("RAMPART_LISTEN", self.addr.to_string())
            .env("RAMPART_DATA_DIR", self.data_dir())
            .env("RAMPART_LOG_DIR", self.log_dir())
            .env(
                "RUST_LOG",
                std::env::var("RAMPART_TEST_LOG").unwrap_or_else(|_| "info".to_owned()),
            );
        for (key, value) in &self.env {
            command.env(key, value);
        }
        command
    }

    async fn spawn(&mut self) {
        let stdout = std::fs::File::create(self.dir.path().join("stdout.log")).unwrap();
        let child = self
            .command("serve")
            .stdout(stdout)
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", binary().display()));
        self.child = Some(child);
        self.wait_ready().await;
    }

    async fn wait_ready(&mut self) {
        let client = self.client();
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            let last_error = match client.get(self.url("/health/ready")).send().await {
                Ok(response) if response.status().is_success() => return,
                Ok(response) => format!("status {}", response.status()),
                Err(error) => format!("{error:?}"),
            };
            if let Some(status) = self.child.as_mut().and_then(|c| c.try_wait().unwrap()) {
                let mut stderr = String::new();
                if let Some(mut pipe) = self.child.as_mut().and_then(|c| c.stderr.take()) {
                    std::io::Read::read_to_string(&mut pipe, &mut stderr).ok();
                }
                panic!("rampart exited with {status} before it was ready: {stderr}");
            }
            assert!(
                Instant::now() < deadline,
                "rampart was not ready within {START_TIMEOUT:?}: {last_error}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Stops the server with SIGTERM and waits for it to exit.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = Command::new("kill")
                .arg("-TERM")
                .arg(child.id().to_string())
                .status();
            let deadline = Instant::now() + Duration::from_secs(15);
            while child.try_wait().unwrap().is_none() {
                if Instant::now() > deadline {
                    let _ = child.kill();
                    break;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            let _ = child.wait();
        }
    }

    /// Stops the server and starts it again on the same directories and port.
    pub async fn restart(&mut self) {
        self.stop();
        self.spawn().await;
    }

    /// Stops the server and starts it again on the same directories and port with the default
    /// configuration plus `env`, in place of the variables it was started with.
    pub async fn restart_with_env(&mut self, env: &[(&str, &str)]) {
        self.env = env
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        self.restart().await;
    }

    /// Returns the data directory (database and keys).
    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// Returns the log directory.
    pub fn log_dir(&self) -> PathBuf {
        self.dir.path().join("logs")
    }

    /// Waits until the security log contains `needle` and has stopped growing, for at most two
    /// seconds, and returns it.
    ///
    /// The server writes its logs in batches every few milliseconds, so a line can lag its
    /// response, and the lines of one burst of requests can arrive in several batches.
    pub async fn wait_for_security_log(&self, needle: &str) -> String {
        self.settled_log("security.log", Some(needle)).await
    }

    /// Returns `app.log` once it has stopped growing, waiting at most two seconds.
    pub async fn settled_app_log(&self) -> String {
        self.settled_log("app.log", None).await
    }

    /// Returns the security log once it has stopped growing, waiting at most two seconds, for
    /// checks that a line is absent.
    pub async fn settled_security_log(&self) -> String {
        self.settled_log("security.log", None).await
    }

    /// Reads the log `name` every 25 ms until it contains `needle` (when given) and two reads
    /// in a row are equal, or two seconds have passed.
    async fn settled_log(&self, name: &str, needle: Option<&str>) -> String {
        let path = self.log_dir().join(name);
        let deadline = Instant::now() + Duration::from_secs(2);
        let mut previous: Option<String> = None;
        loop {
            let log = std::fs::read_to_string(&path).unwrap_or_default();
            let found = needle.is_none_or(|needle| log.contains(needle));
            let settled = previous.as_deref() == Some(log.as_str());
            if (found && settled) || Instant::now() > deadline {
                return log;
            }
            previous = Some(log);
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    /// Returns the URL of `path` on this server, `https` when it was started with TLS.
    pub fn url(&self, path: &str) -> String {
        let scheme = if self.is_tls() { "https" } else { "http" };
        format!("{scheme}://{}{}", self.addr, path)
    }

    fn is_tls(&self) -> bool {
        self.env.iter().any(|(key, _)| key == "RAMPART_TLS_CERT")
    }

    /// Returns a client whose requests come from 127.0.0.1.
    pub fn client(&self) -> reqwest::Client {
        self.client_from(Ipv4Addr::LOCALHOST)
    }

    /// Returns a client whose socket is bound to `ip`, any address in 127.0.0.0/8. It accepts
    /// the self-signed certificates the TLS tests generate.
    pub fn client_from(&self, ip: Ipv4Addr) -> reqwest::Client {
        reqwest::Client::builder()
            .local_address(IpAddr::V4(ip))
            .danger_accept_invalid_certs(true)
            .build()
            .unwrap()
    }

    /// Runs `rampart create-admin` against this server's database.
    pub fn create_admin(&self, username: &str, email: &str, password: &str) {
        let mut child = self
            .command("create-admin")
            .args(["--username", username, "--email", email])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(password.as_bytes())
            .unwrap();
        let output = child.wait_with_output().unwrap();
        assert!(
            output.status.success(),
            "create-admin failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }

    /// Registers a member and returns the created user.
    pub async fn register(
        &self,
        client: &reqwest::Client,
        username: &str,
        password: &str,
    ) -> Value {
        let response = client
            .post(self.url("/api/v1/auth/register"))
            .json(&json!({"username": username, "email": format!("{username}@example.com"), "password": password}))
            .send()
            .await
            .unwrap();
        let status = response.status();
        let body: Value = response.json().await.unwrap();
        assert_eq!(status, 201, "register {username}: {body}");
        body
    }

    /// Logs in and returns the token pair.
    pub async fn login(&self, client: &reqwest::Client, username: &str, password: &str) -> Value {
        let response = client
            .post(self.url("/api/v1/auth/login"))
            .json(&json!({"username": username, "password": password}))
            .send()
            .await
            .unwrap();
        let status = response.status();
        let body: Value = response.json().await.unwrap();
        assert_eq!(status, 200, "login {username}: {body}");
        body
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Returns the string at `key` of a token pair or object.
pub fn text(value: &Value, key: &str) -> String {
    value[key]
        .as_str()
        .unwrap_or_else(|| panic!("no string {key} in {value}"))
        .to_owned()
}
