//! Contract cases of [`IpBlockStore`].

use std::net::IpAddr;
use std::sync::Arc;

use rampart_domain::network::Cidr;
use time::Duration;

use super::fixtures::T0;
use crate::blocks::{IpBlock, IpBlockStore};

fn block(range: &str, minutes: i64, reason: &str) -> IpBlock {
    IpBlock {
        range: range.parse().unwrap(),
        until: T0 + Duration::minutes(minutes),
        reason: reason.to_owned(),
    }
}

fn ip(text: &str) -> IpAddr {
    text.parse().unwrap()
}

/// Finds a blocked address until `until`, with its reason, and not from `until` on.
pub async fn blocked_address_is_found_until_expiry<S>(store: Arc<S>)
where
    S: IpBlockStore + ?Sized,
{
    let scanner = block("203.0.113.9", 10, "port scan");
    store.block(&scanner).await.unwrap();

    let during = store.find(ip("203.0.113.9"), T0).await.unwrap();
    let last_moment = store
        .find(ip("203.0.113.9"), scanner.until - Duration::SECOND)
        .await
        .unwrap();
    let at_until = store.find(ip("203.0.113.9"), scanner.until).await.unwrap();
    let neighbour = store.find(ip("203.0.113.10"), T0).await.unwrap();

    assert_eq!(during, Some(scanner.clone()));
    assert_eq!(last_moment, Some(scanner));
    assert_eq!(at_until, None, "block applied at its until");
    assert_eq!(neighbour, None, "a neighbouring address was blocked");
}

/// Finds every address of a blocked range, IPv4-mapped IPv6 forms included.
pub async fn range_covers_its_addresses<S>(store: Arc<S>)
where
    S: IpBlockStore + ?Sized,
{
    store
        .block(&block("198.51.100.0/24", 10, "abuse"))
        .await
        .unwrap();
    store
        .block(&block("2001:db8::/32", 10, "abuse"))
        .await
        .unwrap();

    for inside in ["198.51.100.0", "198.51.100.255", "::ffff:198.51.100.7"] {
        let found = store.find(ip(inside), T0).await.unwrap();
        assert!(found.is_some(), "{inside} is not blocked");
    }
    let v6 = store.find(ip("2001:db8:ffff::1"), T0).await.unwrap();
    assert!(v6.is_some(), "an address of the IPv6 range is not blocked");
    for outside in ["198.51.101.0", "2001:db9::1", "10.0.0.1"] {
        let found = store.find(ip(outside), T0).await.unwrap();
        assert_eq!(found, None, "{outside} is blocked");
    }
}

/// Returns the narrowest covering block when ranges overlap.
pub async fn narrowest_block_wins<S>(store: Arc<S>)
where
    S: IpBlockStore + ?Sized,
{
    store.block(&block("10.0.0.0/8", 60, "wide")).await.unwrap();
    store
        .block(&block("10.1.0.0/16", 30, "narrow"))
        .await
        .unwrap();

    let inside_both = store.find(ip("10.1.2.3"), T0).await.unwrap().unwrap();
    let wide_only = store.find(ip("10.2.0.1"), T0).await.unwrap().unwrap();
    let after_narrow = store
        .find(ip("10.1.2.3"), T0 + Duration::minutes(45))
        .await
        .unwrap()
        .unwrap();

    assert_eq!(inside_both.reason, "narrow");
    assert_eq!(wide_only.reason, "wide");
    assert_eq!(after_narrow.reason, "wide", "expired narrow block applied");
}

/// Replaces the block of the same canonical range, also with an earlier `until`.
pub async fn block_replaces_same_range<S>(store: Arc<S>)
where
    S: IpBlockStore + ?Sized,
{
    store
        .block(&block("10.9.9.9/8", 60, "first"))
        .await
        .unwrap();

    store
        .block(&block("10.0.0.0/8", 5, "second"))
        .await
        .unwrap();

    let listed = store.list(T0).await.unwrap();
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(listed[0].reason, "second");
    let later = store
        .find(ip("10.0.0.1"), T0 + Duration::minutes(10))
        .await
        .unwrap();
    assert_eq!(later, None, "the replaced block's until still applies");
}

/// Removes a block, reports whether one applied, and leaves other blocks alone.
pub async fn unblock_removes_only_that_range<S>(store: Arc<S>)
where
    S: IpBlockStore + ?Sized,
{
    store.block(&block("192.0.2.1", 10, "one")).await.unwrap();
    store.block(&block("192.0.2.2", 10, "two")).await.unwrap();
    let range: Cidr = "192.0.2.1".parse().unwrap();

    let removed = store.unblock(&range, T0).await.unwrap();
    let again = store.unblock(&range, T0).await.unwrap();

    assert!(removed, "unblock of a block in force returned false");
    assert!(!again, "second unblock returned true");
    assert_eq!(store.find(ip("192.0.2.1"), T0).await.unwrap(), None);
    assert!(store.find(ip("192.0.2.2"), T0).await.unwrap().is_some());
}

/// Lists only the blocks in force, ordered by canonical range.
pub async fn list_skips_expired_blocks<S>(store: Arc<S>)
where
    S: IpBlockStore + ?Sized,
{
    store.block(&block("192.0.2.9", 60, "later")).await.unwrap();
    store
        .block(&block("192.0.2.1", 60, "earlier"))
        .await
        .unwrap();
    store
        .block(&block("198.51.100.1", 1, "short"))
        .await
        .unwrap();

    let now = T0 + Duration::minutes(2);
    let listed = store.list(now).await.unwrap();

    let reasons: Vec<&str> = listed.iter().map(|b| b.reason.as_str()).collect();
    assert_eq!(reasons, ["earlier", "later"]);
    assert!(
        store
            .list(T0 + Duration::hours(2))
            .await
            .unwrap()
            .is_empty()
    );
}
