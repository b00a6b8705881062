//! Contract cases of [`RateLimitStore`].

use std::sync::Arc;

use rampart_domain::throttle::RateLimit;
use time::Duration;
use tokio::task::JoinSet;

use super::fixtures::T0;
use crate::stores::{RateCheck, RateLimitStore};

fn check(key: &str, limit: u32, window: Duration) -> RateCheck {
    RateCheck {
        key: key.to_owned(),
        limit: RateLimit { limit, window },
    }
}

/// Lets requests through up to the limit and rejects the next with a retry time.
pub async fn requests_up_to_limit_pass<S>(store: Arc<S>)
where
    S: RateLimitStore + ?Sized,
{
    let checks = [check("ip:192.0.2.1", 3, Duration::minutes(1))];

    let mut remaining = Vec::new();
    for second in 0..3 {
        let decisions = store
            .admit(&checks, T0 + Duration::seconds(second))
            .await
            .unwrap();
        assert_eq!(decisions.len(), 1, "one decision per check");
        assert!(decisions[0].allowed, "request {second} was rejected");
        remaining.push(decisions[0].remaining);
    }
    let rejected = store
        .admit(&checks, T0 + Duration::seconds(20))
        .await
        .unwrap();

    assert_eq!(remaining, [2, 1, 0]);
    assert!(!rejected[0].allowed, "request over the limit passed");
    assert_eq!(rejected[0].retry_after, Some(Duration::seconds(40)));
}

/// Lets exactly the limit of 200 concurrent requests on one key pass.
pub async fn concurrent_admits_pass_exactly_limit<S>(store: Arc<S>)
where
    S: RateLimitStore + ?Sized + 'static,
{
    let limit = 100;

    let mut requests = JoinSet::new();
    for _ in 0..200 {
        let store = store.clone();
        requests.spawn(async move {
            let checks = [check("ip:198.51.100.7", limit, Duration::minutes(1))];
            store.admit(&checks, T0).await.unwrap()
        });
    }
    let outcomes = requests.join_all().await;

    let passed = outcomes
        .iter()
        .filter(|decisions| decisions[0].allowed)
        .count();
    assert_eq!(passed, 100);
}

/// Records a request under no key when one of its checks rejects it.
pub async fn rejected_check_records_no_key<S>(store: Arc<S>)
where
    S: RateLimitStore + ?Sized,
{
    let wide = check("ip:192.0.2.1", 5, Duration::hours(1));
    let narrow = check("register:192.0.2.1", 1, Duration::hours(1));
    let both = [wide.clone(), narrow];
    store.admit(&both, T0).await.unwrap();

    let rejected = store.admit(&both, T0).await.unwrap();
    let wide_only = store.admit(&[wide], T0).await.unwrap();

    assert!(rejected[0].allowed, "the wide check alone would pass");
    assert!(!rejected[1].allowed, "the narrow check passed twice");
    assert_eq!(
        wide_only[0].remaining, 3,
        "the rejected request was counted under the wide key"
    );
}

/// Returns one decision per check, in the order of the checks.
pub async fn decisions_follow_check_order<S>(store: Arc<S>)
where
    S: RateLimitStore + ?Sized,
{
    let checks = [
        check("a", 7, Duration::minutes(1)),
        check("b", 3, Duration::minutes(1)),
        check("c", 5, Duration::minutes(1)),
    ];

    let decisions = store.admit(&checks, T0).await.unwrap();

    let limits: Vec<u32> = decisions.iter().map(|d| d.limit).collect();
    assert_eq!(limits, [7, 3, 5]);
    assert!(store.admit(&[], T0).await.unwrap().is_empty());
}

/// Keeps a separate log per key, so an exhausted key leaves others open.
pub async fn keys_are_counted_separately<S>(store: Arc<S>)
where
    S: RateLimitStore + ?Sized,
{
    let first = [check("ip:192.0.2.1", 1, Duration::minutes(1))];
    let second = [check("ip:192.0.2.2", 1, Duration::minutes(1))];
    store.admit(&first, T0).await.unwrap();

    let exhausted = store.admit(&first, T0).await.unwrap();
    let other = store.admit(&second, T0).await.unwrap();

    assert!(!exhausted[0].allowed, "exhausted key passed");
    assert!(other[0].allowed, "another key was counted with the first");
}

/// Forgets a key's requests once its window has passed.
pub async fn key_expires_after_window<S>(store: Arc<S>)
where
    S: RateLimitStore + ?Sized,
{
    let window = Duration::minutes(1);
    let checks = [check("ip:192.0.2.1", 2, window)];
    store.admit(&checks, T0).await.unwrap();
    store.admit(&checks, T0).await.unwrap();

    let inside = store
        .admit(&checks, T0 + window - Duration::SECOND)
        .await
        .unwrap();
    let after = store.admit(&checks, T0 + window).await.unwrap();

    assert!(!inside[0].allowed, "request inside the window passed");
    assert!(after[0].allowed, "request after the window was rejected");
    assert_eq!(after[0].remaining, 1, "old requests still counted");
}
