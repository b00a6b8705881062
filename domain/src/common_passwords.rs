//! The embedded list of common passwords.
//!
//! The list is Django's `common-passwords.txt` (19,640 entries, BSD 3-clause); `data/README.md`
//! says where it came from. Entries are lower case, so lookups compare lower-cased input.

use std::collections::HashSet;
use std::sync::OnceLock;

const LIST: &str = include_str!("../data/common-passwords.txt");

fn set() -> &'static HashSet<&'static str> {
    static SET: OnceLock<HashSet<&'static str>> = OnceLock::new();
    SET.get_or_init(|| {
        LIST.lines()
            .map(str::trim)
            .filter(|line| !line.is_empty())
            .collect()
    })
}

/// Returns whether `password`, compared case-insensitively, is on the embedded list.
pub fn is_common(password: &str) -> bool {
    set().contains(password.to_lowercase().as_str())
}

/// Returns the number of entries on the embedded list.
pub fn len() -> usize {
    set().len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_has_at_least_ten_thousand_entries() {
        assert!(len() >= 10_000, "only {} entries", len());
    }

    #[test]
    fn well_known_passwords_are_common() {
        assert!(is_common("123456"));
        assert!(is_common("password"));
        assert!(is_common("Qwerty"));
    }

    #[test]
    fn random_passphrase_is_not_common() {
        assert!(!is_common("violet-Harbor-87-tundra"));
    }
}
