//! Tests of what the PostgreSQL stores do beyond the port contracts: least privilege of the
//! runtime role, migrations, all-or-nothing multi-step changes, timeouts and TLS verification.

#![cfg(test)]

use std::time::{Duration, Instant};

use rampart_domain::token::RotationDecision;
use rampart_domain::user::PasswordHash;
use rampart_ports::contract::fixtures::{T0, family, post, token, user};
use rampart_ports::{PostRepository, RefreshFamilyStore, StoreError, UserRepository};
use rampart_postgres::{PostgresError, PostgresSettings, PostgresStores};
use rampart_tests::postgres::{Cluster, TestDatabase};
use url::Url;

/// A trigger function that fails the statement it fires for, standing in for a crash or a
/// constraint violation in the middle of a multi-step change.
const FAILING_TRIGGER_FUNCTION: &str = "CREATE FUNCTION fail_step() RETURNS trigger \
     LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'injected failure'; END $$";

fn settings() -> PostgresSettings {
    PostgresSettings {
        pool_size: 2,
        ..PostgresSettings::default()
    }
}

async fn migrated(database: &TestDatabase, settings: &PostgresSettings) -> PostgresStores {
    PostgresStores::connect(database.owner_url(), settings)
        .await
        .unwrap()
        .run_migrations()
        .await
        .unwrap();
    PostgresStores::connect(database.app_url(), settings)
        .await
        .unwrap()
}

