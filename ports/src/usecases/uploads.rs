//! Image uploads: authenticated users upload, anyone reads, only owners delete.
//!
//! A file and its record appear together or not at all. The file is written first (atomically,
//! under the upload id) and the record second; a failed insert removes the file again. Deletion
//! goes the other way: record first, then file. So at any moment, a crash included, every record
//! has its file, and the only possible leftovers are files without a record, which
//! [`Uploads::sweep_orphans`] removes at startup.

use std::collections::HashSet;

use rampart_domain::event::{SecurityEvent, SecurityEventKind};
use rampart_domain::filename::CleanFilename;
use rampart_domain::permission::{Action, Decision, DenyReason, Policy};
use rampart_domain::upload::{ImageFormat, Upload, UploadId, UploadRejection};
use rampart_domain::upload_policy::{UploadPolicy, extension_of};
use rampart_domain::user::UserId;
use tracing::{error, info, instrument, warn};
use uuid::Uuid;

use super::context::{Deps, RequestContext};
use super::session::Session;
use crate::error::{BoxError, StoreError};
use crate::uploads::ImageError;

/// Failure of an upload operation.
#[derive(Debug, thiserror::Error)]
pub enum UploadError {
    /// The file breaks a rule of the upload policy; an `upload_rejected` event was recorded.
    #[error("upload rejected: {0}")]
    Rejected(UploadRejection),
    #[error("upload not found")]
    NotFound,
    /// The caller may not do this, for the reason carried.
    #[error("permission denied: {}", .0.as_str())]
    Forbidden(DenyReason),
    /// The caller's account no longer exists, such as a token that outlived its deleted account.
    #[error("account not found")]
    AccountNotFound,
    #[error("upload operation failed")]
    Internal(#[source] BoxError),
}

impl From<StoreError> for UploadError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::MissingReference { field: "owner_id" } => Self::AccountNotFound,
            other => Self::Internal(other.into()),
        }
    }
}

/// Why the checks of one file stopped: a rule, or a failure of the server.
enum CheckFailure {
    Rejected(UploadRejection),
    Internal(BoxError),
}

impl From<UploadRejection> for CheckFailure {
    fn from(rejection: UploadRejection) -> Self {
        Self::Rejected(rejection)
    }
}

/// Image uploads.
#[derive(Clone)]
pub struct Uploads {
    deps: Deps,
}

impl Uploads {
    /// The permission policy of every upload operation.
    pub const POLICY: Policy = Policy::IsOwnerOrReadOnly;

    /// Builds the use case on shared ports.
    pub fn new(deps: Deps) -> Self {
        Self { deps }
    }

    /// Returns the size and pixel limits, which the transport applies while it reads the body.
    pub fn policy(&self) -> UploadPolicy {
        self.deps.upload_policy
    }

    /// Records an `upload_rejected` event for a rejection found by the transport (a body over
    /// the limit, a malformed form) and returns the error to respond with.
    pub fn reject(
        &self,
        context: &RequestContext,
        session: &Session,
        rejection: UploadRejection,
    ) -> UploadError {
        self.record_rejection(context, session.claims.user_id, &rejection);
        UploadError::Rejected(rejection)
    }

    /// Checks an uploaded file against the policy, re-encodes it, and stores the file and its
    /// record for the caller.
    ///
    /// # Errors
    /// [`UploadError::Rejected`] naming the first rule the file breaks (also recorded as an
    /// `upload_rejected` event), [`UploadError::AccountNotFound`] when the caller's account was
    /// deleted, [`UploadError::Internal`] when storing fails.
    #[instrument(skip_all, fields(request_id = %context.request_id, user.id = %session.claims.user_id, upload.id))]
    pub async fn create(
        &self,
        context: &RequestContext,
        session: &Session,
        filename: &str,
        bytes: Vec<u8>,
    ) -> Result<Upload, UploadError> {
        let (format, image) = match self.check(filename, bytes).await {
            Ok(checked) => checked,
            Err(CheckFailure::Rejected(rejection)) => {
                return Err(self.reject(context, session, rejection));
            }
            Err(CheckFailure::Internal(source)) => return Err(UploadError::Internal(source)),
        };

        let upload = Upload {
            id: UploadId::from_uuid(Uuid::new_v4()),
            owner_id: session.claims.user_id,
            filename: CleanFilename::from_untrusted(filename, format),
            format,
            size: u64::try_from(image.len()).unwrap_or(u64::MAX),
            created_at: self.deps.clock.now(),
        };
        tracing::Span::current().record("upload.id", tracing::field::display(upload.id));
        self.deps.blobs.write(upload.id, image).await?;
        if let Err(insert_error) = self.deps.uploads.insert(&upload).await {
            self.remove_blob(upload.id).await;
            return Err(insert_error.into());
        }
        info!(
            upload.size = upload.size,
            upload.format = upload.format.name(),
            "upload stored"
        );
        Ok(upload)
    }

    /// Returns an upload with its image bytes.
    ///
    /// # Errors
    /// [`UploadError::NotFound`] for an unknown id, [`UploadError::Internal`] when the record
    /// has no file.
    pub async fn get(&self, id: UploadId) -> Result<(Upload, Vec<u8>), UploadError> {
        let upload = self
            .deps
            .uploads
            .find(id)
            .await?
            .ok_or(UploadError::NotFound)?;
        let Some(bytes) = self.deps.blobs.read(id).await? else {
            error!(upload.id = %id, "upload record has no file");
            return Err(UploadError::Internal("upload file is missing".into()));
        };
        Ok((upload, bytes))
    }

