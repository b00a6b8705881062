//! XSS corpus and formatting tests of [`AmmoniaSanitizer`].
//!
//! Every payload's output is parsed back into tags and attributes and checked against the
//! allowlist, so the checks do not depend on how a payload happens to be rewritten.

use rampart_domain::post::RawBody;
use rampart_ports::HtmlSanitizer;

use crate::{ALLOWED_SCHEMES, ALLOWED_TAGS, AmmoniaSanitizer, LINK_REL};

/// Payloads that must come out harmless. None carries `javascript:` in plain text, so the
/// output check for that string is exact.
const XSS_PAYLOADS: &[&str] = &[
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "<scr<script>ipt>alert(1)</script>",
    "<<script>alert(1)//<</script>",
    "<p>\"><script>alert(1)</script></p>",
    "<img src=x onerror=alert(1)>",
    "<img src=\"x\" onerror=\"&#97;lert(1)\">",
    "<p onclick=\"alert(1)\">hi</p>",
    "<body onload=alert(1)>",
    "<a href=\"http://ok.example/\" onclick=\"alert(1)\">x</a>",
    "<input onfocus=alert(1) autofocus>",
    "<details open ontoggle=alert(1)>",
    "<xss onafterscriptexecute=alert(1)><script>1</script>",
    "<a href=\"javascript:alert(1)\">x</a>",
    "<a href=\"JaVaScRiPt:alert(1)\">x</a>",
    "<a href=\" javascript:alert(1)\">x</a>",
    "<a href=\"&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1)\">x</a>",
    "<a href=\"&#x6A;avascript&#x3A;alert(1)\">x</a>",
    "<a href=\"&#0000106avascript:alert(1)\">x</a>",
    "<a href=\"javascript&colon;alert(1)\">x</a>",
    "<a href=\"jav&#x09;ascript:alert(1)\">x</a>",
    "<a href=\"jav&#x0A;ascript:alert(1)\">x</a>",
    "<a href=\"jav\u{0}ascript:alert(1)\">x</a>",
    "<a href=\"vbscript:msgbox(1)\">x</a>",
    "<a href=\"data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==\">x</a>",
    "<a href=\"DATA:text/html,<script>alert(1)</script>\">x</a>",
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    "<svg><a xlink:href=\"javascript:alert(1)\"><text>x</text></a></svg>",
    "<math><mi xlink:href=\"javascript:alert(1)\">x</mi></math>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "<style>body{background:url(javascript:alert(1))}</style>",
    "<p style=\"background:url(javascript:alert(1))\">x</p>",
    "<iframe src=\"javascript:alert(1)\"></iframe>",
    "<iframe srcdoc=\"<script>alert(1)</script>\"></iframe>",
    "<object data=\"javascript:alert(1)\"></object>",
    "<embed src=\"javascript:alert(1)\">",
    "<form action=\"javascript:alert(1)\"><button>x</button></form>",
    "<base href=\"javascript:alert(1)//\">",
    "<meta http-equiv=\"refresh\" content=\"0;url=javascript:alert(1)\">",
    "<link rel=stylesheet href=\"javascript:alert(1)\">",
    "<table background=\"javascript:alert(1)\"><tr><td>x</td></tr></table>",
    "<template><script>alert(1)</script></template>",
    "<noscript><p title=\"</noscript><img src=x onerror=alert(1)>\">",
    "<!--<script>alert(1)</script>-->",
    "<![CDATA[<script>alert(1)</script>]]>",
    "<div><p><b onmouseover=alert(1)>unclosed",
    "<a href=\"https://ok.example/\" rel=\"opener\" target=\"_blank\">x</a>",
    "<a href=\"//evil.example/\">x</a>",
    "<h1 id=\"x\" class=\"y\" style=\"color:red\">t</h1>",
];

/// One start or end tag of sanitized output.
#[derive(Debug)]
struct Tag {
    name: String,
    closing: bool,
    attributes: Vec<(String, String)>,
}

