//! Creating the database file with owner-only permissions before SQLite opens it.
//!
//! SQLite would create a missing file with mode 0644 less the umask. Creating it here with mode
//! 0600 keeps the password hashes unreadable to other local users. SQLite's unix VFS (3.54.1,
//! `findCreateFileMode` and `unixOpenSharedMemory` in `sqlite3.c`) creates the `-wal`, `-shm`
//! and `-journal` files with the permissions of the database file, so they stay 0600 too.

use std::fs::{DirBuilder, OpenOptions};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use crate::error::SqliteError;

/// Mode of a database file this module creates.
pub(crate) const FILE_MODE: u32 = 0o600;
/// Mode of each missing parent directory this module creates.
pub(crate) const DIRECTORY_MODE: u32 = 0o700;

/// Creates the database file (mode 0600) and its missing parent directories (mode 0700), and
/// returns the file's canonical path.
///
/// An existing file is opened as it is; a warning is logged when other users may read it. The
/// canonical path is absolute, so SQLite never reads it as `:memory:` or a `file:` URI.
///
/// # Errors
/// [`SqliteError::CreateFile`] when a directory or the file cannot be created or resolved.
pub(crate) fn prepare_file(path: &Path) -> Result<PathBuf, SqliteError> {
    let create_error = |source| SqliteError::CreateFile {
        path: path.to_owned(),
        source,
    };

    if let Some(parent) = path
        .parent()
        .filter(|parent| !parent.as_os_str().is_empty())
        && !parent.exists()
    {
        DirBuilder::new()
            .recursive(true)
            .mode(DIRECTORY_MODE)
            .create(parent)
            .map_err(create_error)?;
    }

    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .mode(FILE_MODE)
        .open(path)
        .map_err(create_error)?;
    let mode = file.metadata().map_err(create_error)?.permissions().mode();
    if mode & 0o077 != 0 {
        tracing::warn!(
            path = %path.display(),
            mode = format_args!("{:o}", mode & 0o777),
            "database file is accessible to other users; restrict it with chmod 600"
        );
    }

    path.canonicalize().map_err(create_error)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_file_and_directories_are_created_private() {
        let root = tempfile::tempdir().unwrap();
        let path = root.path().join("data/nested/rampart.db");

        let canonical = prepare_file(&path).unwrap();

        assert!(canonical.is_absolute());
        let file_mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(file_mode & 0o777, FILE_MODE);
        for directory in [root.path().join("data"), root.path().join("data/nested")] {
            let mode = std::fs::metadata(&directory).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, DIRECTORY_MODE, "{}", directory.display());
        }
    }

    #[test]
    fn existing_file_keeps_its_contents() {
        let root = tempfile::tempdir().unwrap();
        let path = root.path().join("rampart.db");
        std::fs::write(&path, b"existing").unwrap();

        prepare_file(&path).unwrap();

        assert_eq!(std::fs::read(&path).unwrap(), b"existing");
    }
}