    /// Deletes an upload of the caller's: its record, then its file. Posts that showed it lose
    /// their image.
    ///
    /// # Errors
    /// [`UploadError::NotFound`], or [`UploadError::Forbidden`] for another user's upload (logged
    /// as a `permission_denied` event).
    #[instrument(skip_all, fields(request_id = %context.request_id, user.id = %session.claims.user_id, upload.id = %id))]
    pub async fn delete(
        &self,
        context: &RequestContext,
        session: &Session,
        id: UploadId,
    ) -> Result<(), UploadError> {
        let upload = self
            .deps
            .uploads
            .find(id)
            .await?
            .ok_or(UploadError::NotFound)?;
        let actor = session.actor();
        if let Decision::Deny(reason) =
            Self::POLICY.decide(Some(&actor), Action::Delete, Some(upload.owner_id))
        {
            self.deps.record(
                context,
                SecurityEvent::new(SecurityEventKind::PermissionDenied, reason.as_str())
                    .user(actor.id)
                    .target(format!("upload:{id}"), Action::Delete.as_str()),
            );
            return Err(UploadError::Forbidden(reason));
        }

        if !self.deps.uploads.delete(id).await? {
            return Err(UploadError::NotFound);
        }
        self.remove_blob(id).await;
        info!("upload deleted");
        Ok(())
    }

    /// Removes every stored file that has no record: what a crash between writing a file and
    /// inserting its record, or between deleting a record and its file, leaves behind. Also
    /// removes partial writes. Returns how many files without a record it removed.
    ///
    /// Run it before serving: a file written by a request in flight has no record yet either.
    ///
    /// # Errors
    /// [`UploadError::Internal`] when the files or records cannot be listed.
    #[instrument(skip_all)]
    pub async fn sweep_orphans(&self) -> Result<usize, UploadError> {
        let partial = self.deps.blobs.remove_partial_writes().await?;
        if partial > 0 {
            warn!(files.removed = partial, "removed partial upload writes");
        }
        let stored = self.deps.blobs.list().await?;
        let known: HashSet<UploadId> = self
            .deps
            .uploads
            .known_ids(&stored)
            .await?
            .into_iter()
            .collect();
        let mut removed = 0;
        for id in stored.into_iter().filter(|id| !known.contains(id)) {
            if self.deps.blobs.remove(id).await? {
                removed += 1;
            }
        }
        if removed > 0 {
            warn!(
                files.removed = removed,
                "removed upload files without a record"
            );
        }
        Ok(removed)
    }

    /// Runs the policy's checks in order and returns the format and the re-encoded image.
    async fn check(
        &self,
        filename: &str,
        bytes: Vec<u8>,
    ) -> Result<(ImageFormat, Vec<u8>), CheckFailure> {
        let policy = self.deps.upload_policy;
        policy.check_size(u64::try_from(bytes.len()).unwrap_or(u64::MAX))?;
        let claimed = policy.check_extension(filename)?;
        policy.check_content(&bytes)?;
        let sniffed = self.deps.images.sniff(&bytes);
        let format = policy.check_type(claimed, extension_of(filename), sniffed.as_deref())?;

        let malformed = UploadRejection::Malformed {
            format: format.name(),
        };
        let dimensions = self
            .deps
            .images
            .dimensions(&bytes, format)
            .map_err(|_| malformed.clone())?;
        policy.check_dimensions(format, dimensions.width, dimensions.height)?;

        let image = match self
            .deps
            .images
            .reencode(bytes, format, policy.max_pixels)
            .await
        {
            Ok(image) => image,
            Err(ImageError::Malformed(_)) => return Err(malformed.into()),
            Err(ImageError::LimitExceeded) => {
                return Err(UploadRejection::TooManyPixels {
                    width: dimensions.width,
                    height: dimensions.height,
                    max_pixels: policy.max_pixels,
                }
                .into());
            }
            Err(ImageError::Internal(source)) => return Err(CheckFailure::Internal(source)),
        };
        // Encoders write pixels back as compressed data, and crafted pixels can compress into a
        // signature, so the output is scanned too.
        policy.check_content(&image)?;
        Ok((format, image))
    }

    fn record_rejection(
        &self,
        context: &RequestContext,
        user_id: UserId,
        rejection: &UploadRejection,
    ) {
        info!(rule = rejection.rule(), "upload rejected");
        self.deps.record(
            context,
            SecurityEvent::new(
                SecurityEventKind::UploadRejected,
                format!("{}: {rejection}", rejection.rule()),
            )
            .user(user_id)
            .target("upload:new", Action::Create.as_str()),
        );
    }

    /// Removes a file whose record is gone or was never written. A failure is logged, not
    /// returned: the startup sweep removes the file later.
    async fn remove_blob(&self, id: UploadId) {
        if let Err(remove_error) = self.deps.blobs.remove(id).await {
            warn!(upload.id = %id, error = %remove_error, "upload file left behind; the startup sweep removes it");
        }
    }
}
