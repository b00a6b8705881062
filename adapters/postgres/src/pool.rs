//! The connection pool: opening TLS connections, the session settings each one gets, and
//! logging of the connection failures that bb8 would otherwise hide.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use diesel::result::DatabaseErrorKind;
use diesel::result::{ConnectionError, ConnectionResult};
use diesel::sql_types::{Bool, Text};
use diesel_async::pooled_connection::bb8::Pool;
use diesel_async::pooled_connection::{
    AsyncDieselConnectionManager, ManagerConfig, PoolError, PoolableConnection, RecyclingMethod,
};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use tokio_postgres_rustls::MakeRustlsConnect;

use crate::PostgresSettings;
use crate::error::chain;
use crate::target::ConnectionTarget;

#[diesel::declare_sql_function]
extern "SQL" {
    /// PostgreSQL's `set_config(name, value, is_local)`: `SET` with the value as a bind
    /// parameter.
    fn set_config(setting_name: Text, new_value: Text, is_local: Bool) -> Text;
}

/// Everything needed to open one connection.
struct Connector {
    target: ConnectionTarget,
    tls: Option<MakeRustlsConnect>,
    /// Bounds the whole opening, TLS handshake and authentication included.
    open_timeout: Duration,
    statement_timeout: Duration,
}

impl Connector {
    /// Opens one connection and applies the session settings.
    async fn open(&self) -> ConnectionResult<AsyncPgConnection> {
        let opening = async {
            let mut connection = match &self.tls {
                Some(tls) => {
                    let (client, driver) =
                        self.target.config.connect(tls.clone()).await.map_err(bad)?;
                    AsyncPgConnection::try_from_client_and_connection(client, driver).await?
                }
                None => {
                    let (client, driver) = self
                        .target
                        .config
                        .connect(tokio_postgres::NoTls)
                        .await
                        .map_err(bad)?;
                    AsyncPgConnection::try_from_client_and_connection(client, driver).await?
                }
            };
            // A runaway query holds its connection and locks at most this long.
            let milliseconds = self.statement_timeout.as_millis().to_string();
            diesel::select(set_config("statement_timeout", milliseconds, false))
                .get_result::<String>(&mut connection)
                .await
                .map_err(ConnectionError::CouldntSetupConfiguration)?;
            Ok(connection)
        };
        tokio::time::timeout(self.open_timeout, opening)
            .await
            .map_err(|_| {
                ConnectionError::BadConnection(format!(
                    "opening a connection to {} timed out after {} ms",
                    self.target.description(),
                    self.open_timeout.as_millis()
                ))
            })?
    }
}

/// Wraps a tokio-postgres error, whose sources carry the cause (refused, TLS, authentication).
fn bad(error: tokio_postgres::Error) -> ConnectionError {
    ConnectionError::BadConnection(chain(&error))
}

/// Logs the connection failures that bb8 reports to it, at most one line a second; the line
/// counts the failures it did not log. Without a sink, bb8 drops them and callers see only
/// "timed out".
#[derive(Debug, Clone)]
struct LoggingErrorSink {
    server: Arc<str>,
    state: Arc<Mutex<SinkState>>,
}

#[derive(Debug, Default)]
struct SinkState {
    last_logged: Option<Instant>,
    suppressed: u64,
}

/// The shortest interval between two log lines of [`LoggingErrorSink`].
const SINK_LOG_INTERVAL: Duration = Duration::from_secs(1);

impl bb8::ErrorSink<PoolError> for LoggingErrorSink {
    fn sink(&self, error: PoolError) {
        let now = Instant::now();
        let suppressed = {
            let Ok(mut state) = self.state.lock() else {
                return;
            };
            let due = state
                .last_logged
                .is_none_or(|last| now.duration_since(last) >= SINK_LOG_INTERVAL);
            if !due {
                state.suppressed = state.suppressed.saturating_add(1);
                return;
            }
            state.last_logged = Some(now);
            std::mem::take(&mut state.suppressed)
        };
        tracing::warn!(
            server = %self.server,
            error = %chain(&error),
            suppressed,
            "database connection failed"
        );
    }

    fn boxed_clone(&self) -> Box<dyn bb8::ErrorSink<PoolError>> {
        Box::new(self.clone())
    }
}

/// Builds a pool of connections to `target`; it opens connections lazily.
///
/// A caller waits at most `acquire_timeout` for a connection, and opening one connection is
/// bounded by the same time. A failed opening is not retried in the background (bb8 would retry
/// until the timeout); the next caller tries again. Each connection is closed after
/// `max_lifetime`.
///
/// A connection taken from the pool is checked without a round trip: tokio-postgres marks its
/// client closed once the connection's socket has ended, as after a server restart, and such a
/// connection is dropped and another taken. A `SELECT 1` per checkout, diesel-async's default,
/// doubled the round trips of a one-query request. A socket that dies between the check and the
/// query fails that one request with 503, and the connection is dropped when it comes back.
///
/// # Errors
/// [`crate::PostgresError`] when the TLS settings cannot be built.
pub(crate) fn build(
    target: ConnectionTarget,
    settings: &PostgresSettings,
) -> Result<Pool<AsyncPgConnection>, crate::PostgresError> {
    let tls = crate::tls::client_config(target.ssl_mode, target.root_cert.as_deref())?
        .map(MakeRustlsConnect::new);
    let server: Arc<str> = Arc::from(target.description());
    let connector = Arc::new(Connector {
        target: target.with_defaults(settings.acquire_timeout),
        tls,
        open_timeout: settings.acquire_timeout,
        statement_timeout: settings.statement_timeout,
    });

    let mut config = ManagerConfig::default();
    config.custom_setup = Box::new(move |_url| {
        let connector = connector.clone();
        Box::pin(async move { connector.open().await })
    });
    config.recycling_method = RecyclingMethod::CustomFunction(Box::new(|connection| {
        let closed = connection.is_broken();
        Box::pin(async move {
            if closed {
                Err(diesel::result::Error::DatabaseError(
                    DatabaseErrorKind::ClosedConnection,
                    Box::new(String::from(
                        "connection closed or inside a broken transaction",
                    )),
                ))
            } else {
                Ok(())
            }
        })
    }));
    // The manager's URL is only handed to `custom_setup`, which ignores it, so it carries the
    // server's description instead of the password.
    let manager =
        AsyncDieselConnectionManager::<AsyncPgConnection>::new_with_config(&*server, config);
    Ok(Pool::builder()
        .max_size(settings.pool_size)
        .min_idle(None)
        .connection_timeout(settings.acquire_timeout)
        .max_lifetime(Some(settings.max_lifetime))
        .retry_connection(false)
        .test_on_check_out(true)
        .error_sink(Box::new(LoggingErrorSink {
            server,
            state: Arc::default(),
        }))
        .build_unchecked(manager))
}
