//! Contract cases of [`LoginAttemptStore`].
//!
//! Cases that test one of the three failure logs use a policy whose other limits are out of
//! reach, so that only the log under test can reject an attempt.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::Arc;

use rampart_domain::lockout::{LockoutPolicy, LoginGate};
use time::Duration;
use tokio::task::JoinSet;

use super::fixtures::T0;
use crate::stores::{LoginAttemptStore, LoginKey};

const PROCEED: LoginGate = LoginGate::Proceed {
    locks_on_failure: false,
};
const PROCEED_LOCKING: LoginGate = LoginGate::Proceed {
    locks_on_failure: true,
};

fn key(username: &str, client_ip: IpAddr) -> LoginKey {
    LoginKey {
        username: username.to_owned(),
        client_ip,
    }
}

fn ip(last: u8) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(192, 0, 2, last))
}

/// Returns the default policy with the IP limit and the username delay out of reach.
fn pair_only_policy() -> LockoutPolicy {
    LockoutPolicy {
        ip_limit: 10_000,
        delay_threshold: 10_000,
        ..LockoutPolicy::default()
    }
}

async fn admit_times<S>(store: &S, key: &LoginKey, policy: &LockoutPolicy, times: usize)
where
    S: LoginAttemptStore + ?Sized,
{
    for attempt in 1..=times {
        let gate = store.admit(key, policy, T0).await.unwrap();
        assert!(
            matches!(gate, LoginGate::Proceed { .. }),
            "attempt {attempt} of {key:?} was rejected: {gate:?}"
        );
    }
}

/// Admits five failures on a pair, the fifth locking, and rejects the sixth as locked.
pub async fn fifth_failure_locks_pair<S>(store: Arc<S>)
where
    S: LoginAttemptStore + ?Sized,
{
    let policy = pair_only_policy();
    let alice = key("alice", ip(1));

    let mut gates = Vec::new();
    for second in 0..6 {
        let now = T0 + Duration::seconds(second);
        gates.push(store.admit(&alice, &policy, now).await.unwrap());
    }

    assert_eq!(gates[..4], [PROCEED; 4]);
    assert_eq!(gates[4], PROCEED_LOCKING);
    assert_eq!(
        gates[5],
        LoginGate::Locked {
            retry_after: policy.lock_duration - Duration::seconds(1)
        }
    );
}

/// Lets exactly the pair limit of 100 concurrent attempts on one pair proceed.
pub async fn concurrent_admits_let_five_proceed<S>(store: Arc<S>)
where
    S: LoginAttemptStore + ?Sized + 'static,
{
    let policy = pair_only_policy();
    let alice = key("alice", IpAddr::V6(Ipv6Addr::LOCALHOST));

    let mut attempts = JoinSet::new();
    for _ in 0..100 {
        let store = store.clone();
        let alice = alice.clone();
        attempts.spawn(async move { store.admit(&alice, &policy, T0).await.unwrap() });
    }
    let gates = attempts.join_all().await;

    let proceeded = gates
        .iter()
        .filter(|gate| matches!(gate, LoginGate::Proceed { .. }))
        .count();
    assert!(
        proceeded <= policy.pair_limit,
        "{proceeded} attempts proceeded"
    );
    assert_eq!(
        proceeded, policy.pair_limit,
        "fewer attempts than the limit"
    );
    let locked = gates
        .iter()
        .filter(|gate| matches!(gate, LoginGate::Locked { .. }))
        .count();
    assert_eq!(
        locked,
        100 - policy.pair_limit,
        "rejections other than locks"
    );
}

