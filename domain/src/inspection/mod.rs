//! Request inspection: SQL injection, cross-site scripting and path traversal in the values a
//! request carries.
//!
//! [`inspect`] decodes a value and runs the three detectors on the result. Decoding undoes
//! percent and double encoding, `%u`, overlong UTF-8, backslash and HTML escapes, full-width
//! forms and NUL bytes (see `decode`). What counts as traversal depends on the [`Place`] a value
//! comes from. [`ValidationMode`] then decides what a finding means for the request.
//!
//! The checks are pure functions of the value, so the HTTP adapter calls them for the path, the
//! query, selected headers and every JSON string, and the corpus tests call them directly.

mod decode;
mod sqli;
mod traversal;
mod verdict;
mod xss;

pub use verdict::{InspectionVerdict, ValidationMode};

use regex::Regex;

use crate::event::SecurityEventKind;
use traversal::Shape;

/// Maximum length of a name in a location label; longer names are cut.
const MAX_LABEL_NAME: usize = 64;

/// The kinds of attack the inspection finds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AttackKind {
    SqlInjection,
    Xss,
    PathTraversal,
}

impl AttackKind {
    /// Returns the security event written for this kind.
    pub fn event_kind(self) -> SecurityEventKind {
        match self {
            Self::SqlInjection => SecurityEventKind::SqlInjection,
            Self::Xss => SecurityEventKind::Xss,
            Self::PathTraversal => SecurityEventKind::PathTraversal,
        }
    }

    /// Returns the name of the kind for messages, such as `SQL injection`.
    pub fn describe(self) -> &'static str {
        match self {
            Self::SqlInjection => "SQL injection",
            Self::Xss => "cross-site scripting",
            Self::PathTraversal => "path traversal",
        }
    }
}

/// The part of a request a value comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    /// The URL path: any parent step is traversal, and so is a NUL byte.
    UrlPath,
    /// A query parameter name or value, or a header value. A one-token value is judged as a
    /// path and anything with whitespace as prose. A NUL byte is traversal.
    Parameter,
    /// A JSON object key or string value: judged like a parameter, but NUL bytes are only
    /// removed before the checks, since JSON text is not handed to file APIs as it is.
    JsonString,
}

/// One detected attack and where it was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub kind: AttackKind,
    /// The value's location, such as `query.q` or `json./title`; see [`location`].
    pub location: String,
}

/// Builds a location label such as `query.q` from an area and a name taken from the request.
///
/// The name is attacker-controlled, so it is cut to 64 characters and every character outside
/// `A-Z a-z 0-9 _ - . / [ ]` becomes `?`: the label can go into logs and messages as it is.
pub fn location(area: &str, name: &str) -> String {
    let safe: String = name
        .chars()
        .take(MAX_LABEL_NAME)
        .map(|c| {
            if c.is_ascii_alphanumeric() || "_-./[]".contains(c) {
                c
            } else {
                '?'
            }
        })
        .collect();
    if safe.is_empty() {
        area.to_owned()
    } else {
        format!("{area}.{safe}")
    }
}

/// Inspects one value from `place` and returns the kind of attack it carries, if any.
pub fn inspect(value: &str, place: Place) -> Option<AttackKind> {
    if value.is_empty() {
        return None;
    }
    let decoded = if decode::may_be_encoded(value) {
        decode::decode(value)
    } else {
        decode::Decoded {
            text: value.to_owned(),
            had_nul: false,
        }
    };
    let text = decoded.text.as_str();

    if xss::is_xss(text) {
        return Some(AttackKind::Xss);
    }
    let sqli = match place {
        Place::UrlPath => text.split('/').any(sqli::is_sqli),
        Place::Parameter | Place::JsonString => sqli::is_sqli(text),
    };
    if sqli {
        return Some(AttackKind::SqlInjection);
    }
    let shape = match place {
        Place::UrlPath => Shape::PathLike,
        Place::Parameter | Place::JsonString => Shape::of_value(text),
    };
    let nul_counts = decoded.had_nul && place != Place::JsonString;
    if nul_counts || traversal::is_traversal(text, shape) {
        return Some(AttackKind::PathTraversal);
    }
    None
}

/// Compiles a built-in pattern. The unit tests of each detector check that its patterns
/// compile, so `None` never reaches a release.
fn compile(pattern: &str) -> Option<Regex> {
    Regex::new(pattern).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encoded_attacks_are_found() {
        let cases = [
            ("%27%20OR%20%271%27%3D%271", AttackKind::SqlInjection),
            (
                "%253Cscript%253Ealert(1)%253C%252Fscript%253E",
                AttackKind::Xss,
            ),
            ("%u003Csvg%u002Fonload%u003Dalert(1)%u003E", AttackKind::Xss),
            ("..%c0%af..%c0%afetc%c0%afpasswd", AttackKind::PathTraversal),
            ("\\u0027 OR 1=1--", AttackKind::SqlInjection),
            ("＜script＞alert(1)＜/script＞", AttackKind::Xss),
            ("..%2f..%2f..%2fetc%2fpasswd", AttackKind::PathTraversal),
        ];

        for (value, kind) in cases {
            assert_eq!(inspect(value, Place::JsonString), Some(kind), "{value}");
        }
    }

    #[test]
    fn nul_counts_outside_json() {
        assert_eq!(
            inspect("report.pdf%00.png", Place::Parameter),
            Some(AttackKind::PathTraversal)
        );
        assert_eq!(inspect("report.pdf%00.png", Place::JsonString), None);
        assert_eq!(
            inspect("<scr%00ipt>alert(1)</script>", Place::JsonString),
            Some(AttackKind::Xss)
        );
    }

    #[test]
    fn url_path_steps_are_traversal() {
        assert_eq!(
            inspect("/api/v1/posts/../../admin", Place::UrlPath),
            Some(AttackKind::PathTraversal)
        );
        assert_eq!(inspect("/api/v1/posts", Place::UrlPath), None);
        assert_eq!(
            inspect("/api/v1/posts/1'%20OR%20'1'='1", Place::UrlPath),
            Some(AttackKind::SqlInjection)
        );
    }

    #[test]
    fn ordinary_values_pass() {
        for value in [
            "O'Brien",
            "1 < 2",
            "select a plan",
            "drop me a line",
            "open ../notes.txt in the editor",
            "hello world",
            "",
        ] {
            assert_eq!(inspect(value, Place::JsonString), None, "{value}");
            assert_eq!(inspect(value, Place::Parameter), None, "{value}");
        }
    }

    #[test]
    fn one_token_value_is_judged_as_path() {
        assert_eq!(
            inspect("../notes.txt", Place::Parameter),
            Some(AttackKind::PathTraversal)
        );
    }

    #[test]
    fn location_names_are_made_safe() {
        assert_eq!(location("query", "q"), "query.q");
        assert_eq!(location("json", "/title"), "json./title");
        assert_eq!(location("query", "<script>"), "query.?script?");
        assert_eq!(location("path", ""), "path");
        assert_eq!(location("query", &"a".repeat(100)).len(), 6 + 64);
    }
}