/// Splits serialized HTML into its tags. In html5ever output a `<` outside a tag always opens
/// a tag, and attribute values are double-quoted.
fn parse_tags(html: &str) -> Vec<Tag> {
    let mut tags = Vec::new();
    let mut rest = html;
    while let Some(start) = rest.find('<') {
        let after = &rest[start + 1..];
        let mut in_quotes = false;
        let end = after
            .char_indices()
            .find(|&(_, c)| {
                if c == '"' {
                    in_quotes = !in_quotes;
                }
                c == '>' && !in_quotes
            })
            .map(|(i, _)| i)
            .unwrap_or_else(|| panic!("unterminated tag in {html:?}"));
        tags.push(parse_tag(&after[..end]));
        rest = &after[end + 1..];
    }
    tags
}

fn parse_tag(inside: &str) -> Tag {
    let (closing, inside) = match inside.strip_prefix('/') {
        Some(name) => (true, name),
        None => (false, inside),
    };
    let name_end = inside.find(char::is_whitespace).unwrap_or(inside.len());
    let name = inside[..name_end].to_owned();
    let mut attributes = Vec::new();
    let mut rest = inside[name_end..].trim_start();
    while !rest.is_empty() {
        let key_end = rest
            .find(|c: char| c == '=' || c.is_whitespace())
            .unwrap_or(rest.len());
        let key = rest[..key_end].to_owned();
        rest = &rest[key_end..];
        let value = if let Some(quoted) = rest.strip_prefix("=\"") {
            let close = quoted.find('"').expect("closing quote");
            let value = quoted[..close].to_owned();
            rest = &quoted[close + 1..];
            value
        } else {
            String::new()
        };
        attributes.push((key, value));
        rest = rest.trim_start();
    }
    Tag {
        name,
        closing,
        attributes,
    }
}

fn sanitize(html: &str) -> String {
    AmmoniaSanitizer::new()
        .sanitize(&RawBody::parse(html).unwrap())
        .as_str()
        .to_owned()
}

/// Checks one sanitized output against the allowlist, naming the payload on failure.
fn assert_harmless(payload: &str, output: &str) {
    let lower = output.to_ascii_lowercase();
    assert!(!lower.contains("<script"), "{payload:?} -> {output:?}");
    assert!(!lower.contains("javascript:"), "{payload:?} -> {output:?}");
    assert!(!lower.contains("vbscript:"), "{payload:?} -> {output:?}");

    for tag in parse_tags(output) {
        assert!(
            ALLOWED_TAGS.contains(&tag.name.as_str()),
            "tag {:?}: {payload:?} -> {output:?}",
            tag.name
        );
        if tag.closing {
            assert!(tag.attributes.is_empty(), "{payload:?} -> {output:?}");
        }
        for (name, value) in &tag.attributes {
            assert!(
                !name.to_ascii_lowercase().starts_with("on"),
                "handler {name:?}: {payload:?} -> {output:?}"
            );
            match (tag.name.as_str(), name.as_str()) {
                ("a", "href") => {
                    let scheme = value.split(':').next().unwrap_or_default();
                    assert!(
                        value.contains(':') && ALLOWED_SCHEMES.contains(&scheme),
                        "href {value:?}: {payload:?} -> {output:?}"
                    );
                }
                ("a", "rel") => assert_eq!(value, LINK_REL, "{payload:?} -> {output:?}"),
                _ => panic!(
                    "attribute {name:?} on {:?}: {payload:?} -> {output:?}",
                    tag.name
                ),
            }
        }
    }
}

#[test]
fn corpus_has_at_least_thirty_payloads() {
    assert!(XSS_PAYLOADS.len() >= 30);
}

#[test]
fn corpus_payloads_come_out_harmless() {
    for payload in XSS_PAYLOADS {
        let output = sanitize(payload);
        assert_harmless(payload, &output);
    }
}

