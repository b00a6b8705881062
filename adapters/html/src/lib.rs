//! Post body sanitizing for Rampart with ammonia.
//!
//! [`AmmoniaSanitizer`] implements the `HtmlSanitizer` port: it turns untrusted HTML into a
//! fragment with only basic formatting and `http`, `https` or `mailto` links, safe to store and
//! render. See [`sanitizer`] for the allowlist and why it is what it is.

pub mod sanitizer;

pub use sanitizer::{
    ALLOWED_SCHEMES, ALLOWED_TAGS, AmmoniaSanitizer, LINK_REL, REMOVED_WITH_CONTENT,
};

#[cfg(test)]
mod corpus_tests;
