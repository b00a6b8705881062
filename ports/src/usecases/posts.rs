//! Posts: anyone reads, authenticated users write, only owners change or delete.

use rampart_domain::category::CategoryId;
use rampart_domain::event::{SecurityEvent, SecurityEventKind};
use rampart_domain::page::{Page, PageRequest};
use rampart_domain::permission::{Action, Decision, DenyReason, Policy};
use rampart_domain::post::{Post, PostId, PostTitle, RawBody};
use rampart_domain::upload::UploadId;
use rampart_domain::user::UserId;
use tracing::{info, instrument};
use uuid::Uuid;

use super::context::{Deps, RequestContext};
use super::fields::FieldErrors;
use super::session::Session;
use super::uploads::Uploads;
use crate::error::{BoxError, StoreError};

/// A new post as the client sent it; the author is the caller.
#[derive(Debug, Clone)]
pub struct NewPost {
    pub title: String,
    pub body: String,
    pub category_id: Option<Uuid>,
    pub image_id: Option<Uuid>,
}

/// Fields of a post update; `None` leaves a field as it is, `Some(None)` clears an optional one.
#[derive(Debug, Clone, Default)]
pub struct PostChange {
    pub title: Option<String>,
    pub body: Option<String>,
    pub category_id: Option<Option<Uuid>>,
    pub image_id: Option<Option<Uuid>>,
}

/// Failure of a post operation.
#[derive(Debug, thiserror::Error)]
pub enum PostError {
    #[error("post not found")]
    NotFound,
    #[error("invalid post")]
    Invalid(FieldErrors),
    /// The caller may not do this, for the reason carried.
    #[error("permission denied: {}", .0.as_str())]
    Forbidden(DenyReason),
    /// The caller's account no longer exists, such as a token that outlived its deleted account.
    #[error("account not found")]
    AccountNotFound,
    #[error("post operation failed")]
    Internal(#[source] BoxError),
}

impl From<StoreError> for PostError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::MissingReference { field: "author_id" } => Self::AccountNotFound,
            // A category deleted between the check and the write.
            StoreError::MissingReference {
                field: "category_id",
            } => Self::Invalid(FieldErrors::single(
                "category_id",
                "no category has this id",
            )),
            other => Self::Internal(other.into()),
        }
    }
}

/// Posts.
#[derive(Clone)]
pub struct Posts {
    deps: Deps,
}

impl Posts {
    /// The permission policy of every post operation.
    pub const POLICY: Policy = Policy::IsOwnerOrReadOnly;

    /// Builds the use case on shared ports.
    pub fn new(deps: Deps) -> Self {
        Self { deps }
    }

    /// Lists one page of posts, newest first.
    ///
    /// # Errors
    /// Store failures only.
    pub async fn list(&self, page: PageRequest) -> Result<Page<Post>, PostError> {
        Ok(self.deps.posts.list(page).await?)
    }

    /// Returns one post.
    ///
    /// # Errors
    /// [`PostError::NotFound`] for an unknown id.
    pub async fn get(&self, id: PostId) -> Result<Post, PostError> {
        self.deps.posts.find(id).await?.ok_or(PostError::NotFound)
    }

    /// Creates a post by the caller; the body is sanitized, not rejected.
    ///
    /// # Errors
    /// [`PostError::Invalid`] listing every bad field, [`PostError::Forbidden`] for an image
    /// that another user uploaded (logged as a `permission_denied` event),
    /// [`PostError::AccountNotFound`] when the caller's account was deleted.
    #[instrument(skip_all, fields(request_id = %context.request_id, user.id = %session.claims.user_id, post.id))]
    pub async fn create(
        &self,
        context: &RequestContext,
        session: &Session,
        new: NewPost,
    ) -> Result<Post, PostError> {
        self.authorize(context, session, Action::Create, None, "post:new")?;

        let mut errors = FieldErrors::new();
        let title = PostTitle::parse(&new.title)
            .map_err(|e| errors.add("title", e))
            .ok();
        let body = RawBody::parse(&new.body)
            .map_err(|e| errors.add("body", e))
            .ok();
        let category_id = self.check_category(new.category_id, &mut errors).await?;
        let image_id = self
            .check_image(context, session, new.image_id, &mut errors)
            .await?;
        let (Some(title), Some(body)) = (title, body) else {
            return Err(PostError::Invalid(errors));
        };
        errors.into_result().map_err(PostError::Invalid)?;

        let now = self.deps.clock.now();
        let post = Post {
            id: PostId::from_uuid(Uuid::new_v4()),
            title,
            body: self.deps.sanitizer.sanitize(&body),
            author_id: session.claims.user_id,
            category_id,
            image_id,
            created_at: now,
            updated_at: now,
        };
        self.deps.posts.insert(&post).await?;
        tracing::Span::current().record("post.id", tracing::field::display(post.id));
        info!("post created");
        Ok(post)
    }

