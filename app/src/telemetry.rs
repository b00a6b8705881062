//! Logging: JSON lines on stdout, in `<log_dir>/app.log`, and security events alone in
//! `<log_dir>/security.log`.
//!
//! Security events are tracing events on the `security` target (see [`crate::events`]). Log
//! files are created with mode 0600 in a directory with mode 0700, since they hold client
//! addresses and usernames.

use std::fs::{self, File, OpenOptions};
use std::io;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::Path;

use anyhow::Context;
use tracing_appender::non_blocking::{NonBlockingBuilder, WorkerGuard};
use tracing_subscriber::filter::{self, EnvFilter};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{Layer, Registry, fmt};

/// The tracing target of security events.
pub(crate) const SECURITY_TARGET: &str = "security";

/// Capacity in lines of each log writer's channel. When it is full, a logging thread waits
/// (app.log and security.log) or the line is dropped (stdout). tracing-appender allocates the
/// whole channel up front, about 32 bytes a line, so its default of 128,000 lines took 4 MiB of
/// resident memory per writer (measured in `/proc/PID/smaps`).
const BUFFERED_LINES: usize = 16_384;

/// Keeps the log writers flushing; drop it only at exit.
#[must_use = "dropping the guards stops the log writers"]
pub(crate) struct LogGuards {
    _guards: Vec<WorkerGuard>,
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
/// The level comes from `RUST_LOG` (default `info`).
///
/// # Errors
/// When the directory or a file cannot be created, or a subscriber is already set.
pub(crate) fn init(log_dir: &Path) -> anyhow::Result<LogGuards> {
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(log_dir)
        .with_context(|| format!("creating log directory {}", log_dir.display()))?;
    let app_file = open_log(&log_dir.join("app.log")).context("opening app.log")?;
    let security_file = open_log(&log_dir.join("security.log")).context("opening security.log")?;

    let builder = || NonBlockingBuilder::default().buffered_lines_limit(BUFFERED_LINES);
    let (app_writer, app_guard) = builder().lossy(false).finish(app_file);
    let (security_writer, security_guard) = builder().lossy(false).finish(security_file);
    let (stdout_writer, stdout_guard) = builder().finish(io::stdout());

    let level = || EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    // Spans pass the filter too, so that each security event carries the request span with its
    // request id, client IP, method and path.
    let security_only =
        filter::filter_fn(|metadata| metadata.is_span() || metadata.target() == SECURITY_TARGET);
    let layers: Vec<Box<dyn Layer<Registry> + Send + Sync>> = vec![
        json_layer(stdout_writer).with_filter(level()).boxed(),
        json_layer(app_writer).with_filter(level()).boxed(),
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
    fmt::layer()
        .json()
        .with_current_span(true)
        .with_span_list(true)
        .with_writer(writer)
}

/// Starts logging to standard error only, for one-shot subcommands.
pub(crate) fn init_stderr() {
    let level = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("warn"));
    let _ = tracing_subscriber::registry()
        .with(fmt::layer().with_writer(io::stderr).with_filter(level))
        .try_init();
}
