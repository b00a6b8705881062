//! Decoding before inspection: undoing the encodings that hide a pattern from a filter.
//!
//! A value is decoded in rounds until it stops changing, at most [`MAX_ROUNDS`] times, so that
//! double and triple encodings come out as well. Each round undoes, in this order:
//!
//! - percent-encoding: `%27`, and the non-standard `%u0027` of old IIS and JavaScript `escape`;
//! - UTF-8, leniently: overlong sequences such as `%c0%af` (a slash in two bytes) decode to the
//!   character they spell, as broken decoders once did, instead of being refused;
//! - backslash escapes `\x27`, `\u0027` and `\u{27}`, and HTML character references `&#39;`,
//!   `&#x27;` and a few named ones such as `&lt;` and `&sol;`;
//! - Unicode compatibility forms (NFKC), which turn full-width `＜` into `<`, plus the
//!   look-alike slashes that NFKC leaves alone, such as U+2215 DIVISION SLASH.
//!
//! NUL characters are removed at the end and reported, since `<scr%00ipt>` and
//! `file.txt%00.png` both rely on a consumer that stops or skips at NUL.
//!
//! The decoded text is only ever inspected; the request goes on with the value it sent.

use unicode_normalization::UnicodeNormalization;

/// Rounds of decoding: enough for triple encoding plus one more layer.
const MAX_ROUNDS: usize = 4;

/// Named character references that are decoded, compared case-insensitively.
const NAMED_REFERENCES: &[(&str, char)] = &[
    ("lt", '<'),
    ("gt", '>'),
    ("quot", '"'),
    ("apos", '\''),
    ("amp", '&'),
    ("sol", '/'),
    ("bsol", '\\'),
    ("colon", ':'),
    ("semi", ';'),
    ("lpar", '('),
    ("rpar", ')'),
    ("equals", '='),
    ("period", '.'),
    ("comma", ','),
    ("excl", '!'),
    ("num", '#'),
    ("percnt", '%'),
    ("plus", '+'),
    ("lsqb", '['),
    ("rsqb", ']'),
    ("lcub", '{'),
    ("rcub", '}'),
    ("grave", '`'),
    ("tab", '\t'),
    ("newline", '\n'),
    ("nbsp", ' '),
];

/// A value after decoding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Decoded {
    /// The decoded text without NUL characters.
    pub(crate) text: String,
    /// Whether decoding found a NUL character.
    pub(crate) had_nul: bool,
}

/// Decodes `value` as described in the module documentation.
pub(crate) fn decode(value: &str) -> Decoded {
    let mut text = value.to_owned();
    for _ in 0..MAX_ROUNDS {
        let bytes = percent_decode(text.as_bytes());
        let next: String = unescape(&lenient_utf8(&bytes))
            .nfkc()
            .map(fold_look_alike)
            .collect();
        if next == text {
            break;
        }
        text = next;
    }
    let had_nul = text.contains('\0');
    if had_nul {
        text.retain(|c| c != '\0');
    }
    Decoded { text, had_nul }
}

/// Returns whether decoding could change `value`: it has an escape introducer or a character
/// outside printable ASCII.
pub(crate) fn may_be_encoded(value: &str) -> bool {
    value
        .bytes()
        .any(|b| matches!(b, b'%' | b'\\' | b'&') || !(b' '..=b'~').contains(&b))
}

fn hex_value(digits: &[u8]) -> Option<u32> {
    let text = std::str::from_utf8(digits).ok()?;
    u32::from_str_radix(text, 16).ok()
}

/// Decodes `%XX` and `%uXXXX`; a `%` not followed by hex digits stays as it is.
fn percent_decode(input: &[u8]) -> Vec<u8> {
    let mut output = Vec::with_capacity(input.len());
    let mut i = 0;
    while let Some(&byte) = input.get(i) {
        if byte == b'%' {
            let wide = input
                .get(i + 1)
                .filter(|b| matches!(b, b'u' | b'U'))
                .and_then(|_| input.get(i + 2..i + 6))
                .filter(|digits| digits.iter().all(u8::is_ascii_hexdigit))
                .and_then(hex_value)
                .and_then(char::from_u32);
            if let Some(c) = wide {
                let mut buffer = [0; 4];
                output.extend_from_slice(c.encode_utf8(&mut buffer).as_bytes());
                i += 6;
                continue;
            }
            let narrow = input
                .get(i + 1..i + 3)
                .filter(|digits| digits.iter().all(u8::is_ascii_hexdigit))
                .and_then(hex_value)
                .and_then(|value| u8::try_from(value).ok());
            if let Some(decoded) = narrow {
                output.push(decoded);
                i += 3;
                continue;
            }
        }
        output.push(byte);
        i += 1;
    }
    output
}

