#![cfg(test)]
//! Upload use-case tests with mocks: the order of file and record writes, the cleanup after a
//! failed insert, the startup sweep, and the events of rejections and denials.

use std::sync::Arc;

use mockall::predicate::eq;
use rampart_domain::event::{SecurityEvent, SecurityEventKind};
use rampart_domain::filename::CleanFilename;
use rampart_domain::lockout::LockoutPolicy;
use rampart_domain::password::PasswordPolicy;
use rampart_domain::permission::DenyReason;
use rampart_domain::token::{AccessClaims, FamilyId, TokenId};
use rampart_domain::upload::{ImageFormat, Upload, UploadId, UploadRejection};
use rampart_domain::upload_policy::UploadPolicy;
use rampart_domain::user::{Role, UserId};
use rampart_ports::usecases::{
    Deps, NewPost, PostError, Posts, RequestContext, Session, UploadError, Uploads,
};
use rampart_ports::*;
use time::OffsetDateTime;
use time::macros::datetime;
use uuid::Uuid;

const NOW: OffsetDateTime = datetime!(2026-01-01 12:00 UTC);
const PNG_BYTES: &[u8] = b"\x89PNG\r\n\x1a\nraw pixels";
const REENCODED: &[u8] = b"\x89PNG\r\n\x1a\nclean pixels";

/// The mocks an upload test configures; every other port fails when called.
#[derive(Default)]
struct Mocks {
    users: MockUserRepository,
    posts: MockPostRepository,
    categories: MockCategoryRepository,
    uploads: MockUploadRepository,
    blobs: MockBlobStore,
    images: MockImageInspector,
    events: MockSecurityEventSink,
}

impl Mocks {
    fn into_deps(self) -> Deps {
        let mut clock = MockClock::new();
        clock.expect_now().return_const(NOW);
        Deps {
            users: Arc::new(self.users),
            posts: Arc::new(self.posts),
            categories: Arc::new(self.categories),
            families: Arc::new(MockRefreshFamilyStore::new()),
            revocations: Arc::new(MockRevocationStore::new()),
            user_stamps: Arc::new(MockUserStampStore::new()),
            login_attempts: Arc::new(MockLoginAttemptStore::new()),
            rate_limits: Arc::new(MockRateLimitStore::new()),
            uploads: Arc::new(self.uploads),
            blobs: Arc::new(self.blobs),
            images: Arc::new(self.images),
            hasher: Arc::new(MockPasswordHasher::new()),
            tokens: Arc::new(MockTokenCodec::new()),
            sanitizer: Arc::new(MockHtmlSanitizer::new()),
            clock: Arc::new(clock),
            events: Arc::new(self.events),
            password_policy: PasswordPolicy::Classic,
            lockout_policy: LockoutPolicy::default(),
            upload_policy: UploadPolicy::default(),
        }
    }

    /// Makes the image port accept [`PNG_BYTES`] as a 1x1 PNG that re-encodes to [`REENCODED`].
    fn accept_png(&mut self) {
        self.images
            .expect_sniff()
            .returning(|_| Some("image/png".to_owned()));
        self.images.expect_dimensions().returning(|_, _| {
            Ok(Dimensions {
                width: 1,
                height: 1,
            })
        });
        self.images
            .expect_reencode()
            .returning(|_, _, _| Ok(REENCODED.to_vec()));
    }
}

fn context() -> RequestContext {
    RequestContext {
        client_ip: Some("127.0.0.1".parse().unwrap()),
        request_id: "test".to_owned(),
    }
}

fn session_of(user: UserId) -> Session {
    Session {
        claims: AccessClaims::new(
            user,
            Role::Member,
            TokenId::from_uuid(Uuid::new_v4()),
            FamilyId::from_uuid(Uuid::new_v4()),
            NOW,
        ),
        user_stamp: UserStamp::from_u64(1),
    }
}

fn upload_of(owner: UserId) -> Upload {
    Upload {
        id: UploadId::from_uuid(Uuid::new_v4()),
        owner_id: owner,
        filename: CleanFilename::from_stored("photo.png".to_owned()),
        format: ImageFormat::Png,
        size: 10,
        created_at: NOW,
    }
}

