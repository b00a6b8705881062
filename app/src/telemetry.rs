//! Logging: JSON lines on stdout, in `<log_dir>/app.log`, and security events alone in
//! `<log_dir>/security.log`.
//!
//! Security events are tracing events on the `security` target (see [`crate::events`]). Log
//! files are created with mode 0600 in a directory with mode 0700, since they hold client
//! addresses and usernames.

use std::fs::{self, File, OpenOptions};
use std::io;
use std::os::fd::AsFd;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::Path;

use anyhow::Context;
use tracing_subscriber::filter::{self, EnvFilter};
use tracing_subscriber::fmt::writer::MakeWriterExt;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{Layer, Registry, fmt};

use crate::json_log::JsonLayer;
use crate::log_writer::{self, BatchGuard, WhenFull};

/// The tracing target of security events.
pub(crate) const SECURITY_TARGET: &str = "security";

/// Keeps the log writers writing; drop it only at exit, which writes the pending lines.
#[must_use = "dropping the guards stops the log writers"]
pub(crate) struct LogGuards {
    _guards: Vec<BatchGuard>,
}

fn open_log(path: &Path) -> io::Result<File> {
    let file = OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o600)
        .open(path)?;
    file.set_permissions(fs::Permissions::from_mode(0o600))?;
    Ok(file)
}

/// Starts logging to stdout and to the files in `log_dir`, creating the directory.
///
/// The level comes from `RUST_LOG` (default `info`). Each destination has a writer thread of
/// its own ([`log_writer`]). Lines for app.log and security.log are never dropped. Lines for
/// stdout are dropped and counted when it falls 4 MiB behind, so a stalled reader of stdout
/// cannot stall requests.
///
/// # Errors
/// When the directory or a file cannot be created, a writer thread cannot start, or a
/// subscriber is already set.
pub(crate) fn init(log_dir: &Path) -> anyhow::Result<LogGuards> {
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(log_dir)
        .with_context(|| format!("creating log directory {}", log_dir.display()))?;
    let app_file = open_log(&log_dir.join("app.log")).context("opening app.log")?;
    let security_file = open_log(&log_dir.join("security.log")).context("opening security.log")?;
    // Standard output through a descriptor of its own, since `io::stdout()` flushes every line.
    let stdout = io::stdout()
        .as_fd()
        .try_clone_to_owned()
        .map(File::from)
        .context("duplicating standard output")?;

    let (app_writer, app_guard) = log_writer::spawn("log-app", "app.log", app_file, WhenFull::Wait)
        .context("starting the app.log writer")?;
    let (security_writer, security_guard) = log_writer::spawn(
        "log-security",
        "security.log",
        security_file,
        WhenFull::Wait,
    )
    .context("starting the security.log writer")?;
    let (stdout_writer, stdout_guard) =
        log_writer::spawn("log-stdout", "standard output", stdout, WhenFull::Drop)
            .context("starting the standard output writer")?;

    let level = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    // Spans at info level and above pass the filter too, so that each security event carries
    // the request span (request id, client IP, method, path) and the use cases' spans. Debug
    // spans of the adapters stay out: letting them through made every request create and
    // format them even at the default level.
    let security_only = filter::filter_fn(|metadata| {
        (metadata.is_span() && *metadata.level() <= tracing::Level::INFO)
            || metadata.target() == SECURITY_TARGET
    });
    // One layer formats each line once and hands the same bytes to stdout and app.log.
    let layers: Vec<Box<dyn Layer<Registry> + Send + Sync>> = vec![
        json_layer(stdout_writer.and(app_writer))
            .with_filter(level)
            .boxed(),
        json_layer(security_writer)
            .with_filter(security_only)
            .boxed(),
    ];
    tracing_subscriber::registry()
        .with(layers)
        .try_init()
        .context("installing the tracing subscriber")?;

    Ok(LogGuards {
        _guards: vec![app_guard, security_guard, stdout_guard],
    })
}

fn json_layer<W>(writer: W) -> impl Layer<Registry> + Send + Sync
where
    W: for<'writer> fmt::MakeWriter<'writer> + Send + Sync + 'static,
{
    JsonLayer::new(writer)
}

/// Starts logging to standard error only, for one-shot subcommands.
pub(crate) fn init_stderr() {
    let level = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("warn"));
    let _ = tracing_subscriber::registry()
        .with(fmt::layer().with_writer(io::stderr).with_filter(level))
        .try_init();
}
