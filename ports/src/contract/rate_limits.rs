//! Contract cases of [`RateLimitStore`].

use std::sync::Arc;

use rampart_domain::throttle::RateLimit;
use rampart_domain::token::{AccessClaims, FamilyId, TokenId};
use rampart_domain::user::{Role, UserId};
use time::Duration;
use tokio::task::JoinSet;

use super::fixtures::{T0, family_id, token, user_id};
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

/// Takes back both records of a key that two checks of a rejected request share, also when
/// the key's requests have joined one slot.
pub async fn repeated_key_rolls_back_together<S>(store: Arc<S>)
where
    S: RateLimitStore + ?Sized,
{
    let shared = check("user:7", 100, Duration::minutes(1));
    let closed = check("closed", 0, Duration::minutes(1));
    // 64 requests fill the exact slots, so the next ones join the newest slot.
    for ms in 0..64 {
        store
            .admit(
                std::slice::from_ref(&shared),
                T0 + Duration::milliseconds(ms),
            )
            .await
            .unwrap();
    }
    let now = T0 + Duration::milliseconds(100);

    let rejected = store
        .admit(&[shared.clone(), shared.clone(), closed], now)
        .await
        .unwrap();
    let after = store.admit(&[shared], now).await.unwrap();

    assert!(
        rejected[0].allowed && rejected[1].allowed,
        "shared key rejected"
    );
    assert!(!rejected[2].allowed, "closed check passed");
    assert_eq!(
        after[0].remaining, 35,
        "rejected request left records behind"
    );
}

/// Counts a request that joined a slot until the slot's newest request leaves the window, as
/// the domain's `SlidingLog` does.
pub async fn joined_slot_leaves_with_newest_request<S>(store: Arc<S>)
where
    S: RateLimitStore + ?Sized,
{
    let checks = [check("ip:192.0.2.9", 67, Duration::minutes(1))];
    // 64 exact slots in the first 64 ms, then three requests that join the newest slot, since
    // a minute's slots span 937.5 ms.
    for ms in (0..64).chain([400, 600, 900]) {
        store
            .admit(&checks, T0 + Duration::milliseconds(ms))
            .await
            .unwrap();
    }

    let before = store
        .admit(&checks, T0 + Duration::milliseconds(60_500))
        .await
        .unwrap();
    let after = store
        .admit(&checks, T0 + Duration::milliseconds(60_900))
        .await
        .unwrap();

    assert!(before[0].allowed, "exact slots did not leave on time");
    assert_eq!(
        before[0].remaining, 62,
        "joined slot left before its newest request"
    );
    assert!(
        after[0].allowed,
        "joined slot kept after its newest request left"
    );
    assert_eq!(after[0].remaining, 65);
}

/// Reports the reset time of whichever slot is oldest after others leave, down to a log of one
/// slot and an emptied log.
pub async fn reset_follows_oldest_slot<S>(store: Arc<S>)
where
    S: RateLimitStore + ?Sized,
{
    let checks = [check("ip:192.0.2.20", 3, Duration::minutes(1))];
    // Request time in seconds after T0, then the expected remaining and reset after (seconds).
    let steps = [
        (0, 2, 60),
        (10, 1, 50),
        (20, 0, 40),
        // The request at 0 s leaves, and the one at 10 s is the oldest.
        (65, 0, 5),
        // Those at 10 s and 20 s leave, so one slot is left before this request.
        (85, 1, 40),
        // The request at 65 s leaves, and one slot is left again.
        (130, 1, 15),
        // Every request left, so the log starts afresh.
        (200, 2, 60),
    ];

    for (at, remaining, reset) in steps {
        let decisions = store
            .admit(&checks, T0 + Duration::seconds(at))
            .await
            .unwrap();
        assert!(decisions[0].allowed, "request at {at} s rejected");
        assert_eq!(
            decisions[0].remaining, remaining,
            "remaining after the request at {at} s"
        );
        assert_eq!(
            decisions[0].reset_after,
            Duration::seconds(reset),
            "reset after the request at {at} s"
        );
    }
}

