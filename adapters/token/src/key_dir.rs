//! The key directory: where signing keys live on disk, how they are created, rotated and pruned.
//!
//! Layout of the directory (mode 0700):
//!
//! - `<YYYYMMDDTHHMMSSZ>-<8 hex digits>.key` (mode 0600): one PASERK `k4.secret.…` key per file,
//!   named after the UTC time it was created. Other names ending in `.key` are loaded too, but
//!   [`KeyDir::prune`] never deletes them.
//! - `active` (mode 0600): the file name of the key that signs new tokens.
//!
//! Files are written to a hidden temporary file and renamed into place, so a crash never leaves
//! a half-written key or `active` file. This module reads and writes files and logs key ids and
//! file names; it never logs or returns key material. Unix only, because it checks file modes.

use std::fs::{self, DirBuilder, File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use rampart_domain::token::REFRESH_TOKEN_TTL;
use time::format_description::FormatItem;
use time::macros::format_description;
use time::{Duration, OffsetDateTime, PrimitiveDateTime, UtcOffset};
use tracing::{info, instrument};
use uuid::Uuid;
use zeroize::Zeroizing;

use crate::error::KeyError;
use crate::keys::{KeyId, KeyRing, SecretKey};

/// Name of the file that names the active key.
pub const ACTIVE_FILE: &str = "active";
/// Extension of key files.
pub const KEY_EXTENSION: &str = ".key";
/// How long a key stays after a newer key replaced it: the lifetime of a refresh token, so every
/// token it signed has expired before it goes.
pub const RETENTION: Duration = REFRESH_TOKEN_TTL;

const DIR_MODE: u32 = 0o700;
const FILE_MODE: u32 = 0o600;
/// Permission bits that let group or others read, write or enter.
const GROUP_OTHER_BITS: u32 = 0o077;
/// Permission bits that let group or others write.
const GROUP_OTHER_WRITE: u32 = 0o022;
/// Upper bound on the size of a key or `active` file; a v4 PASERK secret is 96 bytes.
const MAX_FILE_BYTES: u64 = 1024;
const TIMESTAMP: &[FormatItem<'static>] =
    format_description!("[year][month][day]T[hour][minute][second]Z");

/// A key read from the directory.
struct StoredKey {
    file_name: String,
    /// Creation time parsed from the file name, if it follows the naming scheme.
    created_at: Option<OffsetDateTime>,
    key: SecretKey,
}

/// The directory that contains the signing keys.
#[derive(Debug, Clone)]
pub struct KeyDir {
    path: PathBuf,
}

impl KeyDir {
    /// Points at a key directory; nothing is read until a method is called.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self { path: path.into() }
    }

    /// Returns the directory path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Loads every key, first creating the directory (mode 0700) and a first key when there are
    /// neither key files nor an `active` file.
    ///
    /// # Errors
    /// Any [`KeyError`] of [`load`](Self::load), or a failure to create the directory or key.
    #[instrument(skip_all, fields(dir = %self.path.display()))]
    pub fn load_or_create(&self, now: OffsetDateTime) -> Result<KeyRing, KeyError> {
        self.ensure_dir()?;
        let stored = self.read_keys()?;
        if stored.is_empty() && !self.active_path().exists() {
            let (file_name, key) = self.write_new_key(now)?;
            self.write_active(&file_name)?;
            info!(key_id = %key.id(), file = %file_name, "generated first token signing key");
        }
        self.load()
    }

    /// Loads every key for verification and picks the one named in `active` for signing.
    ///
    /// # Errors
    /// [`KeyError::InsecureFile`] or [`KeyError::InsecureDirectory`] for loose permissions,
    /// [`KeyError::InvalidKey`] for an unreadable key, [`KeyError::NoKeys`],
    /// [`KeyError::MissingActive`] or [`KeyError::UnknownActive`] when no signing key can be
    /// chosen, [`KeyError::Io`] when a file cannot be read.
    #[instrument(skip_all, fields(dir = %self.path.display()))]
    pub fn load(&self) -> Result<KeyRing, KeyError> {
        self.check_dir()?;
        let stored = self.read_keys()?;
        let active_name = self.read_active(&stored)?;

        let mut active = None;
        let mut retired = Vec::new();
        for entry in stored {
            if entry.file_name == active_name {
                active = Some(entry.key);
            } else {
                retired.push(entry.key);
            }
        }
        let active = active.ok_or_else(|| KeyError::UnknownActive {
            path: self.active_path(),
            name: active_name,
        })?;

        let ring = KeyRing::new(active, retired);
        info!(
            active_key_id = %ring.active_id(),
            key_count = ring.key_ids().len(),
            "loaded token signing keys"
        );
        Ok(ring)
    }

    /// Generates a new key, makes it the active one and keeps the others for verification.
    ///
    /// A running server keeps signing with the key it loaded until it loads the directory
    /// again. Returns the new key's id.
    ///
    /// # Errors
    /// [`KeyError`] when an existing key is unreadable or has loose permissions, or when
    /// writing the new key or the `active` file fails.
    #[instrument(skip_all, fields(dir = %self.path.display()))]
    pub fn rotate(&self, now: OffsetDateTime) -> Result<KeyId, KeyError> {
        self.ensure_dir()?;
        let previous = self.read_keys()?.len();
        let (file_name, key) = self.write_new_key(now)?;
        self.write_active(&file_name)?;
        info!(
            key_id = %key.id(),
            file = %file_name,
            previous_keys = previous,
            "rotated token signing key"
        );
        Ok(key.id().clone())
    }

    /// Deletes keys that a newer key replaced at least [`RETENTION`] before `now`, and returns
    /// the paths deleted.
    ///
    /// A key counts as replaced when the next newer key was created. Only keys older than the
    /// active key are candidates, and keys whose file name carries no creation time are kept.
    ///
    /// # Errors
    /// Any [`KeyError`] of [`load`](Self::load), or [`KeyError::Io`] when a deletion fails.
    #[instrument(skip_all, fields(dir = %self.path.display()))]
    pub fn prune(&self, now: OffsetDateTime) -> Result<Vec<PathBuf>, KeyError> {
        self.check_dir()?;
        let stored = self.read_keys()?;
        let active_name = self.read_active(&stored)?;
        let Some(active_created) = stored
            .iter()
            .find(|entry| entry.file_name == active_name)
            .and_then(|entry| entry.created_at)
        else {
            return Ok(Vec::new());
        };

        let mut dated: Vec<(OffsetDateTime, &StoredKey)> = stored
            .iter()
            .filter_map(|entry| entry.created_at.map(|created| (created, entry)))
            .collect();
        dated.sort_by(|a, b| (a.0, &a.1.file_name).cmp(&(b.0, &b.1.file_name)));

        let mut deleted = Vec::new();
        for pair in dated.windows(2) {
            let [(created, entry), (replaced_at, _)] = pair else {
                continue;
            };
            let expired = now - *replaced_at >= RETENTION;
            if entry.file_name == active_name || *created >= active_created || !expired {
                continue;
            }
            let path = self.path.join(&entry.file_name);
            fs::remove_file(&path).map_err(io_error("delete key file", &path))?;
            info!(key_id = %entry.key.id(), file = %entry.file_name, "deleted retired token signing key");
            deleted.push(path);
        }
        if !deleted.is_empty() {
            sync_dir(&self.path)?;
        }
        Ok(deleted)
    }

    fn active_path(&self) -> PathBuf {
        self.path.join(ACTIVE_FILE)
    }

    /// Creates the directory with mode 0700 if it is missing, then checks its permissions.
    fn ensure_dir(&self) -> Result<(), KeyError> {
        match fs::metadata(&self.path) {
            Ok(_) => {}
            Err(error) if error.kind() == io::ErrorKind::NotFound => {
                DirBuilder::new()
                    .recursive(true)
                    .mode(DIR_MODE)
                    .create(&self.path)
                    .map_err(io_error("create key directory", &self.path))?;
                fs::set_permissions(&self.path, fs::Permissions::from_mode(DIR_MODE))
                    .map_err(io_error("set permissions of key directory", &self.path))?;
                info!("created token key directory");
            }
            Err(error) => return Err(io_error("read key directory", &self.path)(error)),
        }
        self.check_dir()
    }

    /// Rejects a directory that group or others can write to.
    fn check_dir(&self) -> Result<(), KeyError> {
        let metadata =
            fs::metadata(&self.path).map_err(io_error("read key directory", &self.path))?;
        if !metadata.is_dir() {
            return Err(io_error("read key directory", &self.path)(io::Error::new(
                io::ErrorKind::NotADirectory,
                "not a directory",
            )));
        }
        let mode = metadata.permissions().mode() & 0o7777;
        if mode & GROUP_OTHER_WRITE != 0 {
            return Err(KeyError::InsecureDirectory {
                path: self.path.clone(),
                mode,
            });
        }
        Ok(())
    }

    /// Reads and parses every `*.key` file, skipping hidden temporary files.
    fn read_keys(&self) -> Result<Vec<StoredKey>, KeyError> {
        let entries =
            fs::read_dir(&self.path).map_err(io_error("list key directory", &self.path))?;
        let mut stored = Vec::new();
        for entry in entries {
            let entry = entry.map_err(io_error("list key directory", &self.path))?;
            let Ok(file_name) = entry.file_name().into_string() else {
                continue;
            };
            if file_name.starts_with('.') || !file_name.ends_with(KEY_EXTENSION) {
                continue;
            }
            let path = entry.path();
            let text = read_private_file(&path)?;
            let key = SecretKey::from_paserk(&text)
                .map_err(|source| KeyError::InvalidKey { path, source })?;
            stored.push(StoredKey {
                created_at: parse_created_at(&file_name),
                file_name,
                key,
            });
        }
        Ok(stored)
    }

    /// Reads the name of the active key and checks that it names one of `stored`.
    fn read_active(&self, stored: &[StoredKey]) -> Result<String, KeyError> {
        let path = self.active_path();
        if !path.exists() {
            return Err(if stored.is_empty() {
                KeyError::NoKeys {
                    path: self.path.clone(),
                }
            } else {
                KeyError::MissingActive { path }
            });
        }
        let name = read_private_file(&path)?.trim().to_owned();
        if !stored.iter().any(|entry| entry.file_name == name) {
            return Err(KeyError::UnknownActive { path, name });
        }
        Ok(name)
    }

    /// Generates a key and writes it to a new file named after `now`.
    fn write_new_key(&self, now: OffsetDateTime) -> Result<(String, SecretKey), KeyError> {
        let stamp = now
            .to_offset(UtcOffset::UTC)
            .format(TIMESTAMP)
            .map_err(|_| KeyError::Timestamp { now })?;
        let suffix = Uuid::new_v4().simple().to_string();
        let file_name = format!(
            "{stamp}-{}{KEY_EXTENSION}",
            suffix.get(..8).unwrap_or(&suffix)
        );

        let generate_error = |source| KeyError::Generate {
            path: self.path.clone(),
            source,
        };
        let key = SecretKey::generate().map_err(generate_error)?;
        let mut text = key.to_paserk().map_err(generate_error)?;
        text.push('\n');
        write_private_file(&self.path, &file_name, text.as_bytes())?;
        Ok((file_name, key))
    }

    fn write_active(&self, file_name: &str) -> Result<(), KeyError> {
        write_private_file(&self.path, ACTIVE_FILE, format!("{file_name}\n").as_bytes())
    }
}

/// Parses the creation time at the start of a key file name.
fn parse_created_at(file_name: &str) -> Option<OffsetDateTime> {
    let stamp = file_name.split('-').next()?;
    PrimitiveDateTime::parse(stamp, TIMESTAMP)
        .ok()
        .map(PrimitiveDateTime::assume_utc)
}

/// Reads a small file that must be a regular file without group or other permissions.
fn read_private_file(path: &Path) -> Result<Zeroizing<String>, KeyError> {
    // Check the file type before opening, because opening a FIFO would block.
    let metadata = fs::metadata(path).map_err(io_error("read", path))?;
    if !metadata.is_file() {
        return Err(KeyError::NotAFile {
            path: path.to_owned(),
        });
    }
    let file = File::open(path).map_err(io_error("open", path))?;
    let metadata = file.metadata().map_err(io_error("read", path))?;
    let mode = metadata.permissions().mode() & 0o7777;
    if mode & GROUP_OTHER_BITS != 0 {
        return Err(KeyError::InsecureFile {
            path: path.to_owned(),
            mode,
        });
    }

    let mut text = Zeroizing::new(String::new());
    file.take(MAX_FILE_BYTES)
        .read_to_string(&mut text)
        .map_err(io_error("read", path))?;
    Ok(text)
}

/// Writes `contents` to `dir/name` with mode 0600 through a temporary file and a rename.
fn write_private_file(dir: &Path, name: &str, contents: &[u8]) -> Result<(), KeyError> {
    let temporary = dir.join(format!(".{name}.tmp"));
    let target = dir.join(name);
    match fs::remove_file(&temporary) {
        Err(error) if error.kind() != io::ErrorKind::NotFound => {
            return Err(io_error("delete stale temporary file", &temporary)(error));
        }
        _ => {}
    }

    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(FILE_MODE)
        .open(&temporary)
        .map_err(io_error("create", &temporary))?;
    file.write_all(contents)
        .and_then(|()| file.sync_all())
        .map_err(io_error("write", &temporary))?;
    drop(file);

    fs::rename(&temporary, &target).map_err(io_error("rename temporary file to", &target))?;
    sync_dir(dir)
}

/// Flushes a directory so that a rename or deletion in it survives a crash.
fn sync_dir(dir: &Path) -> Result<(), KeyError> {
    File::open(dir)
        .and_then(|handle| handle.sync_all())
        .map_err(io_error("sync key directory", dir))
}

fn io_error(action: &'static str, path: &Path) -> impl FnOnce(io::Error) -> KeyError {
    let path = path.to_owned();
    move |source| KeyError::Io {
        action,
        path,
        source,
    }
}

#[cfg(test)]
#[path = "key_dir_tests.rs"]
mod tests;
