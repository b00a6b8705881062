//! Categories that posts may belong to.

use std::fmt;

use time::OffsetDateTime;
use uuid::Uuid;

use crate::post::{PostFieldError, check_plain_text};

/// Maximum category name length in characters.
pub const NAME_MAX: usize = 64;

/// Identifier of a category.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CategoryId(Uuid);

impl CategoryId {
    /// Wraps an existing UUID.
    pub fn from_uuid(id: Uuid) -> Self {
        Self(id)
    }

    /// Returns the UUID inside.
    pub fn as_uuid(&self) -> Uuid {
        self.0
    }
}

impl fmt::Display for CategoryId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// A category name: plain text, trimmed, 1 to 64 characters with at least one visible
/// character and no control or bidirectional control characters, unique.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CategoryName(String);

impl CategoryName {
    /// Validates a category name.
    ///
    /// # Errors
    /// [`PostFieldError`] naming the rule the name breaks.
    pub fn parse(raw: &str) -> Result<Self, PostFieldError> {
        let name = raw.trim();
        check_plain_text(name, NAME_MAX)?;
        Ok(Self(name.to_owned()))
    }

    /// Returns the name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A category as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Category {
    pub id: CategoryId,
    pub name: CategoryName,
    pub created_at: OffsetDateTime,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_is_trimmed() {
        assert_eq!(CategoryName::parse(" Rust ").unwrap().as_str(), "Rust");
    }

    #[test]
    fn empty_name_is_rejected() {
        assert_eq!(CategoryName::parse(""), Err(PostFieldError::Empty));
    }

    #[test]
    fn invisible_name_is_rejected() {
        assert_eq!(
            CategoryName::parse("\u{200B}\u{FEFF}"),
            Err(PostFieldError::NoVisibleCharacter)
        );
    }

    #[test]
    fn name_with_bidi_control_is_rejected() {
        assert_eq!(
            CategoryName::parse("News\u{202E}"),
            Err(PostFieldError::BidiControl)
        );
    }
}