/// Takes back a request that started the 64th slot and one that joined it in the same call, so
/// the next request starts that slot again.
pub async fn slot_start_at_64th_rolls_back<S>(store: Arc<S>)
where
    S: RateLimitStore + ?Sized,
{
    let shared = check("user:8", 100, Duration::minutes(1));
    let closed = check("closed", 0, Duration::minutes(1));
    let admit_at = |ms: i64| {
        let checks = std::slice::from_ref(&shared);
        let store = &store;
        async move {
            let decisions = store
                .admit(checks, T0 + Duration::milliseconds(ms))
                .await
                .unwrap();
            assert!(decisions[0].allowed, "request at {ms} ms rejected");
            decisions[0]
        }
    };
    for ms in 0..63 {
        admit_at(ms).await;
    }

    let rejected = store
        .admit(
            &[shared.clone(), shared.clone(), closed],
            T0 + Duration::milliseconds(100),
        )
        .await
        .unwrap();
    // Slot 64 starts at 100 ms. Slot 65 starts at 1100 ms, since a minute's slots span
    // 937.5 ms, and the request at 1500 ms joins it.
    let started = admit_at(100).await;
    let next = admit_at(1_100).await;
    let joined = admit_at(1_500).await;
    // The 63 exact slots and slot 64 leave, and slot 65 contains two requests.
    let slot_64_left = admit_at(60_100).await;
    let slot_65_left = admit_at(61_500).await;

    assert!(
        rejected[0].allowed,
        "first check of the shared key rejected"
    );
    assert!(
        rejected[1].allowed,
        "second check of the shared key rejected"
    );
    assert!(!rejected[2].allowed, "closed check passed");
    assert_eq!(
        started.remaining, 36,
        "rejected request left records behind"
    );
    assert_eq!(next.remaining, 35);
    assert_eq!(joined.remaining, 34);
    assert_eq!(slot_64_left.remaining, 97, "slot 65 counted wrongly");
    assert_eq!(slot_64_left.reset_after, Duration::milliseconds(1_400));
    assert_eq!(slot_65_left.remaining, 98, "slot 65 left with wrong count");
    assert_eq!(slot_65_left.reset_after, Duration::milliseconds(58_600));
}

/// Takes back a request that started a slot after the 64th, so that a request from a clock a
/// little behind still joins the slot before it.
pub async fn rolled_back_slot_start_restores_tail<S>(store: Arc<S>)
where
    S: RateLimitStore + ?Sized,
{
    let shared = check("user:9", 100, Duration::minutes(1));
    let closed = check("closed", 0, Duration::minutes(1));
    for ms in 0..64 {
        store
            .admit(
                std::slice::from_ref(&shared),
                T0 + Duration::milliseconds(ms),
            )
            .await
            .unwrap();
    }
    let admit_at = |ms: i64| {
        store.admit(
            std::slice::from_ref(&shared),
            T0 + Duration::milliseconds(ms),
        )
    };

    // Slot 64 started at 63 ms, so a request at 1100 ms starts slot 65.
    let rejected = store
        .admit(
            &[shared.clone(), closed],
            T0 + Duration::milliseconds(1_100),
        )
        .await
        .unwrap();
    // A minute's slots span 937.5 ms: 1000 ms joins slot 64 and 1050 ms starts slot 65.
    let joined = admit_at(1_000).await.unwrap();
    let started = admit_at(1_050).await.unwrap();
    // The exact slots and slot 64, whose newest request is at 1000 ms, leave.
    let later = admit_at(61_000).await.unwrap();

    assert!(rejected[0].allowed, "shared key rejected");
    assert!(!rejected[1].allowed, "closed check passed");
    assert_eq!(
        joined[0].remaining, 35,
        "rejected request left records behind"
    );
    assert_eq!(started[0].remaining, 34);
    assert_eq!(later[0].remaining, 98, "slot 64 kept or slot 65 lost");
    assert_eq!(later[0].reset_after, Duration::milliseconds(50));
}

