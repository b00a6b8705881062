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

use poem::Request;
use rampart_domain::inspection::{Finding, Place, inspect, location};
use serde_json::Value;

/// Headers inspected, by lowercase name.
const INSPECTED_HEADERS: [&str; 3] = ["user-agent", "referer", "x-forwarded-for"];

/// JSON fields holding HTML, by route prefix and top-level key. Their values go through the
/// ammonia sanitizer, which keeps safe formatting and drops script, so rejecting them would
/// refuse ordinary posts that contain markup.
pub(crate) const HTML_FIELDS: &[(&str, &str)] = &[("/api/v1/posts", "body")];

/// Inspects the path, the query and the selected headers, and returns the first finding.
pub(crate) fn inspect_target(request: &Request) -> Option<Finding> {
    let path = request.uri().path();
    if let Some(kind) = inspect(path, Place::UrlPath) {
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
            if let Some(kind) = inspect(text, Place::Parameter) {
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
            if let Some(kind) = inspect(&text, Place::Parameter) {
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
    use rampart_domain::inspection::AttackKind;
    use serde_json::json;

    use super::*;

    fn request(uri: &str) -> Request {
        Request::builder().uri(uri.parse().unwrap()).finish()
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
