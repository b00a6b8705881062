//! The upload policy: which files are accepted as images, checked step by step.
//!
//! The use case runs the checks in this order, and the first failed check rejects the upload.
//! First come the declared request length and the size while streaming. Then the extension,
//! forbidden signatures in the raw bytes, the sniffed type against the extension and the pixel
//! count from the header. Last, the re-encoded bytes are scanned for signatures again. Each check returns the
//! [`UploadRejection`] that names the rule it enforces.

use crate::upload::{ImageFormat, UploadRejection};

/// Default maximum file size: 5 MiB.
pub const MAX_FILE_BYTES: u64 = 5 * 1024 * 1024;
/// Default maximum pixel count of a decoded image: 40 megapixels.
pub const MAX_PIXELS: u64 = 40_000_000;
/// Room for the multipart boundaries and part headers around the file, in bytes.
pub const FORM_OVERHEAD_BYTES: u64 = 64 * 1024;

/// Byte patterns that mark scripts, markup or executables, each with the name used in messages.
/// Text patterns match in any ASCII case.
const ANYWHERE: [(&[u8], &str); 7] = [
    (b"<?php", "a PHP tag (<?php)"),
    (b"<script", "a script tag (<script)"),
    (b"<svg", "SVG markup (<svg)"),
    (b"<html", "HTML markup (<html)"),
    (b"javascript:", "a javascript: URL"),
    (b"\x7fELF", "an ELF executable header"),
    (b"PK\x03\x04", "a ZIP archive header"),
];
/// The PE (Windows executable) header, forbidden at the start of the file only: two bytes
/// anywhere would reject too many valid images.
const PE_HEADER: &[u8] = b"MZ";

/// Size and pixel limits of uploads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UploadPolicy {
    /// Maximum size of the file in bytes.
    pub max_file_bytes: u64,
    /// Maximum width times height of an image.
    pub max_pixels: u64,
}

impl Default for UploadPolicy {
    fn default() -> Self {
        Self {
            max_file_bytes: MAX_FILE_BYTES,
            max_pixels: MAX_PIXELS,
        }
    }
}

impl UploadPolicy {
    /// Returns the largest request body that can carry a file of the maximum size.
    pub fn max_request_bytes(&self) -> u64 {
        self.max_file_bytes + FORM_OVERHEAD_BYTES
    }

    /// Checks a declared `Content-Length` before any of the body is read.
    ///
    /// # Errors
    /// [`UploadRejection::TooLarge`] past [`max_request_bytes`](Self::max_request_bytes).
    pub fn check_declared_length(&self, length: u64) -> Result<(), UploadRejection> {
        if length > self.max_request_bytes() {
            return Err(self.too_large());
        }
        Ok(())
    }

    /// Checks the number of file bytes read so far; call it after every chunk, so reading stops
    /// at the first chunk past the limit.
    ///
    /// # Errors
    /// [`UploadRejection::TooLarge`] past `max_file_bytes`.
    pub fn check_size(&self, bytes_read: u64) -> Result<(), UploadRejection> {
        if bytes_read > self.max_file_bytes {
            return Err(self.too_large());
        }
        Ok(())
    }

    /// Returns the rejection for a file or body over the limit.
    pub fn too_large(&self) -> UploadRejection {
        UploadRejection::TooLarge {
            max_bytes: self.max_file_bytes,
        }
    }

    /// Returns the format the file name's extension names.
    ///
    /// # Errors
    /// [`UploadRejection::ExtensionNotAllowed`] for a name without an allowed extension.
    pub fn check_extension(&self, filename: &str) -> Result<ImageFormat, UploadRejection> {
        let base = filename.rsplit(['/', '\\']).next().unwrap_or_default();
        base.rsplit_once('.')
            .and_then(|(_, extension)| ImageFormat::from_extension(extension))
            .ok_or_else(|| UploadRejection::ExtensionNotAllowed(truncate(base, 100)))
    }

