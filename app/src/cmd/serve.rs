//! `rampart serve`: run the HTTP service until SIGINT or SIGTERM.

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::Context;
use poem::Server;
use poem::listener::{Listener, RustlsCertificate, RustlsConfig, TcpListener};
use rampart_http::{HttpOptions, HttpState, build_app, build_https_redirect};
use tokio::sync::watch;

use crate::config::{Config, TlsSettings};
use crate::wiring;

/// How long a connection may stay silent, between requests or in the middle of one, before it is
/// closed: slow clients that stop sending cannot hold connections open.
const IDLE_TIMEOUT: Duration = Duration::from_secs(15);

/// How long in-flight requests get to finish after a shutdown signal.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// Serves the API on the configured address.
///
/// # Errors
/// When a store or the listener cannot be set up.
///
/// Logging must be set up first ([`crate::telemetry::init`]).
pub(crate) async fn run(config: Config) -> anyhow::Result<()> {
    tracing::info!(
        env = config.env.as_str(),
        listen = %config.listen,
        password.policy = config.password_policy.as_str(),
        trusted_proxies = config.trusted_proxies.len(),
        cors.allowed_origins = config.cors_allowed_origins.len(),
        "configuration loaded"
    );
    let database = wiring::Database::open(&config).await?;
    let applied = database.prepare_schema().await?;
    tracing::info!(migrations.applied = applied, database = %database.describe(), "database ready");

    let deps = wiring::build_deps(&config, database)?;
    // Before serving, no upload is in flight, so a file without a record is a crash's leftover.
    let orphans = rampart_ports::usecases::Uploads::new(deps.clone())
        .sweep_orphans()
        .await
        .context("removing upload files without a record")?;
    tracing::info!(uploads.orphans_removed = orphans, "upload files checked");
    let probes = wiring::readiness_probes(&deps);
    let guard = crate::guard::request_guard(&config, &deps);
    let options = HttpOptions {
        trusted_proxies: config.trusted_proxies.clone(),
        request_limits: config.request_limits,
        cors: config.filtering.cors.clone(),
        test_fault_route: config.filtering.test_fault_route,
        bench_stack_off: config.bench_stack_off,
        ..HttpOptions::default()
    };
    if config.bench_stack_off {
        tracing::warn!(
            setting = "bench.stack_off",
            "BENCHMARK MODE: serving WITHOUT the security middleware (no security headers, CORS, \
             blocking, throttles, CSRF check, request timeout, body limit or request \
             validation); never expose this instance"
        );
    }
    let app = build_app(HttpState::new(deps, guard, probes), options);

    // Every listener stops on the same signal; a watch channel keeps the signal for listeners
    // that start waiting after it arrived.
    let (stop_sender, stop_receiver) = watch::channel(false);
    let signal_task = tokio::spawn(async move {
        shutdown_signal().await;
        let _ = stop_sender.send(true);
    });
    let stopped = |mut receiver: watch::Receiver<bool>| async move {
        let _ = receiver.wait_for(|stop| *stop).await;
    };

    // Bind every listener before serving, so a taken port or a bad certificate stops start-up
    // with an error that names the setting, and "listening" is only logged once it is true.
    let Some(tls) = &config.tls else {
        let acceptor = bind(TcpListener::bind(config.listen), "listen", config.listen).await?;
        tracing::info!(listen = %config.listen, "rampart listening over plain HTTP");
        Server::new_with_acceptor(acceptor)
            .idle_timeout(IDLE_TIMEOUT)
            .run_with_graceful_shutdown(app, stopped(stop_receiver.clone()), Some(SHUTDOWN_GRACE))
            .await
            .with_context(|| format!("serving on {}", config.listen))?;
        signal_task.abort();
        tracing::info!("rampart stopped");
        return Ok(());
    };

    let rustls = tls_config(tls)?;
    let acceptor = bind(
        TcpListener::bind(config.listen).rustls(rustls),
        "listen",
        config.listen,
    )
    .await?;
    tracing::info!(listen = %config.listen, "rampart listening over HTTPS");
    let https = Server::new_with_acceptor(acceptor)
        .idle_timeout(IDLE_TIMEOUT)
        .run_with_graceful_shutdown(app, stopped(stop_receiver.clone()), Some(SHUTDOWN_GRACE));
    match tls.plain_listen {
        Some(plain) => {
            let redirect =
                build_https_redirect(config.listen.port(), config.trusted_proxies.clone());
            let acceptor = bind(TcpListener::bind(plain), "tls.plain_listen", plain).await?;
            tracing::info!(listen = %plain, "plain HTTP listener redirecting to HTTPS");
            let http = Server::new_with_acceptor(acceptor)
                .idle_timeout(IDLE_TIMEOUT)
                .run_with_graceful_shutdown(
                    redirect,
                    stopped(stop_receiver.clone()),
                    Some(SHUTDOWN_GRACE),
                );
            let (https, http) = tokio::join!(https, http);
            https.with_context(|| format!("serving HTTPS on {}", config.listen))?;
            http.with_context(|| format!("serving plain HTTP on {plain}"))?;
        }
        None => https
            .await
            .with_context(|| format!("serving HTTPS on {}", config.listen))?,
    }
    signal_task.abort();
    tracing::info!("rampart stopped");
    Ok(())
}

/// Binds a listener, logging a failure with the setting to change.
async fn bind<L: Listener>(
    listener: L,
    key: &str,
    address: SocketAddr,
) -> anyhow::Result<L::Acceptor> {
    match listener.into_acceptor().await {
        Ok(acceptor) => Ok(acceptor),
        Err(error) => {
            tracing::error!(listen = %address, setting = key, error = %error, "cannot listen");
            Err(anyhow::Error::new(error).context(format!(
                "cannot listen on {address}: choose another address in `{key}`"
            )))
        }
    }
}

/// Reads the PEM certificate chain and key into poem's rustls settings (TLS 1.2 and 1.3 only).
fn tls_config(tls: &TlsSettings) -> anyhow::Result<RustlsConfig> {
    let cert = std::fs::read(&tls.cert)
        .with_context(|| format!("reading tls.cert {}", tls.cert.display()))?;
    let key = std::fs::read(&tls.key)
        .with_context(|| format!("reading tls.key {}", tls.key.display()))?;
    Ok(RustlsConfig::new().fallback(RustlsCertificate::new().cert(cert).key(key)))
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
