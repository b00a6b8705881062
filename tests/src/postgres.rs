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

use std::io::Write;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use url::Url;

use crate::{TestServer, binary, free_port};

/// The script that creates the roles and the database, as operators run it.
const ROLES_SQL: &str = include_str!("../../docs/postgres-roles.sql");

/// How long `pg_ctl` waits for the server to start or stop.
const PG_CTL_TIMEOUT_SECONDS: &str = "60";

/// How long [`run_rampart`] lets a command run before it kills it.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(60);

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

/// A role name and its random password.
struct Credentials {
    role: String,
    password: String,
}

impl Credentials {
    fn new(role: &str) -> Self {
        Self {
            role: role.to_owned(),
            password: uuid::Uuid::new_v4().simple().to_string(),
        }
    }
}

/// One database of a test with its owner role (migrations) and runtime role (the service).
pub struct TestDatabase {
    name: String,
    owner_url: String,
    app_url: String,
    /// The superuser URL of this database.
    admin_url: String,
    /// The superuser URL of the `postgres` database, to drop this one.
    server_admin_url: String,
    psql: PathBuf,
    /// Whether the server takes plain connections only (`DATABASE_URL` with `sslmode=disable`).
    plain: bool,
    roles: [String; 2],
}

impl TestDatabase {
    /// Returns the database name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Returns the URL of the owner role, which may change the schema.
    pub fn owner_url(&self) -> &str {
        &self.owner_url
    }

    /// Returns the URL of the runtime role, which may only read and write rows.
    pub fn app_url(&self) -> &str {
        &self.app_url
    }

    /// Returns the `RAMPART_DATABASE_*` variables of a server on this database.
    pub fn server_env(&self) -> Vec<(String, String)> {
        let mut env = vec![
            ("RAMPART_DATABASE_URL".to_owned(), self.app_url.clone()),
            (
                "RAMPART_DATABASE_MIGRATION_URL".to_owned(),
                self.owner_url.clone(),
            ),
        ];
        if self.plain {
            env.push((
                "RAMPART_DATABASE_ALLOW_INSECURE".to_owned(),
                "true".to_owned(),
            ));
        }
        env
    }

    /// Runs `sql` in this database as the superuser and returns the output, one row a line.
    pub fn admin_sql(&self, sql: &str) -> String {
        psql(&self.psql, &self.admin_url, sql)
            .unwrap_or_else(|error| panic!("superuser SQL failed: {error}\n{sql}"))
    }

    /// Runs `sql` in this database as the runtime role; the error is psql's message.
    ///
    /// # Errors
    /// psql's standard error when the statement fails.
    pub fn app_sql(&self, sql: &str) -> Result<String, String> {
        psql(&self.psql, &self.app_url, sql)
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let [owner, app] = &self.roles;
        let sql = format!(
            "DROP DATABASE IF EXISTS \"{}\" WITH (FORCE); DROP ROLE IF EXISTS \"{owner}\", \"{app}\";",
            self.name
        );
        // A stopped cluster keeps the database; the reaper deletes the whole cluster anyway.
        let _ = psql(&self.psql, &self.server_admin_url, &sql);
    }
}

/// Runs `sql` through psql on `url` and returns its unaligned, tuples-only output.
fn psql(program: &Path, url: &str, sql: &str) -> Result<String, String> {
    let output = Command::new(program)
        .args([
            "-X",
            "-q",
            "-A",
            "-t",
            "-v",
            "ON_ERROR_STOP=1",
            "-d",
            url,
            "-c",
            sql,
        ])
        .env("PGCONNECT_TIMEOUT", "10")
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", program.display()));
    if output.status.success() {
        Ok(String::from_utf8_lossy(&output.stdout).trim().to_owned())
    } else {
        Err(String::from_utf8_lossy(&output.stderr).into_owned())
    }
}

/// Returns the directory of `initdb` and `pg_ctl`: `RAMPART_PG_BINDIR`, or the highest version
/// under `/usr/lib/postgresql`, where Debian's packages put them.
fn find_server_binaries() -> PathBuf {
    if let Some(dir) = std::env::var_os("RAMPART_PG_BINDIR") {
        return PathBuf::from(dir);
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let version = entry.file_name().to_str()?.parse::<u32>().ok()?;
            let bin = entry.path().join("bin");
            (bin.join("initdb").is_file() && bin.join("pg_ctl").is_file()).then_some((version, bin))
        })
        .collect();
    versions.sort();
    versions.pop().map(|(_, bin)| bin).unwrap_or_else(|| {
        panic!(
            "the PostgreSQL server binaries (initdb, pg_ctl) are missing under \
             /usr/lib/postgresql/*/bin: install the Debian package postgresql (or postgresql-15) \
             with `apt-get install -y postgresql`, which `make test` runs as root, set \
             RAMPART_PG_BINDIR to their directory, or set DATABASE_URL to a running server"
        )
    })
}

/// Returns `psql`: next to the server binaries, or on the `PATH`.
fn find_client(bin_dir: Option<&Path>) -> PathBuf {
    let beside = bin_dir.map(|dir| dir.join("psql")).filter(|p| p.is_file());
    let on_path = || {
        std::env::var_os("PATH").and_then(|paths| {
            std::env::split_paths(&paths)
                .map(|dir| dir.join("psql"))
                .find(|path| path.is_file())
        })
    };
    beside.or_else(on_path).unwrap_or_else(|| {
        panic!(
            "psql is missing: install the Debian package postgresql-client (a dependency of \
             postgresql) with `apt-get install -y postgresql`"
        )
    })
}

