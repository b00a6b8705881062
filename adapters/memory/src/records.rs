//! The shared state of the in-memory repositories and the indexes that keep lookups direct.

use std::cmp::Reverse;
use std::collections::{BTreeSet, HashMap};
use std::sync::{Mutex, MutexGuard};

use rampart_domain::category::{Category, CategoryId, CategoryName};
use rampart_domain::post::{Post, PostId};
use rampart_domain::token::{FamilyId, RefreshFamily};
use rampart_domain::upload::{Upload, UploadId};
use rampart_domain::user::{Email, User, UserId};
use rampart_ports::StoreError;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::lock::lock;

/// In-memory users, posts, categories, refresh families and upload records behind one lock.
///
/// Implements [`UserRepository`](rampart_ports::UserRepository),
/// [`PostRepository`](rampart_ports::PostRepository),
/// [`CategoryRepository`](rampart_ports::CategoryRepository),
/// [`RefreshFamilyStore`](rampart_ports::RefreshFamilyStore) and
/// [`UploadRepository`](rampart_ports::UploadRepository). Like the SQL schema it mirrors,
/// it rejects a post whose author or category does not exist, and a family or upload whose user
/// does not exist, with [`StoreError::MissingReference`].
#[derive(Debug, Default)]
pub struct MemoryRepositories {
    records: Mutex<Records>,
}

impl MemoryRepositories {
    /// Creates empty repositories.
    pub fn new() -> Self {
        Self::default()
    }

    /// Locks the shared records.
    ///
    /// # Errors
    /// [`StoreError::Other`] when the lock is poisoned.
    pub(crate) fn records(&self) -> Result<MutexGuard<'_, Records>, StoreError> {
        lock(&self.records)
    }
}

/// Rows of every repository with their unique and ordering indexes.
#[derive(Debug, Default)]
pub(crate) struct Records {
    pub(crate) users: HashMap<UserId, User>,
    pub(crate) user_ids_by_username: HashMap<String, UserId>,
    pub(crate) user_ids_by_email: HashMap<String, UserId>,
    pub(crate) posts: HashMap<PostId, Post>,
    /// Every post id, newest first, then by ascending id.
    pub(crate) post_order: BTreeSet<(Reverse<OffsetDateTime>, Uuid)>,
    pub(crate) categories: HashMap<CategoryId, Category>,
    pub(crate) category_ids_by_name: HashMap<String, CategoryId>,
    pub(crate) families: HashMap<FamilyId, RefreshFamily>,
    pub(crate) uploads: HashMap<UploadId, Upload>,
}

/// Returns the key under which an email is unique, because emails compare case-insensitively.
pub(crate) fn email_key(email: &Email) -> String {
    email.as_str().to_lowercase()
}

/// Returns the key under which a category name is unique, because names compare
/// case-insensitively (by Unicode lower-casing).
pub(crate) fn category_key(name: &CategoryName) -> String {
    name.as_str().to_lowercase()
}

/// Returns the position of a post in [`Records::post_order`].
pub(crate) fn post_position(post: &Post) -> (Reverse<OffsetDateTime>, Uuid) {
    (Reverse(post.created_at), post.id.as_uuid())
}

/// Builds the error for a write whose `field` names a missing row, as a foreign key would reject
/// it.
pub(crate) fn missing(field: &'static str) -> StoreError {
    StoreError::MissingReference { field }
}
