//! The error every store returns.

/// A boxed error from an adapter's driver, kept for logs.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Failure of a store operation.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A unique value is taken; the field names which one (`username`, `email`, `name`).
    #[error("{field} is already taken")]
    Conflict { field: &'static str },
    /// A written row names a row that does not exist (a foreign key failed), such as a post
    /// whose author was deleted a moment before; the field names the reference (`author_id`,
    /// `category_id`, `user_id`, `owner_id`).
    #[error("{field} names a row that does not exist")]
    MissingReference { field: &'static str },
    /// The store cannot be reached or has no free connection; the caller may retry later.
    #[error("store unavailable")]
    Unavailable(#[source] BoxError),
    /// Any other failure of the store, with its source for the logs.
    #[error("store operation failed: {context}")]
    Other {
        context: &'static str,
        #[source]
        source: BoxError,
    },
}

impl StoreError {
    /// Wraps a driver error that has no meaning to the caller.
    pub fn other(context: &'static str, source: impl Into<BoxError>) -> Self {
        Self::Other {
            context,
            source: source.into(),
        }
    }
}
