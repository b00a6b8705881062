//! Connecting to a real `redis-server`: TLS set-up, a wrong password, and an outage with
//! recovery, all seen through `RedisStores::ping`.

#![cfg(test)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use rampart_ports::{Clock, StoreError};
use rampart_redis::{RedisSettings, RedisStores};
use rampart_tests::redis::TestRedis;
use time::OffsetDateTime;

struct SystemClock;

impl Clock for SystemClock {
    #[allow(
        clippy::disallowed_methods,
        reason = "the stores read this clock only for TTLs"
    )]
    fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc()
    }
}

fn stores(url: &str) -> RedisStores {
    let mut settings = RedisSettings::new(url);
    settings.timeout = Duration::from_millis(200);
    RedisStores::connect(&settings, Arc::new(SystemClock)).unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn tls_to_plain_server_fails_cleanly() {
    let redis = TestRedis::start_own();
    let tls_url = redis.url().replacen("redis://", "rediss://", 1);

    let result = stores(&tls_url).ping().await;

    assert!(
        matches!(result, Err(StoreError::Unavailable(_))),
        "{result:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn wrong_password_is_unavailable() {
    let redis = TestRedis::start_own();
    let (credentials, address) = redis.url().split_once('@').unwrap();
    let wrong = format!("{credentials}x@{address}");

    let result = stores(&wrong).ping().await;

    assert!(
        matches!(result, Err(StoreError::Unavailable(_))),
        "{result:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn stores_recover_after_restart() {
    let mut redis = TestRedis::start_own();
    let stores = stores(redis.url());
    stores.ping().await.unwrap();

    redis.stop();
    let down = stores.ping().await;
    let started = Instant::now();
    let during = stores.ping().await;
    let during_took = started.elapsed();
    redis.restart();
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut recovered = false;
    while Instant::now() < deadline {
        if stores.ping().await.is_ok() {
            recovered = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    assert!(matches!(down, Err(StoreError::Unavailable(_))), "{down:?}");
    assert!(
        matches!(during, Err(StoreError::Unavailable(_))),
        "{during:?}"
    );
    assert!(
        during_took < Duration::from_millis(50),
        "a call during the outage took {during_took:?}"
    );
    assert!(recovered, "the stores did not recover within 10 s");
}
