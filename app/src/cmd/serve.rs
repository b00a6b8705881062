//! `rampart serve`: run the HTTP service until SIGINT or SIGTERM.

use std::time::Duration;

use anyhow::Context;
use poem::Server;
use poem::listener::TcpListener;
use rampart_http::{HttpOptions, HttpState, build_app};

use crate::config::Config;
use crate::telemetry;
use crate::wiring;

/// How long in-flight requests get to finish after a shutdown signal.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// Serves the API on the configured address.
///
/// # Errors
/// When logging, a store or the listener cannot be set up.
pub(crate) async fn run(config: Config) -> anyhow::Result<()> {
    let _guards = telemetry::init(&config.log_dir)?;
    tracing::info!(
        env = ?config.env,
        listen = %config.listen,
        password.policy = ?config.password_policy,
        trusted_proxies = config.trusted_proxies.len(),
        cors.allowed_origins = config.cors_allowed_origins.len(),
        "configuration loaded"
    );
    let database = wiring::Database::open(&config).await?;
    let applied = database.migrate().await?;
    tracing::info!(migrations.applied = applied, database = %redact_url(&config.database_url), "database ready");

    let deps = wiring::build_deps(&config, database)?;
    let probes = wiring::readiness_probes(&deps);
    let app = build_app(HttpState::new(deps, probes), HttpOptions::default());

    let listener = TcpListener::bind(config.listen);
    tracing::info!(listen = %config.listen, "rampart listening");
    Server::new(listener)
        .run_with_graceful_shutdown(app, shutdown_signal(), Some(SHUTDOWN_GRACE))
        .await
        .with_context(|| format!("serving on {}", config.listen))?;
    tracing::info!("rampart stopped");
    Ok(())
}

/// Completes on SIGINT or SIGTERM.
async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(error) => {
                tracing::error!(error = %error, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = interrupt => {}
        _ = terminate => {}
    }
    tracing::info!("shutdown signal received");
}

/// Returns a database URL with any password replaced, for logs.
fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let scheme = url.get(..scheme_end).unwrap_or_default();
            let host = url.get(at..).unwrap_or_default();
            format!("{scheme}://<redacted>{host}")
        }
        _ => url.to_owned(),
    }
}
