//! The upload repository on a database without one: PostgreSQL, until its adapter stores uploads.
//!
//! NOTE: rampart-postgres has no `UploadRepository` yet. On PostgreSQL, uploads answer 503 and
//! the rest of the service works: erasure and export see no uploads, and the startup sweep
//! removes no file.

use async_trait::async_trait;
use rampart_domain::upload::{Upload, UploadId};
use rampart_domain::user::UserId;
use rampart_ports::{StoreError, UploadRepository};

/// An upload repository that stores nothing and rejects every insert as unavailable.
pub(crate) struct NoUploads;

#[async_trait]
impl UploadRepository for NoUploads {
    async fn insert(&self, _upload: &Upload) -> Result<(), StoreError> {
        Err(StoreError::Unavailable(
            "uploads are stored only with the SQLite database so far".into(),
        ))
    }

    async fn find(&self, _id: UploadId) -> Result<Option<Upload>, StoreError> {
        Ok(None)
    }

    async fn list_by_owner(&self, _owner: UserId) -> Result<Vec<Upload>, StoreError> {
        Ok(Vec::new())
    }

    /// Returns every id as known, so that the startup sweep removes no file it cannot check.
    async fn known_ids(&self, ids: &[UploadId]) -> Result<Vec<UploadId>, StoreError> {
        Ok(ids.to_vec())
    }

    async fn delete(&self, _id: UploadId) -> Result<bool, StoreError> {
        Ok(false)
    }
}