/// Decodes UTF-8 and accepts overlong forms; any other invalid byte becomes U+FFFD.
///
/// The two-byte overlong leads `0xC0` and `0xC1` take any following byte, as the decoders that
/// made `%c1%1c` a backslash did.
fn lenient_utf8(bytes: &[u8]) -> String {
    let mut output = String::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&lead) = bytes.get(i) {
        let (width, initial) = match lead {
            0x00..=0x7F => (1, u32::from(lead)),
            0xC0..=0xDF => (2, u32::from(lead & 0x1F)),
            0xE0..=0xEF => (3, u32::from(lead & 0x0F)),
            0xF0..=0xF7 => (4, u32::from(lead & 0x07)),
            _ => (0, 0),
        };
        let tail = bytes.get(i + 1..i + width.max(1)).unwrap_or_default();
        let loose_lead = matches!(lead, 0xC0 | 0xC1);
        let tail_valid =
            tail.len() + 1 == width && (loose_lead || tail.iter().all(|b| b & 0xC0 == 0x80));
        if width == 0 || !tail_valid {
            output.push(char::REPLACEMENT_CHARACTER);
            i += 1;
            continue;
        }
        let code = tail
            .iter()
            .fold(initial, |code, b| (code << 6) | u32::from(b & 0x3F));
        output.push(char::from_u32(code).unwrap_or(char::REPLACEMENT_CHARACTER));
        i += width;
    }
    output
}

/// Decodes backslash escapes and HTML character references.
fn unescape(text: &str) -> String {
    let mut output = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(position) = rest.find(['\\', '&']) {
        output.push_str(rest.get(..position).unwrap_or_default());
        let tail = rest.get(position..).unwrap_or_default();
        match decode_reference(tail) {
            Some((c, used)) => {
                output.push(c);
                rest = tail.get(used..).unwrap_or_default();
            }
            None => {
                // `\` and `&` are one byte each.
                output.push_str(tail.get(..1).unwrap_or_default());
                rest = tail.get(1..).unwrap_or_default();
            }
        }
    }
    output.push_str(rest);
    output
}

/// Returns the leading ASCII characters of `text` that satisfy `accept`, at most `max` of them.
fn leading(text: &str, max: usize, accept: fn(&u8) -> bool) -> &str {
    let count = text.bytes().take(max).take_while(accept).count();
    text.get(..count).unwrap_or_default()
}

/// Decodes the escape or reference at the start of `tail`, returning the character and the
/// bytes it used.
fn decode_reference(tail: &str) -> Option<(char, usize)> {
    if tail.starts_with('\\') {
        return decode_backslash(tail);
    }
    let after = tail.strip_prefix('&')?;
    if after.starts_with('#') {
        return decode_numeric(after);
    }
    decode_named(after)
}

fn char_from_hex(digits: &str) -> Option<char> {
    hex_value(digits.as_bytes()).and_then(char::from_u32)
}

/// Decodes `\xHH`, `\u{H…}` or `\uHHHH` at the start of `tail`.
fn decode_backslash(tail: &str) -> Option<(char, usize)> {
    if let Some(after) = tail
        .strip_prefix("\\x")
        .or_else(|| tail.strip_prefix("\\X"))
    {
        let digits = leading(after, 2, u8::is_ascii_hexdigit);
        return (digits.len() == 2)
            .then(|| char_from_hex(digits))
            .flatten()
            .map(|c| (c, 4));
    }

    if let Some(after) = tail.strip_prefix("\\u{") {
        let digits = leading(after, 6, u8::is_ascii_hexdigit);
        let closed = after
            .get(digits.len()..)
            .is_some_and(|r| r.starts_with('}'));
        return (closed && !digits.is_empty())
            .then(|| char_from_hex(digits))
            .flatten()
            .map(|c| (c, 4 + digits.len()));
    }

    let after = tail
        .strip_prefix("\\u")
        .or_else(|| tail.strip_prefix("\\U"))?;
    let digits = leading(after, 4, u8::is_ascii_hexdigit);
    (digits.len() == 4)
        .then(|| char_from_hex(digits))
        .flatten()
        .map(|c| (c, 6))
}

