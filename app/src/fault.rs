//! Fault injection for crash-recovery tests.
//!
//! With `RAMPART_TEST_ABORT_BEFORE_UPLOAD_INSERT` set to `1` and `env = development`, the process
//! aborts right after an upload's file is written and before its record is inserted, as a crash
//! there would. The end-to-end tests use it to check that a restart leaves neither the file nor
//! the record. In production the variable is ignored with a warning.

use std::sync::Arc;

use async_trait::async_trait;
use rampart_domain::upload::{Upload, UploadId};
use rampart_domain::user::UserId;
use rampart_ports::{StoreError, UploadRepository};

use crate::config::{Config, Environment};

/// The variable that turns the fault on.
pub(crate) const ABORT_BEFORE_UPLOAD_INSERT: &str = "RAMPART_TEST_ABORT_BEFORE_UPLOAD_INSERT";

/// Returns `inner`, wrapped to abort the process on insert when the fault is turned on.
pub(crate) fn upload_repository(
    inner: Arc<dyn UploadRepository>,
    config: &Config,
) -> Arc<dyn UploadRepository> {
    if std::env::var_os(ABORT_BEFORE_UPLOAD_INSERT).is_none_or(|value| value != "1") {
        return inner;
    }
    if config.env == Environment::Production {
        tracing::warn!(
            variable = ABORT_BEFORE_UPLOAD_INSERT,
            "fault injection is ignored in production"
        );
        return inner;
    }
    tracing::warn!(
        variable = ABORT_BEFORE_UPLOAD_INSERT,
        "fault injection on: the process aborts before inserting an upload record"
    );
    Arc::new(AbortBeforeInsert { inner })
}

/// An upload repository that aborts the process instead of inserting.
struct AbortBeforeInsert {
    inner: Arc<dyn UploadRepository>,
}

#[async_trait]
impl UploadRepository for AbortBeforeInsert {
    async fn insert(&self, upload: &Upload) -> Result<(), StoreError> {
        tracing::error!(upload.id = %upload.id, "injected fault: aborting before the upload record insert");
        std::process::abort();
    }

    async fn find(&self, id: UploadId) -> Result<Option<Upload>, StoreError> {
        self.inner.find(id).await
    }

    async fn list_by_owner(&self, owner: UserId) -> Result<Vec<Upload>, StoreError> {
        self.inner.list_by_owner(owner).await
    }

    async fn known_ids(&self, ids: &[UploadId]) -> Result<Vec<UploadId>, StoreError> {
        self.inner.known_ids(ids).await
    }

    async fn delete(&self, id: UploadId) -> Result<bool, StoreError> {
        self.inner.delete(id).await
    }
}
