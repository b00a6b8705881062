//! Redis stopped and started again under a running service: revocation and lockout checks
//! fail closed with 503, request throttles fall back to in-process limits, readiness reports
//! the outage, and the service recovers without a restart.

use std::net::Ipv4Addr;
use std::time::{Duration, Instant};

use rampart_tests::redis::TestRedis;
use rampart_tests::{TestServer, text};
use serde_json::{Value, json};

const PASSWORD: &str = "Violet-Harbor-87";

/// Sends one request and returns its status, `Retry-After` and problem type.
async fn outcome(request: reqwest::RequestBuilder) -> (u16, Option<String>, String) {
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let retry_after = response
        .headers()
        .get("retry-after")
        .map(|value| value.to_str().unwrap().to_owned());
    let body: Value = response.json().await.unwrap_or(Value::Null);
    let kind = body["type"].as_str().unwrap_or_default().to_owned();
    (status, retry_after, kind)
}

async fn wait_until_ready(server: &TestServer, client: &reqwest::Client) -> Duration {
    let started = Instant::now();
    loop {
        let status = client
            .get(server.url("/health/ready"))
            .send()
            .await
            .unwrap()
            .status();
        if status == 200 {
            return started.elapsed();
        }
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "not ready 15 s after Redis returned"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn outage_fails_closed_then_recovers() {
    let mut redis = TestRedis::start_own();
    let mut env = redis.env();
    env.push(("RAMPART_REDIS_TIMEOUT_MS", "200"));
    let server = TestServer::start(&env).await;
    let client = server.client_from(Ipv4Addr::new(127, 0, 0, 30));
    server.register(&client, "alice", PASSWORD).await;
    let access = text(
        &server.login(&client, "alice", PASSWORD).await,
        "access_token",
    );
    let mut statuses = Vec::new();

    redis.stop();

    let ready = outcome(client.get(server.url("/health/ready"))).await;
    let anonymous = outcome(client.get(server.url("/api/v1/categories"))).await;
    let me = outcome(
        client
            .get(server.url("/api/v1/users/me"))
            .bearer_auth(&access),
    )
    .await;
    let login = outcome(
        client
            .post(server.url("/api/v1/auth/login"))
            .json(&json!({"username": "alice", "password": PASSWORD})),
    )
    .await;
    let logout = outcome(
        client
            .post(server.url("/api/v1/auth/logout"))
            .bearer_auth(&access),
    )
    .await;
    let later_anonymous = outcome(client.get(server.url("/api/v1/posts"))).await;
    for (status, _, _) in [&ready, &anonymous, &me, &login, &logout, &later_anonymous] {
        statuses.push(*status);
    }

    assert_eq!(ready.0, 503, "readiness during the outage");
    assert_eq!(anonymous.0, 200, "anonymous request during the outage");
    assert_eq!(
        later_anonymous.0, 200,
        "second anonymous request during the outage"
    );
    for (name, (status, retry_after, kind)) in [("me", &me), ("login", &login), ("logout", &logout)]
    {
        assert_eq!(*status, 503, "{name} during the outage");
        assert!(retry_after.is_some(), "{name} 503 without Retry-After");
        assert_eq!(kind, "urn:rampart:problem:dependency-unavailable", "{name}");
    }
    let app_log = server.settled_app_log().await;
    let fallbacks = app_log
        .lines()
        .filter(|l| l.contains("using in-process limits"))
        .count();
    assert_eq!(fallbacks, 1, "fallback logged {fallbacks} times");

    redis.restart();
    let took = wait_until_ready(&server, &client).await;

    let me_again = outcome(
        client
            .get(server.url("/api/v1/users/me"))
            .bearer_auth(&access),
    )
    .await;
    let login_again = outcome(
        client
            .post(server.url("/api/v1/auth/login"))
            .json(&json!({"username": "alice", "password": PASSWORD})),
    )
    .await;
    let logout_again = outcome(
        client
            .post(server.url("/api/v1/auth/logout"))
            .bearer_auth(&access),
    )
    .await;
    let revoked = outcome(
        client
            .get(server.url("/api/v1/users/me"))
            .bearer_auth(&access),
    )
    .await;
    for (status, _, _) in [&me_again, &login_again, &logout_again, &revoked] {
        statuses.push(*status);
    }

    assert!(took < Duration::from_secs(15));
    assert_eq!(me_again.0, 200, "authenticated request after recovery");
    assert_eq!(login_again.0, 200, "login after recovery");
    assert_eq!(logout_again.0, 204, "logout after recovery");
    assert_eq!(revoked.0, 401, "revoked token after recovery");
    assert!(!statuses.contains(&500), "a 500 in {statuses:?}");
    let app_log = server.settled_app_log().await;
    let password = redis
        .url()
        .split('@')
        .next()
        .unwrap()
        .rsplit(':')
        .next()
        .unwrap();
    assert!(
        !app_log.contains(password),
        "the app log holds the Redis password"
    );
}