#[test]
fn sanitizing_twice_changes_nothing() {
    for payload in XSS_PAYLOADS {
        let once = sanitize(payload);
        let twice = sanitize(&once);
        assert_eq!(twice, once, "{payload:?}");
    }
}

#[test]
fn script_content_is_removed() {
    assert_eq!(
        sanitize("<p>a</p><script>alert(1)</script><p>b</p>"),
        "<p>a</p><p>b</p>"
    );
    assert_eq!(sanitize("<style>p{color:red}</style>x"), "x");
    assert_eq!(sanitize("<svg><text>drawn</text></svg>x"), "x");
}

#[test]
fn disallowed_tag_keeps_its_text() {
    assert_eq!(sanitize("<div>kept <span>text</span></div>"), "kept text");
}

#[test]
fn formatting_survives() {
    let cases = [
        "<p>Hello <strong>bold</strong> <em>em</em> <b>b</b> <i>i</i> <u>u</u> <s>s</s></p>",
        "<h1>1</h1><h2>2</h2><h3>3</h3><h4>4</h4><h5>5</h5><h6>6</h6>",
        "<ul><li>one</li><li>two</li></ul><ol><li>first</li></ol>",
        "<blockquote><p>quoted</p></blockquote>",
        "<pre><code>fn main() {}</code></pre>",
        "<p>line<br>break</p><hr>",
        "<p>Ünïcödé – 日本語 🦀</p>",
    ];

    for html in cases {
        assert_eq!(sanitize(html), html);
    }
}

#[test]
fn links_get_forced_rel() {
    assert_eq!(
        sanitize("<a href=\"https://example.com/a?b=1&amp;c=2\">x</a>"),
        "<a href=\"https://example.com/a?b=1&amp;c=2\" rel=\"noopener noreferrer nofollow\">x</a>"
    );
    assert_eq!(
        sanitize("<a href=\"http://example.com/\" rel=\"opener\">x</a>"),
        "<a href=\"http://example.com/\" rel=\"noopener noreferrer nofollow\">x</a>"
    );
    assert_eq!(
        sanitize("<a href=\"mailto:alice@example.com\">mail</a>"),
        "<a href=\"mailto:alice@example.com\" rel=\"noopener noreferrer nofollow\">mail</a>"
    );
}

#[test]
fn relative_and_other_scheme_links_lose_href() {
    for html in [
        "<a href=\"/posts/1\">x</a>",
        "<a href=\"//evil.example/\">x</a>",
        "<a href=\"ftp://example.com/\">x</a>",
        "<a href=\"tel:+100\">x</a>",
    ] {
        let output = sanitize(html);
        assert!(!output.contains("href"), "{html:?} -> {output:?}");
        assert!(output.contains(">x</a>"), "{html:?} -> {output:?}");
    }
}

#[test]
fn text_is_escaped() {
    assert_eq!(sanitize("1 < 2 & 3 > 2"), "1 &lt; 2 &amp; 3 &gt; 2");
}

#[test]
fn unclosed_tags_are_closed() {
    assert_eq!(sanitize("<p><strong>bold"), "<p><strong>bold</strong></p>");
}

#[test]
fn empty_body_stays_empty() {
    assert_eq!(sanitize(""), "");
}

#[test]
#[should_panic(expected = "javascript")]
fn checker_catches_javascript_href() {
    assert_harmless("", "<a href=\"javascript:alert(1)\">x</a>");
}

#[test]
#[should_panic(expected = "handler")]
fn checker_catches_event_handler() {
    assert_harmless("", "<p onclick=\"alert(1)\">x</p>");
}

#[test]
#[should_panic(expected = "tag")]
fn checker_catches_disallowed_tag() {
    assert_harmless("", "<img src=\"x\">");
}

#[test]
#[should_panic(expected = "href")]
fn checker_catches_data_href() {
    assert_harmless("", "<a href=\"data:text/html,x\">x</a>");
}
