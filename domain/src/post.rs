//! Posts and their fields.

use std::fmt;

use time::OffsetDateTime;
use uuid::Uuid;

use crate::category::CategoryId;
use crate::plain_text::{has_bidi_control, has_visible_character};
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
    #[error(
        "must not contain bidirectional control characters (U+202A to U+202E, U+2066 to U+2069)"
    )]
    BidiControl,
    #[error("must contain a visible character, not only white space or invisible characters")]
    NoVisibleCharacter,
}

/// Checks a trimmed plain-text field against the rules that post titles and category names
/// share: not empty, at most `max` characters, no control or bidirectional control characters,
/// and at least one visible character.
///
/// # Errors
/// [`PostFieldError`] naming the first rule the text breaks.
pub(crate) fn check_plain_text(text: &str, max: usize) -> Result<(), PostFieldError> {
    if text.is_empty() {
        return Err(PostFieldError::Empty);
    }
    if text.chars().count() > max {
        return Err(PostFieldError::TooLong(max));
    }
    if text.chars().any(char::is_control) {
        return Err(PostFieldError::ControlCharacter);
    }
    if has_bidi_control(text) {
        return Err(PostFieldError::BidiControl);
    }
    if !has_visible_character(text) {
        return Err(PostFieldError::NoVisibleCharacter);
    }
    Ok(())
}

/// A post title: plain text, trimmed, 1 to 200 characters, no control or bidirectional control
/// characters, and at least one visible character.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostTitle(String);

impl PostTitle {
    /// Validates a title.
    ///
    /// NOTE: the SQL stores load titles through this function too, so a title stored before the
    /// bidirectional-control and visible-character rules existed, and breaking them, fails to
    /// load.
    ///
    /// # Errors
    /// [`PostFieldError`] naming the rule the title breaks.
    pub fn parse(raw: &str) -> Result<Self, PostFieldError> {
        let title = raw.trim();
        check_plain_text(title, TITLE_MAX)?;
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
    fn title_with_bidi_override_is_rejected() {
        assert_eq!(
            PostTitle::parse("invoice\u{202E}fdp.exe"),
            Err(PostFieldError::BidiControl)
        );
    }

    #[test]
    fn title_with_isolate_is_rejected() {
        assert_eq!(
            PostTitle::parse("a\u{2066}b\u{2069}"),
            Err(PostFieldError::BidiControl)
        );
    }

    #[test]
    fn zero_width_title_is_rejected() {
        assert_eq!(
            PostTitle::parse("\u{200B}\u{200B}"),
            Err(PostFieldError::NoVisibleCharacter)
        );
    }

    #[test]
    fn title_with_zero_width_joiner_is_kept() {
        assert_eq!(
            PostTitle::parse("Emoji \u{1F469}\u{200D}\u{1F4BB}")
                .unwrap()
                .as_str(),
            "Emoji \u{1F469}\u{200D}\u{1F4BB}"
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