/// Decodes `#DDD;` or `#xHH;` (after the `&`); the semicolon is optional, as browsers accept.
fn decode_numeric(after: &str) -> Option<(char, usize)> {
    let (digits, radix, prefix) = if let Some(hex) = after
        .strip_prefix("#x")
        .or_else(|| after.strip_prefix("#X"))
    {
        (leading(hex, 8, u8::is_ascii_hexdigit), 16, 3)
    } else {
        let decimal = after.strip_prefix('#')?;
        (leading(decimal, 10, u8::is_ascii_digit), 10, 2)
    };
    if digits.is_empty() {
        return None;
    }

    let c = u32::from_str_radix(digits, radix)
        .ok()
        .and_then(char::from_u32)?;
    // `prefix` counts the `&`, which `after` no longer has.
    let semicolon = after
        .get(prefix - 1 + digits.len()..)
        .is_some_and(|r| r.starts_with(';'));
    Some((c, prefix + digits.len() + usize::from(semicolon)))
}

/// Decodes a named reference such as `lt;` (after the `&`); the semicolon is required.
fn decode_named(after: &str) -> Option<(char, usize)> {
    let name = leading(after, 10, u8::is_ascii_alphabetic);
    if !after.get(name.len()..).is_some_and(|r| r.starts_with(';')) {
        return None;
    }
    NAMED_REFERENCES
        .iter()
        .find(|(known, _)| known.eq_ignore_ascii_case(name))
        .map(|(_, c)| (*c, name.len() + 2))
}

/// Maps look-alike slashes and dots that NFKC keeps to their ASCII forms.
fn fold_look_alike(c: char) -> char {
    match c {
        '\u{2215}' | '\u{2044}' | '\u{29F8}' => '/',
        '\u{2216}' | '\u{29F5}' | '\u{29F9}' => '\\',
        _ => c,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(value: &str) -> String {
        decode(value).text
    }

    #[test]
    fn percent_forms_decode() {
        assert_eq!(text("%27%20OR%201%3D1"), "' OR 1=1");
        assert_eq!(text("%253Cscript%253E"), "<script>");
        assert_eq!(text("%25252e%25252e%25252f"), "../");
        assert_eq!(text("%u003cscript%u003e"), "<script>");
    }

    #[test]
    fn overlong_utf8_decodes() {
        assert_eq!(text("..%c0%af..%c0%afetc"), "../../etc");
        assert_eq!(text("%e0%80%ae%e0%80%ae/"), "../");
        assert_eq!(text("..%c1%9c"), "..\\");
        assert_eq!(text("..%c1%1c"), "..\\");
    }

    #[test]
    fn escapes_and_references_decode() {
        assert_eq!(text("\\u003cscript\\u003e"), "<script>");
        assert_eq!(text("\\x3cimg\\x3e"), "<img>");
        assert_eq!(text("\\u{2e}\\u{2e}/"), "../");
        assert_eq!(text("&lt;svg&gt;"), "<svg>");
        assert_eq!(text("&#60;&#x3C;&#0000060"), "<<<");
        assert_eq!(text("java&Tab;script&colon;"), "java\tscript:");
    }

    #[test]
    fn full_width_and_look_alikes_fold() {
        assert_eq!(text("＜script＞"), "<script>");
        assert_eq!(text("．．／．．／"), "../../");
        assert_eq!(text("..\u{2215}..\u{2215}"), "../../");
    }

    #[test]
    fn nul_is_removed_and_reported() {
        let decoded = decode("<scr%00ipt>");

        assert_eq!(decoded.text, "<script>");
        assert!(decoded.had_nul);
    }

    #[test]
    fn ordinary_text_is_unchanged() {
        for value in [
            "O'Brien",
            "100% sure",
            "AT&T and R&D",
            "50%off",
            "C:\\Users\\xavier",
            "Ça va très bien",
            "日本語のテキスト",
            "Tom & Jerry",
        ] {
            assert_eq!(text(value), value, "{value}");
        }
    }

    #[test]
    fn plain_ascii_needs_no_decoding() {
        assert!(!may_be_encoded("select a plan"));
        assert!(may_be_encoded("a%20b"));
        assert!(may_be_encoded("Ｓelect"));
    }
}
