//! The values of a request that request validation inspects, each with its location.
//!
//! - the URL path, as sent (still percent-encoded);
//! - every query parameter name and value, with `+` read as a space;
//! - the headers `User-Agent`, `Referer` and `X-Forwarded-For`: the ones that carry client text
//!   into logs and analytics. `Authorization` and `Cookie` carry secrets and are never read
//!   here;
//! - every key and string value of a JSON body, except the fields declared as HTML
//!   ([`HTML_FIELDS`]), which the HTML sanitizer cleans instead.
//!
//! The domain's inspection undoes every further encoding itself.

use std::collections::HashMap;
use std::sync::{LazyLock, Mutex, PoisonError};

use poem::Request;
use rampart_domain::inspection::{AttackKind, Finding, Place, inspect, location};
use serde_json::Value;

/// Maximum length in bytes of a value whose verdict [`inspect_cached`] stores.
const CACHED_VALUE_MAX: usize = 256;

/// Verdicts kept per place before the cache starts over.
const CACHED_VERDICTS_MAX: usize = 4096;

/// Kept verdicts of one [`Place`], by value.
type Verdicts = HashMap<Box<str>, Option<AttackKind>>;

/// Verdicts of recently inspected values of the request target, by place.
///
/// An inspection is a pure function of the value and its place, so a kept verdict is exactly
/// the one a new inspection would return. Ordinary clients send the same paths, parameters and
/// user agents again and again, and decoding plus the detectors cost microseconds each, where a
/// lookup costs a hash. A client sending ever new values only makes the cache start over.
#[derive(Default)]
struct VerdictCache {
    paths: Verdicts,
    parameters: Verdicts,
}

impl VerdictCache {
    fn place(&mut self, place: Place) -> Option<&mut Verdicts> {
        match place {
            Place::UrlPath => Some(&mut self.paths),
            Place::Parameter => Some(&mut self.parameters),
            Place::JsonString => None,
        }
    }
}

static VERDICTS: LazyLock<Mutex<VerdictCache>> = LazyLock::new(Mutex::default);

/// Inspects a value of the request target, using the kept verdict when there is one. JSON
/// strings and values longer than [`CACHED_VALUE_MAX`] are always inspected afresh.
fn inspect_cached(value: &str, place: Place) -> Option<AttackKind> {
    if value.len() > CACHED_VALUE_MAX || place == Place::JsonString {
        return inspect(value, place);
    }
    let lock = || VERDICTS.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(verdict) = lock().place(place).and_then(|map| map.get(value).copied()) {
        return verdict;
    }
    // Inspect without the lock, so other requests are not held up meanwhile.
    let verdict = inspect(value, place);
    if let Some(map) = lock().place(place) {
        if map.len() >= CACHED_VERDICTS_MAX {
            map.clear();
        }
        map.insert(value.into(), verdict);
    }
    verdict
}

/// Headers inspected, by lowercase name.
const INSPECTED_HEADERS: [&str; 3] = ["user-agent", "referer", "x-forwarded-for"];

/// JSON fields holding HTML, by route prefix and top-level key. Their values go through the
/// ammonia sanitizer, which keeps safe formatting and drops script, so rejecting them would
/// refuse ordinary posts that contain markup.
pub(crate) const HTML_FIELDS: &[(&str, &str)] = &[("/api/v1/posts", "body")];

/// Inspects the path, the query and the selected headers, and returns the first finding.
pub(crate) fn inspect_target(request: &Request) -> Option<Finding> {
    let path = request.uri().path();
    if let Some(kind) = inspect_cached(path, Place::UrlPath) {
        return Some(Finding {
            kind,
            location: "path".to_owned(),
        });
    }

    for pair in request.uri().query().unwrap_or_default().split('&') {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        let name = name.replace('+', " ");
        let value = value.replace('+', " ");
        for text in [&name, &value] {
            if let Some(kind) = inspect_cached(text, Place::Parameter) {
                return Some(Finding {
                    kind,
                    location: location("query", &name),
                });
            }
        }
    }

    for name in INSPECTED_HEADERS {
        for value in request.headers().get_all(name) {
            let text = String::from_utf8_lossy(value.as_bytes());
            if let Some(kind) = inspect_cached(&text, Place::Parameter) {
                return Some(Finding {
                    kind,
                    location: location("header", name),
                });
            }
        }
    }
    None
}

