//! Contract cases of [`RefreshFamilyStore`](crate::RefreshFamilyStore).

use rampart_domain::token::{RefreshFamily, RotationDecision, SUPERSEDED_GRACE};
use time::Duration;
use tokio::task::JoinSet;

use super::Repositories;
use super::fixtures::{T0, family, family_id, token, user};
use crate::error::StoreError;

/// Inserts a user and a fresh family of theirs created at [`T0`].
async fn stored_family(stores: &Repositories) -> RefreshFamily {
    let owner = user("alice");
    stores.users.insert(&owner).await.unwrap();
    let created = family(owner.id, T0);
    stores.families.create(&created).await.unwrap();
    created
}

/// Finds a family with every field as created; an unknown id finds nothing.
pub async fn created_family_is_found(stores: Repositories) {
    let created = stored_family(&stores).await;

    let found = stores.families.find(created.id).await.unwrap();

    assert_eq!(found, Some(created));
    assert_eq!(stores.families.find(family_id()).await.unwrap(), None);
}

/// Makes `next` current and remembers the presented token with the rotation time.
pub async fn current_token_rotates_family(stores: Repositories) {
    let created = stored_family(&stores).await;
    let next = token();
    let now = T0 + Duration::minutes(30);

    let decision = stores
        .families
        .rotate(created.id, created.current_token, next, now)
        .await
        .unwrap();

    assert_eq!(decision, RotationDecision::Rotate);
    let stored = stores.families.find(created.id).await.unwrap().unwrap();
    let expected = RefreshFamily {
        current_token: next,
        previous_token: Some((created.current_token, now)),
        ..created
    };
    assert_eq!(stored, expected);
}

/// Returns `Superseded` for the replaced token within the grace period, changing nothing.
pub async fn previous_token_within_grace_is_superseded(stores: Repositories) {
    let created = stored_family(&stores).await;
    let next = token();
    let rotated_at = T0 + Duration::minutes(30);
    stores
        .families
        .rotate(created.id, created.current_token, next, rotated_at)
        .await
        .unwrap();
    let before = stores.families.find(created.id).await.unwrap();

    let decision = stores
        .families
        .rotate(
            created.id,
            created.current_token,
            token(),
            rotated_at + SUPERSEDED_GRACE - Duration::SECOND,
        )
        .await
        .unwrap();

    assert_eq!(decision, RotationDecision::Superseded);
    assert_eq!(stores.families.find(created.id).await.unwrap(), before);
}

/// Revokes the family when the replaced token comes back after the grace period.
pub async fn previous_token_after_grace_revokes_family(stores: Repositories) {
    let created = stored_family(&stores).await;
    let next = token();
    let rotated_at = T0 + Duration::minutes(30);
    stores
        .families
        .rotate(created.id, created.current_token, next, rotated_at)
        .await
        .unwrap();
    let late = rotated_at + SUPERSEDED_GRACE + Duration::SECOND;

    let reuse = stores
        .families
        .rotate(created.id, created.current_token, token(), late)
        .await
        .unwrap();
    let current_after = stores
        .families
        .rotate(created.id, next, token(), late)
        .await
        .unwrap();

    assert_eq!(reuse, RotationDecision::Reuse);
    let stored = stores.families.find(created.id).await.unwrap().unwrap();
    assert!(stored.revoked, "reuse left the family active");
    assert_eq!(stored.current_token, next, "reuse rotated the family");
    assert_eq!(current_after, RotationDecision::Revoked);
}

/// Returns `Revoked` for a family that does not exist.
pub async fn unknown_family_rotation_is_revoked(stores: Repositories) {
    stored_family(&stores).await;

    let decision = stores
        .families
        .rotate(family_id(), token(), token(), T0)
        .await
        .unwrap();

    assert_eq!(decision, RotationDecision::Revoked);
}

/// Returns `Revoked` for the current token of a revoked family and keeps it revoked.
pub async fn revoked_family_rotation_changes_nothing(stores: Repositories) {
    let created = stored_family(&stores).await;
    stores.families.revoke(created.id).await.unwrap();
    let before = stores.families.find(created.id).await.unwrap();

    let decision = stores
        .families
        .rotate(created.id, created.current_token, token(), T0)
        .await
        .unwrap();

    assert_eq!(decision, RotationDecision::Revoked);
    assert_eq!(stores.families.find(created.id).await.unwrap(), before);
}

