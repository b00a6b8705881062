//! Creating and reaping an own cluster: the server binaries, the `postgres` OS user, the
//! certificates, the settings and the reaper.

use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

/// Returns the directory of `initdb` and `pg_ctl`: `RAMPART_PG_BINDIR`, or the highest version
/// under `/usr/lib/postgresql`, where Debian's packages put them.
pub(super) fn find_server_binaries() -> PathBuf {
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
pub(super) fn find_client(bin_dir: Option<&Path>) -> PathBuf {
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
pub(super) fn running_as_root() -> bool {
    static ROOT: OnceLock<bool> = OnceLock::new();
    *ROOT.get_or_init(|| id(&["-u"]) == 0)
}

/// Runs `id` with `args` and parses the number it prints.
pub(super) fn id(args: &[&str]) -> u32 {
    let output = Command::new("id").args(args).output().unwrap();
    assert!(output.status.success(), "id {args:?} failed");
    String::from_utf8_lossy(&output.stdout)
        .trim()
        .parse()
        .unwrap()
}

/// Returns a command that runs `program` as the `postgres` OS user when this process is root.
pub(super) fn as_server_user(program: &Path) -> Command {
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
pub(super) fn give_to_server_user(root: &Path) {
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
pub(super) fn run_checked(command: &mut Command, what: &str) {
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
pub(super) fn write_certificates(root: &Path) -> PathBuf {
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
pub(super) fn configure(root: &Path, data: &Path, port: u16) {
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
pub(super) fn spawn_reaper(root: &Path, data: &Path, bin_dir: &Path) {
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
