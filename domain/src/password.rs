//! Passwords and the password policy.
//!
//! A [`Password`] is always NFC-normalized (never NFKC, which would fold distinct characters
//! together), so a password typed in decomposed form matches the one set in composed form. The
//! policy lists every rule a candidate breaks, so a client can show them all at once.

use std::fmt;

use unicode_normalization::UnicodeNormalization;

use crate::common_passwords;

/// Maximum password length in characters, under every preset.
pub const PASSWORD_MAX: usize = 128;
/// Share of matching characters from which a password counts as too close to the username or
/// email (the threshold Django's similarity validator uses).
pub const SIMILARITY_THRESHOLD: f64 = 0.7;

/// A plaintext password in NFC. Its `Debug` output hides the value.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

impl Password {
    /// Normalizes a password to NFC.
    pub fn new(raw: &str) -> Self {
        Self(raw.nfc().collect())
    }

    /// Returns the normalized password, for hashing and policy checks only.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Returns the length in characters.
    pub fn char_count(&self) -> usize {
        self.0.chars().count()
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

/// The set of password rules in force.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PasswordPolicy {
    /// At least 12 characters with an uppercase letter, a digit and a special character.
    #[default]
    Classic,
    /// At least 15 characters and no composition rules, as OWASP ASVS 5.0 requires.
    Asvs5,
}

impl PasswordPolicy {
    /// Returns the preset name.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Classic => "classic",
            Self::Asvs5 => "asvs5",
        }
    }

    /// Parses a preset name: `classic` or `asvs5`.
    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "classic" => Some(Self::Classic),
            "asvs5" => Some(Self::Asvs5),
            _ => None,
        }
    }

    /// Returns the minimum length in characters.
    pub fn min_length(&self) -> usize {
        match self {
            Self::Classic => 12,
            Self::Asvs5 => 15,
        }
    }

    /// Checks a candidate password and returns every rule it breaks, in a fixed order.
    ///
    /// `username` and `email` are the account's own, for the similarity rule; they are taken
    /// as text so that a registration with an invalid username still gets its password checked.
    pub fn violations(
        &self,
        password: &Password,
        username: &str,
        email: &str,
    ) -> Vec<PasswordRule> {
        let text = password.expose();
        let length = password.char_count();
        let mut broken = Vec::new();

        if length < self.min_length() {
            broken.push(PasswordRule::TooShort {
                min: self.min_length(),
            });
        }
        if length > PASSWORD_MAX {
            broken.push(PasswordRule::TooLong { max: PASSWORD_MAX });
        }
        if *self == Self::Classic {
            if !text.chars().any(char::is_uppercase) {
                broken.push(PasswordRule::NoUppercase);
            }
            if !text.chars().any(|c| c.is_ascii_digit()) {
                broken.push(PasswordRule::NoDigit);
            }
            if !text
                .chars()
                .any(|c| !c.is_alphanumeric() && !c.is_whitespace())
            {
                broken.push(PasswordRule::NoSpecial);
            }
        }
        if common_passwords::is_common(text) {
            broken.push(PasswordRule::Common);
        }
        if length <= PASSWORD_MAX
            && (is_similar(text, username) || is_similar(text, local_part(email)))
        {
            broken.push(PasswordRule::TooSimilar);
        }
        broken
    }
}

/// One rule of the password policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PasswordRule {
    #[error("must be at least {min} characters long")]
    TooShort { min: usize },
    #[error("must be at most {max} characters long")]
    TooLong { max: usize },
    #[error("must contain an uppercase letter")]
    NoUppercase,
    #[error("must contain a digit")]
    NoDigit,
    #[error("must contain a special character such as ! or #")]
    NoSpecial,
    #[error("is too common: choose a password that is not on lists of leaked passwords")]
    Common,
    #[error("is too similar to the username or email")]
    TooSimilar,
}

/// Returns the part of an email address before the `@`, or all of it when there is none.
fn local_part(email: &str) -> &str {
    email.split('@').next().unwrap_or(email)
}

/// Returns whether `password` contains `attribute`, or the two match in at least
/// [`SIMILARITY_THRESHOLD`] of their characters, compared case-insensitively.
fn is_similar(password: &str, attribute: &str) -> bool {
    if attribute.chars().count() < 3 {
        return false;
    }
    let password = password.to_lowercase();
    let attribute = attribute.to_lowercase();
    if password.contains(&attribute) {
        return true;
    }
    let longest = password.chars().count().max(attribute.chars().count());
    let distance = levenshtein(&password, &attribute);
    let matching = longest.saturating_sub(distance) as f64 / longest as f64;
    matching >= SIMILARITY_THRESHOLD
}

