//! Two or more `rampart serve` processes sharing one Redis: limits, lockouts and revocations
//! hold across instances, and concurrent requests cannot slip past them.

use std::net::Ipv4Addr;

use rampart_tests::redis::TestRedis;
use rampart_tests::{TestServer, text};
use serde_json::{Value, json};
use tokio::task::JoinSet;

const PASSWORD: &str = "Violet-Harbor-87";
const WRONG: &str = "Wrong-Guess-0001";

/// Argon2 settings that keep many concurrent logins fast, and a hashing queue long enough that
/// none of them gets 503 `busy`.
const FAST_HASHING: [(&str, &str); 3] = [
    ("RAMPART_PASSWORD_ARGON2_MEMORY_KIB", "1024"),
    ("RAMPART_PASSWORD_ARGON2_ITERATIONS", "1"),
    ("RAMPART_PASSWORD_HASH_QUEUE", "128"),
];

/// Returns the environment of a server on `redis`, plus `extra`.
fn redis_env<'a>(redis: &'a TestRedis, extra: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut env = redis.env();
    env.extend_from_slice(extra);
    env
}

/// Starts two servers on one Redis, one database and one key directory.
async fn two_instances(redis: &TestRedis, extra: &[(&str, &str)]) -> (TestServer, TestServer) {
    let first = TestServer::start(&redis_env(redis, extra)).await;
    let data_dir = first.data_dir().to_str().unwrap().to_owned();
    let mut env = redis_env(redis, extra);
    env.push(("RAMPART_DATA_DIR", data_dir.as_str()));
    let second = TestServer::start(&env).await;
    (first, second)
}

async fn login(
    server: &TestServer,
    client: &reqwest::Client,
    username: &str,
    password: &str,
) -> reqwest::Response {
    client
        .post(server.url("/api/v1/auth/login"))
        .json(&json!({"username": username, "password": password}))
        .send()
        .await
        .unwrap()
}

