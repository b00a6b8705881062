//! SQLite stores for Rampart: users, posts, categories, refresh families and upload records.
//!
//! [`SqliteStores`] implements [`UserRepository`](rampart_ports::UserRepository),
//! [`PostRepository`](rampart_ports::PostRepository),
//! [`CategoryRepository`](rampart_ports::CategoryRepository),
//! [`RefreshFamilyStore`](rampart_ports::RefreshFamilyStore) and
//! [`UploadRepository`](rampart_ports::UploadRepository) on one database file through
//! diesel, with a bb8 pool of diesel-async [`SyncConnectionWrapper`]s. [`SqliteRevocations`]
//! keeps the revocation list in the same file, for a single instance without Redis.
//!
//! Each store call runs as one closure of synchronous diesel code on one of tokio's blocking
//! threads ([`SyncConnectionWrapper::spawn_blocking`]). A multi-step change runs inside that
//! closure as one `BEGIN IMMEDIATE` transaction, which takes SQLite's write lock before its first
//! read, so two concurrent rotations or deletes run one after the other. Because diesel-async
//! waits for the blocking closure when the calling future is dropped, a cancelled request cannot
//! leave a transaction open on a pooled connection. That wait uses `block_in_place`, so the
//! stores need tokio's multi-thread runtime.
//!
//! ```no_run
//! # async fn open() -> Result<(), rampart_sqlite::SqliteError> {
//! let stores = rampart_sqlite::SqliteStores::connect("data/rampart.db", 8).await?;
//! let applied = stores.run_migrations().await?;
//! # Ok(())
//! # }
//! ```
//!
//! [`SyncConnectionWrapper`]: diesel_async::sync_connection_wrapper::SyncConnectionWrapper
//! [`SyncConnectionWrapper::spawn_blocking`]: diesel_async::sync_connection_wrapper::SyncConnectionWrapper::spawn_blocking

mod categories;
mod error;
mod families;
mod file;
mod pool;
mod posts;
mod revocations;
mod schema;
mod uploads;
mod users;
mod values;

use std::path::{Path, PathBuf};

use diesel::{QueryResult, SqliteConnection};
use diesel_async::pooled_connection::bb8::Pool;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};
use rampart_ports::StoreError;

pub use crate::error::SqliteError;
use crate::error::{connect_error, pool_error, store_error};
use crate::pool::Connection;
pub use crate::revocations::SqliteRevocations;

/// The migrations in this crate's `migrations/` folder, compiled into the binary.
const MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations");

/// Users, posts, categories and refresh families in one SQLite database file.
///
/// Cloning is cheap: clones share the connection pool.
#[derive(Clone)]
pub struct SqliteStores {
    pool: Pool<Connection>,
    path: PathBuf,
}

impl std::fmt::Debug for SqliteStores {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStores")
            .field("path", &self.path)
            .field("pool", &self.pool.state())
            .finish()
    }
}

impl SqliteStores {
    /// Opens the database file at `path` with a pool of at most `pool_size` connections.
    ///
    /// A missing file is created with mode 0600, and its missing parent directories with mode
    /// 0700. Every connection gets `busy_timeout`, `foreign_keys = ON` and WAL mode. Opening
    /// does not migrate: call [`run_migrations`](Self::run_migrations) before the first store
    /// call on a new database.
    ///
    /// # Errors
    /// [`SqliteError::PoolSize`] for a pool size of 0, [`SqliteError::InvalidPath`] for a path
    /// that is not UTF-8, [`SqliteError::CreateFile`] when the file cannot be created, and
    /// [`SqliteError::Connect`] when SQLite cannot open it.
    pub async fn connect(path: impl AsRef<Path>, pool_size: u32) -> Result<Self, SqliteError> {
        if pool_size == 0 {
            return Err(SqliteError::PoolSize);
        }
        let requested = path.as_ref().to_owned();
        let prepared = requested.clone();
        let path = tokio::task::spawn_blocking(move || file::prepare_file(&prepared))
            .await
            .map_err(|error| SqliteError::Connect {
                path: requested.clone(),
                source: Box::new(error),
            })??;
        let url = path
            .to_str()
            .ok_or_else(|| SqliteError::InvalidPath { path: path.clone() })?;

        let pool = pool::build(url, pool_size);
        // Opening one connection now reports a file that SQLite cannot open at startup, and
        // switches a new database to WAL before concurrent connections race to do it.
        drop(
            pool.get()
                .await
                .map_err(|e| connect_error(path.clone(), e))?,
        );
        tracing::debug!(path = %path.display(), pool_size, "database opened");
        Ok(Self { pool, path })
    }

    /// Applies every embedded migration the database has not run yet, and returns how many ran.
    ///
    /// Each migration runs in its own transaction, so a failed one leaves the database at the
    /// previous version.
    ///
    /// # Errors
    /// [`SqliteError::Connect`] when no connection is available, [`SqliteError::Migration`]
    /// when a migration fails.
    pub async fn run_migrations(&self) -> Result<usize, SqliteError> {
        let mut connection = self
            .pool
            .get()
            .await
            .map_err(|e| connect_error(self.path.clone(), e))?;
        let outcome = connection
            .spawn_blocking(|connection| {
                let applied = connection
                    .run_pending_migrations(MIGRATIONS)
                    .map(|versions| versions.len());
                Ok(applied)
            })
            .await;
        let migration_error = |source| SqliteError::Migration {
            path: self.path.clone(),
            source,
        };
        let applied = outcome
            .map_err(|error| migration_error(Box::new(error)))?
            .map_err(migration_error)?;
        tracing::debug!(path = %self.path.display(), applied, "database migrations applied");
        Ok(applied)
    }

    /// Returns the canonical path of the database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Runs `operation` on a pooled connection on a blocking thread.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] when no connection frees up within the acquire timeout or the
    /// database stays locked past the busy timeout, [`StoreError::Conflict`] for a unique
    /// violation on a known index, and [`StoreError::Other`] for anything else, with `context`.
    pub(crate) async fn run<T, F>(
        &self,
        context: &'static str,
        operation: F,
    ) -> Result<T, StoreError>
    where
        F: FnOnce(&mut SqliteConnection) -> QueryResult<T> + Send + 'static,
        T: Send + 'static,
    {
        let mut connection = self.pool.get().await.map_err(pool_error)?;
        connection
            .spawn_blocking(operation)
            .await
            .map_err(|error| store_error(context, error))
    }
}
