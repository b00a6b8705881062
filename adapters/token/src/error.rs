//! Errors of loading, creating, rotating and pruning the key directory.
//!
//! Every variant except [`KeyError::Timestamp`] names the file or directory involved and, where
//! an operator can fix the problem, the command that fixes it. No variant carries key material.

use std::io;
use std::path::PathBuf;

use crate::keys::InvalidKey;

/// Error of loading or changing the key directory.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// A file system operation failed.
    #[error("failed to {action} {}", path.display())]
    Io {
        /// Operation that failed, such as `read` or `create key directory`.
        action: &'static str,
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    /// A key or `active` file grants permissions to group or others.
    #[error(
        "{} has mode {mode:04o}, which lets group or others access it: run `chmod 600 {}`",
        path.display(),
        path.display()
    )]
    InsecureFile { path: PathBuf, mode: u32 },
    /// The key directory is writable by group or others, who could plant a signing key.
    #[error(
        "key directory {} has mode {mode:04o}, which lets group or others write to it: run `chmod 700 {}`",
        path.display(),
        path.display()
    )]
    InsecureDirectory { path: PathBuf, mode: u32 },
    /// A `.key` file or the `active` file is not a regular file.
    #[error("{} is not a regular file", path.display())]
    NotAFile { path: PathBuf },
    /// A key file does not contain a usable PASERK `k4.secret` key.
    #[error("{} does not contain a valid PASERK k4.secret key", path.display())]
    InvalidKey {
        path: PathBuf,
        #[source]
        source: InvalidKey,
    },
    /// The directory contains no `.key` file.
    #[error(
        "key directory {} contains no `.key` files: rotate the keys to generate one",
        path.display()
    )]
    NoKeys { path: PathBuf },
    /// Key files exist but the `active` file naming the signing key does not.
    #[error(
        "{} is missing although the directory contains key files: write the file name of the key to sign with into it",
        path.display()
    )]
    MissingActive { path: PathBuf },
    /// The `active` file names a key file that is not in the directory.
    #[error(
        "{} names `{name}`, which is not a `.key` file in the same directory",
        path.display()
    )]
    UnknownActive { path: PathBuf, name: String },
    /// Generating or serializing a new key failed.
    #[error("failed to generate a new key in {}", path.display())]
    Generate {
        path: PathBuf,
        #[source]
        source: InvalidKey,
    },
    /// The `now` passed in cannot be written as a key file name.
    #[error("cannot name a key file after the time {now}")]
    Timestamp { now: time::OffsetDateTime },
}
