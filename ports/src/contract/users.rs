//! Contract cases of [`UserRepository`](crate::UserRepository).

use std::collections::HashSet;

use rampart_domain::user::{Email, PasswordHash, Role, User, UserId, Username};
use time::Duration;
use uuid::Uuid;

use super::Repositories;
use super::fixtures::{T0, family, post, user};
use crate::error::StoreError;

fn assert_conflict(result: Result<impl std::fmt::Debug, StoreError>, expected: &str) {
    match result {
        Err(StoreError::Conflict { field }) => assert_eq!(field, expected, "conflict field"),
        other => panic!("expected a conflict on {expected}, got {other:?}"),
    }
}

/// Finds a user by id, username and email after inserting them.
pub async fn inserted_user_is_found_by_each_key(stores: Repositories) {
    let alice = user("alice");

    stores.users.insert(&alice).await.unwrap();

    let by_id = stores.users.find_by_id(alice.id).await.unwrap();
    let by_username = stores
        .users
        .find_by_username(&alice.username)
        .await
        .unwrap();
    let by_email = stores.users.find_by_email(&alice.email).await.unwrap();
    assert_eq!(by_id.as_ref(), Some(&alice), "find_by_id");
    assert_eq!(by_username.as_ref(), Some(&alice), "find_by_username");
    assert_eq!(by_email.as_ref(), Some(&alice), "find_by_email");
}

/// Finds nothing for an id, username or email that was never inserted.
pub async fn unknown_user_is_not_found(stores: Repositories) {
    stores.users.insert(&user("alice")).await.unwrap();
    let ghost = user("ghost");

    let by_id = stores.users.find_by_id(ghost.id).await.unwrap();
    let by_username = stores
        .users
        .find_by_username(&ghost.username)
        .await
        .unwrap();
    let by_email = stores.users.find_by_email(&ghost.email).await.unwrap();

    assert_eq!(by_id, None, "find_by_id");
    assert_eq!(by_username, None, "find_by_username");
    assert_eq!(by_email, None, "find_by_email");
}

/// Finds a user by an email written in other case.
pub async fn email_lookup_ignores_case(stores: Repositories) {
    let alice = User {
        email: Email::parse("Alice.Liddell@Example.COM").unwrap(),
        ..user("alice")
    };
    stores.users.insert(&alice).await.unwrap();

    let found = stores
        .users
        .find_by_email(&Email::parse("ALICE.liddell@example.com").unwrap())
        .await
        .unwrap();

    assert_eq!(found.map(|u| u.id), Some(alice.id));
}

/// Rejects a second user with a taken username and stores nothing of them.
pub async fn duplicate_username_conflicts_writing_nothing(stores: Repositories) {
    stores.users.insert(&user("alice")).await.unwrap();
    let impostor = User {
        email: Email::parse("impostor@example.com").unwrap(),
        ..user("alice")
    };

    let result = stores.users.insert(&impostor).await;

    assert_conflict(result, "username");
    let by_id = stores.users.find_by_id(impostor.id).await.unwrap();
    let by_email = stores.users.find_by_email(&impostor.email).await.unwrap();
    assert_eq!(by_id, None, "conflicting user was stored");
    assert_eq!(by_email, None, "conflicting email was stored");
}

/// Rejects a second user with a taken email, in any case, and stores nothing of them.
pub async fn duplicate_email_conflicts_writing_nothing(stores: Repositories) {
    stores.users.insert(&user("alice")).await.unwrap();
    let impostor = User {
        email: Email::parse("ALICE@example.com").unwrap(),
        ..user("impostor")
    };

    let result = stores.users.insert(&impostor).await;

    assert_conflict(result, "email");
    let by_id = stores.users.find_by_id(impostor.id).await.unwrap();
    let by_username = stores
        .users
        .find_by_username(&impostor.username)
        .await
        .unwrap();
    assert_eq!(by_id, None, "conflicting user was stored");
    assert_eq!(by_username, None, "conflicting username was stored");
}