#[tokio::test]
async fn failed_insert_removes_written_file() {
    let mut mocks = Mocks::default();
    mocks.accept_png();
    let mut sequence = mockall::Sequence::new();
    mocks
        .blobs
        .expect_write()
        .withf(|_, bytes| bytes == REENCODED)
        .times(1)
        .in_sequence(&mut sequence)
        .returning(|_, _| Ok(()));
    mocks
        .uploads
        .expect_insert()
        .times(1)
        .in_sequence(&mut sequence)
        .returning(|_| Err(StoreError::other("insert upload", "disk full")));
    mocks
        .blobs
        .expect_remove()
        .times(1)
        .in_sequence(&mut sequence)
        .returning(|_| Ok(true));
    let uploads = Uploads::new(mocks.into_deps());
    let session = session_of(UserId::from_uuid(Uuid::new_v4()));

    let result = uploads
        .create(&context(), &session, "photo.png", PNG_BYTES.to_vec())
        .await;

    assert!(
        matches!(result, Err(UploadError::Internal(_))),
        "{result:?}"
    );
}

#[tokio::test]
async fn upload_by_deleted_account_is_unauthorized() {
    let mut mocks = Mocks::default();
    mocks.accept_png();
    mocks.blobs.expect_write().returning(|_, _| Ok(()));
    mocks
        .uploads
        .expect_insert()
        .returning(|_| Err(StoreError::MissingReference { field: "owner_id" }));
    mocks.blobs.expect_remove().times(1).returning(|_| Ok(true));
    let uploads = Uploads::new(mocks.into_deps());
    let session = session_of(UserId::from_uuid(Uuid::new_v4()));

    let result = uploads
        .create(&context(), &session, "photo.png", PNG_BYTES.to_vec())
        .await;

    assert!(
        matches!(result, Err(UploadError::AccountNotFound)),
        "{result:?}"
    );
}

#[tokio::test]
async fn removed_file_matches_written_id() {
    let mut mocks = Mocks::default();
    mocks.accept_png();
    let written = Arc::new(std::sync::Mutex::new(None));
    let recorder = written.clone();
    mocks.blobs.expect_write().returning(move |id, _| {
        *recorder.lock().unwrap() = Some(id);
        Ok(())
    });
    mocks
        .uploads
        .expect_insert()
        .returning(|_| Err(StoreError::other("insert upload", "constraint failed")));
    let removed = Arc::new(std::sync::Mutex::new(None));
    let remover = removed.clone();
    mocks.blobs.expect_remove().returning(move |id| {
        *remover.lock().unwrap() = Some(id);
        Ok(true)
    });
    let uploads = Uploads::new(mocks.into_deps());
    let session = session_of(UserId::from_uuid(Uuid::new_v4()));

    let _ = uploads
        .create(&context(), &session, "photo.png", PNG_BYTES.to_vec())
        .await;

    let written = *written.lock().unwrap();
    assert!(written.is_some(), "no file was written");
    assert_eq!(*removed.lock().unwrap(), written);
}

#[tokio::test]
async fn sweep_removes_files_without_record() {
    let mut mocks = Mocks::default();
    let recorded = UploadId::from_uuid(Uuid::new_v4());
    let orphan = UploadId::from_uuid(Uuid::new_v4());
    mocks
        .blobs
        .expect_remove_partial_writes()
        .times(1)
        .returning(|| Ok(0));
    mocks
        .blobs
        .expect_list()
        .returning(move || Ok(vec![recorded, orphan]));
    mocks
        .uploads
        .expect_known_ids()
        .returning(move |_| Ok(vec![recorded]));
    mocks
        .blobs
        .expect_remove()
        .with(eq(orphan))
        .times(1)
        .returning(|_| Ok(true));
    let uploads = Uploads::new(mocks.into_deps());

    let removed = uploads.sweep_orphans().await.unwrap();

    assert_eq!(removed, 1);
}

