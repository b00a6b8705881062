//! A throwaway PostgreSQL cluster for tests, and `rampart` servers on it.
//!
//! [`Cluster::shared`] is one cluster per test binary. It is the server named by `DATABASE_URL`
//! when that variable is set, with a role that may create roles and databases. Otherwise the
//! harness creates a cluster from the local server binaries on first use. An own cluster lives in
//! a temporary directory owned by the `postgres` OS user (the binaries refuse to run as root),
//! listens on a free port of 127.0.0.1 only, takes only TLS connections with scram-sha-256
//! passwords, and runs with `fsync=off`. Its certificate comes from a throwaway CA that
//! `openssl` generates, so clients can use `sslmode=verify-full`.
//!
//! libtest has no hook that runs after the last test, so each own cluster has a reaper: a shell
//! in its own session that waits for the test process to exit, then stops the server with
//! `pg_ctl` and deletes the directory. [`Cluster::start_own`] clusters are also stopped when
//! dropped. The machine's own PostgreSQL on port 5432 is never touched.
//!
//! [`Cluster::fresh_database`] creates a database with its own owner and runtime roles by
//! running `docs/postgres-roles.sql`, the script that operators run, so every test checks it.

mod database;
mod server;
mod setup;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

use url::Url;

use self::database::Credentials;
pub use self::database::TestDatabase;
pub use self::server::{Backend, BackendServer, run_rampart, start_on_database};
use self::setup::{
    as_server_user, configure, find_client, find_server_binaries, give_to_server_user, run_checked,
    spawn_reaper, write_certificates,
};
use crate::free_port;

/// The script that creates the roles and the database, as operators run it.
const ROLES_SQL: &str = include_str!("../../../docs/postgres-roles.sql");

/// How long `pg_ctl` waits for the server to start or stop.
const PG_CTL_TIMEOUT_SECONDS: &str = "60";

/// A PostgreSQL server for tests: an own cluster or the one `DATABASE_URL` names.
pub struct Cluster {
    /// The superuser URL of the `postgres` database.
    admin_url: Url,
    psql: PathBuf,
    own: Option<OwnCluster>,
}

/// A cluster that this harness created and runs.
struct OwnCluster {
    root: PathBuf,
    data: PathBuf,
    bin_dir: PathBuf,
    ca_cert: PathBuf,
    /// Stopped and deleted on drop; the shared cluster is left to its reaper.
    stop_on_drop: bool,
}