/// Replaces username, email and role, and frees the old username and email.
pub async fn profile_update_replaces_name_email_role(stores: Repositories) {
    let alice = user("alice");
    stores.users.insert(&alice).await.unwrap();
    let renamed = User {
        username: Username::parse("alice.l").unwrap(),
        email: Email::parse("alice.l@example.org").unwrap(),
        role: Role::Admin,
        ..alice.clone()
    };

    let updated = stores.users.update_profile(&renamed).await.unwrap();

    assert!(updated, "update_profile returned false for a known user");
    let stored = stores.users.find_by_id(alice.id).await.unwrap();
    assert_eq!(stored.as_ref(), Some(&renamed));
    let by_old_name = stores
        .users
        .find_by_username(&alice.username)
        .await
        .unwrap();
    let by_old_email = stores.users.find_by_email(&alice.email).await.unwrap();
    assert_eq!(by_old_name, None, "old username still finds the user");
    assert_eq!(by_old_email, None, "old email still finds the user");
}

/// Returns false when updating the profile of an unknown user, and stores nothing.
pub async fn profile_update_of_unknown_user_is_false(stores: Repositories) {
    let ghost = user("ghost");

    let updated = stores.users.update_profile(&ghost).await.unwrap();

    assert!(!updated, "update_profile returned true for an unknown user");
    assert_eq!(stores.users.find_by_id(ghost.id).await.unwrap(), None);
}

/// Rejects renaming a user to another user's username and changes nothing.
pub async fn profile_update_to_taken_username_conflicts(stores: Repositories) {
    let alice = user("alice");
    let bob = user("bob");
    stores.users.insert(&alice).await.unwrap();
    stores.users.insert(&bob).await.unwrap();
    let clash = User {
        username: alice.username.clone(),
        role: Role::Admin,
        ..bob.clone()
    };

    let result = stores.users.update_profile(&clash).await;

    assert_conflict(result, "username");
    assert_eq!(stores.users.find_by_id(bob.id).await.unwrap(), Some(bob));
}

/// Rejects changing a user's email to another user's email and changes nothing.
pub async fn profile_update_to_taken_email_conflicts(stores: Repositories) {
    let alice = user("alice");
    let bob = user("bob");
    stores.users.insert(&alice).await.unwrap();
    stores.users.insert(&bob).await.unwrap();
    let clash = User {
        username: Username::parse("bobby").unwrap(),
        email: Email::parse("ALICE@EXAMPLE.COM").unwrap(),
        ..bob.clone()
    };

    let result = stores.users.update_profile(&clash).await;

    assert_conflict(result, "email");
    assert_eq!(stores.users.find_by_id(bob.id).await.unwrap(), Some(bob));
}

/// Replaces the hash and leaves every refresh family of the user active.
pub async fn hash_update_keeps_every_family(stores: Repositories) {
    let alice = user("alice");
    stores.users.insert(&alice).await.unwrap();
    let session = family(alice.id, T0);
    stores.families.create(&session).await.unwrap();
    let rehashed = PasswordHash::new("$argon2id$v=19$m=65536,t=3,p=1$bmV3c2FsdA$bmV3aGFzaA".into());

    stores
        .users
        .update_password_hash(alice.id, &rehashed)
        .await
        .unwrap();

    let stored = stores.users.find_by_id(alice.id).await.unwrap().unwrap();
    assert_eq!(stored.password_hash, rehashed);
    let kept = stores.families.find(session.id).await.unwrap().unwrap();
    assert!(!kept.revoked, "a hash upgrade revoked a session");
}

/// Revokes every active family of the user except the kept one, and returns the revoked ones.
pub async fn password_change_revokes_all_but_kept(stores: Repositories) {
    let alice = user("alice");
    let bob = user("bob");
    stores.users.insert(&alice).await.unwrap();
    stores.users.insert(&bob).await.unwrap();
    let current = family(alice.id, T0);
    let other = family(alice.id, T0 + Duration::minutes(1));
    let old = family(alice.id, T0 + Duration::minutes(2));
    let bobs = family(bob.id, T0);
    for session in [&current, &other, &old, &bobs] {
        stores.families.create(session).await.unwrap();
    }
    stores.families.revoke(old.id).await.unwrap();
    let new_hash = PasswordHash::new("$argon2id$v=19$m=19456,t=2,p=1$c2FsdDI$aGFzaDI".into());

    let revoked = stores
        .users
        .change_password(alice.id, &new_hash, Some(current.id))
        .await
        .unwrap();

    assert!(revoked.contains(&other.id), "active family not returned");
    assert!(!revoked.contains(&current.id), "kept family returned");
    assert!(
        !revoked.contains(&bobs.id),
        "another user's family returned"
    );
    let stored = stores.users.find_by_id(alice.id).await.unwrap().unwrap();
    assert_eq!(stored.password_hash, new_hash);
    let state = |id| {
        let families = stores.families.clone();
        async move { families.find(id).await.unwrap().unwrap().revoked }
    };
    assert!(!state(current.id).await, "kept family was revoked");
    assert!(state(other.id).await, "other family is still active");
    assert!(state(old.id).await, "revoked family became active");
    assert!(!state(bobs.id).await, "another user's family was revoked");
}

