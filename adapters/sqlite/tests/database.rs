//! Tests of what the SQLite stores do beyond the port contracts: the file they create, its
//! settings, migrations and the translation of database errors.

#![cfg(test)]

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use diesel::connection::SimpleConnection;
use diesel::sql_types::Text;
use diesel::{Connection, QueryableByName, RunQueryDsl, SqliteConnection};
use rampart_domain::page::PageRequest;
use rampart_domain::user::Username;
use rampart_ports::contract::fixtures::{T0, post, user};
use rampart_ports::{PostRepository, StoreError, UserRepository};
use rampart_sqlite::{SqliteError, SqliteStores};
use time::Duration;

#[derive(QueryableByName)]
struct JournalMode {
    #[diesel(sql_type = Text)]
    journal_mode: String,
}

async fn migrated(path: &Path) -> SqliteStores {
    let stores = SqliteStores::connect(path, 2).await.unwrap();
    stores.run_migrations().await.unwrap();
    stores
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[tokio::test(flavor = "multi_thread")]
async fn new_database_is_private_wal_file() {
    let root = tempfile::tempdir().unwrap();
    let path = root.path().join("data/rampart.db");
    let stores = migrated(&path).await;

    UserRepository::insert(&stores, &user("alice"))
        .await
        .unwrap();

    assert_eq!(mode(&path), 0o600, "database file");
    assert_eq!(mode(&root.path().join("data")), 0o700, "parent directory");
    for suffix in ["-wal", "-shm"] {
        let companion = root.path().join(format!("data/rampart.db{suffix}"));
        assert_eq!(mode(&companion), 0o600, "{suffix} file");
    }
    let mut connection = SqliteConnection::establish(path.to_str().unwrap()).unwrap();
    let journal: JournalMode = diesel::sql_query("PRAGMA journal_mode")
        .get_result(&mut connection)
        .unwrap();
    assert_eq!(journal.journal_mode, "wal");
}

#[tokio::test(flavor = "multi_thread")]
async fn migrations_run_only_once() {
    let root = tempfile::tempdir().unwrap();
    let stores = SqliteStores::connect(root.path().join("rampart.db"), 1)
        .await
        .unwrap();

    let migrations = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations"))
        .unwrap()
        .count();

    let first = stores.run_migrations().await.unwrap();
    let second = stores.run_migrations().await.unwrap();

    assert_eq!(first, migrations);
    assert_eq!(second, 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn zero_pool_size_is_rejected() {
    let root = tempfile::tempdir().unwrap();

    let result = SqliteStores::connect(root.path().join("rampart.db"), 0).await;

    assert!(matches!(result, Err(SqliteError::PoolSize)), "{result:?}");
    assert!(!root.path().join("rampart.db").exists(), "file was created");
}

#[tokio::test(flavor = "multi_thread")]
async fn file_that_is_not_database_fails() {
    let root = tempfile::tempdir().unwrap();
    let path = root.path().join("rampart.db");
    std::fs::write(&path, vec![0x42; 4096]).unwrap();

    let result = SqliteStores::connect(&path, 1).await;

    assert!(
        matches!(result, Err(SqliteError::Connect { .. })),
        "{result:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn posts_order_by_sub_second_time() {
    let root = tempfile::tempdir().unwrap();
    let stores = migrated(&root.path().join("rampart.db")).await;
    let author = user("alice");
    UserRepository::insert(&stores, &author).await.unwrap();
    // Stored times drop trailing zeros of the fraction, so these have 0 to 3 fraction digits.
    let offsets_ms = [500, 250, 1000, 125, 0, 999];
    for offset in offsets_ms {
        let written = post(author.id, T0 + Duration::milliseconds(offset));
        PostRepository::insert(&stores, &written).await.unwrap();
    }

    let page = stores
        .list(PageRequest::new(None, None).unwrap())
        .await
        .unwrap();

    let listed: Vec<_> = page.items.iter().map(|p| p.created_at - T0).collect();
    let mut expected: Vec<_> = offsets_ms.map(Duration::milliseconds).to_vec();
    expected.sort_unstable_by(|a, b| b.cmp(a));
    assert_eq!(listed, expected);
}

#[tokio::test(flavor = "multi_thread")]
async fn locked_database_is_unavailable() {
    let root = tempfile::tempdir().unwrap();
    let path = root.path().join("rampart.db");
    let stores = migrated(&path).await;
    let mut holder = SqliteConnection::establish(path.to_str().unwrap()).unwrap();
    holder.batch_execute("BEGIN EXCLUSIVE").unwrap();

    // Waits for the 5 s busy timeout before SQLite gives up.
    let result = UserRepository::insert(&stores, &user("alice")).await;

    holder.batch_execute("ROLLBACK").unwrap();
    assert!(
        matches!(result, Err(StoreError::Unavailable(_))),
        "{result:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn malformed_stored_id_is_an_error() {
    let root = tempfile::tempdir().unwrap();
    let path = root.path().join("rampart.db");
    let stores = migrated(&path).await;
    let mut writer = SqliteConnection::establish(path.to_str().unwrap()).unwrap();
    writer
        .batch_execute(
            "INSERT INTO users VALUES ('not-a-uuid-but-thirty-six-chars-long', 'mallory', \
             'mallory@example.com', 'member', '$argon2id$x', '2025-01-01 00:00:00+00:00')",
        )
        .unwrap();

    let result = stores
        .find_by_username(&Username::parse("mallory").unwrap())
        .await;

    assert!(
        matches!(result, Err(StoreError::Other { .. })),
        "{result:?}"
    );
}
