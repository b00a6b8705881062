//! The connection pool and the settings every connection gets.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::{Connection as _, ConnectionError, ConnectionResult, SqliteConnection};
use diesel_async::pooled_connection::bb8::Pool;
use diesel_async::pooled_connection::{AsyncDieselConnectionManager, ManagerConfig};
use diesel_async::sync_connection_wrapper::SyncConnectionWrapper;

/// A SQLite connection whose blocking calls run on tokio's blocking threads.
pub(crate) type Connection = SyncConnectionWrapper<SqliteConnection>;

/// How long a caller waits for a free pooled connection before the store reports itself
/// unavailable.
pub(crate) const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(5);

/// Statements run on every new connection, in this order.
///
/// - `busy_timeout = 5000`: a write that finds the database locked retries for up to 5000 ms
///   before failing with "database is locked", so concurrent writers queue instead of failing.
/// - `foreign_keys = ON`: SQLite enforces foreign keys, and so the cascades, per connection and
///   only when asked.
/// - `journal_mode = WAL`: readers do not block the writer. The mode is stored in the file, so
///   this only has an effect on the first connection to a new database.
const CONNECTION_PRAGMAS: &str = "
    PRAGMA busy_timeout = 5000;
    PRAGMA foreign_keys = ON;
    PRAGMA journal_mode = WAL;
";

/// Opens one connection to the database file at `url` and applies [`CONNECTION_PRAGMAS`].
fn establish(url: &str) -> Pin<Box<dyn Future<Output = ConnectionResult<Connection>> + Send + '_>> {
    let url = url.to_owned();
    Box::pin(async move {
        let connection = tokio::task::spawn_blocking(move || {
            let mut connection = SqliteConnection::establish(&url)?;
            connection
                .batch_execute(CONNECTION_PRAGMAS)
                .map_err(ConnectionError::CouldntSetupConfiguration)?;
            Ok::<_, ConnectionError>(connection)
        })
        .await
        .map_err(|error| ConnectionError::BadConnection(error.to_string()))??;
        Ok(SyncConnectionWrapper::new(connection))
    })
}

/// Builds a pool of at most `size` connections to the database file at `url`.
///
/// The pool opens connections lazily. It does not retry a failing connect, because bb8 would
/// retry in a tight loop until [`ACQUIRE_TIMEOUT`]. It does not test a connection on checkout
/// either, because a connection to a local file does not break the way a network one does.
pub(crate) fn build(url: &str, size: u32) -> Pool<Connection> {
    let mut config = ManagerConfig::default();
    config.custom_setup = Box::new(establish);
    let manager = AsyncDieselConnectionManager::<Connection>::new_with_config(url, config);
    Pool::builder()
        .max_size(size)
        .connection_timeout(ACQUIRE_TIMEOUT)
        .retry_connection(false)
        .test_on_check_out(false)
        .build_unchecked(manager)
}
