//! [`UploadRepository`] on the in-memory records.

use std::cmp::Reverse;

use async_trait::async_trait;
use rampart_domain::upload::{Upload, UploadId};
use rampart_domain::user::UserId;
use rampart_ports::{StoreError, UploadRepository};
use tracing::instrument;

use crate::records::{MemoryRepositories, missing};

#[async_trait]
impl UploadRepository for MemoryRepositories {
    #[instrument(level = "debug", skip_all, fields(upload_id = %upload.id, user_id = %upload.owner_id))]
    async fn insert(&self, upload: &Upload) -> Result<(), StoreError> {
        let mut records = self.records()?;
        if !records.users.contains_key(&upload.owner_id) {
            return Err(missing("owner_id"));
        }
        if records.uploads.contains_key(&upload.id) {
            return Err(StoreError::other(
                "insert upload",
                "upload id already exists",
            ));
        }
        records.uploads.insert(upload.id, upload.clone());
        Ok(())
    }

    #[instrument(level = "debug", skip_all, fields(upload_id = %id))]
    async fn find(&self, id: UploadId) -> Result<Option<Upload>, StoreError> {
        Ok(self.records()?.uploads.get(&id).cloned())
    }

    #[instrument(level = "debug", skip_all, fields(user_id = %owner))]
    async fn list_by_owner(&self, owner: UserId) -> Result<Vec<Upload>, StoreError> {
        let records = self.records()?;
        let mut uploads: Vec<Upload> = records
            .uploads
            .values()
            .filter(|upload| upload.owner_id == owner)
            .cloned()
            .collect();
        uploads.sort_by_key(|upload| (Reverse(upload.created_at), upload.id));
        Ok(uploads)
    }

    #[instrument(level = "debug", skip_all, fields(count = ids.len()))]
    async fn known_ids(&self, ids: &[UploadId]) -> Result<Vec<UploadId>, StoreError> {
        let records = self.records()?;
        Ok(ids
            .iter()
            .filter(|id| records.uploads.contains_key(id))
            .copied()
            .collect())
    }

    #[instrument(level = "debug", skip_all, fields(upload_id = %id))]
    async fn delete(&self, id: UploadId) -> Result<bool, StoreError> {
        let mut records = self.records()?;
        if records.uploads.remove(&id).is_none() {
            return Ok(false);
        }
        let image_id = Some(id.as_uuid());
        for post in records.posts.values_mut() {
            if post.image_id == image_id {
                post.image_id = None;
            }
        }
        Ok(true)
    }
}