/// Returns `url` with its query parameter `key` set to `value`, and its host replaced.
fn with_param(url: &str, host: Option<&str>, key: &str, value: &str) -> String {
    let mut parsed = Url::parse(url).unwrap();
    let kept: Vec<(String, String)> = parsed
        .query_pairs()
        .filter(|(k, _)| k != key && !(host.is_some() && k == "hostaddr"))
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    parsed.set_query(None);
    parsed
        .query_pairs_mut()
        .extend_pairs(kept)
        .append_pair(key, value);
    if let Some(host) = host {
        parsed.set_host(Some(host)).unwrap();
    }
    parsed.to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn runtime_role_cannot_change_schema() {
    let database = Cluster::shared().fresh_database();
    migrated(&database, &settings()).await;

    let create = database.app_sql("CREATE TABLE intruder (id integer)");
    let alter = database.app_sql("ALTER TABLE users ADD COLUMN intruder integer");
    let drop = database.app_sql("DROP TABLE posts");
    let truncate = database.app_sql("TRUNCATE refresh_families");
    let read = database.app_sql("SELECT count(*) FROM users");

    let create = create.unwrap_err();
    assert!(
        create.contains("permission denied for schema public"),
        "{create}"
    );
    let alter = alter.unwrap_err();
    assert!(alter.contains("must be owner of table users"), "{alter}");
    let drop = drop.unwrap_err();
    assert!(drop.contains("must be owner of table posts"), "{drop}");
    let truncate = truncate.unwrap_err();
    assert!(truncate.contains("permission denied"), "{truncate}");
    assert_eq!(read.unwrap(), "0");
}

#[tokio::test(flavor = "multi_thread")]
async fn runtime_role_cannot_run_migrations() {
    let database = Cluster::shared().fresh_database();
    let stores = PostgresStores::connect(database.app_url(), &settings())
        .await
        .unwrap();

    let result = stores.run_migrations().await;

    assert!(
        matches!(result, Err(PostgresError::Migration { .. })),
        "{result:?}"
    );
    assert_eq!(
        database.admin_sql("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"),
        "0"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn pending_migrations_clear_after_migrate() {
    let database = Cluster::shared().fresh_database();
    let app = PostgresStores::connect(database.app_url(), &settings())
        .await
        .unwrap();
    let before = app.pending_migrations().await.unwrap();

    migrated(&database, &settings()).await;

    let after = app.pending_migrations().await.unwrap();
    assert_eq!(before, ["20250101000000", "20250201000000"]);
    assert!(after.is_empty(), "{after:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn failed_revocation_keeps_old_password() {
    let database = Cluster::shared().fresh_database();
    let stores = migrated(&database, &settings()).await;
    let alice = user("alice");
    UserRepository::insert(&stores, &alice).await.unwrap();
    let session = family(alice.id, T0);
    RefreshFamilyStore::create(&stores, &session).await.unwrap();
    database.admin_sql(FAILING_TRIGGER_FUNCTION);
    database.admin_sql(
        "CREATE TRIGGER fail_revocation BEFORE UPDATE ON refresh_families \
         FOR EACH ROW EXECUTE FUNCTION fail_step()",
    );
    let new_hash = PasswordHash::new("$argon2id$v=19$m=19456,t=2,p=1$bmV3$bmV3".to_owned());

    let result = stores.change_password(alice.id, &new_hash, None).await;

    assert!(
        matches!(result, Err(StoreError::Other { .. })),
        "{result:?}"
    );
    let stored = stores.find_by_id(alice.id).await.unwrap().unwrap();
    assert_eq!(
        stored.password_hash, alice.password_hash,
        "the new hash was kept"
    );
    let kept = RefreshFamilyStore::find(&stores, session.id)
        .await
        .unwrap()
        .unwrap();
    assert!(!kept.revoked, "the family was revoked");
}

#[tokio::test(flavor = "multi_thread")]
async fn failed_erasure_keeps_everything() {
    let database = Cluster::shared().fresh_database();
    let stores = migrated(&database, &settings()).await;
    let alice = user("alice");
    UserRepository::insert(&stores, &alice).await.unwrap();
    let session = family(alice.id, T0);
    RefreshFamilyStore::create(&stores, &session).await.unwrap();
    let written = post(alice.id, T0);
    PostRepository::insert(&stores, &written).await.unwrap();
    database.admin_sql(FAILING_TRIGGER_FUNCTION);
    database.admin_sql(
        "CREATE TRIGGER fail_erasure BEFORE DELETE ON users \
         FOR EACH ROW EXECUTE FUNCTION fail_step()",
    );

    let result = UserRepository::delete(&stores, alice.id).await;

    assert!(
        matches!(result, Err(StoreError::Other { .. })),
        "{result:?}"
    );
    assert!(
        stores.find_by_id(alice.id).await.unwrap().is_some(),
        "user deleted"
    );
    let families = stores.list_for_user(alice.id).await.unwrap();
    assert_eq!(families.len(), 1, "the family deletion was kept");
    let posts = stores.list_by_author(alice.id).await.unwrap();
    assert_eq!(posts.len(), 1, "the post was deleted");
}

#[tokio::test(flavor = "multi_thread")]
async fn failed_rotation_keeps_current_token() {
    let database = Cluster::shared().fresh_database();
    let stores = migrated(&database, &settings()).await;
    let alice = user("alice");
    UserRepository::insert(&stores, &alice).await.unwrap();
    let session = family(alice.id, T0);
    RefreshFamilyStore::create(&stores, &session).await.unwrap();
    database.admin_sql(FAILING_TRIGGER_FUNCTION);
    database.admin_sql(
        "CREATE TRIGGER fail_rotation BEFORE UPDATE ON refresh_families \
         FOR EACH ROW EXECUTE FUNCTION fail_step()",
    );

    let result = stores
        .rotate(session.id, session.current_token, token(), T0)
        .await;

    assert!(
        matches!(result, Err(StoreError::Other { .. })),
        "{result:?}"
    );
    let stored = RefreshFamilyStore::find(&stores, session.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.current_token, session.current_token);
    assert_eq!(stored.previous_token, None);
    database.admin_sql("DROP TRIGGER fail_rotation ON refresh_families");
    let retried = stores
        .rotate(session.id, session.current_token, token(), T0)
        .await
        .unwrap();
    assert_eq!(retried, RotationDecision::Rotate);
}

#[tokio::test(flavor = "multi_thread")]
async fn statement_timeout_makes_store_unavailable() {
    let database = Cluster::shared().fresh_database();
    let settings = PostgresSettings {
        statement_timeout: Duration::from_millis(300),
        ..settings()
    };
    let stores = migrated(&database, &settings).await;
    database.admin_sql(
        "CREATE FUNCTION slow_step() RETURNS trigger LANGUAGE plpgsql AS \
         $$ BEGIN PERFORM pg_sleep(5); RETURN NEW; END $$",
    );
    database.admin_sql(
        "CREATE TRIGGER slow_insert BEFORE INSERT ON users \
         FOR EACH ROW EXECUTE FUNCTION slow_step()",
    );
    let started = Instant::now();

    let result = UserRepository::insert(&stores, &user("alice")).await;

    assert!(
        matches!(result, Err(StoreError::Unavailable(_))),
        "{result:?}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn exhausted_pool_is_unavailable_quickly() {
    let database = Cluster::shared().fresh_database();
    let settings = PostgresSettings {
        pool_size: 1,
        acquire_timeout: Duration::from_millis(1000),
        ..settings()
    };
    let stores = migrated(&database, &settings).await;
    database.admin_sql(
        "CREATE FUNCTION slow_step() RETURNS trigger LANGUAGE plpgsql AS \
         $$ BEGIN PERFORM pg_sleep(3); RETURN NEW; END $$",
    );
    database.admin_sql(
        "CREATE TRIGGER slow_insert BEFORE INSERT ON users \
         FOR EACH ROW EXECUTE FUNCTION slow_step()",
    );
    let holder = stores.clone();
    let slow = tokio::spawn(async move { UserRepository::insert(&holder, &user("alice")).await });
    // Gives the slow insert time to take the only connection.
    tokio::time::sleep(Duration::from_millis(800)).await;
    let started = Instant::now();

    let result = stores.find_by_id(user("bob").id).await;

    let waited = started.elapsed();
    assert!(
        matches!(result, Err(StoreError::Unavailable(_))),
        "{result:?}"
    );
    assert!(waited < Duration::from_secs(2), "waited {waited:?}");
    slow.await.unwrap().unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn verify_full_rejects_unknown_root() {
    let cluster = Cluster::shared();
    if !cluster.is_own() {
        eprintln!("skipped: DATABASE_URL names a server whose certificate this test does not know");
        return;
    }
    let database = cluster.fresh_database();
    let other = tempfile::tempdir().unwrap();
    let status = std::process::Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
        ])
        .args([
            "-nodes",
            "-keyout",
            "other.key",
            "-out",
            "other.crt",
            "-days",
            "1",
        ])
        .args(["-subj", "/CN=other CA"])
        .current_dir(other.path())
        .output()
        .unwrap()
        .status;
    assert!(status.success());
    let root = other.path().join("other.crt");
    let url = with_param(
        database.app_url(),
        None,
        "sslrootcert",
        root.to_str().unwrap(),
    );

    let result = PostgresStores::connect(&url, &settings()).await;

    let error = format!("{:?}", result.unwrap_err());
    assert!(error.contains("UnknownIssuer"), "{error}");
}

#[tokio::test(flavor = "multi_thread")]
async fn verify_ca_ignores_host_name() {
    let cluster = Cluster::shared();
    if !cluster.is_own() {
        eprintln!("skipped: DATABASE_URL names a server whose certificate this test does not know");
        return;
    }
    let database = cluster.fresh_database();
    // The server certificate names localhost only, so 127.0.0.1 does not match it.
    let by_address_full = with_param(
        database.app_url(),
        Some("127.0.0.1"),
        "sslmode",
        "verify-full",
    );
    let by_address_ca = with_param(
        database.app_url(),
        Some("127.0.0.1"),
        "sslmode",
        "verify-ca",
    );
    let by_address_require =
        with_param(database.app_url(), Some("127.0.0.1"), "sslmode", "require");

    let full = PostgresStores::connect(&by_address_full, &settings()).await;
    let ca = PostgresStores::connect(&by_address_ca, &settings()).await;
    let require = PostgresStores::connect(&by_address_require, &settings()).await;

    let error = format!("{:?}", full.unwrap_err());
    assert!(error.contains("not valid for name"), "{error}");
    assert!(ca.is_ok(), "{ca:?}");
    assert!(require.is_ok(), "{require:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn wrong_password_names_server_not_password() {
    let database = Cluster::shared().fresh_database();
    let mut url = Url::parse(database.app_url()).unwrap();
    url.set_password(Some("not-the-password")).unwrap();

    let result = PostgresStores::connect(url.as_str(), &settings()).await;

    let error = format!("{:?}", result.unwrap_err());
    assert!(error.contains("password authentication failed"), "{error}");
    assert!(!error.contains("not-the-password"), "{error}");
}
