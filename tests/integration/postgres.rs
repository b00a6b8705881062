//! The service on PostgreSQL: start-up refusals, least privilege and a database outage.

use std::time::{Duration, Instant};

use rampart_tests::postgres::{Cluster, run_rampart, start_on_database};
use serde_json::{Value, json};

const PASSWORD: &str = "Violet-Harbor-87";

/// Returns `url` with its `sslmode` replaced by `disable`.
fn without_tls(url: &str) -> String {
    let mut parsed = url::Url::parse(url).unwrap();
    let kept: Vec<(String, String)> = parsed
        .query_pairs()
        .filter(|(key, _)| key != "sslmode")
        .map(|(key, value)| (key.into_owned(), value.into_owned()))
        .collect();
    parsed.set_query(None);
    parsed
        .query_pairs_mut()
        .extend_pairs(kept)
        .append_pair("sslmode", "disable");
    parsed.to_string()
}

fn stderr(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn plain_connection_refuses_to_start() {
    let database = Cluster::shared().fresh_database();
    let env = vec![(
        "RAMPART_DATABASE_URL".to_owned(),
        without_tls(database.app_url()),
    )];

    let output = run_rampart(&["serve"], &env);

    let message = stderr(&output);
    assert!(!output.status.success(), "serve started: {message}");
    assert!(message.contains("sslmode=disable"), "{message}");
    assert!(message.contains("database.allow_insecure"), "{message}");
    assert!(
        message.contains("RAMPART_DATABASE_ALLOW_INSECURE"),
        "{message}"
    );
    let password = url::Url::parse(database.app_url())
        .unwrap()
        .password()
        .unwrap()
        .to_owned();
    assert!(!message.contains(&password), "the error shows the password");
}

#[tokio::test(flavor = "multi_thread")]
async fn pending_migrations_refuse_to_start() {
    let database = Cluster::shared().fresh_database();

    let output = run_rampart(&["serve"], &database.server_env());

    let message = stderr(&output);
    assert!(!output.status.success(), "serve started: {message}");
    assert!(message.contains("rampart migrate"), "{message}");
    let tables = database.admin_sql("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'");
    assert_eq!(tables, "0", "serve created tables");
}

#[tokio::test(flavor = "multi_thread")]
async fn runtime_role_cannot_migrate() {
    let database = Cluster::shared().fresh_database();
    let env = vec![
        (
            "RAMPART_DATABASE_URL".to_owned(),
            database.app_url().to_owned(),
        ),
        (
            "RAMPART_DATABASE_MIGRATION_URL".to_owned(),
            database.app_url().to_owned(),
        ),
    ];

    let output = run_rampart(&["migrate"], &env);

    let message = stderr(&output);
    assert!(!output.status.success(), "migrate succeeded: {message}");
    assert!(message.contains("database.migration_url"), "{message}");
    assert!(message.contains("permission denied"), "{message}");
}

#[tokio::test(flavor = "multi_thread")]
async fn outage_answers_503_then_recovers() {
    if std::env::var("DATABASE_URL").is_ok_and(|url| !url.trim().is_empty()) {
        eprintln!("note: this test starts a cluster of its own, whatever DATABASE_URL says");
    }
    let cluster = Cluster::start_own();
    let database = cluster.fresh_database();
    let server = start_on_database(
        &database,
        &[("RAMPART_DATABASE_ACQUIRE_TIMEOUT_MS", "2000")],
    )
    .await;
    let client = server.client();
    server.register(&client, "alice", PASSWORD).await;

    cluster.stop();
    let started = Instant::now();
    let posts = client
        .get(server.url("/api/v1/posts"))
        .send()
        .await
        .unwrap();
    let waited = started.elapsed();
    let ready = client
        .get(server.url("/health/ready"))
        .send()
        .await
        .unwrap();
    let login = client
        .post(server.url("/api/v1/auth/login"))
        .json(&json!({"username": "alice", "password": PASSWORD}))
        .send()
        .await
        .unwrap();

    assert_eq!(posts.status(), 503);
    assert!(waited < Duration::from_secs(10), "waited {waited:?}");
    assert!(posts.headers().contains_key("retry-after"));
    assert_eq!(posts.headers()["content-type"], "application/problem+json");
    let body = posts.text().await.unwrap();
    let problem: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        problem["type"],
        "urn:rampart:problem:dependency-unavailable"
    );
    for internal in [
        "postgres",
        "Postgres",
        "connection",
        "127.0.0.1",
        database.name(),
    ] {
        assert!(
            !body.contains(internal),
            "the body names {internal}: {body}"
        );
    }
    assert_eq!(ready.status(), 503);
    assert_eq!(login.status(), 503);

    cluster.start();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let ready = client
            .get(server.url("/health/ready"))
            .send()
            .await
            .unwrap();
        if ready.status() == 200 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "not ready again: {}",
            ready.status()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let posts = client
        .get(server.url("/api/v1/posts"))
        .send()
        .await
        .unwrap();
    assert_eq!(posts.status(), 200);
    server.login(&client, "alice", PASSWORD).await;
}
