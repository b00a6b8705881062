//! Upload files for Rampart on the local file system.
//!
//! [`FsBlobStore`] implements the `BlobStore` port in one directory, `<data_dir>/uploads` by
//! default, which must lie outside any directory a web server serves. Each file is named after
//! its upload id (a UUID), never after anything a client sent, and is created with mode 0600.
//!
//! A write goes to a temporary file in the same directory, is flushed with `fsync`, renamed
//! over its final name, and the directory is flushed too. So a crash leaves either the whole
//! file or only a temporary file, and `remove_partial_writes` removes the latter at startup.

mod store;

pub use store::{DIRECTORY_MODE, FILE_MODE, FsBlobStore, StorageError};
