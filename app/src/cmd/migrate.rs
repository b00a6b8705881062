//! `rampart migrate`: apply pending migrations.

use crate::config::Config;
use crate::telemetry;
use crate::wiring;

/// Applies every pending migration to the configured database.
///
/// # Errors
/// When the database cannot be opened or a migration fails.
pub(crate) async fn run(config: Config) -> anyhow::Result<()> {
    telemetry::init_stderr();
    let applied = wiring::Database::open(&config).await?.migrate().await?;
    println!("applied {applied} migration(s) to {}", config.database_url);
    Ok(())
}
