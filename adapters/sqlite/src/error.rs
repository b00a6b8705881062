//! Errors of opening the database, and the translation of diesel and pool errors into
//! [`StoreError`].

use std::path::PathBuf;

use diesel::result::{DatabaseErrorKind, Error as DieselError};
use diesel_async::pooled_connection::PoolError;
use diesel_async::pooled_connection::bb8::RunError;
use rampart_ports::StoreError;
use rampart_ports::error::BoxError;

/// Failure to open or migrate the database.
#[derive(Debug, thiserror::Error)]
pub enum SqliteError {
    /// The pool needs at least one connection.
    #[error("database pool size must be at least 1")]
    PoolSize,
    /// The path cannot be handed to SQLite as a file name.
    #[error("database path {path:?} is not valid UTF-8")]
    InvalidPath { path: PathBuf },
    /// Creating the file or its parent directory failed.
    #[error("failed to create database file {path:?} (check the directory's permissions)")]
    CreateFile {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// SQLite could not open the file or set up a connection.
    #[error("failed to open database {path:?}")]
    Connect {
        path: PathBuf,
        #[source]
        source: BoxError,
    },
    /// A migration failed, and SQLite rolled it back.
    #[error("failed to run database migrations on {path:?}")]
    Migration {
        path: PathBuf,
        #[source]
        source: BoxError,
    },
}

/// Unique indexes by a fragment of SQLite's "UNIQUE constraint failed" message, with the field
/// each one guards. A column index is named `table.column`, an expression index by its name.
const UNIQUE_FIELDS: [(&str, &str); 3] = [
    ("users.username", "username"),
    ("users_email_key", "email"),
    ("categories.name_key", "name"),
];

/// Returns the field whose unique index a constraint message names.
fn conflict_field(message: &str) -> Option<&'static str> {
    UNIQUE_FIELDS
        .iter()
        .find(|(fragment, _)| message.contains(fragment))
        .map(|(_, field)| *field)
}

/// Operations whose only foreign key is one column, by their context, with that column.
/// SQLite's "FOREIGN KEY constraint failed" names no column, so the operation must tell it.
/// Inserting a post has two and finds out which one failed itself.
const REFERENCE_FIELDS: [(&str, &str); 3] = [
    ("create refresh family", "user_id"),
    ("insert upload", "owner_id"),
    ("update post", "category_id"),
];

/// Returns the column of the one foreign key that the operation `context` writes.
fn reference_field(context: &str) -> Option<&'static str> {
    REFERENCE_FIELDS
        .iter()
        .find(|(operation, _)| *operation == context)
        .map(|(_, field)| *field)
}

/// Returns whether `result` failed on a foreign key.
pub(crate) fn is_foreign_key_violation<T>(result: &Result<T, DieselError>) -> bool {
    matches!(
        result,
        Err(DieselError::DatabaseError(
            DatabaseErrorKind::ForeignKeyViolation,
            _
        ))
    )
}

/// Translates a diesel error of the operation `context` into a [`StoreError`].
///
/// A unique violation on a known index becomes [`StoreError::Conflict`], a foreign key
/// violation of an operation in [`REFERENCE_FIELDS`] becomes [`StoreError::MissingReference`],
/// and SQLite's "database is locked" after the busy timeout becomes
/// [`StoreError::Unavailable`].
pub(crate) fn store_error(context: &'static str, error: DieselError) -> StoreError {
    if let DieselError::DatabaseError(kind, info) = &error {
        if matches!(kind, DatabaseErrorKind::UniqueViolation)
            && let Some(field) = conflict_field(info.message())
        {
            return StoreError::Conflict { field };
        }
        if matches!(kind, DatabaseErrorKind::ForeignKeyViolation)
            && let Some(field) = reference_field(context)
        {
            return StoreError::MissingReference { field };
        }
        if info.message().contains("database is locked") {
            return StoreError::Unavailable(Box::new(error));
        }
    }
    StoreError::other(context, error)
}

/// Translates a failure to get a pooled connection into [`StoreError::Unavailable`].
pub(crate) fn pool_error(error: RunError) -> StoreError {
    StoreError::Unavailable(Box::new(error))
}

/// Translates a failure to get the first connection into [`SqliteError::Connect`].
pub(crate) fn connect_error(path: PathBuf, error: RunError) -> SqliteError {
    let source: BoxError = match error {
        RunError::User(PoolError::ConnectionError(error)) => Box::new(error),
        RunError::User(PoolError::QueryError(error)) => Box::new(error),
        RunError::TimedOut => "timed out waiting for a database connection".into(),
    };
    SqliteError::Connect { path, source }
}

/// A stored value that does not parse as its domain type, such as a malformed UUID.
#[derive(Debug, thiserror::Error)]
#[error("stored value of {column} is invalid")]
pub(crate) struct InvalidColumn {
    column: &'static str,
}

/// Builds the error for a stored value of `column` that does not parse.
pub(crate) fn invalid_column(column: &'static str) -> DieselError {
    DieselError::DeserializationError(Box::new(InvalidColumn { column }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn column_index_names_username() {
        let message = "UNIQUE constraint failed: users.username";

        assert_eq!(conflict_field(message), Some("username"));
    }

    #[test]
    fn expression_index_names_email() {
        let message = "UNIQUE constraint failed: index 'users_email_key'";

        assert_eq!(conflict_field(message), Some("email"));
    }

    #[test]
    fn family_insert_names_user_reference() {
        assert_eq!(reference_field("create refresh family"), Some("user_id"));
    }

    #[test]
    fn user_insert_names_no_reference() {
        assert_eq!(reference_field("insert user"), None);
    }

    #[test]
    fn primary_key_names_no_field() {
        let message = "UNIQUE constraint failed: users.id";

        assert_eq!(conflict_field(message), None);
    }
}
