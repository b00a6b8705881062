//! Contract cases of [`RevocationStore`].

use std::sync::Arc;

use rampart_domain::token::ACCESS_TOKEN_TTL;
use time::Duration;

use super::fixtures::{T0, family_id, token};
use crate::stores::RevocationStore;

/// Reports a revoked token as revoked up to its `until` and as valid once `now` passes it.
pub async fn revoked_token_is_revoked_until_expiry<S>(store: Arc<S>)
where
    S: RevocationStore + ?Sized,
{
    let revoked = token();
    let family = family_id();
    let until = T0 + ACCESS_TOKEN_TTL;

    store.revoke_token(revoked, until).await.unwrap();

    let before = store.is_revoked(revoked, family, T0).await.unwrap();
    let at_end = store
        .is_revoked(revoked, family, until - Duration::SECOND)
        .await
        .unwrap();
    let after = store
        .is_revoked(revoked, family, until + Duration::SECOND)
        .await
        .unwrap();
    assert!(before, "token not revoked right after revocation");
    assert!(at_end, "token not revoked just before its expiry");
    assert!(!after, "token still revoked after its expiry");
}

/// Reports every token of each revoked family as revoked, and nothing of other families.
pub async fn revoked_families_cover_their_tokens<S>(store: Arc<S>)
where
    S: RevocationStore + ?Sized,
{
    let first = family_id();
    let second = family_id();
    let untouched = family_id();

    store
        .revoke_families(&[first, second], T0 + ACCESS_TOKEN_TTL)
        .await
        .unwrap();

    for family in [first, second] {
        let revoked = store.is_revoked(token(), family, T0).await.unwrap();
        assert!(revoked, "a token of family {family} is not revoked");
    }
    let other = store.is_revoked(token(), untouched, T0).await.unwrap();
    assert!(!other, "a token of an unrevoked family is revoked");
}

/// Reports a token that was never revoked, of a family never revoked, as valid.
pub async fn unrelated_token_is_not_revoked<S>(store: Arc<S>)
where
    S: RevocationStore + ?Sized,
{
    store
        .revoke_token(token(), T0 + ACCESS_TOKEN_TTL)
        .await
        .unwrap();

    let revoked = store.is_revoked(token(), family_id(), T0).await.unwrap();

    assert!(!revoked);
}

/// Forgets a family revocation once `now` passes its `until`.
pub async fn family_revocation_expires_after_until<S>(store: Arc<S>)
where
    S: RevocationStore + ?Sized,
{
    let family = family_id();
    let until = T0 + ACCESS_TOKEN_TTL;
    store.revoke_families(&[family], until).await.unwrap();

    let after = store
        .is_revoked(token(), family, until + Duration::SECOND)
        .await
        .unwrap();

    assert!(!after, "family still revoked after its until");
}

/// Keeps the later `until` when an entry is revoked twice, in either order.
pub async fn earlier_until_does_not_shorten_revocation<S>(store: Arc<S>)
where
    S: RevocationStore + ?Sized,
{
    let revoked = token();
    let family = family_id();
    let early = T0 + Duration::minutes(5);
    let late = T0 + ACCESS_TOKEN_TTL;
    store.revoke_token(revoked, late).await.unwrap();
    store.revoke_token(revoked, early).await.unwrap();
    store.revoke_families(&[family], late).await.unwrap();
    store.revoke_families(&[family], early).await.unwrap();
    let between = early + Duration::minutes(1);

    let token_revoked = store
        .is_revoked(revoked, family_id(), between)
        .await
        .unwrap();
    let family_revoked = store.is_revoked(token(), family, between).await.unwrap();

    assert!(token_revoked, "second revocation shortened the token's");
    assert!(family_revoked, "second revocation shortened the family's");
}
