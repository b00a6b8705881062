//! A throwaway `redis-server` for tests.
//!
//! [`TestRedis::start`] uses the server named by `REDIS_URL` when that variable is set, and
//! otherwise starts `redis-server` (Debian package `redis-server`) on a free loopback port with
//! a random password, no persistence and its own temporary directory. Each `TestRedis` has its
//! own key prefix, so tests that share one server do not see each other's keys. A server the
//! harness started is stopped by its PID when the `TestRedis` is dropped; the machine's own
//! Redis on port 6379 is never touched.

use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::free_port;

/// How long a started server gets to accept connections.
const START_TIMEOUT: Duration = Duration::from_secs(10);

/// A Redis server for one test, and the key prefix the test should use.
pub struct TestRedis {
    url: String,
    prefix: String,
    managed: Option<ManagedServer>,
}

/// A `redis-server` process this harness started.
struct ManagedServer {
    port: u16,
    password: String,
    dir: tempfile::TempDir,
    child: Option<Child>,
}

/// Returns the `redis-server` binary: `REDIS_SERVER`, or `redis-server` on the `PATH`.
fn server_binary() -> PathBuf {
    if let Some(path) = std::env::var_os("REDIS_SERVER") {
        return PathBuf::from(path);
    }
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join("redis-server"))
            .find(|path| path.is_file())
    });
    found.unwrap_or_else(|| {
        panic!(
            "redis-server is missing: install the Debian package redis-server \
             (`apt-get install -y redis-server`, which `make test` runs as root), \
             or set REDIS_URL to a running server"
        )
    })
}

impl TestRedis {
    /// Uses `REDIS_URL` when set, and otherwise starts a server of its own.
    pub fn start() -> Self {
        match std::env::var("REDIS_URL") {
            Ok(url) if !url.trim().is_empty() => Self {
                url,
                prefix: unique_prefix(),
                managed: None,
            },
            _ => Self::start_own(),
        }
    }

    /// Starts a server of its own even when `REDIS_URL` is set, for tests that stop and restart
    /// it.
    pub fn start_own() -> Self {
        let port = free_port();
        let password = uuid::Uuid::new_v4().simple().to_string();
        let mut server = ManagedServer {
            port,
            password: password.clone(),
            dir: tempfile::tempdir().unwrap(),
            child: None,
        };
        server.spawn();
        Self {
            url: format!("redis://:{password}@127.0.0.1:{port}/0"),
            prefix: unique_prefix(),
            managed: Some(server),
        }
    }

    /// Returns the URL with its password.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Returns the key prefix of this test, unique to it.
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// Returns the environment that points a `rampart serve` at this server.
    pub fn env(&self) -> Vec<(&'static str, &str)> {
        vec![
            ("RAMPART_REDIS_URL", self.url.as_str()),
            ("RAMPART_REDIS_PREFIX", self.prefix.as_str()),
        ]
    }

    /// Stops the server; only a server this harness started can be stopped.
    pub fn stop(&mut self) {
        self.managed
            .as_mut()
            .expect("only a server started by the harness can be stopped (unset REDIS_URL)")
            .stop();
    }

    /// Starts the stopped server again on the same port with the same password, empty.
    pub fn restart(&mut self) {
        let server = self
            .managed
            .as_mut()
            .expect("only a server started by the harness can be restarted (unset REDIS_URL)");
        server.stop();
        server.spawn();
    }
}

impl ManagedServer {
    fn spawn(&mut self) {
        let log = std::fs::File::create(self.dir.path().join("redis.log")).unwrap();
        let child = Command::new(server_binary())
            .args(["--port", &self.port.to_string()])
            .args(["--bind", "127.0.0.1"])
            .args(["--requirepass", &self.password])
            .args(["--save", ""])
            .args(["--appendonly", "no"])
            .args(["--daemonize", "no"])
            .arg("--dir")
            .arg(self.dir.path())
            .current_dir(self.dir.path())
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start redis-server: {e}"));
        self.child = Some(child);
        self.wait_listening();
    }

    fn wait_listening(&mut self) {
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, self.port));
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            if TcpStream::connect_timeout(&addr, Duration::from_millis(100)).is_ok() {
                return;
            }
            if let Some(status) = self.child.as_mut().and_then(|c| c.try_wait().unwrap()) {
                let log =
                    std::fs::read_to_string(self.dir.path().join("redis.log")).unwrap_or_default();
                panic!("redis-server exited with {status} before listening: {log}");
            }
            assert!(
                Instant::now() < deadline,
                "redis-server did not listen on {addr} within {START_TIMEOUT:?}"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Sends SIGTERM to the server's PID and waits for it to exit.
    fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = Command::new("kill")
                .arg("-TERM")
                .arg(child.id().to_string())
                .status();
            let deadline = Instant::now() + Duration::from_secs(10);
            while child.try_wait().unwrap().is_none() {
                if Instant::now() > deadline {
                    let _ = child.kill();
                    break;
                }
                std::thread::sleep(Duration::from_millis(10));
            }
            let _ = child.wait();
        }
    }
}

impl Drop for ManagedServer {
    fn drop(&mut self) {
        self.stop();
    }
}

fn unique_prefix() -> String {
    format!("rampart-test-{}:", uuid::Uuid::new_v4().simple())
}
