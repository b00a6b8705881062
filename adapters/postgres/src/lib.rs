//! PostgreSQL stores for Rampart: users, posts, categories, refresh families and upload records.
//!
//! [`PostgresStores`] implements [`UserRepository`](rampart_ports::UserRepository),
//! [`PostRepository`](rampart_ports::PostRepository),
//! [`CategoryRepository`](rampart_ports::CategoryRepository),
//! [`RefreshFamilyStore`](rampart_ports::RefreshFamilyStore) and
//! [`UploadRepository`](rampart_ports::UploadRepository) with the schema and behaviour of
//! `rampart-sqlite`, through diesel and diesel-async on tokio-postgres (no libpq), with a bb8
//! pool.
//!
//! Connections use TLS through rustls, unless the URL's `sslmode` selects a plain mode and the
//! caller allows it ([`ConnectionTarget::parse`]). A multi-step change (rotation, password change,
//! erasure) runs in one transaction; rotation locks the family row (`SELECT ... FOR UPDATE`)
//! so concurrent rotations run one after the other. A request cancelled inside a transaction
//! drops its connection instead of returning it to the pool, and the server rolls back.
//!
//! Migrations are a separate step with their own, more privileged, role: the service checks
//! [`PostgresStores::pending_migrations`] at start-up and `rampart migrate` calls
//! [`PostgresStores::run_migrations`]. Running migrations needs tokio's multi-thread runtime,
//! because diesel's migration harness blocks.
//!
//! ```no_run
//! # async fn open() -> Result<(), rampart_postgres::PostgresError> {
//! let settings = rampart_postgres::PostgresSettings::default();
//! let url = "postgres://rampart_app:secret@db.internal/rampart?sslmode=require";
//! let stores = rampart_postgres::PostgresStores::connect(url, &settings).await?;
//! let pending = stores.pending_migrations().await?;
//! # Ok(())
//! # }
//! ```

mod categories;
mod error;
mod families;
mod migrations;
mod pool;
mod posts;
mod schema;
mod target;
mod tls;
mod uploads;
mod users;

use std::sync::Arc;
use std::time::Duration;

use diesel_async::AsyncPgConnection;
use diesel_async::pooled_connection::bb8::{Pool, PooledConnection};
use rampart_ports::StoreError;

pub use crate::error::PostgresError;
use crate::error::pool_error;
pub use crate::target::{ConnectionTarget, SslMode, redact_url};
pub use crate::tls::install_crypto_provider;

/// Pool and session settings of [`PostgresStores`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PostgresSettings {
    /// Maximum number of open connections.
    pub pool_size: u32,
    /// How long a store call waits for a connection before it fails with
    /// [`StoreError::Unavailable`]; opening one connection is bounded by the same time.
    pub acquire_timeout: Duration,
    /// Age after which a connection is closed and replaced by a new one.
    pub max_lifetime: Duration,
    /// PostgreSQL's `statement_timeout` for every connection.
    pub statement_timeout: Duration,
    /// Whether an `sslmode` that allows a plain connection (`disable`, `allow`, `prefer`) is
    /// accepted; for local development only.
    pub allow_insecure: bool,
}

impl Default for PostgresSettings {
    fn default() -> Self {
        Self {
            pool_size: 8,
            acquire_timeout: Duration::from_secs(5),
            max_lifetime: Duration::from_secs(600),
            statement_timeout: Duration::from_secs(10),
            allow_insecure: false,
        }
    }
}

impl PostgresSettings {
    /// Checks the values that bb8 and PostgreSQL cannot work with.
    fn validate(&self) -> Result<(), PostgresError> {
        if self.pool_size == 0 {
            return Err(PostgresError::PoolSize);
        }
        for (setting, value) in [
            ("acquire timeout", self.acquire_timeout),
            ("connection max lifetime", self.max_lifetime),
            ("statement timeout", self.statement_timeout),
        ] {
            if value.is_zero() {
                return Err(PostgresError::ZeroDuration { setting });
            }
        }
        Ok(())
    }
}

/// Users, posts, categories, refresh families and upload records in one PostgreSQL database.
///
/// Cloning is cheap: clones share the connection pool.
#[derive(Clone)]
pub struct PostgresStores {
    pool: Pool<AsyncPgConnection>,
    /// `host:port/database`, for logs and errors.
    server: Arc<str>,
}

impl std::fmt::Debug for PostgresStores {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresStores")
            .field("server", &self.server)
            .field("pool", &self.pool.state())
            .finish()
    }
}

impl PostgresStores {
    /// Connects to the database at `url` with a pool of `settings.pool_size` connections.
    ///
    /// Opens one connection before returning, so that a wrong address, password or TLS setting
    /// stops start-up with its cause.
    ///
    /// # Errors
    /// The URL and TLS errors of [`ConnectionTarget::parse`], [`PostgresError::PoolSize`] and
    /// [`PostgresError::ZeroDuration`] for unusable settings, and [`PostgresError::Connect`]
    /// when the first connection fails.
    pub async fn connect(url: &str, settings: &PostgresSettings) -> Result<Self, PostgresError> {
        settings.validate()?;
        let target = ConnectionTarget::parse(url, settings.allow_insecure)?;
        let server: Arc<str> = Arc::from(target.description());
        let pool = pool::build(target, settings)?;
        let stores = Self { pool, server };
        drop(stores.first_connection().await?);
        tracing::debug!(server = %stores.server, pool_size = settings.pool_size, "database connected");
        Ok(stores)
    }

    /// Returns `host:port/database` of the server, without user or password.
    pub fn server(&self) -> &str {
        &self.server
    }

    /// Opens a connection outside the pool for set-up work, so that a failure carries its
    /// cause: a pool that cannot open a connection reports only that the wait timed out.
    async fn first_connection(&self) -> Result<AsyncPgConnection, PostgresError> {
        self.pool
            .dedicated_connection()
            .await
            .map_err(|error| PostgresError::Connect {
                target: self.server.to_string(),
                source: Box::new(error),
            })
    }

    /// Takes a connection for a store call.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] when no connection is free or can be opened within the
    /// acquire timeout.
    pub(crate) async fn connection(
        &self,
    ) -> Result<PooledConnection<'_, AsyncPgConnection>, StoreError> {
        self.pool.get().await.map_err(pool_error)
    }
}
