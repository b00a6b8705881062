//! [`FsBlobStore`]: atomic writes, reads, removals and listing of upload files.

use std::fs::{DirBuilder, File, OpenOptions};
use std::io::{ErrorKind, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use async_trait::async_trait;
use rampart_domain::upload::UploadId;
use rampart_ports::{BlobStore, StoreError};
use tracing::{instrument, warn};
use uuid::Uuid;

/// Mode of every upload file.
pub const FILE_MODE: u32 = 0o600;
/// Mode of the upload directory when this crate creates it.
pub const DIRECTORY_MODE: u32 = 0o700;
/// Prefix of temporary files; no upload id starts with a dot.
const TEMP_PREFIX: &str = ".tmp-";

/// Failure to set up the upload directory.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// The directory cannot be created, read or cleaned.
    #[error("failed to prepare upload directory {path:?} (check its permissions)")]
    Directory {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// Upload files in one directory, named by upload id.
#[derive(Debug, Clone)]
pub struct FsBlobStore {
    directory: PathBuf,
}

impl FsBlobStore {
    /// Opens the upload directory, creating it (mode 0700, parents included) when missing.
    ///
    /// # Errors
    /// [`StorageError::Directory`] when the directory cannot be created or read.
    pub fn open(directory: impl Into<PathBuf>) -> Result<Self, StorageError> {
        let directory = directory.into();
        let directory_error = |source| StorageError::Directory {
            path: directory.clone(),
            source,
        };
        DirBuilder::new()
            .recursive(true)
            .mode(DIRECTORY_MODE)
            .create(&directory)
            .map_err(directory_error)?;
        let mode = std::fs::metadata(&directory)
            .map_err(directory_error)?
            .permissions()
            .mode();
        if mode & 0o077 != 0 {
            warn!(
                path = %directory.display(),
                mode = format_args!("{:o}", mode & 0o777),
                "upload directory is accessible to other users; restrict it with chmod 700"
            );
        }

        Ok(Self { directory })
    }

    /// Returns the upload directory.
    pub fn directory(&self) -> &Path {
        &self.directory
    }

    fn path_of(&self, id: UploadId) -> PathBuf {
        self.directory.join(id.as_uuid().hyphenated().to_string())
    }
}

/// Runs blocking file work on tokio's blocking threads.
async fn blocking<T, F>(context: &'static str, work: F) -> Result<T, StoreError>
where
    F: FnOnce() -> std::io::Result<T> + Send + 'static,
    T: Send + 'static,
{
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|error| StoreError::other(context, error))?
        .map_err(|error| StoreError::other(context, error))
}

/// Writes `bytes` to `target` through a temporary file in the same directory: write, `fsync`,
/// rename, `fsync` of the directory.
fn write_atomically(directory: &Path, target: &Path, bytes: &[u8]) -> std::io::Result<()> {
    if target.exists() {
        return Err(std::io::Error::new(
            ErrorKind::AlreadyExists,
            "an upload file with this id exists",
        ));
    }
    let temporary = directory.join(format!("{TEMP_PREFIX}{}", Uuid::new_v4()));
    let written = (|| {
        let mut file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(FILE_MODE)
            .open(&temporary)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        std::fs::rename(&temporary, target)?;
        File::open(directory)?.sync_all()
    })();
    if written.is_err() {
        // Best effort: a leftover temporary file is removed on the next open.
        let _ = std::fs::remove_file(&temporary);
    }
    written
}

#[async_trait]
impl BlobStore for FsBlobStore {
    #[instrument(level = "debug", skip_all, fields(upload_id = %id, size = bytes.len()))]
    async fn write(&self, id: UploadId, bytes: Vec<u8>) -> Result<(), StoreError> {
        let directory = self.directory.clone();
        let target = self.path_of(id);
        blocking("write upload file", move || {
            write_atomically(&directory, &target, &bytes)
        })
        .await
    }

    #[instrument(level = "debug", skip_all, fields(upload_id = %id))]
    async fn read(&self, id: UploadId) -> Result<Option<Vec<u8>>, StoreError> {
        let path = self.path_of(id);
        blocking("read upload file", move || match std::fs::read(path) {
            Ok(bytes) => Ok(Some(bytes)),
            Err(error) if error.kind() == ErrorKind::NotFound => Ok(None),
            Err(error) => Err(error),
        })
        .await
    }

    #[instrument(level = "debug", skip_all, fields(upload_id = %id))]
    async fn remove(&self, id: UploadId) -> Result<bool, StoreError> {
        let path = self.path_of(id);
        blocking("remove upload file", move || {
            match std::fs::remove_file(path) {
                Ok(()) => Ok(true),
                Err(error) if error.kind() == ErrorKind::NotFound => Ok(false),
                Err(error) => Err(error),
            }
        })
        .await
    }

    #[instrument(level = "debug", skip_all)]
    async fn list(&self) -> Result<Vec<UploadId>, StoreError> {
        let directory = self.directory.clone();
        blocking("list upload files", move || {
            let mut ids = Vec::new();
            for entry in std::fs::read_dir(&directory)? {
                let name = entry?.file_name();
                // Temporary files and anything not named by an upload id are not blobs.
                if let Some(id) = name.to_str().and_then(|name| Uuid::try_parse(name).ok()) {
                    ids.push(UploadId::from_uuid(id));
                }
            }
            Ok(ids)
        })
        .await
    }

    #[instrument(level = "debug", skip_all)]
    async fn remove_partial_writes(&self) -> Result<usize, StoreError> {
        let directory = self.directory.clone();
        blocking("remove partial upload writes", move || {
            let mut removed = 0;
            for entry in std::fs::read_dir(&directory)? {
                let entry = entry?;
                if entry.file_name().to_string_lossy().starts_with(TEMP_PREFIX) {
                    std::fs::remove_file(entry.path())?;
                    removed += 1;
                }
            }
            Ok(removed)
        })
        .await
    }
}

#[cfg(test)]
#[path = "store_tests.rs"]
mod tests;
