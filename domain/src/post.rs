//! Posts and their fields.

use std::fmt;

use time::OffsetDateTime;
use uuid::Uuid;

use crate::category::CategoryId;
use crate::user::UserId;

/// Maximum title length in characters.
pub const TITLE_MAX: usize = 200;
/// Maximum body length in bytes, before sanitizing.
pub const BODY_MAX: usize = 100_000;

/// Identifier of a post.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PostId(Uuid);

impl PostId {
    /// Wraps an existing UUID.
    pub fn from_uuid(id: Uuid) -> Self {
        Self(id)
    }

    /// Returns the UUID inside.
    pub fn as_uuid(&self) -> Uuid {
        self.0
    }
}

impl fmt::Display for PostId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// Why a post field was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PostFieldError {
    #[error("must not be empty")]
    Empty,
    #[error("must be at most {0} characters long")]
    TooLong(usize),
    #[error("must not contain control characters")]
    ControlCharacter,
}

/// A post title: plain text, trimmed, 1 to 200 characters, no control characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostTitle(String);

impl PostTitle {
    /// Validates a title.
    ///
    /// # Errors
    /// [`PostFieldError`] naming the rule the title breaks.
    pub fn parse(raw: &str) -> Result<Self, PostFieldError> {
        let title = raw.trim();
        if title.is_empty() {
            return Err(PostFieldError::Empty);
        }
        if title.chars().count() > TITLE_MAX {
            return Err(PostFieldError::TooLong(TITLE_MAX));
        }
        if title.chars().any(char::is_control) {
            return Err(PostFieldError::ControlCharacter);
        }
        Ok(Self(title.to_owned()))
    }

    /// Returns the title.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A post body before sanitizing: at most [`BODY_MAX`] bytes of HTML.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawBody(String);

impl RawBody {
    /// Checks the size of an untrusted body.
    ///
    /// # Errors
    /// [`PostFieldError::TooLong`] past [`BODY_MAX`] bytes.
    pub fn parse(raw: &str) -> Result<Self, PostFieldError> {
        if raw.len() > BODY_MAX {
            return Err(PostFieldError::TooLong(BODY_MAX));
        }
        Ok(Self(raw.to_owned()))
    }

    /// Returns the untrusted HTML.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// HTML that went through the sanitizer and is safe to store and render.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SafeHtml(String);

impl SafeHtml {
    /// Wraps HTML that a sanitizer produced, or that was stored after sanitizing.
    pub fn from_sanitized(html: String) -> Self {
        Self(html)
    }

    /// Returns the HTML.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A post as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Post {
    pub id: PostId,
    pub title: PostTitle,
    pub body: SafeHtml,
    pub author_id: UserId,
    pub category_id: Option<CategoryId>,
    pub image_id: Option<Uuid>,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn title_is_trimmed() {
        assert_eq!(PostTitle::parse("  Hello  ").unwrap().as_str(), "Hello");
    }

    #[test]
    fn blank_title_is_rejected() {
        assert_eq!(PostTitle::parse("   "), Err(PostFieldError::Empty));
    }

    #[test]
    fn long_title_is_rejected() {
        assert_eq!(
            PostTitle::parse(&"x".repeat(201)),
            Err(PostFieldError::TooLong(200))
        );
    }

    #[test]
    fn title_with_newline_is_rejected() {
        assert_eq!(
            PostTitle::parse("a\nb"),
            Err(PostFieldError::ControlCharacter)
        );
    }

    #[test]
    fn oversized_body_is_rejected() {
        assert_eq!(
            RawBody::parse(&"x".repeat(BODY_MAX + 1)),
            Err(PostFieldError::TooLong(BODY_MAX))
        );
    }
}
