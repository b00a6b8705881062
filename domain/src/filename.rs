//! Clean file names for uploads: what a client's file name becomes before it is stored or sent
//! back in `Content-Disposition`.
//!
//! The client's name is only a label. Files are stored under their upload id, so a clean name
//! never reaches the file system; it is still made safe to show, to save on any operating system,
//! and to quote in a header.

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

use crate::upload::ImageFormat;

/// Maximum length of a clean file name in characters, extension included.
pub const FILENAME_MAX: usize = 100;

/// The stem used when nothing of the client's name survives cleaning.
const FALLBACK_STEM: &str = "upload";

/// Device names that Windows reserves in any case and with any extension.
const WINDOWS_RESERVED: [&str; 22] = [
    "con", "prn", "aux", "nul", "com1", "com2", "com3", "com4", "com5", "com6", "com7", "com8",
    "com9", "lpt1", "lpt2", "lpt3", "lpt4", "lpt5", "lpt6", "lpt7", "lpt8", "lpt9",
];

/// A file name of `a-z 0-9 - _`, one dot and the extension of the sniffed format, at most
/// [`FILENAME_MAX`] characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CleanFilename(String);

impl CleanFilename {
    /// Cleans an untrusted file name for an image of `format`.
    ///
    /// Drops every path part before the last `/` or `\`, drops the client's extension, applies
    /// NFKC and then removes diacritics (so composed and decomposed `é` both become `e`),
    /// lower-cases, turns every run of other characters (dots, `%`, NUL, spaces) into one `-`,
    /// trims `-` and `_` at both ends, prefixes Windows device names such as `con` with
    /// `upload-`, cuts the stem to fit [`FILENAME_MAX`], and appends the format's extension.
    pub fn from_untrusted(raw: &str, format: ImageFormat) -> Self {
        let base = raw.rsplit(['/', '\\']).next().unwrap_or_default();
        let stem = base.rsplit_once('.').map_or(base, |(stem, _)| stem);

        let mut slug = String::with_capacity(stem.len());
        let folded: String = stem.nfkc().collect::<String>().nfd().collect();
        for c in folded.chars().filter(|c| !is_combining_mark(*c)) {
            let c = c.to_ascii_lowercase();
            if c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' {
                slug.push(c);
            } else if !slug.ends_with('-') {
                slug.push('-');
            }
        }
        let mut stem = slug.trim_matches(['-', '_']).to_owned();
        if stem.is_empty() {
            stem = FALLBACK_STEM.to_owned();
        }
        if WINDOWS_RESERVED.contains(&stem.as_str()) {
            stem = format!("{FALLBACK_STEM}-{stem}");
        }

        let extension = format.extension();
        let room = FILENAME_MAX - extension.len() - 1;
        // The slug is ASCII, so cutting at a byte index cuts at a character boundary.
        stem.truncate(room);
        let stem = stem.trim_end_matches(['-', '_']);
        Self(format!("{stem}.{extension}"))
    }

    /// Wraps a name that was cleaned before it was stored.
    pub fn from_stored(name: String) -> Self {
        Self(name)
    }

    /// Returns the name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn clean(raw: &str) -> String {
        CleanFilename::from_untrusted(raw, ImageFormat::Png)
            .as_str()
            .to_owned()
    }

    #[test]
    fn path_parts_are_dropped() {
        assert_eq!(clean("../../etc/passwd.png"), "passwd.png");
        assert_eq!(clean("..\\..\\windows\\win.ini.png"), "win-ini.png");
    }

    #[test]
    fn inner_extensions_become_dashes() {
        let name = CleanFilename::from_untrusted("shell.php.jpg", ImageFormat::Jpeg);

        assert_eq!(name.as_str(), "shell-php.jpg");
    }

    #[test]
    fn percent_and_nul_are_replaced() {
        assert_eq!(clean("a%00.png"), "a-00.png");
        assert_eq!(clean("a\0.png"), "a.png");
        assert_eq!(clean("a\0b.png"), "a-b.png");
    }

    #[test]
    fn windows_device_names_are_prefixed() {
        assert_eq!(clean("CON.png"), "upload-con.png");
        assert_eq!(clean("lpt1.png"), "upload-lpt1.png");
    }

    #[test]
    fn long_names_are_cut() {
        let name = clean(&format!("{}.png", "a".repeat(300)));

        assert_eq!(name.len(), FILENAME_MAX);
        assert!(name.ends_with(".png"));
    }

    #[test]
    fn decomposed_and_composed_agree() {
        let decomposed = clean("cafe\u{301}.png");
        let composed = clean("caf\u{e9}.png");

        assert_eq!(decomposed, "cafe.png");
        assert_eq!(composed, "cafe.png");
    }

    #[test]
    fn compatibility_forms_are_folded() {
        assert_eq!(clean("\u{ff21}\u{ff22}.png"), "ab.png");
    }

    #[test]
    fn empty_stem_gets_fallback() {
        assert_eq!(clean(".png"), "upload.png");
        assert_eq!(clean("...png"), "upload.png");
        assert_eq!(clean(""), "upload.png");
        assert_eq!(clean("../"), "upload.png");
    }

    #[test]
    fn extension_follows_sniffed_format() {
        let name = CleanFilename::from_untrusted("photo.JPEG", ImageFormat::Webp);

        assert_eq!(name.as_str(), "photo.webp");
    }

    proptest! {
        #[test]
        fn any_name_comes_out_safe(raw in any::<String>()) {
            let name = clean(&raw);

            prop_assert!(name.len() <= FILENAME_MAX);
            let (stem, extension) = name.rsplit_once('.').unwrap();
            prop_assert_eq!(extension, "png");
            prop_assert!(!stem.is_empty());
            prop_assert!(stem.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_'));
            prop_assert!(!WINDOWS_RESERVED.contains(&stem));
        }
    }
}
