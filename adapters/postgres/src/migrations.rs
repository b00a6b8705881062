//! Applying the embedded migrations, and checking that a database has all of them.

use diesel::migration::MigrationSource;
use diesel::pg::Pg;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use diesel::{ExpressionMethods, QueryDsl};
use diesel_async::{AsyncMigrationHarness, RunQueryDsl};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use crate::PostgresStores;
use crate::error::PostgresError;
use crate::schema::__diesel_schema_migrations;

/// The migrations in this crate's `migrations/` folder, compiled into the binary.
const MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations");

/// SQLSTATE of a query on a table that does not exist.
const UNDEFINED_TABLE: &str = "42P01";

impl PostgresStores {
    /// Applies every embedded migration the database has not run yet, and returns how many ran.
    ///
    /// Each migration runs in its own transaction, so a failed one leaves the database at the
    /// previous version. The role of the URL needs to own the schema: the runtime role cannot
    /// create tables. Needs tokio's multi-thread runtime, because diesel's migration harness
    /// blocks its thread.
    ///
    /// # Errors
    /// [`PostgresError::Connect`] when no connection can be opened, [`PostgresError::Migration`]
    /// when a migration fails.
    pub async fn run_migrations(&self) -> Result<usize, PostgresError> {
        let connection = self.first_connection().await?;
        let mut harness = AsyncMigrationHarness::new(connection);
        let applied = harness
            .run_pending_migrations(MIGRATIONS)
            .map_err(|source| PostgresError::Migration {
                target: self.server.to_string(),
                source,
            })?
            .len();
        tracing::debug!(server = %self.server, applied, "database migrations applied");
        Ok(applied)
    }

    /// Returns the versions of the embedded migrations that the database has not run, oldest
    /// first.
    ///
    /// Reads diesel's migration table only, so the runtime role can run the check although it
    /// cannot create that table. A database without the table has run none.
    ///
    /// # Errors
    /// [`PostgresError::Connect`] when the database cannot be reached or read.
    pub async fn pending_migrations(&self) -> Result<Vec<String>, PostgresError> {
        let mut connection = self.first_connection().await?;
        let read = __diesel_schema_migrations::table
            .select(__diesel_schema_migrations::version)
            .order(__diesel_schema_migrations::version.asc())
            .load::<String>(&mut connection)
            .await;
        let applied = match read {
            Ok(versions) => versions,
            Err(DieselError::DatabaseError(DatabaseErrorKind::Unknown, info))
                if info
                    .sqlstate()
                    .is_some_and(|state| state.as_str() == UNDEFINED_TABLE) =>
            {
                Vec::new()
            }
            Err(error) => {
                return Err(PostgresError::Connect {
                    target: self.server.to_string(),
                    source: Box::new(error),
                });
            }
        };
        let embedded = MigrationSource::<Pg>::migrations(&MIGRATIONS).map_err(|source| {
            PostgresError::Migration {
                target: self.server.to_string(),
                source,
            }
        })?;
        Ok(embedded
            .iter()
            .map(|migration| migration.name().version().to_string())
            .filter(|version| !applied.contains(version))
            .collect())
    }
}