/// Admits the pair again once the lock duration has passed.
pub async fn lock_expires_after_lock_duration<S>(store: Arc<S>)
where
    S: LoginAttemptStore + ?Sized,
{
    let policy = pair_only_policy();
    let alice = key("alice", ip(1));
    admit_times(&*store, &alice, &policy, policy.pair_limit).await;

    let still_locked = store
        .admit(
            &alice,
            &policy,
            T0 + policy.lock_duration - Duration::SECOND,
        )
        .await
        .unwrap();
    let after_lock = store
        .admit(&alice, &policy, T0 + policy.lock_duration)
        .await
        .unwrap();

    assert!(
        matches!(still_locked, LoginGate::Locked { .. }),
        "pair unlocked early: {still_locked:?}"
    );
    assert_eq!(after_lock, PROCEED);
}

/// Clears only the succeeding pair and leaves other IPs and usernames as they were.
pub async fn success_leaves_other_keys_untouched<S>(store: Arc<S>)
where
    S: LoginAttemptStore + ?Sized,
{
    let policy = pair_only_policy();
    let alice_home = key("alice", ip(1));
    let alice_elsewhere = key("alice", ip(2));
    let bob_home = key("bob", ip(1));
    let below_limit = policy.pair_limit - 1;
    for pair in [&alice_home, &alice_elsewhere, &bob_home] {
        admit_times(&*store, pair, &policy, below_limit).await;
    }

    store.succeed(&alice_home, &policy).await.unwrap();

    let elsewhere = store.admit(&alice_elsewhere, &policy, T0).await.unwrap();
    let bob = store.admit(&bob_home, &policy, T0).await.unwrap();
    assert_eq!(elsewhere, PROCEED_LOCKING, "alice's other IP was reset");
    assert_eq!(bob, PROCEED_LOCKING, "bob's pair was reset");
    admit_times(&*store, &alice_home, &policy, below_limit).await;
    let home = store.admit(&alice_home, &policy, T0).await.unwrap();
    assert_eq!(home, PROCEED_LOCKING, "succeeding pair was not reset");
}

/// Unlocks a username on every IP and leaves other usernames locked.
pub async fn clear_unlocks_username_from_every_ip<S>(store: Arc<S>)
where
    S: LoginAttemptStore + ?Sized,
{
    let policy = pair_only_policy();
    let alice_home = key("alice", ip(1));
    let alice_elsewhere = key("alice", ip(2));
    let bob_home = key("bob", ip(1));
    for pair in [&alice_home, &alice_elsewhere, &bob_home] {
        admit_times(&*store, pair, &policy, policy.pair_limit).await;
    }

    store.clear("alice").await.unwrap();

    let home = store.admit(&alice_home, &policy, T0).await.unwrap();
    let elsewhere = store.admit(&alice_elsewhere, &policy, T0).await.unwrap();
    let bob = store.admit(&bob_home, &policy, T0).await.unwrap();
    assert_eq!(home, PROCEED, "alice still locked at home");
    assert_eq!(elsewhere, PROCEED, "alice still locked elsewhere");
    assert!(
        matches!(bob, LoginGate::Locked { .. }),
        "bob was unlocked: {bob:?}"
    );
}

/// Throttles an IP after its failure limit, across usernames, and leaves other IPs alone.
pub async fn ip_limit_spans_usernames<S>(store: Arc<S>)
where
    S: LoginAttemptStore + ?Sized,
{
    let policy = LockoutPolicy::default();
    let attacker = ip(66);
    for n in 0..policy.ip_limit {
        let gate = store
            .admit(&key(&format!("victim{n}"), attacker), &policy, T0)
            .await
            .unwrap();
        assert!(matches!(gate, LoginGate::Proceed { .. }), "{gate:?}");
    }

    let next = store
        .admit(&key("another", attacker), &policy, T0)
        .await
        .unwrap();
    let other_ip = store
        .admit(&key("another", ip(67)), &policy, T0)
        .await
        .unwrap();

    assert_eq!(
        next,
        LoginGate::Throttled {
            retry_after: policy.ip_window
        }
    );
    assert_eq!(other_ip, PROCEED, "another IP was throttled");
}