    /// Checks that the file is not empty and contains no script, markup or executable
    /// signature anywhere.
    ///
    /// # Errors
    /// [`UploadRejection::Empty`] or [`UploadRejection::ForbiddenContent`] naming the first
    /// signature found.
    pub fn check_content(&self, bytes: &[u8]) -> Result<(), UploadRejection> {
        if bytes.is_empty() {
            return Err(UploadRejection::Empty);
        }
        if bytes.starts_with(PE_HEADER) {
            return Err(UploadRejection::ForbiddenContent(
                "a Windows executable header (MZ)",
            ));
        }
        for (pattern, name) in ANYWHERE {
            if contains_ignore_ascii_case(bytes, pattern) {
                return Err(UploadRejection::ForbiddenContent(name));
            }
        }
        Ok(())
    }

    /// Checks the type sniffed from the bytes against the format the extension names. The
    /// type a client declares in `Content-Type` is never consulted.
    ///
    /// `sniffed` is the MIME type the bytes look like, or `None` when no known signature
    /// matched.
    ///
    /// # Errors
    /// [`UploadRejection::NotAnImage`] when the bytes are no accepted image type,
    /// [`UploadRejection::TypeMismatch`] when they are another format than the extension names.
    pub fn check_type(
        &self,
        claimed: ImageFormat,
        extension: &str,
        sniffed: Option<&str>,
    ) -> Result<ImageFormat, UploadRejection> {
        let Some(mime) = sniffed else {
            return Err(UploadRejection::NotAnImage {
                sniffed: "unknown".to_owned(),
            });
        };
        let Some(format) = ImageFormat::from_mime(mime) else {
            return Err(UploadRejection::NotAnImage {
                sniffed: truncate(mime, 100),
            });
        };
        if format != claimed {
            return Err(UploadRejection::TypeMismatch {
                sniffed: format.name(),
                extension: truncate(extension, 20),
            });
        }
        Ok(format)
    }

    /// Checks the dimensions read from the image header, before any pixel is decoded.
    ///
    /// # Errors
    /// [`UploadRejection::TooManyPixels`] when width times height is over `max_pixels`, and
    /// [`UploadRejection::Malformed`] for a zero width or height.
    pub fn check_dimensions(
        &self,
        format: ImageFormat,
        width: u32,
        height: u32,
    ) -> Result<(), UploadRejection> {
        if width == 0 || height == 0 {
            return Err(UploadRejection::Malformed {
                format: format.name(),
            });
        }
        if u64::from(width) * u64::from(height) > self.max_pixels {
            return Err(UploadRejection::TooManyPixels {
                width,
                height,
                max_pixels: self.max_pixels,
            });
        }
        Ok(())
    }
}

/// Returns the extension of the last path part of a file name, as the client wrote it.
pub fn extension_of(filename: &str) -> &str {
    let base = filename.rsplit(['/', '\\']).next().unwrap_or_default();
    base.rsplit_once('.').map_or("", |(_, extension)| extension)
}

fn contains_ignore_ascii_case(haystack: &[u8], needle: &[u8]) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window.eq_ignore_ascii_case(needle))
}