/// Revokes every family of the user when no family is kept.
pub async fn password_change_without_keep_revokes_all(stores: Repositories) {
    let alice = user("alice");
    stores.users.insert(&alice).await.unwrap();
    let first = family(alice.id, T0);
    let second = family(alice.id, T0 + Duration::minutes(1));
    stores.families.create(&first).await.unwrap();
    stores.families.create(&second).await.unwrap();
    let new_hash = PasswordHash::new("$argon2id$v=19$m=19456,t=2,p=1$c2FsdDM$aGFzaDM".into());

    let revoked = stores
        .users
        .change_password(alice.id, &new_hash, None)
        .await
        .unwrap();

    let revoked: HashSet<_> = revoked.into_iter().collect();
    assert_eq!(revoked, HashSet::from([first.id, second.id]));
    for session in [first, second] {
        let stored = stores.families.find(session.id).await.unwrap().unwrap();
        assert!(stored.revoked, "family {} is still active", session.id);
    }
}

/// Removes the user, their posts and their families, returns the families, and spares others.
pub async fn user_delete_cascades_posts_and_families(stores: Repositories) {
    let alice = user("alice");
    let bob = user("bob");
    stores.users.insert(&alice).await.unwrap();
    stores.users.insert(&bob).await.unwrap();
    let alice_posts = [post(alice.id, T0), post(alice.id, T0 + Duration::SECOND)];
    let bob_post = post(bob.id, T0);
    for p in alice_posts.iter().chain([&bob_post]) {
        stores.posts.insert(p).await.unwrap();
    }
    let alice_families = [
        family(alice.id, T0),
        family(alice.id, T0 + Duration::SECOND),
    ];
    let bob_family = family(bob.id, T0);
    for f in alice_families.iter().chain([&bob_family]) {
        stores.families.create(f).await.unwrap();
    }
    stores.families.revoke(alice_families[1].id).await.unwrap();

    let removed = stores.users.delete(alice.id).await.unwrap();

    let removed: HashSet<_> = removed.expect("known user").into_iter().collect();
    let expected: HashSet<_> = alice_families.iter().map(|f| f.id).collect();
    assert_eq!(removed, expected, "returned families");
    assert_eq!(stores.users.find_by_id(alice.id).await.unwrap(), None);
    for p in &alice_posts {
        assert_eq!(stores.posts.find(p.id).await.unwrap(), None, "post kept");
    }
    assert!(
        stores
            .posts
            .list_by_author(alice.id)
            .await
            .unwrap()
            .is_empty()
    );
    for f in &alice_families {
        assert_eq!(
            stores.families.find(f.id).await.unwrap(),
            None,
            "family kept"
        );
    }
    assert!(
        stores
            .families
            .list_for_user(alice.id)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(stores.users.find_by_id(bob.id).await.unwrap(), Some(bob));
    assert_eq!(
        stores.posts.find(bob_post.id).await.unwrap(),
        Some(bob_post)
    );
    assert_eq!(
        stores.families.find(bob_family.id).await.unwrap(),
        Some(bob_family)
    );
}

/// Returns `None` when deleting an unknown user.
pub async fn unknown_user_delete_returns_none(stores: Repositories) {
    stores.users.insert(&user("alice")).await.unwrap();

    let removed = stores
        .users
        .delete(UserId::from_uuid(Uuid::new_v4()))
        .await
        .unwrap();

    assert_eq!(removed, None);
}
