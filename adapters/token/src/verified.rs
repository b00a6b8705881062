//! [`VerifiedAccessTokens`]: access tokens whose signature already verified, with their claims.
//!
//! An Ed25519 signature verification took a third of the CPU of an authenticated request in a
//! profile of `GET /api/v1/users/me`, and a client sends the same access token with every
//! request for up to 15 minutes. A token found here is the exact string that verified before, so
//! its signature and fixed claims need no second check. Its expiry is checked against the time of
//! each request, and the revocation list is checked by the caller as for any token.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use rampart_domain::token::AccessClaims;
use time::OffsetDateTime;

/// Tokens kept at most: about 0.5 KiB each, so up to about 2 MiB.
pub(crate) const CAPACITY: usize = 4096;

/// Verified access tokens by their full text.
// NOTE: the tokens themselves stay in memory until they expire, as they would in any cache
// keyed by the token; nothing here logs them.
#[derive(Default)]
pub(crate) struct VerifiedAccessTokens {
    tokens: Mutex<HashMap<String, AccessClaims>>,
}

/// What a lookup found.
pub(crate) enum Lookup {
    /// The token verified before and has not expired at `now`.
    Valid(AccessClaims),
    /// The token verified before and has expired.
    Expired,
    /// The token is not here, or `now` is before its issue time (a clock set back), so it needs
    /// a full verification.
    Unknown,
}

impl VerifiedAccessTokens {
    /// Looks up `token` at `now`.
    pub(crate) fn lookup(&self, token: &str, now: OffsetDateTime) -> Lookup {
        let tokens = self.tokens.lock().unwrap_or_else(PoisonError::into_inner);
        match tokens.get(token) {
            Some(claims) if now < claims.issued_at => Lookup::Unknown,
            Some(claims) if now >= claims.expires_at => Lookup::Expired,
            Some(claims) => Lookup::Valid(claims.clone()),
            None => Lookup::Unknown,
        }
    }

    /// Stores a token that verified at `now`. When the store is full, expired tokens are dropped
    /// first; if it is still full, the token is not stored and verifies in full next time.
    pub(crate) fn insert(&self, token: &str, claims: &AccessClaims, now: OffsetDateTime) {
        let mut tokens = self.tokens.lock().unwrap_or_else(PoisonError::into_inner);
        if tokens.len() >= CAPACITY {
            tokens.retain(|_, stored| stored.expires_at > now);
        }
        if tokens.len() < CAPACITY {
            tokens.insert(token.to_owned(), claims.clone());
        }
    }

    /// Forgets every token, for a new key ring: a token of a removed key must not verify.
    pub(crate) fn clear(&self) {
        self.tokens
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.tokens
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }
}