/// Returns whether this process runs as root, so the server binaries need `runuser`.
fn running_as_root() -> bool {
    static ROOT: OnceLock<bool> = OnceLock::new();
    *ROOT.get_or_init(|| id(&["-u"]) == 0)
}

/// Runs `id` with `args` and parses the number it prints.
fn id(args: &[&str]) -> u32 {
    let output = Command::new("id").args(args).output().unwrap();
    assert!(output.status.success(), "id {args:?} failed");
    String::from_utf8_lossy(&output.stdout)
        .trim()
        .parse()
        .unwrap()
}

/// Returns a command that runs `program` as the `postgres` OS user when this process is root.
fn as_server_user(program: &Path) -> Command {
    if running_as_root() {
        let runuser = ["/usr/sbin/runuser", "/sbin/runuser"]
            .into_iter()
            .map(Path::new)
            .find(|path| path.is_file())
            .unwrap_or(Path::new("runuser"));
        let mut command = Command::new(runuser);
        command.args(["-u", "postgres", "--"]).arg(program);
        command
    } else {
        Command::new(program)
    }
}

/// Makes the `postgres` OS user own `root` and the files in it, when this process is root.
fn give_to_server_user(root: &Path) {
    if !running_as_root() {
        return;
    }
    let uid = id(&["-u", "postgres"]);
    let gid = id(&["-g", "postgres"]);
    std::os::unix::fs::chown(root, Some(uid), Some(gid)).unwrap();
    for entry in std::fs::read_dir(root).unwrap() {
        std::os::unix::fs::chown(entry.unwrap().path(), Some(uid), Some(gid)).unwrap();
    }
}

/// Runs `command` and panics with its output when it fails.
fn run_checked(command: &mut Command, what: &str) {
    let output = command.stdin(Stdio::null()).output().unwrap_or_else(|e| {
        panic!("cannot run {what}: {e}");
    });
    assert!(
        output.status.success(),
        "{what} failed: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Generates a throwaway CA and a server certificate for `localhost` signed by it, and returns
/// the CA certificate's path.
fn write_certificates(root: &Path) -> PathBuf {
    let openssl = |args: &[&str]| {
        run_checked(
            Command::new("openssl").args(args).current_dir(root),
            "openssl (Debian package openssl)",
        );
    };
    openssl(&[
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
        "-keyout",
        "ca.key",
        "-out",
        "ca.crt",
        "-days",
        "2",
        "-subj",
        "/CN=rampart test CA",
    ]);
    openssl(&[
        "req",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
        "-keyout",
        "server.key",
        "-out",
        "server.csr",
        "-subj",
        "/CN=localhost",
    ]);
    std::fs::write(
        root.join("server.ext"),
        "basicConstraints = critical, CA:FALSE\n\
         keyUsage = critical, digitalSignature\n\
         extendedKeyUsage = serverAuth\n\
         subjectAltName = DNS:localhost\n",
    )
    .unwrap();
    openssl(&[
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.crt",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "server.crt",
        "-days",
        "2",
        "-extfile",
        "server.ext",
    ]);
    std::fs::set_permissions(
        root.join("server.key"),
        std::fs::Permissions::from_mode(0o600),
    )
    .unwrap();
    root.join("ca.crt")
}

/// Writes the server settings and the client rules: TLS with scram-sha-256 passwords from
/// loopback addresses, nothing else.
fn configure(root: &Path, data: &Path, port: u16) {
    let settings = format!(
        "\n# Added by the rampart test harness.\n\
         listen_addresses = '127.0.0.1'\n\
         port = {port}\n\
         unix_socket_directories = ''\n\
         max_connections = 200\n\
         ssl = on\n\
         ssl_cert_file = '{root}/server.crt'\n\
         ssl_key_file = '{root}/server.key'\n\
         fsync = off\n\
         synchronous_commit = off\n\
         full_page_writes = off\n",
        root = root.display()
    );
    let mut conf = std::fs::OpenOptions::new()
        .append(true)
        .open(data.join("postgresql.conf"))
        .unwrap();
    conf.write_all(settings.as_bytes()).unwrap();
    std::fs::write(
        data.join("pg_hba.conf"),
        "# TYPE    DATABASE USER ADDRESS      METHOD\n\
         hostssl   all      all  127.0.0.1/32 scram-sha-256\n\
         hostnossl all      all  0.0.0.0/0    reject\n",
    )
    .unwrap();
}

/// Starts a shell that waits for this process to exit, then stops the cluster and deletes its
/// directory. It runs in a session of its own, so Ctrl-C on the tests does not reach it.
fn spawn_reaper(root: &Path, data: &Path, bin_dir: &Path) {
    let pg_ctl = bin_dir.join("pg_ctl");
    let stop = if running_as_root() {
        format!(
            "runuser -u postgres -- '{}' -D '{}' -m immediate -w stop",
            pg_ctl.display(),
            data.display()
        )
    } else {
        format!(
            "'{}' -D '{}' -m immediate -w stop",
            pg_ctl.display(),
            data.display()
        )
    };
    let script = format!(
        "while kill -0 {pid} 2>/dev/null; do sleep 0.5; done; {stop}; rm -rf '{root}'",
        pid = std::process::id(),
        root = root.display()
    );
    // `setsid -f` forks, so the command returns at once and the shell lives on by itself.
    let status = Command::new("setsid")
        .args(["-f", "sh", "-c", &script])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success(), "cannot start the cluster reaper (setsid)");
}

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