/// Keeps counting a busy key's requests of the last window only, under a limit far above them.
pub async fn busy_key_counts_last_window<S>(store: Arc<S>)
where
    S: RateLimitStore + ?Sized,
{
    let limit = 1_000_000_000;
    let checks = [check("ip:192.0.2.10", limit, Duration::seconds(64))];
    let mut last = None;
    // 10 requests a second for 200 seconds; a 64 s window has slots of 1 s.
    for n in 0..2_000 {
        let decisions = store
            .admit(&checks, T0 + Duration::milliseconds(100 * n))
            .await
            .unwrap();
        assert!(decisions[0].allowed, "request {n} rejected");
        last = Some(decisions[0]);
    }

    let counted = limit - last.unwrap().remaining;
    // The last 64 s hold 640 requests; the oldest slot may hold on to one more second of them.
    assert!((640..=650).contains(&counted), "{counted} requests counted");
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

/// Returns claims of a token of `user` with these ids, issued at [`T0`].
fn claims_of(user: UserId, token: TokenId, family: FamilyId) -> AccessClaims {
    AccessClaims::new(user, Role::Member, token, family, T0)
}

/// Reports in [`RateLimitStore::admit_with_status`] what
/// [`RevocationStore::is_revoked`](crate::RevocationStore::is_revoked) reports, for a store that
/// keeps both and reads both in one call.
pub async fn admission_reports_revocations<S>(store: Arc<S>)
where
    S: RateLimitStore + crate::RevocationStore + crate::UserStampStore + ?Sized,
{
    let checks = [check("user:1", 10, Duration::minutes(1))];
    let user = user_id();
    let revoked_token = token();
    let revoked_family = family_id();
    let (other_token, other_family) = (token(), family_id());
    let until = T0 + Duration::minutes(15);
    store.revoke_token(revoked_token, until).await.unwrap();
    store
        .revoke_families(&[revoked_family], until)
        .await
        .unwrap();

    let cases = [
        ("fresh token", other_token, other_family, T0, false),
        ("revoked token", revoked_token, other_family, T0, true),
        (
            "token of revoked family",
            other_token,
            revoked_family,
            T0,
            true,
        ),
        (
            "token after its revocation ended",
            revoked_token,
            other_family,
            until + Duration::SECOND,
            false,
        ),
    ];
    for (case, token, family, now, expected) in cases {
        let claims = claims_of(user, token, family);
        let (decisions, status) = store
            .admit_with_status(&checks, &claims, now)
            .await
            .unwrap();
        let direct = store.is_revoked(token, family, now).await.unwrap();
        assert_eq!(decisions.len(), 1, "{case}: one decision per check");
        assert!(decisions[0].allowed, "{case}: request rejected");
        let status = status.unwrap_or_else(|| panic!("{case}: no status"));
        assert_eq!(status.revoked, expected, "{case}: revocation status");
        assert_eq!(direct, expected, "{case}: is_revoked disagrees");
    }
}

/// Counts requests in [`RateLimitStore::admit_with_status`] as [`RateLimitStore::admit`] does,
/// and still reports the status of a rejected one.
pub async fn admission_counts_like_admit<S>(store: Arc<S>)
where
    S: RateLimitStore + crate::RevocationStore + crate::UserStampStore + ?Sized,
{
    let checks = [check("user:2", 2, Duration::minutes(1))];
    let claims = claims_of(user_id(), token(), family_id());
    store
        .revoke_token(claims.token_id, T0 + Duration::minutes(15))
        .await
        .unwrap();

    let first = store.admit(&checks, T0).await.unwrap();
    let (second, _) = store.admit_with_status(&checks, &claims, T0).await.unwrap();
    let (third, status) = store.admit_with_status(&checks, &claims, T0).await.unwrap();

    assert!(first[0].allowed, "first request rejected");
    assert!(second[0].allowed, "second request rejected");
    assert_eq!(second[0].remaining, 0);
    assert!(!third[0].allowed, "request over the limit passed");
    assert_eq!(
        status.map(|status| status.revoked),
        Some(true),
        "rejected request lost its revocation status"
    );
}

/// Reports the user's stamp in [`RateLimitStore::admit_with_status`].
///
/// The stamp must equal what [`UserStampStore::current`](crate::UserStampStore::current)
/// returns, and change after [`UserStampStore::renew`](crate::UserStampStore::renew).
pub async fn admission_reports_user_stamp<S>(store: Arc<S>)
where
    S: RateLimitStore + crate::RevocationStore + crate::UserStampStore + ?Sized,
{
    let checks = [check("user:3", 10, Duration::minutes(1))];
    let claims = claims_of(user_id(), token(), family_id());
    let other = claims_of(user_id(), token(), family_id());

    let (_, first) = store.admit_with_status(&checks, &claims, T0).await.unwrap();
    let direct = store.current(claims.user_id, T0).await.unwrap();
    let (_, again) = store.admit_with_status(&checks, &claims, T0).await.unwrap();
    let (_, other_user) = store.admit_with_status(&checks, &other, T0).await.unwrap();
    store.renew(claims.user_id).await.unwrap();
    let (_, renewed) = store.admit_with_status(&checks, &claims, T0).await.unwrap();

    let stamp = |status: Option<crate::TokenStatus>| status.expect("no status").user_stamp;
    assert_eq!(stamp(first), direct, "admission and current() disagree");
    assert_eq!(stamp(again), direct, "stamp changed without a renewal");
    assert_ne!(stamp(other_user), direct, "two users share a stamp");
    assert_ne!(stamp(renewed), direct, "stamp kept after renewal");
    assert_eq!(
        store.current(claims.user_id, T0).await.unwrap(),
        stamp(renewed),
        "current() disagrees after renewal"
    );
}
