//! Contract cases of [`UserStampStore`].

use std::collections::HashSet;
use std::sync::Arc;

use time::Duration;
use tokio::task::JoinSet;

use super::fixtures::{T0, user_id};
use crate::stores::UserStampStore;

/// Returns the same stamp on every read until the user's stamp is renewed, then a new one.
pub async fn stamp_is_stable_until_renewed<S>(store: Arc<S>)
where
    S: UserStampStore + ?Sized,
{
    let user = user_id();

    let first = store.current(user, T0).await.unwrap();
    let again = store
        .current(user, T0 + Duration::minutes(1))
        .await
        .unwrap();
    store.renew(user).await.unwrap();
    let renewed = store
        .current(user, T0 + Duration::minutes(1))
        .await
        .unwrap();
    let after = store
        .current(user, T0 + Duration::minutes(2))
        .await
        .unwrap();

    assert_eq!(first, again, "stamp changed without a renewal");
    assert_ne!(first, renewed, "stamp kept after renewal");
    assert_eq!(renewed, after, "new stamp not kept");
}

/// Renews one user's stamp and leaves every other user's as it was.
pub async fn renewal_changes_only_that_user<S>(store: Arc<S>)
where
    S: UserStampStore + ?Sized,
{
    let (alice, bob) = (user_id(), user_id());
    let alice_before = store.current(alice, T0).await.unwrap();
    let bob_before = store.current(bob, T0).await.unwrap();

    store.renew(alice).await.unwrap();
    store.renew(user_id()).await.unwrap();

    assert_ne!(alice_before, bob_before, "two users share a stamp");
    assert_ne!(store.current(alice, T0).await.unwrap(), alice_before);
    assert_eq!(
        store.current(bob, T0).await.unwrap(),
        bob_before,
        "another user's stamp changed"
    );
}

/// Gives concurrent first reads of a user without a stamp one and the same new stamp.
pub async fn concurrent_reads_agree_on_new_stamp<S>(store: Arc<S>)
where
    S: UserStampStore + ?Sized + 'static,
{
    let user = user_id();
    let mut reads = JoinSet::new();
    for _ in 0..16 {
        let store = store.clone();
        reads.spawn(async move { store.current(user, T0).await.unwrap() });
    }

    let mut stamps = HashSet::new();
    while let Some(stamp) = reads.join_next().await {
        stamps.insert(stamp.unwrap());
    }

    assert_eq!(stamps.len(), 1, "concurrent reads stored different stamps");
}
