//! The connection pool: bb8 over redis-rs multiplexed connections, with short timeouts.
//!
//! A caller does not keep a connection for itself: [`RedisPool::link`] checks one out, clones its
//! multiplexed handle and returns it to the pool at once. Concurrent requests therefore share
//! the pool's first connections, whose driver writes the commands waiting at a time in one
//! system call and reads their replies together, and Redis serves them in one wake-up. Under
//! load that costs far less than a connection and a round trip of its own per request.
//!
//! The manager is our own instead of `bb8_redis::RedisConnectionManager` for two reasons. That
//! manager connects with redis-rs's default timeouts, which cannot be changed, and its
//! `has_broken` always returns false, so a connection whose socket died would go back into the
//! pool and fail every later call until Redis returned. Here a connection is marked broken when
//! a command on it fails with an I/O error or a timeout, and bb8 drops it on return.
//!
//! bb8 does not test a connection on checkout (that would cost a `PING` round trip per call), and
//! does not retry a failing connect: a retry loop would spin until the checkout timeout and
//! hide the cause. The cause goes to [`LoggingErrorSink`] instead, and [`Breaker`] makes
//! callers fail at once during an outage.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bb8_redis::bb8::{self, ErrorSink, ManageConnection, RunError};
use rampart_ports::StoreError;
use redis::aio::MultiplexedConnection;
use redis::{AsyncConnectionConfig, Client, RedisError, RedisResult};

use crate::breaker::Breaker;
use crate::error::{RedisSetupError, is_outage, store_error};
use crate::settings::{RedisSettings, check_url, redact};

/// A multiplexed connection and whether a command on it failed in a way that breaks it. The
/// flag is shared with every [`Link`] that uses the connection.
pub(crate) struct Connection {
    inner: MultiplexedConnection,
    broken: Arc<AtomicBool>,
}

/// Opens connections with the configured timeouts.
#[derive(Clone)]
pub(crate) struct Manager {
    client: Client,
    config: AsyncConnectionConfig,
}

impl ManageConnection for Manager {
    type Connection = Connection;
    type Error = RedisError;

    async fn connect(&self) -> Result<Connection, RedisError> {
        let inner = self
            .client
            .get_multiplexed_async_connection_with_config(&self.config)
            .await?;
        Ok(Connection {
            inner,
            broken: Arc::new(AtomicBool::new(false)),
        })
    }

    async fn is_valid(&self, connection: &mut Connection) -> Result<(), RedisError> {
        redis::cmd("PING")
            .query_async::<String>(&mut connection.inner)
            .await
            .map(drop)
    }

    fn has_broken(&self, connection: &mut Connection) -> bool {
        connection.broken.load(Ordering::Relaxed)
    }
}

/// How often the error sink logs connection failures while they repeat.
const ERROR_LOG_INTERVAL: Duration = Duration::from_secs(10);

/// Logs the connection errors bb8 meets in the background, at most once per
/// [`ERROR_LOG_INTERVAL`], with the number of errors left out since the last line.
#[derive(Debug, Clone, Default)]
struct LoggingErrorSink {
    state: Arc<Mutex<(Option<Instant>, u64)>>,
}

impl ErrorSink<RedisError> for LoggingErrorSink {
    fn sink(&self, error: RedisError) {
        let Ok(mut state) = self.state.lock() else {
            return;
        };
        let (last_logged, suppressed) = &mut *state;
        let now = Instant::now();
        if last_logged.is_some_and(|at| now.duration_since(at) < ERROR_LOG_INTERVAL) {
            *suppressed += 1;
            return;
        }
        tracing::warn!(error = %error, suppressed = *suppressed, "Redis connection failed");
        *last_logged = Some(now);
        *suppressed = 0;
    }

    fn boxed_clone(&self) -> Box<dyn ErrorSink<RedisError>> {
        Box::new(self.clone())
    }
}

/// The pool and the breaker in front of it.
#[derive(Clone)]
pub(crate) struct RedisPool {
    pool: bb8::Pool<Manager>,
    breaker: Arc<Breaker>,
    timeout: Duration,
}

impl std::fmt::Debug for RedisPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisPool")
            .field("state", &self.pool.state())
            .field("timeout", &self.timeout)
            .finish()
    }
}

