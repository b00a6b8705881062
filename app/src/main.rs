//! The `rampart` binary: reads the configuration, builds the adapters, and runs a subcommand.
//!
//! This crate is the only one that names adapter types; everything it builds is handed to the
//! use cases as port trait objects.

mod clock;
mod cmd;
mod config;
mod database;
mod events;
mod fault;
mod guard;
mod json_log;
mod log_writer;
mod shared_state;
mod telemetry;
mod wiring;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Rampart: a hardened REST API service.
#[derive(Debug, Parser)]
#[command(
    name = "rampart",
    version,
    about = "Rampart, a hardened REST API service",
    after_help = "Configuration comes from a TOML file (--config) and RAMPART_* environment variables, which win; the README lists every key."
)]
struct Cli {
    /// TOML configuration file; `RAMPART_*` variables override its values.
    #[arg(long, global = true, env = "RAMPART_CONFIG")]
    config: Option<PathBuf>,

    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the API (runs pending migrations of the embedded SQLite database first).
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Create an admin account; the password is read from standard input.
    CreateAdmin(cmd::create_admin::Args),
    /// Print the OpenAPI document that /openapi.json serves.
    Openapi,
}

/// How long tasks still running after a command returns get to finish before the process exits.
const RUNTIME_SHUTDOWN: std::time::Duration = std::time::Duration::from_secs(1);

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Openapi => cmd::openapi::run(),
        command => run_with_config(cli.config, command),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn run_with_config(config_file: Option<PathBuf>, command: Command) -> anyhow::Result<()> {
    let config = config::Config::load(config_file.as_deref())?;
    // The log writers of `serve` outlive the runtime: they are dropped last, so that lines of
    // tasks still running when the server stops are written too.
    let _log_guards = match command {
        Command::Serve => Some(telemetry::init(&config.log_dir)?),
        _ => None,
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let result = runtime.block_on(async move {
        match command {
            Command::Serve => cmd::serve::run(config).await,
            Command::Migrate => cmd::migrate::run(config).await,
            Command::CreateAdmin(args) => cmd::create_admin::run(config, args).await,
            Command::Openapi => cmd::openapi::run(),
        }
    });
    runtime.shutdown_timeout(RUNTIME_SHUTDOWN);
    result
}
