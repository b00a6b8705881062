//! Cross-site scripting: markup or URLs that would run script if a client rendered the value
//! as HTML.
//!
//! libinjection's HTML5 tokenizer (through `libinjectionrs`) finds script in tags and
//! attributes. The patterns here add what it misses without an HTML context around the value.
//! They find a `javascript:` URL on its own, tags that run or load content whatever their
//! attributes, and event-handler attributes outside a tag (`" onfocus="…` breaking out of a
//! quoted attribute). They also find CSS expressions and template expressions. Tags that only
//! format text (`<b>`, `<p>`) and a lone `<` pass.

use std::sync::LazyLock;

use regex::Regex;

use super::compile;

/// Tags that run script or load content whatever their attributes.
static ACTIVE_TAG: LazyLock<Option<Regex>> = LazyLock::new(|| {
    compile(
        r"(?i)<\s*/?\s*(?:script|iframe|frame|frameset|object|embed|applet|svg|math|style|link|meta|base|xml|import|plaintext|xmp|noscript|template|portal|isindex)\b",
    )
});

/// Event-handler attributes, by the names browsers fire.
static EVENT_HANDLER: LazyLock<Option<Regex>> = LazyLock::new(|| {
    compile(
        r"(?i)\bon(?:abort|afterprint|animation(?:end|iteration|start|cancel)|auxclick|before(?:copy|cut|input|paste|print|toggle|unload)|begin|blur|bounce|can(?:play|playthrough)|change|click|close|contextmenu|copy|cuechange|cut|dblclick|drag(?:end|enter|exit|leave|over|start)?|drop|durationchange|emptied|end|ended|error|finish|focus(?:in|out)?|formdata|fullscreenchange|hashchange|input|invalid|key(?:down|press|up)|load(?:ed|eddata|edmetadata|end|start)?|message|mouse(?:down|enter|leave|move|out|over|up|wheel)|offline|online|page(?:hide|show)|paste|pause|play(?:ing)?|pointer(?:cancel|down|enter|leave|move|out|over|rawupdate|up)|popstate|progress|ratechange|readystatechange|repeat|reset|resize|scroll(?:end)?|search|seek(?:ed|ing)|select(?:start|ionchange)?|show|slotchange|stalled|start|storage|submit|suspend|timeupdate|toggle|touch(?:cancel|end|move|start)|transition(?:cancel|end|run|start)|unhandledrejection|unload|volumechange|waiting|webkit(?:animationend|transitionend)|wheel)\s*=",
    )
});

/// Script URLs, with the whitespace browsers strip inside a scheme, followed by something that
/// reads as code rather than prose (so the book title "JavaScript: The Good Parts" passes).
static SCRIPT_URL: LazyLock<Option<Regex>> = LazyLock::new(|| {
    compile(
        r#"(?i)(?:j\s*a\s*v\s*a|v\s*b|l\s*i\s*v\s*e|e\s*c\s*m\s*a)\s*s\s*c\s*r\s*i\s*p\s*t\s*:\s*(?:[a-z_$][\w$]*\s*[(`.=\[]|/[/*]|['"(`\[{!+~-]|\\|\d)"#,
    )
});

/// Data URLs that carry a document or a script.
static DATA_URL: LazyLock<Option<Regex>> = LazyLock::new(|| {
    compile(
        r"(?i)data\s*:\s*(?:text/html|text/xml|application/xhtml\+xml|image/svg\+xml|text/javascript|application/(?:x-)?javascript)",
    )
});

/// CSS that runs script in old browsers, and attributes that embed a document.
static STYLE_OR_EMBED: LazyLock<Option<Regex>> = LazyLock::new(|| {
    compile(r"(?i)[:=]\s*expression\s*\(|-moz-binding\s*:|behavior\s*:\s*url\s*\(|\bsrcdoc\s*=")
});

/// Template expressions with a call inside, as in client-side template injection.
static TEMPLATE_CALL: LazyLock<Option<Regex>> = LazyLock::new(|| {
    compile(r"\{\{[^}]{0,200}\([^}]{0,200}\}\}|\$\{[^}]{0,200}\(|constructor\s*\.\s*constructor")
});

/// Returns whether `text` (already decoded) carries script for an HTML context.
pub(crate) fn is_xss(text: &str) -> bool {
    if !text.contains(['<', '>', ':', '=', '{', '(', '"', '\'', '`']) {
        return false;
    }
    let patterns = [
        &ACTIVE_TAG,
        &EVENT_HANDLER,
        &SCRIPT_URL,
        &DATA_URL,
        &STYLE_OR_EMBED,
        &TEMPLATE_CALL,
    ];
    patterns
        .iter()
        .any(|pattern| pattern.as_ref().is_some_and(|regex| regex.is_match(text)))
        || libinjectionrs::detect_xss(text.as_bytes()).is_injection()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_compile() {
        for pattern in [
            &ACTIVE_TAG,
            &EVENT_HANDLER,
            &SCRIPT_URL,
            &DATA_URL,
            &STYLE_OR_EMBED,
            &TEMPLATE_CALL,
        ] {
            assert!(pattern.is_some());
        }
    }

    #[test]
    fn script_vectors_are_found() {
        for value in [
            "<script>alert(1)</script>",
            "<img src=x onerror=alert(1)>",
            "\" onfocus=\"alert(1)\" autofocus=\"",
            "javascript:alert(document.cookie)",
            "java\tscript:alert(1)",
            "<svg/onload=alert(1)>",
            "data:text/html;base64,PHNjcmlwdD4=",
            "width: expression(alert(1))",
            "{{constructor.constructor('alert(1)')()}}",
            "<iframe src=//example.com>",
        ] {
            assert!(is_xss(value), "{value}");
        }
    }

    #[test]
    fn ordinary_text_passes() {
        for value in [
            "1 < 2",
            "a <b> c",
            "I <3 you",
            "x > y and y > z",
            "JavaScript: The Good Parts",
            "online = true",
            "We met on Monday = great",
            "Done: yes",
            "Use {{name}} in the template",
            "He said \"hello\" and 'bye'",
        ] {
            assert!(!is_xss(value), "{value}");
        }
    }
}
