//! `rampart migrate`: apply pending migrations.

use crate::config::Config;
use crate::telemetry;
use crate::wiring;

/// Applies every pending migration to the configured database, on PostgreSQL as the owner role
/// of `database.migration_url`.
///
/// # Errors
/// When the database cannot be opened or a migration fails.
pub(crate) async fn run(config: Config) -> anyhow::Result<()> {
    telemetry::init_stderr();
    let database = wiring::Database::open_for_migration(&config).await?;
    let applied = database.migrate().await?;
    println!("applied {applied} migration(s) to {}", database.describe());
    Ok(())
}
