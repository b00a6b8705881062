//! [`PasetoTokenCodec`]: PASETO v4.public access and refresh tokens.
//!
//! Each token is signed with the active key and carries that key's PASERK id as the `kid` claim
//! of its footer. The two purposes are distinguished cryptographically: each is signed with its
//! own implicit assertion, which is part of the signed message but not of the token, so a
//! refresh token fails signature verification as an access token and the other way round.
//! Any other version or purpose (v4.local, v3, v2) fails to parse as a v4.public token.
//!
//! This module never logs a token, a payload or key material; rejections are logged at debug
//! level with their reason and, once known, the key id.

use std::sync::{Arc, PoisonError, RwLock};

use pasetors::Public;
use pasetors::token::UntrustedToken;
use pasetors::version4::{PublicToken, V4};
use rampart_domain::token::{AccessClaims, RefreshClaims};
use rampart_ports::TokenCodec;
use rampart_ports::TokenError;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use tracing::{debug, instrument};

use crate::claims::{AccessPayload, Parties, RefreshPayload};
use crate::keys::KeyRing;
use crate::verified::{Lookup, VerifiedAccessTokens};

/// Maximum length of a token accepted for verification. Issued tokens are under 1 KiB.
pub const MAX_TOKEN_LEN: usize = 4096;
/// Maximum length of the decoded footer, which contains only the `kid` claim.
const MAX_FOOTER_LEN: usize = 256;

/// Token purpose. Each purpose has its own implicit assertion.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Purpose {
    Access,
    Refresh,
}

impl Purpose {
    fn implicit_assertion(self) -> &'static [u8] {
        match self {
            Purpose::Access => b"rampart:access:v1",
            Purpose::Refresh => b"rampart:refresh:v1",
        }
    }
}

/// The footer: the PASERK id of the signing key.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Footer {
    kid: String,
}

/// Issues and verifies PASETO v4.public tokens with the keys of a [`KeyRing`].
pub struct PasetoTokenCodec {
    keys: RwLock<Arc<KeyRing>>,
    parties: Parties,
    /// Access tokens that verified, so that each one's signature is checked once.
    pub(crate) verified: VerifiedAccessTokens,
}

impl PasetoTokenCodec {
    /// Builds a codec that signs with the ring's active key and writes and expects `issuer` in
    /// `iss` and `audience` in `aud`.
    pub fn new(keys: KeyRing, issuer: impl Into<String>, audience: impl Into<String>) -> Self {
        Self {
            keys: RwLock::new(Arc::new(keys)),
            parties: Parties {
                issuer: issuer.into(),
                audience: audience.into(),
            },
            verified: VerifiedAccessTokens::default(),
        }
    }

    /// Replaces the key ring, for example with one reloaded after a key rotation.
    ///
    /// Tokens issued before keep verifying as long as the new ring contains their key.
    pub fn replace_keys(&self, keys: KeyRing) {
        // A panic while holding the lock cannot leave the Arc half-written, so poisoning is safe
        // to ignore here and below.
        *self.keys.write().unwrap_or_else(PoisonError::into_inner) = Arc::new(keys);
        self.verified.clear();
    }

    fn keys(&self) -> Arc<KeyRing> {
        Arc::clone(&self.keys.read().unwrap_or_else(PoisonError::into_inner))
    }

    /// Signs `payload` with the active key and the implicit assertion of `purpose`.
    fn sign(&self, payload: &impl Serialize, purpose: Purpose) -> Result<String, TokenError> {
        let keys = self.keys();
        let key = keys.active();
        let message = serde_json::to_vec(payload).map_err(internal)?;
        let footer = serde_json::to_vec(&Footer {
            kid: key.id().as_str().to_owned(),
        })
        .map_err(internal)?;

        PublicToken::sign(
            key.secret(),
            &message,
            Some(&footer),
            Some(purpose.implicit_assertion()),
        )
        .map_err(internal)
    }

    /// Verifies the signature of `token` for `purpose` and returns its payload.
    fn open<T: for<'de> Deserialize<'de>>(
        &self,
        token: &str,
        purpose: Purpose,
    ) -> Result<T, TokenError> {
        if token.len() > MAX_TOKEN_LEN {
            return Err(reject("token too long"));
        }
        let untrusted = UntrustedToken::<Public, V4>::try_from(token)
            .map_err(|_| reject("not a v4.public token"))?;

        let footer_bytes = untrusted.untrusted_footer();
        if footer_bytes.is_empty() || footer_bytes.len() > MAX_FOOTER_LEN {
            return Err(reject("missing or oversized footer"));
        }
        let footer: Footer =
            serde_json::from_slice(footer_bytes).map_err(|_| reject("malformed footer"))?;

        let keys = self.keys();
        let Some(public) = keys.verifying_key(&footer.kid) else {
            debug!(key_id = %footer.kid, reason = "unknown key id", "token rejected");
            return Err(TokenError::Invalid);
        };
        let trusted =
            PublicToken::verify(public, &untrusted, None, Some(purpose.implicit_assertion()))
                .map_err(|_| {
                    debug!(key_id = %footer.kid, reason = "bad signature", "token rejected");
                    TokenError::Invalid
                })?;

        serde_json::from_str(trusted.payload()).map_err(|_| reject("malformed payload"))
    }
}

impl std::fmt::Debug for PasetoTokenCodec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PasetoTokenCodec")
            .field("keys", &self.keys())
            .field("parties", &self.parties)
            .finish()
    }
}

impl TokenCodec for PasetoTokenCodec {
    #[instrument(level = "debug", skip_all, fields(user_id = %claims.user_id, token_id = %claims.token_id))]
    fn issue_access(&self, claims: &AccessClaims) -> Result<String, TokenError> {
        self.sign(&AccessPayload::new(claims, &self.parties), Purpose::Access)
    }

    #[instrument(level = "debug", skip_all, fields(user_id = %claims.user_id, token_id = %claims.token_id))]
    fn issue_refresh(&self, claims: &RefreshClaims) -> Result<String, TokenError> {
        self.sign(
            &RefreshPayload::new(claims, &self.parties),
            Purpose::Refresh,
        )
    }

    /// Verifies the signature of an access token the first time it is seen, and afterwards
    /// only its expiry ([`VerifiedAccessTokens`]).
    #[instrument(level = "debug", skip_all)]
    fn verify_access(&self, token: &str, now: OffsetDateTime) -> Result<AccessClaims, TokenError> {
        match self.verified.lookup(token, now) {
            Lookup::Valid(claims) => return Ok(claims),
            Lookup::Expired => return Err(TokenError::Expired),
            Lookup::Unknown => {}
        }
        let payload: AccessPayload = self.open(token, Purpose::Access)?;
        let claims = payload
            .validate(&self.parties, now)
            .inspect_err(log_claims)?;
        self.verified.insert(token, &claims, now);
        Ok(claims)
    }

    #[instrument(level = "debug", skip_all)]
    fn verify_refresh(
        &self,
        token: &str,
        now: OffsetDateTime,
    ) -> Result<RefreshClaims, TokenError> {
        let payload: RefreshPayload = self.open(token, Purpose::Refresh)?;
        payload.validate(&self.parties, now).inspect_err(log_claims)
    }
}

/// Logs a rejection at debug level and returns [`TokenError::Invalid`].
fn reject(reason: &'static str) -> TokenError {
    debug!(reason, "token rejected");
    TokenError::Invalid
}

fn log_claims(error: &TokenError) {
    debug!(reason = %error, "token claims rejected");
}

fn internal(error: impl std::error::Error + Send + Sync + 'static) -> TokenError {
    TokenError::Internal(Box::new(error))
}