/// Inspects every key and string of a JSON document sent to `path`, depth first, and returns
/// the first finding. Locations are JSON pointers such as `json./tags/0`.
pub(crate) fn inspect_json(path: &str, document: &Value) -> Option<Finding> {
    let html_keys: Vec<&str> = HTML_FIELDS
        .iter()
        .filter(|(prefix, _)| path.starts_with(prefix))
        .map(|(_, key)| *key)
        .collect();
    let mut pending: Vec<(String, &Value)> = vec![(String::new(), document)];

    while let Some((pointer, value)) = pending.pop() {
        match value {
            Value::String(text) => {
                let is_html = html_keys
                    .iter()
                    .any(|key| pointer.strip_prefix('/') == Some(*key));
                if is_html {
                    continue;
                }
                if let Some(kind) = inspect(text, Place::JsonString) {
                    return Some(Finding {
                        kind,
                        location: location("json", &pointer),
                    });
                }
            }
            Value::Array(items) => {
                for (index, item) in items.iter().enumerate().rev() {
                    pending.push((format!("{pointer}/{index}"), item));
                }
            }
            Value::Object(fields) => {
                for (key, item) in fields {
                    let child = format!("{pointer}/{key}");
                    if let Some(kind) = inspect(key, Place::JsonString) {
                        return Some(Finding {
                            kind,
                            location: location("json", &child),
                        });
                    }
                    pending.push((child, item));
                }
            }
            Value::Null | Value::Bool(_) | Value::Number(_) => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn request(uri: &str) -> Request {
        Request::builder().uri(uri.parse().unwrap()).finish()
    }

    #[test]
    fn cached_verdicts_match_inspection() {
        let values = [
            "/api/v1/users/me",
            "information_schema",
            "pg_catalog",
            "1-null",
            "1' OR '1'='1",
            "<script>alert(1)</script>",
            "../../etc/passwd",
            "O'Brien",
            "page_size",
        ];
        for place in [Place::UrlPath, Place::Parameter] {
            for value in values {
                let fresh = inspect(value, place);
                // The first call fills the cache and the second reads it.
                assert_eq!(
                    inspect_cached(value, place),
                    fresh,
                    "{value} in {place:?}, first"
                );
                assert_eq!(
                    inspect_cached(value, place),
                    fresh,
                    "{value} in {place:?}, cached"
                );
            }
        }
        assert_eq!(
            inspect_cached("information_schema", Place::Parameter),
            Some(AttackKind::SqlInjection)
        );
    }

    #[test]
    fn verdict_cache_stays_bounded() {
        for n in 0..(2 * CACHED_VERDICTS_MAX) {
            inspect_cached(&format!("value{n}"), Place::Parameter);
        }
        let long = "a".repeat(CACHED_VALUE_MAX + 1);
        inspect_cached(&long, Place::Parameter);

        let cache = VERDICTS.lock().unwrap();
        let kept = cache.parameters.len();
        assert!(kept <= CACHED_VERDICTS_MAX, "{kept} verdicts");
        assert!(
            !cache.parameters.contains_key(long.as_str()),
            "long value kept"
        );
    }

    #[test]
    fn query_value_is_located() {
        let finding = inspect_target(&request("/api/v1/posts?page=1&q=1%27+OR+%271%27%3D%271"));

        assert_eq!(
            finding,
            Some(Finding {
                kind: AttackKind::SqlInjection,
                location: "query.q".into()
            })
        );
    }

    #[test]
    fn encoded_path_traversal_is_found() {
        let finding = inspect_target(&request("/api/v1/posts/%2e%2e%2f%2e%2e%2fetc%2fpasswd"));

        assert_eq!(finding.map(|f| f.kind), Some(AttackKind::PathTraversal));
    }

    #[test]
    fn referer_is_inspected() {
        let request = Request::builder()
            .uri("/api/v1/posts".parse().unwrap())
            .header(
                "Referer",
                "https://example.com/?q=<script>alert(1)</script>",
            )
            .finish();

        let finding = inspect_target(&request);

        assert_eq!(
            finding.map(|f| f.location),
            Some("header.referer".to_owned())
        );
    }

    #[test]
    fn ordinary_request_passes() {
        let request = Request::builder()
            .uri("/api/v1/posts?page=2&page_size=20&q=O%27Brien".parse().unwrap())
            .header(
                "User-Agent",
                "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36",
            )
            .finish();

        assert_eq!(inspect_target(&request), None);
    }

    #[test]
    fn nested_json_string_is_located() {
        let document = json!({"title": "ok", "tags": ["fine", "<svg onload=alert(1)>"]});

        let finding = inspect_json("/api/v1/posts", &document);

        assert_eq!(
            finding,
            Some(Finding {
                kind: AttackKind::Xss,
                location: "json./tags/1".into()
            })
        );
    }

    #[test]
    fn post_body_html_is_skipped() {
        let document = json!({"title": "Hello", "body": "<p>Hi</p><script>alert(1)</script>"});

        assert_eq!(inspect_json("/api/v1/posts", &document), None);
        assert_eq!(
            inspect_json("/api/v1/users/me", &document).map(|f| f.location),
            Some("json./body".to_owned())
        );
    }

    #[test]
    fn nested_body_key_is_not_skipped() {
        let document = json!({"meta": {"body": "<script>alert(1)</script>"}});

        let finding = inspect_json("/api/v1/posts", &document);

        assert_eq!(
            finding.map(|f| f.location),
            Some("json./meta/body".to_owned())
        );
    }

    #[test]
    fn attack_in_json_key_is_found() {
        let document = json!({"' OR 1=1--": "x"});

        let finding = inspect_json("/api/v1/auth/login", &document);

        assert_eq!(finding.map(|f| f.kind), Some(AttackKind::SqlInjection));
    }
}
