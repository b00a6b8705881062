//! Contract cases of [`UploadRepository`](crate::UploadRepository).
//!
//! The cases take an [`UploadRepositories`] bundle, because the upload contract crosses stores:
//! an upload needs an existing owner, deleting a user removes their uploads, and deleting an
//! upload clears it from posts.

use std::any::Any;
use std::collections::HashSet;
use std::sync::Arc;

use rampart_domain::filename::CleanFilename;
use rampart_domain::upload::{ImageFormat, Upload, UploadId};
use rampart_domain::user::UserId;
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use super::fixtures::{T0, post, user};
use crate::error::StoreError;
use crate::stores::{PostRepository, UserRepository};
use crate::uploads::UploadRepository;

/// The repositories the upload suite needs, which must see each other's writes.
#[derive(Clone)]
pub struct UploadRepositories {
    pub users: Arc<dyn UserRepository>,
    pub posts: Arc<dyn PostRepository>,
    pub uploads: Arc<dyn UploadRepository>,
    /// A value dropped with the last clone of the bundle, such as a temporary database directory.
    guard: Option<Arc<dyn Any + Send + Sync>>,
}

impl UploadRepositories {
    /// Bundles one value that implements all three repositories.
    pub fn from_shared<S>(stores: Arc<S>) -> Self
    where
        S: UserRepository + PostRepository + UploadRepository + 'static,
    {
        Self {
            users: stores.clone(),
            posts: stores.clone(),
            uploads: stores,
            guard: None,
        }
    }

    /// Keeps `guard` alive as long as the bundle.
    #[must_use]
    pub fn holding(mut self, guard: impl Any + Send + Sync) -> Self {
        self.guard = Some(Arc::new(guard));
        self
    }
}

/// Builds a PNG upload of `owner` created at `created_at`.
pub fn upload(owner: UserId, created_at: OffsetDateTime) -> Upload {
    Upload {
        id: UploadId::from_uuid(Uuid::new_v4()),
        owner_id: owner,
        filename: CleanFilename::from_stored("holiday-photo.png".to_owned()),
        format: ImageFormat::Png,
        size: 1234,
        created_at,
    }
}

async fn owner(stores: &UploadRepositories, name: &str) -> UserId {
    let owner = user(name);
    stores.users.insert(&owner).await.unwrap();
    owner.id
}

/// Finds an upload with every field as inserted.
pub async fn inserted_upload_is_found(stores: UploadRepositories) {
    let alice = owner(&stores, "alice").await;
    let written = Upload {
        format: ImageFormat::Webp,
        filename: CleanFilename::from_stored("cafe.webp".to_owned()),
        size: 5 * 1024 * 1024,
        ..upload(alice, T0)
    };

    stores.uploads.insert(&written).await.unwrap();

    let found = stores.uploads.find(written.id).await.unwrap();
    assert_eq!(found, Some(written));
}

/// Finds nothing for an id that was never inserted.
pub async fn unknown_upload_is_not_found(stores: UploadRepositories) {
    let alice = owner(&stores, "alice").await;
    stores.uploads.insert(&upload(alice, T0)).await.unwrap();

    let found = stores
        .uploads
        .find(UploadId::from_uuid(Uuid::new_v4()))
        .await
        .unwrap();

    assert_eq!(found, None);
}

/// Rejects an upload whose owner does not exist, and stores nothing.
pub async fn upload_of_unknown_owner_is_rejected(stores: UploadRepositories) {
    let orphan = upload(UserId::from_uuid(Uuid::new_v4()), T0);

    let inserted = stores.uploads.insert(&orphan).await;

    assert!(
        matches!(
            inserted,
            Err(StoreError::MissingReference { field: "owner_id" })
        ),
        "{inserted:?}"
    );
    assert_eq!(stores.uploads.find(orphan.id).await.unwrap(), None);
}

/// Lists only the owner's uploads, newest first.
pub async fn owner_list_is_newest_first(stores: UploadRepositories) {
    let alice = owner(&stores, "alice").await;
    let bob = owner(&stores, "bob").await;
    let oldest = upload(alice, T0);
    let newest = upload(alice, T0 + Duration::hours(2));
    let middle = upload(alice, T0 + Duration::hours(1));
    for written in [&oldest, &newest, &middle, &upload(bob, T0)] {
        stores.uploads.insert(written).await.unwrap();
    }

    let listed = stores.uploads.list_by_owner(alice).await.unwrap();

    let ids: Vec<UploadId> = listed.iter().map(|u| u.id).collect();
    assert_eq!(ids, vec![newest.id, middle.id, oldest.id]);
}

