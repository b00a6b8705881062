//! Errors of connecting to and migrating the database, and the translation of diesel and pool
//! errors into [`StoreError`].

use std::path::PathBuf;

use diesel::result::{DatabaseErrorKind, Error as DieselError};
use diesel_async::pooled_connection::bb8::RunError;
use rampart_ports::StoreError;
use rampart_ports::error::BoxError;

/// Failure to set up, reach or migrate the database.
#[derive(Debug, thiserror::Error)]
pub enum PostgresError {
    /// The pool needs at least one connection.
    #[error("database pool size must be at least 1")]
    PoolSize,
    /// A timeout or lifetime of the settings is zero.
    #[error("database {setting} must be longer than zero")]
    ZeroDuration { setting: &'static str },
    /// The URL does not parse, or names no PostgreSQL server.
    #[error("invalid PostgreSQL URL: {problem}")]
    InvalidUrl { problem: String },
    /// The URL's `sslmode` allows a connection without TLS, and the caller did not allow it.
    #[error(
        "sslmode={sslmode} allows an unencrypted connection to PostgreSQL; use sslmode=require, \
         verify-ca or verify-full, or explicitly allow plain connections for local development"
    )]
    PlainConnection { sslmode: String },
    /// `sslmode=verify-ca` or `verify-full` without the root certificate to verify against.
    #[error("sslmode={sslmode} needs sslrootcert=PATH, the PEM file of the root certificate(s)")]
    MissingRootCert { sslmode: String },
    /// The root certificate file cannot be read or contains no usable certificate.
    #[error("cannot use root certificate file {path:?}: {problem}")]
    RootCert { path: PathBuf, problem: String },
    /// rustls rejected the TLS settings.
    #[error("cannot set up TLS for PostgreSQL")]
    Tls(#[source] rustls::Error),
    /// No connection could be opened, or one failed while it was in use.
    #[error("cannot connect to PostgreSQL at {target}")]
    Connect {
        target: String,
        #[source]
        source: BoxError,
    },
    /// A migration failed, and PostgreSQL rolled it back.
    #[error("failed to run database migrations on {target}")]
    Migration {
        target: String,
        #[source]
        source: BoxError,
    },
}

/// Unique indexes by name, with the field each one guards. PostgreSQL reports the index of a
/// unique violation as its constraint name.
const UNIQUE_FIELDS: [(&str, &str); 3] = [
    ("users_username_key", "username"),
    ("users_email_key", "email"),
    ("categories_name_key", "name"),
];

/// Foreign keys by constraint name, with the column each one checks. PostgreSQL names the
/// constraint of an inline `REFERENCES` `<table>_<column>_fkey`.
const REFERENCE_FIELDS: [(&str, &str); 4] = [
    ("posts_author_id_fkey", "author_id"),
    ("posts_category_id_fkey", "category_id"),
    ("refresh_families_user_id_fkey", "user_id"),
    ("uploads_owner_id_fkey", "owner_id"),
];

/// Returns whether a retry may succeed once the server recovers from the error `sqlstate`.
///
/// Those are connection exceptions (class 08) and insufficient resources such as too many
/// connections (class 53). So are a shutdown or a server still starting (57P01 to 57P03), a
/// statement cancelled by `statement_timeout` (57014), a serialization failure or deadlock
/// (40001, 40P01) and a lock wait past `lock_timeout` (55P03).
fn is_transient(sqlstate: &str) -> bool {
    sqlstate.starts_with("08")
        || sqlstate.starts_with("53")
        || matches!(
            sqlstate,
            "57P01" | "57P02" | "57P03" | "57014" | "40001" | "40P01" | "55P03"
        )
}

/// Returns the field whose unique index is named `constraint`.
fn conflict_field(constraint: &str) -> Option<&'static str> {
    UNIQUE_FIELDS
        .iter()
        .find(|(name, _)| *name == constraint)
        .map(|(_, field)| *field)
}

/// Returns the column that the foreign key `constraint` checks.
fn reference_field(constraint: &str) -> Option<&'static str> {
    REFERENCE_FIELDS
        .iter()
        .find(|(name, _)| *name == constraint)
        .map(|(_, field)| *field)
}

/// Translates a diesel error of the operation `context` into a [`StoreError`].
///
/// A unique violation on a known index becomes [`StoreError::Conflict`], and a foreign key
/// violation on a known constraint [`StoreError::MissingReference`]. A lost connection and the
/// transient SQLSTATEs of [`is_transient`] become [`StoreError::Unavailable`].
pub(crate) fn store_error(context: &'static str, error: DieselError) -> StoreError {
    if let DieselError::DatabaseError(kind, info) = &error {
        if matches!(kind, DatabaseErrorKind::UniqueViolation)
            && let Some(field) = info.constraint_name().and_then(conflict_field)
        {
            return StoreError::Conflict { field };
        }
        if matches!(kind, DatabaseErrorKind::ForeignKeyViolation)
            && let Some(field) = info.constraint_name().and_then(reference_field)
        {
            return StoreError::MissingReference { field };
        }
        let lost = matches!(
            kind,
            DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand
        );
        let transient = info
            .sqlstate()
            .is_some_and(|state| is_transient(state.as_str()));
        if lost || transient {
            return StoreError::Unavailable(Box::new(error));
        }
    }
    StoreError::other(context, error)
}

/// Translates a failure to get a pooled connection into [`StoreError::Unavailable`].
pub(crate) fn pool_error(error: RunError) -> StoreError {
    StoreError::Unavailable(Box::new(error))
}

/// A stored value that does not parse as its domain type, such as an unknown role.
#[derive(Debug, thiserror::Error)]
#[error("stored value of {column} is invalid")]
pub(crate) struct InvalidColumn {
    column: &'static str,
}

/// Builds the error for a stored value of `column` that does not parse.
pub(crate) fn invalid_column(column: &'static str) -> DieselError {
    DieselError::DeserializationError(Box::new(InvalidColumn { column }))
}

/// Formats an error with every source, separated by `: `, for logs and connection errors.
pub(crate) fn chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(next) = source {
        text.push_str(": ");
        text.push_str(&next.to_string());
        source = next.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_index_names_email() {
        let field = conflict_field("users_email_key");

        assert_eq!(field, Some("email"));
    }

    #[test]
    fn author_key_names_author() {
        let field = reference_field("posts_author_id_fkey");

        assert_eq!(field, Some("author_id"));
    }

    #[test]
    fn primary_key_names_no_field() {
        let field = conflict_field("users_pkey");

        assert_eq!(field, None);
    }

    #[test]
    fn shutdown_and_timeout_are_transient() {
        for state in ["08006", "53300", "57P01", "57014", "40001"] {
            assert!(is_transient(state), "{state}");
        }
    }

    #[test]
    fn syntax_and_privilege_errors_are_not_transient() {
        for state in ["42601", "42501", "23505", "P0001"] {
            assert!(!is_transient(state), "{state}");
        }
    }
}