async fn problem_type(response: reqwest::Response) -> String {
    let body: Value = response.json().await.unwrap();
    body["type"].as_str().unwrap_or_default().to_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn ip_limit_spans_instances() {
    let redis = TestRedis::start();
    let (first, second) = two_instances(&redis, &[]).await;
    let client = first.client_from(Ipv4Addr::new(127, 0, 0, 20));

    let mut requests = JoinSet::new();
    for n in 0..150 {
        let server = if n % 2 == 0 { &first } else { &second };
        let url = server.url("/api/v1/categories");
        let client = client.clone();
        requests.spawn(async move { client.get(url).send().await.unwrap().status().as_u16() });
    }
    let statuses = requests.join_all().await;

    let passed = statuses.iter().filter(|s| **s == 200).count();
    let limited = statuses.iter().filter(|s| **s == 429).count();
    assert_eq!(passed, 100, "{statuses:?}");
    assert_eq!(limited, 50, "{statuses:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn lockout_holds_on_other_instance() {
    let redis = TestRedis::start();
    let (first, second) = two_instances(&redis, &[]).await;
    let client = first.client_from(Ipv4Addr::new(127, 0, 0, 21));
    first.register(&client, "alice", PASSWORD).await;

    for attempt in 1..=5 {
        let response = login(&first, &client, "alice", WRONG).await;
        assert_eq!(response.status(), 401, "attempt {attempt}");
    }
    let on_second = login(&second, &client, "alice", PASSWORD).await;

    assert_eq!(on_second.status(), 429);
    assert!(on_second.headers().contains_key("retry-after"));
    assert_eq!(
        problem_type(on_second).await,
        "urn:rampart:problem:account-locked"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn logout_revokes_on_other_instance() {
    let redis = TestRedis::start();
    let (first, second) = two_instances(&redis, &[]).await;
    let client = first.client_from(Ipv4Addr::new(127, 0, 0, 22));
    first.register(&client, "alice", PASSWORD).await;
    let access = text(
        &first.login(&client, "alice", PASSWORD).await,
        "access_token",
    );
    let before = client
        .get(second.url("/api/v1/users/me"))
        .bearer_auth(&access)
        .send()
        .await
        .unwrap();
    assert_eq!(
        before.status(),
        200,
        "the second instance rejects the token"
    );

    let logout = client
        .post(first.url("/api/v1/auth/logout"))
        .bearer_auth(&access)
        .send()
        .await
        .unwrap();
    let after = client
        .get(second.url("/api/v1/users/me"))
        .bearer_auth(&access)
        .send()
        .await
        .unwrap();

    assert_eq!(logout.status(), 204);
    assert_eq!(after.status(), 401);
    assert_eq!(
        problem_type(after).await,
        "urn:rampart:problem:token-revoked"
    );
}

/// Returns the username that `GET /api/v1/users/me` on `server` reports for `access`.
async fn my_username(server: &TestServer, client: &reqwest::Client, access: &str) -> String {
    let response = client
        .get(server.url("/api/v1/users/me"))
        .bearer_auth(access)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    body["username"].as_str().unwrap_or_default().to_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn profile_change_shows_on_other_instance() {
    let redis = TestRedis::start();
    let (first, second) = two_instances(&redis, &[]).await;
    let client = first.client_from(Ipv4Addr::new(127, 0, 0, 23));
    first.register(&client, "alice", PASSWORD).await;
    let access = text(
        &first.login(&client, "alice", PASSWORD).await,
        "access_token",
    );
    // Both instances now keep alice's record.
    for _ in 0..3 {
        assert_eq!(my_username(&first, &client, &access).await, "alice");
        assert_eq!(my_username(&second, &client, &access).await, "alice");
    }

    let renamed = client
        .patch(first.url("/api/v1/users/me"))
        .bearer_auth(&access)
        .json(&json!({"username": "alicia"}))
        .send()
        .await
        .unwrap();

    assert_eq!(renamed.status(), 200);
    assert_eq!(my_username(&second, &client, &access).await, "alicia");
    assert_eq!(my_username(&first, &client, &access).await, "alicia");
}

#[tokio::test(flavor = "multi_thread")]
async fn concurrent_guesses_reach_five_verifications() {
    let redis = TestRedis::start();
    let server = TestServer::start(&redis_env(&redis, &FAST_HASHING)).await;
    server
        .register(
            &server.client_from(Ipv4Addr::new(127, 0, 0, 23)),
            "alice",
            PASSWORD,
        )
        .await;
    let attacker = server.client_from(Ipv4Addr::new(127, 0, 0, 24));

    let mut attempts = JoinSet::new();
    for _ in 0..100 {
        let client = attacker.clone();
        let url = server.url("/api/v1/auth/login");
        attempts.spawn(async move {
            client
                .post(url)
                .json(&json!({"username": "alice", "password": WRONG}))
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        });
    }
    let statuses = attempts.join_all().await;

    let verified = statuses.iter().filter(|s| **s == 401).count();
    let limited = statuses.iter().filter(|s| **s == 429).count();
    assert!(verified <= 5, "{verified} attempts reached verification");
    assert_eq!(verified + limited, 100, "{statuses:?}");
    let log = server.wait_for_security_log("failed_login").await;
    let failures = log.lines().filter(|l| l.contains("failed_login")).count();
    assert_eq!(failures, verified, "failed_login events and 401s differ");
    assert!(failures <= 5, "{failures} failed_login events");
}

#[tokio::test(flavor = "multi_thread")]
async fn distributed_guesses_delay_but_never_lock() {
    let redis = TestRedis::start();
    let server = TestServer::start(&redis_env(&redis, &FAST_HASHING)).await;
    server
        .register(
            &server.client_from(Ipv4Addr::new(127, 0, 0, 1)),
            "alice",
            PASSWORD,
        )
        .await;

    let mut attempts = JoinSet::new();
    for last in 2..42u8 {
        let client = server.client_from(Ipv4Addr::new(127, 0, 0, last));
        let url = server.url("/api/v1/auth/login");
        attempts.spawn(async move {
            let response = client
                .post(url)
                .json(&json!({"username": "alice", "password": WRONG}))
                .send()
                .await
                .unwrap();
            let status = response.status().as_u16();
            let retry_after = response.headers().contains_key("retry-after");
            (status, retry_after, problem_type(response).await)
        });
    }
    let outcomes = attempts.join_all().await;

    let delayed: Vec<_> = outcomes.iter().filter(|(s, _, _)| *s == 429).collect();
    assert!(!delayed.is_empty(), "no attempt was delayed: {outcomes:?}");
    for (_, retry_after, kind) in &delayed {
        assert!(retry_after, "a 429 without Retry-After");
        assert_eq!(kind, "urn:rampart:problem:rate-limited");
    }
    let fresh = server.client_from(Ipv4Addr::new(127, 0, 0, 99));
    let mut last_status = 0;
    for _ in 0..20 {
        let response = login(&server, &fresh, "alice", PASSWORD).await;
        last_status = response.status().as_u16();
        if last_status != 429 {
            break;
        }
        let wait: u64 = response.headers()["retry-after"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!(wait <= 10, "Retry-After {wait} exceeds the longest delay");
        assert_eq!(
            problem_type(response).await,
            "urn:rampart:problem:rate-limited"
        );
        tokio::time::sleep(std::time::Duration::from_secs(wait)).await;
    }
    assert_eq!(
        last_status, 200,
        "the correct login from a fresh address failed"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn concurrent_refreshes_have_one_winner() {
    let redis = TestRedis::start();
    let server = TestServer::start(&redis_env(&redis, &[])).await;
    let client = server.client_from(Ipv4Addr::new(127, 0, 0, 25));
    server.register(&client, "alice", PASSWORD).await;
    let refresh = text(
        &server.login(&client, "alice", PASSWORD).await,
        "refresh_token",
    );

    let mut refreshes = JoinSet::new();
    for _ in 0..2 {
        let client = client.clone();
        let url = server.url("/api/v1/auth/refresh");
        let body = json!({"refresh_token": refresh});
        refreshes.spawn(async move {
            let response = client.post(url).json(&body).send().await.unwrap();
            response.status().as_u16()
        });
    }
    let mut statuses = refreshes.join_all().await;
    statuses.sort_unstable();

    assert_eq!(statuses, [200, 401]);
}