/// Returns exactly the asked ids that have a record.
pub async fn known_ids_are_the_recorded_ones(stores: UploadRepositories) {
    let alice = owner(&stores, "alice").await;
    let first = upload(alice, T0);
    let second = upload(alice, T0);
    stores.uploads.insert(&first).await.unwrap();
    stores.uploads.insert(&second).await.unwrap();
    let unknown = UploadId::from_uuid(Uuid::new_v4());

    let known = stores
        .uploads
        .known_ids(&[first.id, unknown, second.id])
        .await
        .unwrap();

    let known: HashSet<UploadId> = known.into_iter().collect();
    assert_eq!(known, HashSet::from([first.id, second.id]));
}

/// Returns no ids when asked about none.
pub async fn known_ids_of_nothing_is_empty(stores: UploadRepositories) {
    let alice = owner(&stores, "alice").await;
    stores.uploads.insert(&upload(alice, T0)).await.unwrap();

    let known = stores.uploads.known_ids(&[]).await.unwrap();

    assert!(known.is_empty(), "known ids of an empty list: {known:?}");
}

/// Deletes an upload once; a second delete returns false and other uploads stay.
pub async fn deleted_upload_is_gone(stores: UploadRepositories) {
    let alice = owner(&stores, "alice").await;
    let doomed = upload(alice, T0);
    let kept = upload(alice, T0);
    stores.uploads.insert(&doomed).await.unwrap();
    stores.uploads.insert(&kept).await.unwrap();

    let first = stores.uploads.delete(doomed.id).await.unwrap();
    let second = stores.uploads.delete(doomed.id).await.unwrap();

    assert!(first, "delete of a known upload returned false");
    assert!(!second, "second delete returned true");
    assert_eq!(stores.uploads.find(doomed.id).await.unwrap(), None);
    assert_eq!(stores.uploads.find(kept.id).await.unwrap(), Some(kept));
}

/// Clears the image of every post that showed a deleted upload, and only of those.
pub async fn upload_delete_clears_post_images(stores: UploadRepositories) {
    let alice = owner(&stores, "alice").await;
    let doomed = upload(alice, T0);
    let kept = upload(alice, T0);
    stores.uploads.insert(&doomed).await.unwrap();
    stores.uploads.insert(&kept).await.unwrap();
    let showing = rampart_domain::post::Post {
        image_id: Some(doomed.id.as_uuid()),
        ..post(alice, T0)
    };
    let other = rampart_domain::post::Post {
        image_id: Some(kept.id.as_uuid()),
        ..post(alice, T0)
    };
    stores.posts.insert(&showing).await.unwrap();
    stores.posts.insert(&other).await.unwrap();

    stores.uploads.delete(doomed.id).await.unwrap();

    let showing = stores.posts.find(showing.id).await.unwrap().unwrap();
    let other = stores.posts.find(other.id).await.unwrap().unwrap();
    assert_eq!(showing.image_id, None);
    assert_eq!(other.image_id, Some(kept.id.as_uuid()));
}

/// Removes a user's uploads with the user, and keeps everyone else's.
pub async fn user_delete_removes_their_uploads(stores: UploadRepositories) {
    let alice = owner(&stores, "alice").await;
    let bob = owner(&stores, "bob").await;
    let hers = upload(alice, T0);
    let his = upload(bob, T0);
    stores.uploads.insert(&hers).await.unwrap();
    stores.uploads.insert(&his).await.unwrap();

    stores.users.delete(alice).await.unwrap();

    assert_eq!(stores.uploads.find(hers.id).await.unwrap(), None);
    assert!(
        stores
            .uploads
            .list_by_owner(alice)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(stores.uploads.find(his.id).await.unwrap(), Some(his));
}

/// Runs the [`UploadRepository`] suite, given a factory that returns a fresh
/// [`UploadRepositories`](crate::contract::uploads::UploadRepositories).
#[macro_export]
macro_rules! upload_repository_contract {
    ($factory:expr $(,)?) => {
        $crate::__contract_tests! {
            upload_repository_contract, uploads, $factory;
            inserted_upload_is_found,
            unknown_upload_is_not_found,
            upload_of_unknown_owner_is_rejected,
            owner_list_is_newest_first,
            known_ids_are_the_recorded_ones,
            known_ids_of_nothing_is_empty,
            deleted_upload_is_gone,
            upload_delete_clears_post_images,
            user_delete_removes_their_uploads,
        }
    };
}
