//! Checks of short plain-text fields, such as post titles and category names, for characters
//! that change how the text around them is shown.

use std::sync::LazyLock;

use regex::Regex;

/// The bidirectional embedding, override and isolate controls (U+202A to U+202E and U+2066 to
/// U+2069). They reorder the characters that follow them, so a title could show text in an
/// order other than the one stored ("Trojan Source" spoofing).
const BIDI_CONTROLS: [char; 9] = [
    '\u{202A}', '\u{202B}', '\u{202C}', '\u{202D}', '\u{202E}', '\u{2066}', '\u{2067}', '\u{2068}',
    '\u{2069}',
];

/// One visible character: anything but white space, format characters (general category Cf,
/// such as U+200B ZERO WIDTH SPACE) and the other default-ignorable code points (such as U+3164
/// HANGUL FILLER), which render as nothing.
static VISIBLE: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r"[^\p{White_Space}\p{Cf}\p{Default_Ignorable_Code_Point}]").ok());

/// Returns whether `text` contains a bidirectional control character.
pub fn has_bidi_control(text: &str) -> bool {
    text.chars().any(|c| BIDI_CONTROLS.contains(&c))
}

/// Returns whether `text` contains at least one character that renders as something.
pub fn has_visible_character(text: &str) -> bool {
    match VISIBLE.as_ref() {
        Some(visible) => visible.is_match(text),
        // The pattern is a constant that compiles; this arm keeps the check from panicking.
        None => text.chars().any(|c| !c.is_whitespace()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_bidi_control_is_found() {
        for control in BIDI_CONTROLS {
            assert!(has_bidi_control(&format!("a{control}b")), "{control:?}");
        }
    }

    #[test]
    fn plain_text_has_no_bidi_control() {
        assert!(!has_bidi_control("Hello, שלום"));
    }

    #[test]
    fn invisible_texts_have_no_visible_character() {
        for text in [
            "\u{200B}",
            "\u{200B}\u{200C}\u{200D}\u{2060}",
            "\u{FEFF} ",
            "\u{3164}",
            "\u{00A0}\u{3000}",
        ] {
            assert!(!has_visible_character(text), "{text:?}");
        }
    }

    #[test]
    fn ordinary_texts_have_visible_character() {
        for text in ["a", "\u{200B}x", "日本", "é", "-"] {
            assert!(has_visible_character(text), "{text:?}");
        }
    }
}