#[tokio::test]
async fn rejected_extension_is_logged_unread() {
    let mut mocks = Mocks::default();
    mocks.images.expect_sniff().never();
    mocks.blobs.expect_write().never();
    mocks
        .events
        .expect_record()
        .withf(|event: &SecurityEvent| {
            event.kind == SecurityEventKind::UploadRejected
                && event.reason.starts_with("extension-not-allowed")
                && event.client_ip.is_some()
        })
        .times(1)
        .return_const(());
    let uploads = Uploads::new(mocks.into_deps());
    let session = session_of(UserId::from_uuid(Uuid::new_v4()));

    let result = uploads
        .create(&context(), &session, "drawing.svg", b"<svg/>".to_vec())
        .await;

    assert!(
        matches!(
            result,
            Err(UploadError::Rejected(UploadRejection::ExtensionNotAllowed(
                _
            )))
        ),
        "{result:?}"
    );
}

#[tokio::test]
async fn signature_in_output_is_rejected() {
    let mut mocks = Mocks::default();
    mocks
        .images
        .expect_sniff()
        .returning(|_| Some("image/png".to_owned()));
    mocks.images.expect_dimensions().returning(|_, _| {
        Ok(Dimensions {
            width: 1,
            height: 1,
        })
    });
    mocks
        .images
        .expect_reencode()
        .returning(|_, _, _| Ok(b"\x89PNG deflated <?php".to_vec()));
    mocks.blobs.expect_write().never();
    mocks.events.expect_record().times(1).return_const(());
    let uploads = Uploads::new(mocks.into_deps());
    let session = session_of(UserId::from_uuid(Uuid::new_v4()));

    let result = uploads
        .create(&context(), &session, "photo.png", PNG_BYTES.to_vec())
        .await;

    assert!(
        matches!(
            result,
            Err(UploadError::Rejected(UploadRejection::ForbiddenContent(_)))
        ),
        "{result:?}"
    );
}

#[tokio::test]
async fn other_users_upload_delete_is_denied() {
    let mut mocks = Mocks::default();
    let upload = upload_of(UserId::from_uuid(Uuid::new_v4()));
    let id = upload.id;
    mocks
        .uploads
        .expect_find()
        .returning(move |_| Ok(Some(upload.clone())));
    mocks.uploads.expect_delete().never();
    mocks.blobs.expect_remove().never();
    mocks
        .events
        .expect_record()
        .withf(move |event: &SecurityEvent| {
            event.kind == SecurityEventKind::PermissionDenied
                && event.resource.as_deref() == Some(format!("upload:{id}").as_str())
        })
        .times(1)
        .return_const(());
    let uploads = Uploads::new(mocks.into_deps());
    let session = session_of(UserId::from_uuid(Uuid::new_v4()));

    let result = uploads.delete(&context(), &session, id).await;

    assert!(
        matches!(result, Err(UploadError::Forbidden(DenyReason::NotOwner))),
        "{result:?}"
    );
}

#[tokio::test]
async fn other_users_image_in_post_is_denied() {
    let mut mocks = Mocks::default();
    let upload = upload_of(UserId::from_uuid(Uuid::new_v4()));
    let image_id = upload.id.as_uuid();
    mocks
        .uploads
        .expect_find()
        .returning(move |_| Ok(Some(upload.clone())));
    mocks.posts.expect_insert().never();
    mocks
        .events
        .expect_record()
        .withf(|event: &SecurityEvent| {
            event.kind == SecurityEventKind::PermissionDenied
                && event.action.as_deref() == Some("attach")
        })
        .times(1)
        .return_const(());
    let posts = Posts::new(mocks.into_deps());
    let session = session_of(UserId::from_uuid(Uuid::new_v4()));
    let new = NewPost {
        title: "Borrowed image".to_owned(),
        body: "<p>x</p>".to_owned(),
        category_id: None,
        image_id: Some(image_id),
    };

    let result = posts.create(&context(), &session, new).await;

    assert!(
        matches!(result, Err(PostError::Forbidden(DenyReason::NotOwner))),
        "{result:?}"
    );
}