impl Cluster {
    /// Returns the cluster that every test of this binary shares.
    pub fn shared() -> &'static Cluster {
        static SHARED: OnceLock<Cluster> = OnceLock::new();
        SHARED.get_or_init(|| match std::env::var("DATABASE_URL") {
            Ok(url) if !url.trim().is_empty() => Self::external(&url),
            _ => Self::create(false),
        })
    }

    /// Starts a cluster of its own, even when `DATABASE_URL` is set, for a test that stops and
    /// restarts the server. It is stopped and deleted when dropped.
    pub fn start_own() -> Cluster {
        Self::create(true)
    }

    fn external(url: &str) -> Self {
        let admin_url = Url::parse(url).unwrap_or_else(|e| panic!("DATABASE_URL is invalid: {e}"));
        Self {
            admin_url,
            psql: find_client(None),
            own: None,
        }
    }

    fn create(stop_on_drop: bool) -> Self {
        let bin_dir = find_server_binaries();
        let root = tempfile::Builder::new()
            .prefix("rampart-pg-")
            .tempdir()
            .unwrap()
            .keep();
        let data = root.join("data");
        let password = uuid::Uuid::new_v4().simple().to_string();
        let port = free_port();
        let ca_cert = write_certificates(&root);
        std::fs::write(root.join("pwfile"), &password).unwrap();
        give_to_server_user(&root);

        run_checked(
            as_server_user(&bin_dir.join("initdb"))
                .arg("-D")
                .arg(&data)
                .args(["-U", "postgres", "-A", "scram-sha-256", "-E", "UTF8"])
                .args(["--locale=C.UTF-8", "--no-sync"])
                .arg(format!("--pwfile={}", root.join("pwfile").display())),
            "initdb",
        );
        configure(&root, &data, port);
        spawn_reaper(&root, &data, &bin_dir);

        let cluster = Self {
            admin_url: Url::parse(&format!(
                "postgresql://postgres:{password}@localhost:{port}/postgres?hostaddr=127.0.0.1&\
                 sslmode=verify-full&sslrootcert={}",
                ca_cert.display()
            ))
            .unwrap(),
            psql: find_client(Some(&bin_dir)),
            own: Some(OwnCluster {
                root,
                data,
                bin_dir,
                ca_cert,
                stop_on_drop,
            }),
        };
        cluster.start();
        cluster
    }

    /// Returns whether this harness runs the cluster, so that it can stop and start it.
    pub fn is_own(&self) -> bool {
        self.own.is_some()
    }

    /// Returns the CA certificate of an own cluster's server certificate.
    pub fn ca_cert(&self) -> Option<&Path> {
        self.own.as_ref().map(|own| own.ca_cert.as_path())
    }

    /// Starts the server of an own cluster and waits until it accepts connections.
    pub fn start(&self) {
        let own = self.own_cluster();
        let log = own.root.join("postgres.log");
        let output = as_server_user(&own.bin_dir.join("pg_ctl"))
            .arg("-D")
            .arg(&own.data)
            .arg("-l")
            .arg(&log)
            .args(["-w", "-t", PG_CTL_TIMEOUT_SECONDS, "start"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .output()
            .unwrap();
        let log_text = std::fs::read_to_string(&log).unwrap_or_default();
        assert!(
            output.status.success(),
            "pg_ctl start failed: {}\n{log_text}",
            String::from_utf8_lossy(&output.stderr)
        );
    }

    /// Stops the server of an own cluster (fast shutdown: open sessions are ended).
    pub fn stop(&self) {
        let own = self.own_cluster();
        run_checked(
            as_server_user(&own.bin_dir.join("pg_ctl"))
                .arg("-D")
                .arg(&own.data)
                .args(["-m", "fast", "-w", "-t", PG_CTL_TIMEOUT_SECONDS, "stop"]),
            "pg_ctl stop",
        );
    }

    fn own_cluster(&self) -> &OwnCluster {
        self.own
            .as_ref()
            .expect("only a cluster this harness started can be stopped and started")
    }

    /// Creates a database with its own owner and runtime roles through
    /// `docs/postgres-roles.sql`. They are dropped when the returned value is dropped.
    pub fn fresh_database(&self) -> TestDatabase {
        let suffix: String = uuid::Uuid::new_v4()
            .simple()
            .to_string()
            .chars()
            .take(12)
            .collect();
        let name = format!("rt_{suffix}");
        let owner = Credentials::new(&format!("{name}_owner"));
        let app = Credentials::new(&format!("{name}_app"));
        let mut child = Command::new(&self.psql)
            .args(["-X", "-q", "-v", "ON_ERROR_STOP=1"])
            .args(["-v", &format!("database={name}")])
            .args(["-v", &format!("owner_role={}", owner.role)])
            .args(["-v", &format!("owner_password={}", owner.password)])
            .args(["-v", &format!("app_role={}", app.role)])
            .args(["-v", &format!("app_password={}", app.password)])
            .args(["-f", "-", "-d", self.admin_url.as_str()])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(ROLES_SQL.as_bytes())
            .unwrap();
        let output = child.wait_with_output().unwrap();
        assert!(
            output.status.success(),
            "docs/postgres-roles.sql failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );

        TestDatabase {
            owner_url: self.url_for(&owner, &name),
            app_url: self.url_for(&app, &name),
            admin_url: self.database_url(&self.admin_url, &name),
            server_admin_url: self.admin_url.to_string(),
            psql: self.psql.clone(),
            plain: self
                .admin_url
                .query_pairs()
                .any(|(key, value)| key == "sslmode" && value == "disable"),
            roles: [owner.role, app.role],
            name,
        }
    }

    fn url_for(&self, credentials: &Credentials, database: &str) -> String {
        let mut url = self.admin_url.clone();
        url.set_username(&credentials.role).unwrap();
        url.set_password(Some(&credentials.password)).unwrap();
        self.database_url(&url, database)
    }

    fn database_url(&self, base: &Url, database: &str) -> String {
        let mut url = base.clone();
        url.set_path(&format!("/{database}"));
        url.to_string()
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        if let Some(own) = self.own.as_ref().filter(|own| own.stop_on_drop) {
            let _ = as_server_user(&own.bin_dir.join("pg_ctl"))
                .arg("-D")
                .arg(&own.data)
                .args(["-m", "immediate", "-w", "stop"])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
            let _ = std::fs::remove_dir_all(&own.root);
        }
    }
}