/// Returns `Revoked` for the current token once the family expired, changing nothing.
pub async fn expired_family_rotation_changes_nothing(stores: Repositories) {
    let created = stored_family(&stores).await;

    let decision = stores
        .families
        .rotate(
            created.id,
            created.current_token,
            token(),
            created.expires_at,
        )
        .await
        .unwrap();

    assert_eq!(decision, RotationDecision::Revoked);
    assert_eq!(
        stores.families.find(created.id).await.unwrap(),
        Some(created)
    );
}

/// Lets exactly one of two concurrent rotations with the same token win, in many rounds.
pub async fn concurrent_rotations_have_one_winner(stores: Repositories) {
    let owner = user("alice");
    stores.users.insert(&owner).await.unwrap();

    for round in 0..20 {
        let created = family(owner.id, T0);
        stores.families.create(&created).await.unwrap();
        let now = T0 + Duration::minutes(1);
        let mut racers = JoinSet::new();
        for _ in 0..2 {
            let families = stores.families.clone();
            let next = token();
            racers.spawn(async move {
                let decision = families
                    .rotate(created.id, created.current_token, next, now)
                    .await
                    .unwrap();
                (decision, next)
            });
        }
        let outcomes = racers.join_all().await;

        let winners: Vec<_> = outcomes
            .iter()
            .filter(|(decision, _)| *decision == RotationDecision::Rotate)
            .collect();
        assert_eq!(winners.len(), 1, "round {round}: outcomes {outcomes:?}");
        let losers: Vec<_> = outcomes
            .iter()
            .filter(|(decision, _)| *decision == RotationDecision::Superseded)
            .collect();
        assert_eq!(losers.len(), 1, "round {round}: outcomes {outcomes:?}");
        let stored = stores.families.find(created.id).await.unwrap().unwrap();
        assert_eq!(stored.current_token, winners[0].1, "round {round}");
        assert!(
            !stored.revoked,
            "round {round}: a concurrent request revoked"
        );
    }
}

/// Marks a known family revoked and returns false for an unknown one.
pub async fn family_revoke_marks_it_revoked(stores: Repositories) {
    let created = stored_family(&stores).await;

    let known = stores.families.revoke(created.id).await.unwrap();
    let unknown = stores.families.revoke(family_id()).await.unwrap();

    assert!(known, "revoke of a known family returned false");
    assert!(!unknown, "revoke of an unknown family returned true");
    let stored = stores.families.find(created.id).await.unwrap().unwrap();
    assert_eq!(
        stored,
        RefreshFamily {
            revoked: true,
            ..created
        }
    );
}

/// Lists only the user's families, revoked ones included, newest first.
pub async fn user_families_are_newest_first(stores: Repositories) {
    let alice = user("alice");
    let bob = user("bob");
    stores.users.insert(&alice).await.unwrap();
    stores.users.insert(&bob).await.unwrap();
    let oldest = family(alice.id, T0);
    let newest = family(alice.id, T0 + Duration::hours(2));
    let middle = family(alice.id, T0 + Duration::hours(1));
    for created in [&oldest, &newest, &middle, &family(bob.id, T0)] {
        stores.families.create(created).await.unwrap();
    }
    stores.families.revoke(middle.id).await.unwrap();

    let listed = stores.families.list_for_user(alice.id).await.unwrap();

    let ids: Vec<_> = listed.iter().map(|f| f.id).collect();
    assert_eq!(ids, vec![newest.id, middle.id, oldest.id]);
    assert!(listed[1].revoked, "revoked family listed as active");
}

/// Rejects a family of a user who was deleted, naming `user_id`, and stores nothing.
pub async fn family_of_deleted_user_is_missing_reference(stores: Repositories) {
    let owner = user("alice");
    stores.users.insert(&owner).await.unwrap();
    stores.users.delete(owner.id).await.unwrap();
    let orphan = family(owner.id, T0);

    let created = stores.families.create(&orphan).await;

    assert!(
        matches!(
            created,
            Err(StoreError::MissingReference { field: "user_id" })
        ),
        "{created:?}"
    );
    assert_eq!(stores.families.find(orphan.id).await.unwrap(), None);
}
