//! Conversions between domain values and their stored column form.

use diesel::result::Error as DieselError;
use uuid::Uuid;

use crate::error::invalid_column;

/// Returns the stored form of a UUID: lower-case hyphenated text.
pub(crate) fn uuid_text(id: Uuid) -> String {
    id.hyphenated().to_string()
}

/// Parses a stored UUID of `column`.
///
/// # Errors
/// A deserialization error naming `column` when the text is not a UUID.
pub(crate) fn parse_uuid(text: &str, column: &'static str) -> Result<Uuid, DieselError> {
    Uuid::try_parse(text).map_err(|_| invalid_column(column))
}
