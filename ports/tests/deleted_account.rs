#![cfg(test)]
//! Writes by an account that was deleted while its access token stayed valid.

mod support;

use rampart_domain::category::{Category, CategoryId, CategoryName};
use rampart_domain::post::SafeHtml;
use rampart_ports::StoreError;
use rampart_ports::usecases::{NewPost, PostError, Posts};

use support::{Mocks, alice, context, session_of};

fn new_post(category_id: Option<uuid::Uuid>) -> NewPost {
    NewPost {
        title: "Hardening a REST service".to_owned(),
        body: "<p>Deny by default.</p>".to_owned(),
        category_id,
        image_id: None,
    }
}

#[tokio::test]
async fn post_by_deleted_account_is_not_found() {
    let mut mocks = Mocks::default();
    let session = session_of(&alice());
    mocks
        .sanitizer
        .expect_sanitize()
        .returning(|body| SafeHtml::from_sanitized(body.as_str().to_owned()));
    mocks
        .posts
        .expect_insert()
        .returning(|_| Err(StoreError::MissingReference { field: "author_id" }));
    let posts = Posts::new(mocks.into_deps());

    let result = posts.create(&context(), &session, new_post(None)).await;

    assert!(
        matches!(result, Err(PostError::AccountNotFound)),
        "{result:?}"
    );
}

#[tokio::test]
async fn category_deleted_before_insert_is_invalid() {
    let mut mocks = Mocks::default();
    let session = session_of(&alice());
    let topic = Category {
        id: CategoryId::from_uuid(uuid::Uuid::new_v4()),
        name: CategoryName::parse("Security").unwrap(),
        created_at: support::NOW,
    };
    let stored = topic.clone();
    mocks
        .categories
        .expect_find()
        .returning(move |_| Ok(Some(stored.clone())));
    mocks
        .sanitizer
        .expect_sanitize()
        .returning(|body| SafeHtml::from_sanitized(body.as_str().to_owned()));
    mocks.posts.expect_insert().returning(|_| {
        Err(StoreError::MissingReference {
            field: "category_id",
        })
    });
    let posts = Posts::new(mocks.into_deps());

    let result = posts
        .create(&context(), &session, new_post(Some(topic.id.as_uuid())))
        .await;

    let Err(PostError::Invalid(errors)) = result else {
        panic!("expected a validation error, got {result:?}");
    };
    assert!(errors.fields().contains_key("category_id"));
}
