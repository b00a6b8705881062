//! Uploaded images: their identity, their format and the reasons an upload is rejected.

use std::fmt;

use time::OffsetDateTime;
use uuid::Uuid;

use crate::filename::CleanFilename;
use crate::user::UserId;

/// Identifier of an upload, which is also the name of its stored file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct UploadId(Uuid);

impl UploadId {
    /// Wraps an existing UUID.
    pub fn from_uuid(id: Uuid) -> Self {
        Self(id)
    }

    /// Returns the UUID inside.
    pub fn as_uuid(&self) -> Uuid {
        self.0
    }
}

impl fmt::Display for UploadId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// The image formats Rampart accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ImageFormat {
    Jpeg,
    Png,
    Webp,
    Gif,
}

impl ImageFormat {
    /// Every accepted format.
    pub const ALL: [ImageFormat; 4] = [Self::Jpeg, Self::Png, Self::Webp, Self::Gif];

    /// Returns the format a file-name extension stands for, in any case, or `None` when the
    /// extension is not on the allowlist (`jpg`, `jpeg`, `png`, `webp`, `gif`).
    pub fn from_extension(extension: &str) -> Option<Self> {
        match extension.to_ascii_lowercase().as_str() {
            "jpg" | "jpeg" => Some(Self::Jpeg),
            "png" => Some(Self::Png),
            "webp" => Some(Self::Webp),
            "gif" => Some(Self::Gif),
            _ => None,
        }
    }

    /// Returns the format of a MIME type, or `None` for anything but the four image types.
    pub fn from_mime(mime: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|format| format.mime() == mime)
    }

    /// Returns the MIME type served as `Content-Type`.
    pub fn mime(&self) -> &'static str {
        match self {
            Self::Jpeg => "image/jpeg",
            Self::Png => "image/png",
            Self::Webp => "image/webp",
            Self::Gif => "image/gif",
        }
    }

    /// Returns the extension a clean file name of this format ends with.
    pub fn extension(&self) -> &'static str {
        match self {
            Self::Jpeg => "jpg",
            Self::Png => "png",
            Self::Webp => "webp",
            Self::Gif => "gif",
        }
    }

    /// Returns the upper-case name used in messages, such as `PNG`.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Jpeg => "JPEG",
            Self::Png => "PNG",
            Self::Webp => "WebP",
            Self::Gif => "GIF",
        }
    }
}

/// An upload as stored: the re-encoded image lives in the blob store under its id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upload {
    pub id: UploadId,
    pub owner_id: UserId,
    pub filename: CleanFilename,
    pub format: ImageFormat,
    /// Size of the stored, re-encoded file in bytes.
    pub size: u64,
    pub created_at: OffsetDateTime,
}

/// Why an upload was rejected. Each variant has a stable rule name ([`rule`](Self::rule)) that
/// clients match on, and a message that says what to fix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UploadRejection {
    /// The form has no `file` field.
    #[error("the form has no `file` field; send the image as the multipart field `file`")]
    MissingFile,
    /// The form has more than one file, or fields other than `file`.
    #[error("the form must contain exactly one field, `file`; found {0}")]
    UnexpectedField(String),
    /// The body is not a well-formed `multipart/form-data` body.
    #[error("the body is not valid multipart/form-data: {0}")]
    MalformedForm(String),
    /// The file or the whole body is larger than the limit.
    #[error("the file is larger than {max_bytes} bytes")]
    TooLarge { max_bytes: u64 },
    /// The file is empty.
    #[error("the file is empty")]
    Empty,
    /// The file name has an extension outside the allowlist, or none.
    #[error("the file name must end in .jpg, .jpeg, .png, .webp or .gif; found {0:?}")]
    ExtensionNotAllowed(String),
    /// The bytes are not one of the accepted image types; `sniffed` is the type they look like.
    #[error("the content is not a JPEG, PNG, WebP or GIF image (detected: {sniffed})")]
    NotAnImage { sniffed: String },
    /// The bytes are an image of another format than the extension names.
    #[error("the content is {sniffed} but the file name ends in .{extension}")]
    TypeMismatch {
        sniffed: &'static str,
        extension: String,
    },
    /// The bytes contain a script, markup or executable signature.
    #[error("the file contains {0}, which is not allowed in an image")]
    ForbiddenContent(&'static str),
    /// The image header declares more pixels than the limit.
    #[error("the image is {width}x{height} pixels; at most {max_pixels} pixels are allowed")]
    TooManyPixels {
        width: u32,
        height: u32,
        max_pixels: u64,
    },
    /// The image is truncated or malformed and cannot be decoded.
    #[error("the {format} data is truncated or malformed")]
    Malformed { format: &'static str },
}

impl UploadRejection {
    /// Returns the stable rule name, such as `type-mismatch`.
    pub fn rule(&self) -> &'static str {
        match self {
            Self::MissingFile => "missing-file",
            Self::UnexpectedField(_) => "unexpected-field",
            Self::MalformedForm(_) => "malformed-form",
            Self::TooLarge { .. } => "file-too-large",
            Self::Empty => "empty-file",
            Self::ExtensionNotAllowed(_) => "extension-not-allowed",
            Self::NotAnImage { .. } => "not-an-image",
            Self::TypeMismatch { .. } => "type-mismatch",
            Self::ForbiddenContent(_) => "forbidden-content",
            Self::TooManyPixels { .. } => "too-many-pixels",
            Self::Malformed { .. } => "malformed-image",
        }
    }

    /// Returns whether the rejection is about size, which HTTP answers with 413.
    pub fn is_too_large(&self) -> bool {
        matches!(self, Self::TooLarge { .. })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extensions_match_in_any_case() {
        assert_eq!(ImageFormat::from_extension("JPG"), Some(ImageFormat::Jpeg));
        assert_eq!(ImageFormat::from_extension("jpeg"), Some(ImageFormat::Jpeg));
        assert_eq!(ImageFormat::from_extension("PnG"), Some(ImageFormat::Png));
        assert_eq!(ImageFormat::from_extension("webp"), Some(ImageFormat::Webp));
        assert_eq!(ImageFormat::from_extension("GIF"), Some(ImageFormat::Gif));
    }

    #[test]
    fn other_extensions_are_not_allowed() {
        for extension in ["svg", "php", "html", "bmp", "", "jpg "] {
            assert_eq!(ImageFormat::from_extension(extension), None, "{extension}");
        }
    }

    #[test]
    fn mime_round_trips_each_format() {
        for format in ImageFormat::ALL {
            assert_eq!(ImageFormat::from_mime(format.mime()), Some(format));
        }
    }

    #[test]
    fn svg_mime_is_no_format() {
        assert_eq!(ImageFormat::from_mime("image/svg+xml"), None);
    }
}