    /// Changes a post of the caller's.
    ///
    /// # Errors
    /// [`PostError::NotFound`], [`PostError::Forbidden`] for another user's post or image (logged
    /// as a `permission_denied` event), [`PostError::Invalid`] for bad fields.
    #[instrument(skip_all, fields(request_id = %context.request_id, user.id = %session.claims.user_id, post.id = %id))]
    pub async fn update(
        &self,
        context: &RequestContext,
        session: &Session,
        id: PostId,
        change: PostChange,
    ) -> Result<Post, PostError> {
        let mut post = self.get(id).await?;
        self.authorize(
            context,
            session,
            Action::Update,
            Some(post.author_id),
            &format!("post:{id}"),
        )?;

        let mut errors = FieldErrors::new();
        if let Some(title) = change.title {
            match PostTitle::parse(&title) {
                Ok(title) => post.title = title,
                Err(e) => errors.add("title", e),
            }
        }
        if let Some(body) = change.body {
            match RawBody::parse(&body) {
                Ok(body) => post.body = self.deps.sanitizer.sanitize(&body),
                Err(e) => errors.add("body", e),
            }
        }
        if let Some(category_id) = change.category_id {
            post.category_id = self.check_category(category_id, &mut errors).await?;
        }
        if let Some(image_id) = change.image_id {
            post.image_id = self
                .check_image(context, session, image_id, &mut errors)
                .await?;
        }
        errors.into_result().map_err(PostError::Invalid)?;

        post.updated_at = self.deps.clock.now();
        if !self.deps.posts.update(&post).await? {
            return Err(PostError::NotFound);
        }
        info!("post updated");
        Ok(post)
    }

    /// Deletes a post of the caller's.
    ///
    /// # Errors
    /// [`PostError::NotFound`], or [`PostError::Forbidden`] for another user's post.
    #[instrument(skip_all, fields(request_id = %context.request_id, user.id = %session.claims.user_id, post.id = %id))]
    pub async fn delete(
        &self,
        context: &RequestContext,
        session: &Session,
        id: PostId,
    ) -> Result<(), PostError> {
        let post = self.get(id).await?;
        self.authorize(
            context,
            session,
            Action::Delete,
            Some(post.author_id),
            &format!("post:{id}"),
        )?;

        if !self.deps.posts.delete(id).await? {
            return Err(PostError::NotFound);
        }
        info!("post deleted");
        Ok(())
    }

    fn authorize(
        &self,
        context: &RequestContext,
        session: &Session,
        action: Action,
        owner: Option<UserId>,
        resource: &str,
    ) -> Result<(), PostError> {
        match Self::POLICY.decide(Some(&session.actor()), action, owner) {
            Decision::Allow(_) => Ok(()),
            Decision::Deny(reason) => {
                self.deps.record(
                    context,
                    SecurityEvent::new(SecurityEventKind::PermissionDenied, reason.as_str())
                        .user(session.claims.user_id)
                        .target(resource, action.as_str()),
                );
                Err(PostError::Forbidden(reason))
            }
        }
    }

    async fn check_category(
        &self,
        category_id: Option<Uuid>,
        errors: &mut FieldErrors,
    ) -> Result<Option<CategoryId>, PostError> {
        let Some(id) = category_id.map(CategoryId::from_uuid) else {
            return Ok(None);
        };
        if self.deps.categories.find(id).await?.is_none() {
            errors.add("category_id", "no category has this id");
        }
        Ok(Some(id))
    }

    /// Checks that an image id names an upload of the caller's. An unknown id is a field error;
    /// another user's upload is denied and logged, because a post must not show an image its
    /// owner could delete from under it.
    async fn check_image(
        &self,
        context: &RequestContext,
        session: &Session,
        image_id: Option<Uuid>,
        errors: &mut FieldErrors,
    ) -> Result<Option<Uuid>, PostError> {
        let Some(id) = image_id else {
            return Ok(None);
        };
        let Some(upload) = self.deps.uploads.find(UploadId::from_uuid(id)).await? else {
            errors.add("image_id", "no upload has this id");
            return Ok(Some(id));
        };
        let actor = session.actor();
        if let Decision::Deny(reason) =
            Uploads::POLICY.decide(Some(&actor), Action::Update, Some(upload.owner_id))
        {
            self.deps.record(
                context,
                SecurityEvent::new(SecurityEventKind::PermissionDenied, reason.as_str())
                    .user(actor.id)
                    .target(format!("upload:{id}"), "attach"),
            );
            return Err(PostError::Forbidden(reason));
        }
        Ok(Some(id))
    }
}