/// Delays a username after its failure threshold, counting failures from every IP.
pub async fn username_delay_spans_ips<S>(store: Arc<S>)
where
    S: LoginAttemptStore + ?Sized,
{
    let policy = LockoutPolicy::default();
    let threshold = u8::try_from(policy.delay_threshold).unwrap();
    for last in 0..threshold {
        let gate = store
            .admit(&key("alice", ip(last)), &policy, T0)
            .await
            .unwrap();
        assert_eq!(gate, PROCEED, "attempt from IP {last}");
    }

    let too_soon = store
        .admit(&key("alice", ip(threshold)), &policy, T0)
        .await
        .unwrap();
    let other_user = store
        .admit(&key("bob", ip(threshold)), &policy, T0)
        .await
        .unwrap();

    assert_eq!(
        too_soon,
        LoginGate::Delayed {
            retry_after: policy.delays[0]
        }
    );
    assert_eq!(other_user, PROCEED, "another username was delayed");
}

/// Takes back one failure per release, so attempts whose password was never checked lock
/// nothing, however many there are.
pub async fn released_attempts_never_lock<S>(store: Arc<S>)
where
    S: LoginAttemptStore + ?Sized,
{
    let policy = LockoutPolicy::default();
    let alice = key("alice", ip(1));

    for second in 0..10 {
        let now = T0 + Duration::seconds(second);
        let gate = store.admit(&alice, &policy, now).await.unwrap();
        assert!(
            matches!(gate, LoginGate::Proceed { .. }),
            "attempt {second}: {gate:?}"
        );
        store.release(&alice, &policy).await.unwrap();
    }

    let next = store
        .admit(&alice, &policy, T0 + Duration::seconds(10))
        .await
        .unwrap();
    assert_eq!(next, PROCEED, "released attempts still counted");
}

/// Clears the lock that the released attempt set, and the pair then locks on its next fifth
/// failure only.
pub async fn release_clears_lock_it_set<S>(store: Arc<S>)
where
    S: LoginAttemptStore + ?Sized,
{
    let policy = pair_only_policy();
    let alice = key("alice", ip(1));
    admit_times(&*store, &alice, &policy, policy.pair_limit).await;

    store.release(&alice, &policy).await.unwrap();

    let fifth = store
        .admit(&alice, &policy, T0 + Duration::SECOND)
        .await
        .unwrap();
    let sixth = store
        .admit(&alice, &policy, T0 + Duration::seconds(2))
        .await
        .unwrap();
    assert_eq!(
        fifth, PROCEED_LOCKING,
        "lock not cleared, or too many taken back"
    );
    assert!(
        matches!(sixth, LoginGate::Locked { .. }),
        "pair did not lock again: {sixth:?}"
    );
}

/// Leaves a lock alone when the newest failure did not set it, and takes back one failure of
/// only the released key.
pub async fn release_keeps_other_locks_and_keys<S>(store: Arc<S>)
where
    S: LoginAttemptStore + ?Sized,
{
    let policy = pair_only_policy();
    let alice_home = key("alice", ip(1));
    let alice_elsewhere = key("alice", ip(2));
    admit_times(&*store, &alice_home, &policy, policy.pair_limit).await;
    admit_times(&*store, &alice_elsewhere, &policy, policy.pair_limit - 1).await;

    store.release(&alice_elsewhere, &policy).await.unwrap();

    let home = store
        .admit(&alice_home, &policy, T0 + Duration::SECOND)
        .await
        .unwrap();
    assert!(
        matches!(home, LoginGate::Locked { .. }),
        "another pair was unlocked: {home:?}"
    );
    for attempt in 0..2 {
        let gate = store.admit(&alice_elsewhere, &policy, T0).await.unwrap();
        let expected = if attempt == 0 {
            PROCEED
        } else {
            PROCEED_LOCKING
        };
        assert_eq!(gate, expected, "attempt {attempt} after the release");
    }
}