impl RedisPool {
    /// Builds a pool that opens connections lazily.
    ///
    /// # Errors
    /// See [`RedisSetupError`].
    pub(crate) fn build(settings: &RedisSettings) -> Result<Self, RedisSetupError> {
        check_url(&settings.url, settings.allow_insecure).map_err(|problem| {
            RedisSetupError::Url {
                url: redact(&settings.url),
                problem,
            }
        })?;
        if settings.pool_size == 0 {
            return Err(RedisSetupError::PoolSize);
        }
        install_crypto_provider();
        let client = Client::open(settings.url.as_str()).map_err(RedisSetupError::Client)?;
        let config = AsyncConnectionConfig::new()
            .set_connection_timeout(Some(settings.timeout))
            .set_response_timeout(Some(settings.timeout));
        let pool = bb8::Pool::builder()
            .max_size(settings.pool_size)
            .connection_timeout(settings.timeout)
            .retry_connection(false)
            .test_on_check_out(false)
            .error_sink(Box::new(LoggingErrorSink::default()))
            .build_unchecked(Manager { client, config });
        Ok(Self {
            pool,
            breaker: Arc::new(Breaker::default()),
            timeout: settings.timeout,
        })
    }

    /// Returns a handle to a pooled connection, failing at once while the breaker is open.
    ///
    /// The connection goes back to the pool before this returns, for other callers to share.
    /// A connection marked broken since its last checkout is dropped (bb8 drops it on return)
    /// and another taken.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] while the breaker is open or when no connection could be had
    /// within the timeout.
    pub(crate) async fn link(&self) -> Result<Link<'_>, StoreError> {
        self.breaker
            .admit()
            .map_err(|open| StoreError::Unavailable(Box::new(open)))?;
        let mut checked_out = self.pool.get().await;
        // Each pass drops a broken connection for good, so the pool's size bounds the passes.
        for _ in 0..self.pool.state().connections {
            match &checked_out {
                Ok(pooled) if pooled.broken.load(Ordering::Relaxed) => {
                    drop(checked_out);
                    checked_out = self.pool.get().await;
                }
                _ => break,
            }
        }
        match checked_out {
            Ok(pooled) => Ok(Link {
                connection: pooled.inner.clone(),
                broken: pooled.broken.clone(),
                breaker: &self.breaker,
            }),
            Err(RunError::TimedOut) => {
                self.breaker.failed();
                Err(StoreError::Unavailable(
                    format!(
                        "no Redis connection within {} ms (the cause is logged as \"Redis connection failed\")",
                        self.timeout.as_millis()
                    )
                    .into(),
                ))
            }
            Err(RunError::User(error)) => {
                self.breaker.failed();
                Err(store_error("connect to redis", error))
            }
        }
    }
}

/// A handle to a pooled connection, shared with other callers.
pub(crate) struct Link<'a> {
    connection: MultiplexedConnection,
    broken: Arc<AtomicBool>,
    breaker: &'a Breaker,
}

impl Link<'_> {
    /// Returns the connection to send commands on.
    pub(crate) fn connection(&mut self) -> &mut MultiplexedConnection {
        &mut self.connection
    }

    /// Records the outcome of a command and translates its error: an outage marks the
    /// connection broken and opens the breaker.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] for an outage, [`StoreError::Other`] for any other failure.
    pub(crate) fn finish<T>(
        &mut self,
        context: &'static str,
        result: RedisResult<T>,
    ) -> Result<T, StoreError> {
        match result {
            Ok(value) => {
                self.breaker.succeeded();
                Ok(value)
            }
            Err(error) => {
                if is_outage(&error) {
                    self.broken.store(true, Ordering::Relaxed);
                    self.breaker.failed();
                }
                Err(store_error(context, error))
            }
        }
    }
}

/// Installs rustls's ring provider as the process default unless one is installed already.
///
/// The workspace builds rustls with more than one crypto provider, and then rustls cannot pick
/// one by itself: building a TLS client config for `rediss://` would panic without this.
fn install_crypto_provider() {
    if rustls::crypto::CryptoProvider::get_default().is_none() {
        // Another thread may install one in between; either provider is fine.
        let _ = rustls::crypto::ring::default_provider().install_default();
    }
}
