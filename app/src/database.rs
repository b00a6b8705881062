//! The database that `database.url` names, SQLite or PostgreSQL, behind the same ports.
//!
//! SQLite is one file that the service owns, so `rampart serve` applies its pending migrations
//! itself. On PostgreSQL the service connects as a role that may only read and write rows:
//! `rampart migrate` applies migrations with the owner role of `database.migration_url`, and
//! `rampart serve` only checks that none is pending.

use std::sync::Arc;

use anyhow::{Context, bail};
use rampart_ports::{
    CategoryRepository, PostRepository, RefreshFamilyStore, UploadRepository, UserRepository,
};
use rampart_postgres::PostgresStores;
use rampart_sqlite::SqliteStores;

use crate::config::{Config, PostgresConfig};

/// Every repository that the database holds; an `Arc` of it coerces to each one.
pub(crate) trait Repositories:
    UserRepository + PostRepository + CategoryRepository + RefreshFamilyStore + UploadRepository
{
}

impl<T> Repositories for T where
    T: UserRepository + PostRepository + CategoryRepository + RefreshFamilyStore + UploadRepository
{
}

/// The configured database, opened but not migrated.
pub(crate) enum Database {
    Sqlite(SqliteStores),
    Postgres(PostgresStores),
}

impl Database {
    /// Opens the database that the service uses: the SQLite file, created if missing, or
    /// PostgreSQL as the role of `database.url`.
    ///
    /// # Errors
    /// When the file cannot be opened or the server cannot be reached.
    pub(crate) async fn open(config: &Config) -> anyhow::Result<Self> {
        match &config.postgres {
            None => Self::open_sqlite(config).await,
            Some(postgres) => Self::open_postgres(&config.database_url, postgres).await,
        }
    }

    /// Opens the database for `rampart migrate`: on PostgreSQL as the owner role of
    /// `database.migration_url`.
    ///
    /// # Errors
    /// When the file cannot be opened or the server cannot be reached.
    pub(crate) async fn open_for_migration(config: &Config) -> anyhow::Result<Self> {
        match &config.postgres {
            None => Self::open_sqlite(config).await,
            Some(postgres) => Self::open_postgres(&postgres.migration_url, postgres).await,
        }
    }

    async fn open_sqlite(config: &Config) -> anyhow::Result<Self> {
        let path = config
            .sqlite_path()
            .context("database.url is not a sqlite: URL")?;
        let stores = SqliteStores::connect(&path, config.database_pool_size)
            .await
            .with_context(|| format!("opening database {}", path.display()))?;
        Ok(Self::Sqlite(stores))
    }

    async fn open_postgres(url: &str, postgres: &PostgresConfig) -> anyhow::Result<Self> {
        rampart_postgres::install_crypto_provider();
        let stores = PostgresStores::connect(url, &postgres.settings)
            .await
            .context("connecting to PostgreSQL")?;
        Ok(Self::Postgres(stores))
    }

    /// Applies pending migrations and returns how many ran.
    ///
    /// # Errors
    /// When a migration fails, for example because the PostgreSQL role may not create tables.
    pub(crate) async fn migrate(&self) -> anyhow::Result<usize> {
        match self {
            Self::Sqlite(stores) => stores.run_migrations().await.context("running migrations"),
            Self::Postgres(stores) => stores.run_migrations().await.context(
                "running migrations (database.migration_url must name the role that owns the \
                 schema)",
            ),
        }
    }

    /// Makes sure the schema is current before serving, and returns how many migrations ran:
    /// SQLite applies its pending ones, PostgreSQL runs none and fails when any is pending.
    ///
    /// # Errors
    /// When a migration fails, or PostgreSQL has pending migrations.
    pub(crate) async fn prepare_schema(&self) -> anyhow::Result<usize> {
        match self {
            Self::Sqlite(_) => self.migrate().await,
            Self::Postgres(stores) => {
                let pending = stores
                    .pending_migrations()
                    .await
                    .context("checking the applied migrations")?;
                if !pending.is_empty() {
                    bail!(
                        "the database {} lacks migrations {}: run `rampart migrate` with the \
                         owner role (database.migration_url) first",
                        stores.server(),
                        pending.join(", ")
                    );
                }
                Ok(0)
            }
        }
    }

    /// Returns the database file's path or `host:port/database`, without a password.
    pub(crate) fn describe(&self) -> String {
        match self {
            Self::Sqlite(stores) => stores.path().display().to_string(),
            Self::Postgres(stores) => stores.server().to_owned(),
        }
    }

    /// Returns the repositories, to be handed to the use cases as ports.
    pub(crate) fn into_repositories(self) -> Arc<dyn Repositories> {
        match self {
            Self::Sqlite(stores) => Arc::new(stores),
            Self::Postgres(stores) => Arc::new(stores),
        }
    }
}