fn truncate(text: &str, max_chars: usize) -> String {
    text.chars().take(max_chars).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const POLICY: UploadPolicy = UploadPolicy {
        max_file_bytes: MAX_FILE_BYTES,
        max_pixels: MAX_PIXELS,
    };

    #[test]
    fn declared_length_allows_form_overhead() {
        assert_eq!(
            POLICY.check_declared_length(MAX_FILE_BYTES + FORM_OVERHEAD_BYTES),
            Ok(())
        );
        assert_eq!(
            POLICY.check_declared_length(MAX_FILE_BYTES + FORM_OVERHEAD_BYTES + 1),
            Err(POLICY.too_large())
        );
    }

    #[test]
    fn one_byte_over_is_too_large() {
        assert_eq!(POLICY.check_size(MAX_FILE_BYTES), Ok(()));
        assert_eq!(
            POLICY.check_size(MAX_FILE_BYTES + 1),
            Err(POLICY.too_large())
        );
    }

    #[test]
    fn extension_is_taken_from_last_part() {
        assert_eq!(
            POLICY.check_extension("../../etc/passwd.png"),
            Ok(ImageFormat::Png)
        );
        assert_eq!(
            POLICY.check_extension("shell.php.JPG"),
            Ok(ImageFormat::Jpeg)
        );
    }

    #[test]
    fn disallowed_extensions_are_rejected() {
        for name in [
            "image.svg",
            "shell.php",
            "noextension",
            "a.png.php",
            "dir.png/x",
        ] {
            assert!(
                matches!(
                    POLICY.check_extension(name),
                    Err(UploadRejection::ExtensionNotAllowed(_))
                ),
                "{name}"
            );
        }
    }

    #[test]
    fn empty_content_is_rejected() {
        assert_eq!(POLICY.check_content(b""), Err(UploadRejection::Empty));
    }

    #[test]
    fn text_signatures_match_any_case() {
        for content in [
            &b"GIF89a...<?PHP echo 1; ?>"[..],
            b"\x89PNG<ScRiPt>",
            b"<SVG xmlns=",
            b"<!doctype html><HTML>",
            b"x JavaScript:alert(1)",
        ] {
            assert!(
                matches!(
                    POLICY.check_content(content),
                    Err(UploadRejection::ForbiddenContent(_))
                ),
                "{}",
                String::from_utf8_lossy(content)
            );
        }
    }

    #[test]
    fn executable_signatures_are_rejected() {
        for content in [
            &b"\xff\xd8\xff\xe0 \x7fELF\x02"[..],
            b"\xff\xd8\xff\xd9PK\x03\x04zip",
            b"MZ\x90\x00",
        ] {
            assert!(
                matches!(
                    POLICY.check_content(content),
                    Err(UploadRejection::ForbiddenContent(_))
                ),
                "{content:?}"
            );
        }
    }

    #[test]
    fn pe_header_counts_only_at_start() {
        assert_eq!(POLICY.check_content(b"\x89PNG MZ"), Ok(()));
    }

    #[test]
    fn unknown_type_is_not_an_image() {
        assert!(matches!(
            POLICY.check_type(ImageFormat::Png, "png", None),
            Err(UploadRejection::NotAnImage { .. })
        ));
        assert!(matches!(
            POLICY.check_type(ImageFormat::Png, "png", Some("application/zip")),
            Err(UploadRejection::NotAnImage { .. })
        ));
    }

    #[test]
    fn png_named_gif_is_a_mismatch() {
        let decision = POLICY.check_type(ImageFormat::Gif, "gif", Some("image/png"));

        assert_eq!(
            decision,
            Err(UploadRejection::TypeMismatch {
                sniffed: "PNG",
                extension: "gif".to_owned()
            })
        );
    }

    #[test]
    fn matching_type_is_accepted() {
        let decision = POLICY.check_type(ImageFormat::Jpeg, "JPEG", Some("image/jpeg"));

        assert_eq!(decision, Ok(ImageFormat::Jpeg));
    }

    #[test]
    fn huge_dimensions_are_rejected() {
        let decision = POLICY.check_dimensions(ImageFormat::Png, 20_000, 20_000);

        assert!(matches!(
            decision,
            Err(UploadRejection::TooManyPixels { .. })
        ));
    }

    #[test]
    fn dimensions_at_limit_pass() {
        assert_eq!(
            POLICY.check_dimensions(ImageFormat::Png, 8_000, 5_000),
            Ok(())
        );
    }

    #[test]
    fn zero_dimension_is_malformed() {
        assert!(matches!(
            POLICY.check_dimensions(ImageFormat::Gif, 0, 10),
            Err(UploadRejection::Malformed { .. })
        ));
    }

    #[test]
    fn extension_of_ignores_directories() {
        assert_eq!(extension_of("a.b/c"), "");
        assert_eq!(extension_of("dir\\photo.JPG"), "JPG");
    }
}
