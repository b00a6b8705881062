//! [`ImageSniffer`]: sniffing, header reads and the bounded pool of re-encoding jobs.

use std::io::Cursor;
use std::sync::Arc;

use async_trait::async_trait;
use image::{ImageReader, Limits};
use rampart_domain::upload::ImageFormat;
use rampart_ports::{Dimensions, ImageError, ImageInspector};
use tokio::sync::Semaphore;

use crate::reencode::{codec_format, image_error, reencode};

/// Most bytes one decoder may allocate, output buffer included: a 40-megapixel RGBA image with
/// 16 bits per channel needs 320 MiB.
pub const DECODE_MAX_ALLOC: u64 = 384 * 1024 * 1024;
/// JPEG quality of re-encoded images, from 1 to 100.
pub const JPEG_QUALITY: u8 = 90;

/// Sniffs, measures and re-encodes images with infer and the image crate.
#[derive(Debug, Clone)]
pub struct ImageSniffer {
    /// Permits for decode jobs: each can hold up to [`DECODE_MAX_ALLOC`] bytes, so the number of
    /// permits bounds the memory that uploads can take at once.
    jobs: Arc<Semaphore>,
}

impl ImageSniffer {
    /// Builds a sniffer that runs at most `concurrent_jobs` decodes at once (at least one); more
    /// wait for a free slot.
    pub fn new(concurrent_jobs: usize) -> Self {
        Self {
            jobs: Arc::new(Semaphore::new(concurrent_jobs.max(1))),
        }
    }
}

/// Returns the decoding limits for images of at most `max_pixels` pixels.
pub(crate) fn limits(max_pixels: u64) -> Limits {
    let side = u32::try_from(max_pixels).unwrap_or(u32::MAX);
    let mut limits = Limits::default();
    limits.max_image_width = Some(side);
    limits.max_image_height = Some(side);
    limits.max_alloc = Some(DECODE_MAX_ALLOC);
    limits
}

#[async_trait]
impl ImageInspector for ImageSniffer {
    fn sniff(&self, bytes: &[u8]) -> Option<String> {
        infer::get(bytes).map(|kind| kind.mime_type().to_owned())
    }

    fn dimensions(&self, bytes: &[u8], format: ImageFormat) -> Result<Dimensions, ImageError> {
        let mut reader = ImageReader::with_format(Cursor::new(bytes), codec_format(format));
        reader.limits(limits(u64::from(u32::MAX)));
        let (width, height) = reader.into_dimensions().map_err(image_error)?;
        Ok(Dimensions { width, height })
    }

    async fn reencode(
        &self,
        bytes: Vec<u8>,
        format: ImageFormat,
        max_pixels: u64,
    ) -> Result<Vec<u8>, ImageError> {
        let permit = self
            .jobs
            .clone()
            .acquire_owned()
            .await
            .map_err(|error| ImageError::Internal(Box::new(error)))?;
        let job = tokio::task::spawn_blocking(move || {
            let encoded = reencode(&bytes, format, max_pixels);
            drop(permit);
            encoded
        });
        job.await
            .map_err(|error| ImageError::Internal(Box::new(error)))?
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn png_signature_sniffs_as_png() {
        let sniffer = ImageSniffer::new(1);

        let sniffed = sniffer.sniff(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR");

        assert_eq!(sniffed.as_deref(), Some("image/png"));
    }

    #[test]
    fn zip_signature_sniffs_as_zip() {
        let sniffer = ImageSniffer::new(1);

        let sniffed = sniffer.sniff(b"PK\x03\x04\x14\0\0\0\x08\0");

        assert_eq!(sniffed.as_deref(), Some("application/zip"));
    }

    #[test]
    fn plain_text_sniffs_as_nothing() {
        let sniffer = ImageSniffer::new(1);

        assert_eq!(sniffer.sniff(b"hello, world"), None);
    }
}
