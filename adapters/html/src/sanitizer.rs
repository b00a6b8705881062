//! [`AmmoniaSanitizer`]: the allowlist that post bodies pass through before they are stored.
//!
//! Allowed tags: `p`, `br`, `hr`, `strong`, `em`, `b`, `i`, `u`, `s`, `blockquote`, `code`, `pre`,
//! `ul`, `ol`, `li`, `h1` to `h6` and `a`. The only attribute is `href` on `a`, with the schemes
//! `http`, `https` and `mailto`, and every link gets `rel="noopener noreferrer nofollow"`.
//! Relative URLs are removed as well, because a scheme-relative `//host/path` would otherwise
//! leave the allowed schemes behind. No tag keeps `style`, `class`, `id` or an event handler
//! attribute.
//!
//! Left out on purpose: `img` (posts have their own uploaded image, and remote images would
//! track readers), `span` and `div` (useless without attributes), tables, and all embedding or
//! scripting elements. Disallowed tags are unwrapped and their text kept, except those listed
//! in [`REMOVED_WITH_CONTENT`], which go with everything inside them. Comments are removed.
//! This module changes markup only: it neither logs nor rejects a body.

use std::collections::{HashMap, HashSet};

use ammonia::{Builder, UrlRelative};
use rampart_domain::post::{RawBody, SafeHtml};
use rampart_ports::HtmlSanitizer;

/// Tags kept in sanitized HTML.
pub const ALLOWED_TAGS: &[&str] = &[
    "p",
    "br",
    "hr",
    "strong",
    "em",
    "b",
    "i",
    "u",
    "s",
    "blockquote",
    "code",
    "pre",
    "ul",
    "ol",
    "li",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "a",
];

/// URL schemes allowed in `href`.
pub const ALLOWED_SCHEMES: &[&str] = &["http", "https", "mailto"];

/// The `rel` attribute set on every link, replacing any the author wrote.
pub const LINK_REL: &str = "noopener noreferrer nofollow";

/// Tags removed together with their content, because their text is code, styling or markup
/// that would show up as garbage once unwrapped.
pub const REMOVED_WITH_CONTENT: &[&str] = &[
    "script",
    "style",
    "template",
    "noscript",
    "iframe",
    "object",
    "embed",
    "svg",
    "math",
    "title",
    "textarea",
    "select",
    "xmp",
    "noembed",
    "noframes",
    "plaintext",
];

/// Sanitizes post bodies with a fixed ammonia allowlist.
pub struct AmmoniaSanitizer {
    builder: Builder<'static>,
}

impl AmmoniaSanitizer {
    /// Builds the sanitizer with the allowlist described in the module documentation.
    pub fn new() -> Self {
        let mut builder = Builder::empty();
        builder
            .tags(ALLOWED_TAGS.iter().copied().collect())
            .clean_content_tags(REMOVED_WITH_CONTENT.iter().copied().collect())
            .generic_attributes(HashSet::new())
            .tag_attributes(HashMap::from([("a", HashSet::from(["href"]))]))
            .tag_attribute_values(HashMap::new())
            .set_tag_attribute_values(HashMap::new())
            .allowed_classes(HashMap::new())
            .url_schemes(ALLOWED_SCHEMES.iter().copied().collect())
            .url_relative(UrlRelative::Deny)
            .link_rel(Some(LINK_REL))
            .strip_comments(true)
            .id_prefix(None);
        Self { builder }
    }

    /// Returns the sanitized form of an untrusted HTML fragment.
    pub fn clean(&self, html: &str) -> String {
        self.builder.clean(html).to_string()
    }
}

impl Default for AmmoniaSanitizer {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Debug for AmmoniaSanitizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AmmoniaSanitizer").finish_non_exhaustive()
    }
}

impl HtmlSanitizer for AmmoniaSanitizer {
    fn sanitize(&self, body: &RawBody) -> SafeHtml {
        SafeHtml::from_sanitized(self.clean(body.as_str()))
    }
}
