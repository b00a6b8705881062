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
    if is_inert(value, place) {
        // Nothing to decode, and no markup or SQL syntax. Absolute paths such as /etc/passwd
        // are still traversal.
        return traversal::is_traversal(value, shape(value, place))
            .then_some(AttackKind::PathTraversal);
    }
    inspect_decoded(value, place)
}

/// Returns whether `value` is made only of characters that neither decoding nor the SQL
/// injection and XSS detectors react to.
///
/// Those are ASCII letters, digits and `_`, a `-` between two of those (as in UUIDs and slugs),
/// and `/` in a URL path.
///
/// Such values carry no quote, operator, comment, whitespace, markup, escape or parent step, and
/// they are most of what ordinary requests send (`/api/v1/users/me`, `page_size=20`), so
/// [`inspect`] runs only the traversal check on them. The tests check on the corpora and on
/// random inert strings that the full inspection agrees.
fn is_inert(value: &str, place: Place) -> bool {
    let word = |byte: u8| byte.is_ascii_alphanumeric() || byte == b'_';
    let bytes = value.as_bytes();
    bytes.iter().enumerate().all(|(i, &byte)| {
        word(byte)
            || (byte == b'/' && place == Place::UrlPath)
            || (byte == b'-'
                && i > 0
                && bytes.get(i - 1).copied().is_some_and(word)
                && bytes.get(i + 1).copied().is_some_and(word))
    })
}

/// Decodes `value` and runs the three detectors on it.
fn inspect_decoded(value: &str, place: Place) -> Option<AttackKind> {
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
    let shape = shape(text, place);
    let nul_counts = decoded.had_nul && place != Place::JsonString;
    if nul_counts || traversal::is_traversal(text, shape) {
        return Some(AttackKind::PathTraversal);
    }
    None
}

/// Returns how the traversal check reads a decoded value from `place`.
fn shape(text: &str, place: Place) -> Shape {
    match place {
        Place::UrlPath => Shape::PathLike,
        Place::Parameter | Place::JsonString => Shape::of_value(text),
    }
}

/// Compiles a built-in pattern. The unit tests of each detector check that its patterns
/// compile, so `None` never reaches a release.
fn compile(pattern: &str) -> Option<Regex> {
    Regex::new(pattern).ok()
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    const PLACES: [Place; 3] = [Place::UrlPath, Place::Parameter, Place::JsonString];

    /// Reads a corpus of `tests/data`, one value per line, skipping blank lines and `#` comments.
    fn corpus(name: &str) -> Vec<String> {
        let path = format!("{}/../tests/data/{name}", env!("CARGO_MANIFEST_DIR"));
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        text.lines()
            .filter(|line| !line.trim().is_empty() && !line.starts_with('#'))
            .map(str::to_owned)
            .collect()
    }

    #[test]
    fn inert_shortcut_agrees_on_corpora() {
        let files = [
            "attacks-sqli.txt",
            "attacks-xss.txt",
            "attacks-traversal.txt",
            "benign.txt",
        ];
        let mut inert = 0;
        for file in files {
            for value in corpus(file) {
                for place in PLACES {
                    if is_inert(&value, place) {
                        inert += 1;
                    }
                    assert_eq!(
                        inspect(&value, place),
                        inspect_decoded(&value, place),
                        "{file}: {value:?} in {place:?}"
                    );
                }
            }
        }
        assert!(inert > 0, "no corpus value took the shortcut");
    }

    #[test]
    fn inert_values_take_shortcut() {
        assert!(is_inert("/api/v1/users/me", Place::UrlPath));
        assert!(is_inert("page_size", Place::Parameter));
        assert!(is_inert(
            "3f2a9c1e-0b4d-4c1a-9f00-1234567890ab",
            Place::Parameter
        ));
        assert!(!is_inert("/api/v1/users/me", Place::Parameter));
        assert!(!is_inert("a--b", Place::Parameter));
        assert!(!is_inert("-1", Place::Parameter));
        assert!(!is_inert("1-", Place::Parameter));
        assert!(!is_inert("a b", Place::Parameter));
        assert!(!is_inert("..", Place::UrlPath));
    }

    proptest! {
        #[test]
        fn inert_shortcut_agrees_on_random_strings(value in "[A-Za-z0-9_/-]{1,40}") {
            for place in PLACES {
                prop_assert_eq!(inspect(&value, place), inspect_decoded(&value, place), "{:?}", place);
            }
        }

        #[test]
        fn inert_shortcut_agrees_on_sql_words(
            words in proptest::collection::vec(
                prop_oneof![
                    Just("1"), Just("or"), Just("OR"), Just("and"), Just("union"),
                    Just("select"), Just("sleep"), Just("x"), Just("0x1"), Just("_"),
                    Just("-"), Just("/"), Just("admin"), Just("null"), Just("drop"),
                ],
                1..8,
            )
        ) {
            let value = words.concat();
            for place in PLACES {
                prop_assert_eq!(inspect(&value, place), inspect_decoded(&value, place), "{:?}", place);
            }
        }
    }

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
