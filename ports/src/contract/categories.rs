//! Contract cases of [`CategoryRepository`](crate::CategoryRepository).

use rampart_domain::category::{Category, CategoryId, CategoryName};
use rampart_domain::post::Post;
use uuid::Uuid;

use super::Repositories;
use super::fixtures::{T0, category, post, user};
use crate::error::StoreError;

fn renamed(original: &Category, name: &str) -> Category {
    Category {
        name: CategoryName::parse(name).unwrap(),
        ..original.clone()
    }
}

/// Finds a category with every field as inserted.
pub async fn inserted_category_is_found(stores: Repositories) {
    let topic = category("Security");

    stores.categories.insert(&topic).await.unwrap();

    assert_eq!(stores.categories.find(topic.id).await.unwrap(), Some(topic));
    let unknown = CategoryId::from_uuid(Uuid::new_v4());
    assert_eq!(stores.categories.find(unknown).await.unwrap(), None);
}

/// Rejects a name that differs from a stored one only in case, non-ASCII letters included, on
/// field `name`.
pub async fn duplicate_name_in_other_case_conflicts(stores: Repositories) {
    for (stored, clash) in [("Rust", "rUST"), ("Éclairs", "éCLAIRS")] {
        stores.categories.insert(&category(stored)).await.unwrap();
        let duplicate = category(clash);

        let result = stores.categories.insert(&duplicate).await;

        match result {
            Err(StoreError::Conflict { field }) => assert_eq!(field, "name"),
            other => panic!("expected a conflict on name for {clash}, got {other:?}"),
        }
        let found = stores.categories.find(duplicate.id).await.unwrap();
        assert_eq!(found, None, "{clash} was stored");
    }
    assert_eq!(stores.categories.list().await.unwrap().len(), 2);
}

/// Lists every category ordered by name.
pub async fn categories_are_listed_by_name(stores: Repositories) {
    for name in ["Rust", "Elixir", "Go"] {
        stores.categories.insert(&category(name)).await.unwrap();
    }

    let listed = stores.categories.list().await.unwrap();

    let names: Vec<&str> = listed.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["Elixir", "Go", "Rust"]);
}

/// Stores a new name and returns true.
pub async fn category_rename_is_stored(stores: Repositories) {
    let topic = category("Security");
    stores.categories.insert(&topic).await.unwrap();
    let changed = renamed(&topic, "Application security");

    let updated = stores.categories.update(&changed).await.unwrap();

    assert!(updated, "update returned false for a known category");
    assert_eq!(
        stores.categories.find(topic.id).await.unwrap(),
        Some(changed)
    );
}

/// Rejects renaming to another category's name in any case and changes nothing.
pub async fn category_rename_to_taken_name_conflicts(stores: Repositories) {
    let rust = category("Rust");
    let go = category("Go");
    stores.categories.insert(&rust).await.unwrap();
    stores.categories.insert(&go).await.unwrap();

    let result = stores.categories.update(&renamed(&go, "RUST")).await;

    match result {
        Err(StoreError::Conflict { field }) => assert_eq!(field, "name"),
        other => panic!("expected a conflict on name, got {other:?}"),
    }
    assert_eq!(stores.categories.find(go.id).await.unwrap(), Some(go));
}

/// Lets a category change the case of its own name.
pub async fn category_rename_to_own_name_succeeds(stores: Repositories) {
    let topic = category("rust");
    stores.categories.insert(&topic).await.unwrap();
    let changed = renamed(&topic, "Rust");

    let updated = stores.categories.update(&changed).await.unwrap();

    assert!(updated, "update returned false for a known category");
    assert_eq!(
        stores.categories.find(topic.id).await.unwrap(),
        Some(changed)
    );
}

/// Returns false when renaming an unknown category, and stores nothing.
pub async fn unknown_category_update_is_false(stores: Repositories) {
    let ghost = category("Ghost");

    let updated = stores.categories.update(&ghost).await.unwrap();

    assert!(!updated, "update returned true for an unknown category");
    assert!(stores.categories.list().await.unwrap().is_empty());
}

/// Deletes a category once and leaves its posts without a category.
pub async fn category_delete_uncategorizes_its_posts(stores: Repositories) {
    let author = user("alice");
    stores.users.insert(&author).await.unwrap();
    let topic = category("Security");
    let other = category("Rust");
    stores.categories.insert(&topic).await.unwrap();
    stores.categories.insert(&other).await.unwrap();
    let filed = Post {
        category_id: Some(topic.id),
        ..post(author.id, T0)
    };
    let elsewhere = Post {
        category_id: Some(other.id),
        ..post(author.id, T0)
    };
    stores.posts.insert(&filed).await.unwrap();
    stores.posts.insert(&elsewhere).await.unwrap();

    let first = stores.categories.delete(topic.id).await.unwrap();
    let second = stores.categories.delete(topic.id).await.unwrap();

    assert!(first, "delete of a known category returned false");
    assert!(!second, "second delete returned true");
    assert_eq!(stores.categories.find(topic.id).await.unwrap(), None);
    let stored = stores.posts.find(filed.id).await.unwrap().unwrap();
    assert_eq!(stored.category_id, None, "post still names the category");
    let untouched = stores.posts.find(elsewhere.id).await.unwrap().unwrap();
    assert_eq!(untouched.category_id, Some(other.id));
}
