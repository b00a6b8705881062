//! Upload ports: the upload records, the files behind them, and the image inspection that sniffs,
//! measures and re-encodes untrusted bytes.

use async_trait::async_trait;
use rampart_domain::upload::{ImageFormat, Upload, UploadId};
use rampart_domain::user::UserId;

use crate::error::{BoxError, StoreError};
#[cfg(doc)]
use crate::stores::UserRepository;

/// Stores upload records; the image bytes live in a [`BlobStore`] under the same id.
///
/// MUST remove a user's records when [`UserRepository::delete`] removes the user, in the same
/// step.
///
/// Every method returns [`StoreError::Unavailable`] when the store cannot be reached and
/// [`StoreError::Other`] for any other failure of the store.
#[cfg_attr(feature = "mock", mockall::automock)]
#[async_trait]
pub trait UploadRepository: Send + Sync {
    /// Inserts a new upload record.
    ///
    /// MUST reject a record whose owner does not exist, such as an owner deleted a moment
    /// before, with [`StoreError::MissingReference`] naming `owner_id`, and write nothing.
    ///
    /// # Errors
    /// As above, and store failures.
    async fn insert(&self, upload: &Upload) -> Result<(), StoreError>;

    /// Finds an upload by id.
    ///
    /// # Errors
    /// Store failures only; an unknown id is `Ok(None)`.
    async fn find(&self, id: UploadId) -> Result<Option<Upload>, StoreError>;

    /// Lists every upload of one owner, newest first.
    ///
    /// # Errors
    /// Store failures only.
    async fn list_by_owner(&self, owner: UserId) -> Result<Vec<Upload>, StoreError>;

    /// Returns those of `ids` that have a record, in no particular order.
    ///
    /// # Errors
    /// Store failures only.
    async fn known_ids(&self, ids: &[UploadId]) -> Result<Vec<UploadId>, StoreError>;

    /// Deletes an upload record; returns `Ok(false)` for an unknown id.
    ///
    /// MUST clear `image_id` on every post that names the upload, in the same step.
    ///
    /// # Errors
    /// Store failures only.
    async fn delete(&self, id: UploadId) -> Result<bool, StoreError>;
}

/// Stores the bytes of uploads under their ids.
///
/// Implementations MUST write each blob atomically: a reader or a restart sees the whole blob or
/// none of it.
#[cfg_attr(feature = "mock", mockall::automock)]
#[async_trait]
pub trait BlobStore: Send + Sync {
    /// Writes the blob of `id`, replacing none: writing an id that exists is an error.
    ///
    /// # Errors
    /// [`StoreError::Other`] when the blob cannot be written or already exists.
    async fn write(&self, id: UploadId, bytes: Vec<u8>) -> Result<(), StoreError>;

    /// Reads the blob of `id`; a missing blob is `Ok(None)`.
    ///
    /// # Errors
    /// [`StoreError::Other`] when the blob exists but cannot be read.
    async fn read(&self, id: UploadId) -> Result<Option<Vec<u8>>, StoreError>;

    /// Removes the blob of `id`; returns `Ok(false)` when there was none.
    ///
    /// # Errors
    /// [`StoreError::Other`] when the blob exists but cannot be removed.
    async fn remove(&self, id: UploadId) -> Result<bool, StoreError>;

    /// Lists the id of every stored blob.
    ///
    /// # Errors
    /// [`StoreError::Other`] when the store cannot be listed.
    async fn list(&self) -> Result<Vec<UploadId>, StoreError>;

    /// Removes what interrupted writes left behind, such as temporary files, and returns how
    /// many it removed. Call it only while no write is in flight.
    ///
    /// # Errors
    /// [`StoreError::Other`] when the leftovers cannot be listed or removed.
    async fn remove_partial_writes(&self) -> Result<usize, StoreError>;
}

/// Width and height in pixels, as an image header declares them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dimensions {
    pub width: u32,
    pub height: u32,
}

/// Why an image could not be measured or re-encoded.
#[derive(Debug, thiserror::Error)]
pub enum ImageError {
    /// The bytes are not a decodable image of the expected format.
    #[error("image is malformed")]
    Malformed(#[source] BoxError),
    /// Decoding would pass the pixel or memory limit.
    #[error("image exceeds the decoding limits")]
    LimitExceeded,
    /// Encoding or the worker thread failed.
    #[error("image processing failed")]
    Internal(#[source] BoxError),
}

/// Sniffs, measures and re-encodes untrusted image bytes.
///
/// Implementations MUST NOT trust anything but the bytes, MUST read dimensions from the header
/// without decoding pixels, and MUST do decoding and encoding off the async workers.
#[cfg_attr(feature = "mock", mockall::automock)]
#[async_trait]
pub trait ImageInspector: Send + Sync {
    /// Returns the MIME type that the leading bytes' signature names, such as `image/png` or
    /// `application/zip`, or `None` when no known signature matches.
    fn sniff(&self, bytes: &[u8]) -> Option<String>;

    /// Reads the width and height from the header of an image of `format`.
    ///
    /// # Errors
    /// [`ImageError::Malformed`] when the header is missing, truncated or invalid.
    fn dimensions(&self, bytes: &[u8], format: ImageFormat) -> Result<Dimensions, ImageError>;

    /// Decodes an image of `format` with at most `max_pixels` pixels and encodes it again in the
    /// same format, which drops metadata (EXIF included) and anything after the image data.
    ///
    /// # Errors
    /// [`ImageError::Malformed`] when decoding fails, [`ImageError::LimitExceeded`] past the
    /// limits, [`ImageError::Internal`] when encoding fails.
    async fn reencode(
        &self,
        bytes: Vec<u8>,
        format: ImageFormat,
        max_pixels: u64,
    ) -> Result<Vec<u8>, ImageError>;
}
