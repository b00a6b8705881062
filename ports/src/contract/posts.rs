//! Contract cases of [`PostRepository`](crate::PostRepository).

use std::collections::HashSet;

use rampart_domain::page::PageRequest;
use rampart_domain::post::{Post, PostId, PostTitle, SafeHtml};
use rampart_domain::user::UserId;
use time::Duration;
use uuid::Uuid;

use super::Repositories;
use super::fixtures::{T0, category, post, user};
use crate::error::StoreError;

async fn author(stores: &Repositories, name: &str) -> UserId {
    let author = user(name);
    stores.users.insert(&author).await.unwrap();
    author.id
}

/// Finds a post with every field as inserted.
pub async fn inserted_post_is_found(stores: Repositories) {
    let author = author(&stores, "alice").await;
    let topic = category("Security");
    stores.categories.insert(&topic).await.unwrap();
    let written = Post {
        category_id: Some(topic.id),
        image_id: Some(Uuid::new_v4()),
        updated_at: T0 + Duration::minutes(5),
        ..post(author, T0)
    };

    stores.posts.insert(&written).await.unwrap();

    let found = stores.posts.find(written.id).await.unwrap();
    assert_eq!(found, Some(written));
}

/// Finds nothing for an id that was never inserted.
pub async fn unknown_post_is_not_found(stores: Repositories) {
    let author = author(&stores, "alice").await;
    stores.posts.insert(&post(author, T0)).await.unwrap();

    let found = stores
        .posts
        .find(PostId::from_uuid(Uuid::new_v4()))
        .await
        .unwrap();

    assert_eq!(found, None);
}

/// Splits posts into pages that are newest first, never overlap and together hold every post,
/// also when several posts share one creation time.
pub async fn pages_are_newest_first_without_overlap(stores: Repositories) {
    let author = author(&stores, "alice").await;
    let mut inserted = HashSet::new();
    for i in 0..25 {
        // Groups of three posts share one `created_at`, so the order must break ties by id.
        let written = post(author, T0 + Duration::seconds(i / 3));
        stores.posts.insert(&written).await.unwrap();
        inserted.insert(written.id);
    }

    let mut listed = Vec::new();
    for number in 1..=3 {
        let request = PageRequest::new(Some(number), Some(10)).unwrap();
        let page = stores.posts.list(request).await.unwrap();
        assert_eq!(page.total, 25, "total on page {number}");
        assert_eq!(page.page, number, "page number echoed");
        assert_eq!(page.page_size, 10, "page size echoed");
        let expected_len = if number == 3 { 5 } else { 10 };
        assert_eq!(page.items.len(), expected_len, "items on page {number}");
        listed.extend(page.items);
    }

    for pair in listed.windows(2) {
        assert!(
            pair[0].created_at >= pair[1].created_at,
            "post created at {} listed before one created at {}",
            pair[0].created_at,
            pair[1].created_at
        );
    }
    let ids: Vec<PostId> = listed.iter().map(|p| p.id).collect();
    let distinct: HashSet<PostId> = ids.iter().copied().collect();
    assert_eq!(distinct.len(), ids.len(), "a post appears on two pages");
    assert_eq!(distinct, inserted, "pages miss a post");
}

/// Returns an empty page with the true total past the last post.
pub async fn page_past_end_is_empty(stores: Repositories) {
    let author = author(&stores, "alice").await;
    for i in 0..3 {
        let written = post(author, T0 + Duration::seconds(i));
        stores.posts.insert(&written).await.unwrap();
    }

    let request = PageRequest::new(Some(2), Some(3)).unwrap();
    let page = stores.posts.list(request).await.unwrap();

    assert!(page.items.is_empty(), "page 2 of 3 posts has items");
    assert_eq!(page.total, 3);
}