/// Returns the edit distance between two strings, counted in characters.
fn levenshtein(a: &str, b: &str) -> usize {
    let b_chars: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b_chars.len()).collect();
    let mut current = vec![0; b_chars.len() + 1];
    for (i, ca) in a.chars().enumerate() {
        current.fill(0);
        if let Some(first) = current.first_mut() {
            *first = i + 1;
        }
        for (j, cb) in b_chars.iter().enumerate() {
            let substitution = previous.get(j).copied().unwrap_or(0) + usize::from(ca != *cb);
            let deletion = previous.get(j + 1).copied().unwrap_or(0) + 1;
            let insertion = current.get(j).copied().unwrap_or(0) + 1;
            if let Some(cell) = current.get_mut(j + 1) {
                *cell = substitution.min(deletion).min(insertion);
            }
        }
        std::mem::swap(&mut previous, &mut current);
    }
    previous.last().copied().unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn account() -> (&'static str, &'static str) {
        ("alice", "alice.w@example.com")
    }

    #[test]
    fn strong_password_passes_classic() {
        let (username, email) = account();

        let broken =
            PasswordPolicy::Classic.violations(&Password::new("Violet-Harbor-87"), username, email);

        assert_eq!(broken, vec![]);
    }

    #[test]
    fn weak_password_lists_every_rule() {
        let (username, email) = account();

        let broken =
            PasswordPolicy::Classic.violations(&Password::new("password"), username, email);

        assert!(broken.contains(&PasswordRule::TooShort { min: 12 }));
        assert!(broken.contains(&PasswordRule::NoUppercase));
        assert!(broken.contains(&PasswordRule::NoDigit));
        assert!(broken.contains(&PasswordRule::NoSpecial));
        assert!(broken.contains(&PasswordRule::Common));
    }

    #[test]
    fn password_over_max_is_too_long() {
        let (username, email) = account();

        let broken = PasswordPolicy::Classic.violations(
            &Password::new(&format!("Aa1!{}", "x".repeat(10_000))),
            username,
            email,
        );

        assert_eq!(broken, vec![PasswordRule::TooLong { max: 128 }]);
    }

    #[test]
    fn password_containing_username_is_similar() {
        let (username, email) = account();

        let broken =
            PasswordPolicy::Classic.violations(&Password::new("Alice-2024-!xyz"), username, email);

        assert_eq!(broken, vec![PasswordRule::TooSimilar]);
    }

    #[test]
    fn asvs5_has_no_composition_rules() {
        let (username, email) = account();

        let broken = PasswordPolicy::Asvs5.violations(
            &Password::new("correct horse battery staple"),
            username,
            email,
        );

        assert_eq!(broken, vec![]);
    }

    #[test]
    fn asvs5_requires_fifteen_characters() {
        let (username, email) = account();

        let broken =
            PasswordPolicy::Asvs5.violations(&Password::new("Violet-Harbor8"), username, email);

        assert_eq!(broken, vec![PasswordRule::TooShort { min: 15 }]);
    }

    #[test]
    fn decomposed_password_equals_composed() {
        let composed = Password::new("Caf\u{e9}-Lumi\u{e8}re-2024");
        let decomposed = Password::new("Cafe\u{301}-Lumie\u{300}re-2024");

        assert_eq!(composed, decomposed);
    }

    #[test]
    fn nfc_keeps_compatibility_characters() {
        assert_ne!(Password::new("\u{fb01}"), Password::new("fi"));
    }

    #[test]
    fn levenshtein_counts_edits() {
        assert_eq!(levenshtein("kitten", "sitting"), 3);
        assert_eq!(levenshtein("", "abc"), 3);
        assert_eq!(levenshtein("same", "same"), 0);
    }

    #[test]
    fn password_debug_hides_value() {
        assert!(!format!("{:?}", Password::new("hunter2")).contains("hunter2"));
    }

    proptest! {
        #[test]
        fn nfc_is_idempotent(raw in "\\PC{0,40}") {
            let once = Password::new(&raw);
            prop_assert_eq!(Password::new(once.expose()), once);
        }
    }
}
