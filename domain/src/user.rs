//! Users, their names, emails and roles.

use std::fmt;

use time::OffsetDateTime;
use unicode_normalization::UnicodeNormalization;
use uuid::Uuid;

/// Minimum length of a username, in characters, after normalization.
pub const USERNAME_MIN: usize = 3;
/// Maximum length of a username, in characters, after normalization.
pub const USERNAME_MAX: usize = 32;
/// Maximum length of an email address, in bytes (RFC 5321 path limit).
pub const EMAIL_MAX: usize = 254;

/// Identifier of a user.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct UserId(Uuid);

impl UserId {
    /// Wraps an existing UUID.
    pub fn from_uuid(id: Uuid) -> Self {
        Self(id)
    }

    /// Returns the UUID inside.
    pub fn as_uuid(&self) -> Uuid {
        self.0
    }
}

impl fmt::Display for UserId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// Role of a user: admins manage categories and other users' locks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    Admin,
    Member,
}

impl Role {
    /// Returns the wire and storage name of the role.
    pub fn as_str(&self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Member => "member",
        }
    }

    /// Parses the wire and storage name of a role.
    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "admin" => Some(Role::Admin),
            "member" => Some(Role::Member),
            _ => None,
        }
    }
}

/// Why a username was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UsernameError {
    #[error("must be {USERNAME_MIN} to {USERNAME_MAX} characters long")]
    Length,
    #[error("may contain only the letters a-z, digits, '_', '.' and '-'")]
    Characters,
}

/// Normalizes a login identifier: NFKC, case-folded and trimmed.
///
/// This is the form in which usernames are stored, compared and counted by the lockout, so that
/// `alice`, `ALICE` and ` alice ` are one name. Case folding uses Unicode lower-casing, which
/// matches full case folding for every character a valid username may contain.
pub fn normalize_identifier(raw: &str) -> String {
    raw.nfkc()
        .collect::<String>()
        .to_lowercase()
        .trim()
        .to_owned()
}

/// A valid username in its normalized form.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Username(String);

impl Username {
    /// Normalizes and validates a username.
    ///
    /// # Errors
    /// [`UsernameError::Length`] outside 3 to 32 characters, [`UsernameError::Characters`] for
    /// any character other than `a-z 0-9 _ . -`.
    pub fn parse(raw: &str) -> Result<Self, UsernameError> {
        let normalized = normalize_identifier(raw);
        let length = normalized.chars().count();
        if !(USERNAME_MIN..=USERNAME_MAX).contains(&length) {
            return Err(UsernameError::Length);
        }
        let allowed = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || "_.-".contains(c);
        if !normalized.chars().all(allowed) {
            return Err(UsernameError::Characters);
        }
        Ok(Self(normalized))
    }

    /// Returns the normalized username.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Username {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Why an email address was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("must be an email address such as name@example.com, at most {EMAIL_MAX} characters")]
pub struct EmailError;

/// A syntactically valid email address, stored lower-cased so that uniqueness is
/// case-insensitive.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Email(String);

impl Email {
    /// Validates an email address: one `@`, a local part of 1 to 64 printable characters without
    /// spaces, and a domain of dot-separated labels of letters, digits and hyphens.
    ///
    /// # Errors
    /// [`EmailError`] when the address does not have that form.
    pub fn parse(raw: &str) -> Result<Self, EmailError> {
        let address = raw.trim().to_lowercase();
        if address.len() > EMAIL_MAX {
            return Err(EmailError);
        }
        let Some((local, domain)) = address.split_once('@') else {
            return Err(EmailError);
        };
        let local_ok = (1..=64).contains(&local.len())
            && local
                .chars()
                .all(|c| c.is_ascii_graphic() && !"@<>()[]\\,;:\"".contains(c))
            && !local.starts_with('.')
            && !local.ends_with('.')
            && !local.contains("..");
        let labels: Vec<&str> = domain.split('.').collect();
        let domain_ok = labels.len() >= 2
            && labels.iter().all(|label| {
                (1..=63).contains(&label.len())
                    && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                    && !label.starts_with('-')
                    && !label.ends_with('-')
            });
        if local_ok && domain_ok {
            Ok(Self(address))
        } else {
            Err(EmailError)
        }
    }

    /// Returns the address.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Returns the part before the `@`.
    pub fn local_part(&self) -> &str {
        self.0.split('@').next().unwrap_or_default()
    }
}

/// A PHC-format password hash. Its `Debug` output hides the value.
#[derive(Clone, PartialEq, Eq)]
pub struct PasswordHash(String);

impl PasswordHash {
    /// Wraps a PHC string produced by a password hasher.
    pub fn new(phc: String) -> Self {
        Self(phc)
    }

    /// Returns the PHC string, for storage and verification only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for PasswordHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PasswordHash(<redacted>)")
    }
}

/// A user account as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: UserId,
    pub username: Username,
    pub email: Email,
    pub role: Role,
    pub password_hash: PasswordHash,
    pub created_at: OffsetDateTime,
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn username_variants_normalize_to_one() {
        let forms = ["alice", "ALICE", " alice ", "Ａｌｉｃｅ"];

        let parsed: Vec<Username> = forms.iter().map(|f| Username::parse(f).unwrap()).collect();

        for username in &parsed {
            assert_eq!(username.as_str(), "alice");
        }
    }

    #[test]
    fn username_too_short_is_rejected() {
        assert_eq!(Username::parse("ab"), Err(UsernameError::Length));
    }

    #[test]
    fn username_too_long_is_rejected() {
        assert_eq!(Username::parse(&"a".repeat(33)), Err(UsernameError::Length));
    }

    #[test]
    fn username_with_space_is_rejected() {
        assert_eq!(Username::parse("al ice"), Err(UsernameError::Characters));
    }

    #[test]
    fn username_with_non_ascii_letter_is_rejected() {
        assert_eq!(Username::parse("josé"), Err(UsernameError::Characters));
    }

    #[test]
    fn email_is_lower_cased() {
        let email = Email::parse(" Alice@Example.COM ").unwrap();

        assert_eq!(email.as_str(), "alice@example.com");
        assert_eq!(email.local_part(), "alice");
    }

    #[test]
    fn malformed_emails_are_rejected() {
        for bad in [
            "",
            "alice",
            "@example.com",
            "alice@",
            "alice@example",
            "a b@example.com",
            "alice@-example.com",
            "alice@exa_mple.com",
            "a..b@example.com",
            "alice@@example.com",
        ] {
            assert_eq!(Email::parse(bad), Err(EmailError), "{bad:?} was accepted");
        }
    }

    #[test]
    fn password_hash_debug_hides_value() {
        let hash = PasswordHash::new("$argon2id$v=19$secret".into());

        assert!(!format!("{hash:?}").contains("secret"));
    }

    proptest! {
        #[test]
        fn normalization_is_idempotent(raw in "\\PC{0,40}") {
            let once = normalize_identifier(&raw);
            prop_assert_eq!(normalize_identifier(&once), once.clone());
        }

        #[test]
        fn valid_usernames_round_trip(raw in "[a-z0-9_.-]{3,32}") {
            let username = Username::parse(&raw.to_uppercase()).unwrap();
            prop_assert_eq!(username.as_str(), raw.as_str());
        }
    }
}