/// Lists only the author's posts, newest first.
pub async fn author_list_is_newest_first(stores: Repositories) {
    let alice = author(&stores, "alice").await;
    let bob = author(&stores, "bob").await;
    let oldest = post(alice, T0);
    let newest = post(alice, T0 + Duration::hours(2));
    let middle = post(alice, T0 + Duration::hours(1));
    for written in [&oldest, &newest, &middle, &post(bob, T0)] {
        stores.posts.insert(written).await.unwrap();
    }

    let listed = stores.posts.list_by_author(alice).await.unwrap();

    let ids: Vec<PostId> = listed.iter().map(|p| p.id).collect();
    assert_eq!(ids, vec![newest.id, middle.id, oldest.id]);
}

/// Replaces title, body, category, image and `updated_at`, but keeps author and creation time.
pub async fn post_update_keeps_author_and_creation(stores: Repositories) {
    let alice = author(&stores, "alice").await;
    let bob = author(&stores, "bob").await;
    let topic = category("Security");
    stores.categories.insert(&topic).await.unwrap();
    let original = post(alice, T0);
    stores.posts.insert(&original).await.unwrap();
    let edited = Post {
        title: PostTitle::parse("Edited title").unwrap(),
        body: SafeHtml::from_sanitized("<p>Edited body.</p>".to_owned()),
        category_id: Some(topic.id),
        image_id: Some(Uuid::new_v4()),
        updated_at: T0 + Duration::days(1),
        author_id: bob,
        created_at: T0 + Duration::days(1),
        ..original.clone()
    };

    let updated = stores.posts.update(&edited).await.unwrap();

    assert!(updated, "update returned false for a known post");
    let stored = stores.posts.find(original.id).await.unwrap().unwrap();
    let expected = Post {
        author_id: alice,
        created_at: T0,
        ..edited
    };
    assert_eq!(stored, expected);
}

/// Returns false when updating an unknown post, and stores nothing.
pub async fn unknown_post_update_is_false(stores: Repositories) {
    let alice = author(&stores, "alice").await;
    let ghost = post(alice, T0);

    let updated = stores.posts.update(&ghost).await.unwrap();

    assert!(!updated, "update returned true for an unknown post");
    assert_eq!(stores.posts.find(ghost.id).await.unwrap(), None);
}

/// Deletes a post once; a second delete returns false and other posts stay.
pub async fn deleted_post_is_gone(stores: Repositories) {
    let alice = author(&stores, "alice").await;
    let doomed = post(alice, T0);
    let kept = post(alice, T0);
    stores.posts.insert(&doomed).await.unwrap();
    stores.posts.insert(&kept).await.unwrap();

    let first = stores.posts.delete(doomed.id).await.unwrap();
    let second = stores.posts.delete(doomed.id).await.unwrap();

    assert!(first, "delete of a known post returned false");
    assert!(!second, "second delete returned true");
    assert_eq!(stores.posts.find(doomed.id).await.unwrap(), None);
    assert_eq!(stores.posts.find(kept.id).await.unwrap(), Some(kept));
}

/// Rejects a post by an author who was deleted, naming `author_id`, and stores nothing.
pub async fn post_by_deleted_author_is_missing_reference(stores: Repositories) {
    let alice = author(&stores, "alice").await;
    stores.users.delete(alice).await.unwrap();
    let orphan = post(alice, T0);

    let inserted = stores.posts.insert(&orphan).await;

    assert!(
        matches!(
            inserted,
            Err(StoreError::MissingReference { field: "author_id" })
        ),
        "{inserted:?}"
    );
    assert_eq!(stores.posts.find(orphan.id).await.unwrap(), None);
}

/// Rejects a post in a category that does not exist, naming `category_id`.
pub async fn post_in_unknown_category_is_missing_reference(stores: Repositories) {
    let alice = author(&stores, "alice").await;
    let uncategorized = Post {
        category_id: Some(category("Never stored").id),
        ..post(alice, T0)
    };

    let inserted = stores.posts.insert(&uncategorized).await;

    assert!(
        matches!(
            inserted,
            Err(StoreError::MissingReference {
                field: "category_id"
            })
        ),
        "{inserted:?}"
    );
    assert_eq!(stores.posts.find(uncategorized.id).await.unwrap(), None);
}
