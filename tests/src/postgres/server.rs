//! `rampart` servers and commands on a PostgreSQL test database.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use super::{Cluster, TestDatabase};
use crate::{TestServer, binary, free_port};

/// How long [`run_rampart`] lets a command run before it kills it.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(60);

/// The database a [`BackendServer`] keeps its users, posts and categories in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// The embedded SQLite file in the server's data directory.
    Sqlite,
    /// A fresh database of [`Cluster::shared`], migrated by `rampart migrate`.
    Postgres,
}

/// A [`TestServer`] with the database it runs on; it dereferences to the server.
pub struct BackendServer {
    // Declared first, so the server stops before its database is dropped.
    server: TestServer,
    database: Option<TestDatabase>,
}

impl BackendServer {
    /// Returns the PostgreSQL database, if the server runs on one.
    pub fn database(&self) -> Option<&TestDatabase> {
        self.database.as_ref()
    }
}

impl std::ops::Deref for BackendServer {
    type Target = TestServer;

    fn deref(&self) -> &TestServer {
        &self.server
    }
}

impl std::ops::DerefMut for BackendServer {
    fn deref_mut(&mut self) -> &mut TestServer {
        &mut self.server
    }
}

impl TestServer {
    /// Starts a server on `backend` with the default configuration plus `env`. On PostgreSQL it
    /// runs `rampart migrate` with the owner role first, and serves as the runtime role.
    pub async fn start_on(backend: Backend, env: &[(&str, &str)]) -> BackendServer {
        match backend {
            Backend::Sqlite => BackendServer {
                server: Self::start(env).await,
                database: None,
            },
            Backend::Postgres => {
                let database = Cluster::shared().fresh_database();
                let server = start_on_database(&database, env).await;
                BackendServer {
                    server,
                    database: Some(database),
                }
            }
        }
    }
}

/// Migrates `database` with `rampart migrate` and starts a server on it with `env` added.
pub async fn start_on_database(database: &TestDatabase, env: &[(&str, &str)]) -> TestServer {
    let mut all: Vec<(String, String)> = database.server_env();
    all.extend(env.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())));
    let migrated = run_rampart(&["migrate"], &all);
    assert!(
        migrated.status.success(),
        "rampart migrate failed: {}",
        String::from_utf8_lossy(&migrated.stderr)
    );
    let borrowed: Vec<(&str, &str)> = all.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    TestServer::start(&borrowed).await
}

/// Runs the `rampart` binary with `args` and returns its output.
///
/// The command gets `env` and `PATH` only, a temporary working directory and a free listen
/// port. A command still running after a minute, such as a `serve` that should have refused to
/// start, is killed and reported.
pub fn run_rampart(args: &[&str], env: &[(String, String)]) -> Output {
    let dir = tempfile::tempdir().unwrap();
    let listen = SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), free_port());
    let mut child = Command::new(binary())
        .args(args)
        .current_dir(dir.path())
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("RAMPART_LISTEN", listen.to_string())
        .env("RAMPART_DATA_DIR", dir.path().join("data"))
        .env("RAMPART_LOG_DIR", dir.path().join("logs"))
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", binary().display()));
    let deadline = Instant::now() + COMMAND_TIMEOUT;
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            let output = child.wait_with_output().unwrap();
            panic!(
                "rampart {args:?} still ran after {COMMAND_TIMEOUT:?}: {}",
                String::from_utf8_lossy(&output.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    child.wait_with_output().unwrap()
}
