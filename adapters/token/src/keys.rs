//! Ed25519 signing keys in memory, named by their PASERK ids.
//!
//! This module parses, generates and serializes keys and groups them into the [`KeyRing`] the
//! codec signs and verifies with. It does no file I/O (that is [`crate::key_dir`]) and never
//! prints key material: every type here that contains a secret has a `Debug` that shows only
//! the key id.

use std::borrow::Borrow;
use std::collections::HashMap;
use std::fmt;

use ct_codecs::{Base64UrlSafeNoPadding, Decoder};
use pasetors::keys::{AsymmetricKeyPair, AsymmetricPublicKey, AsymmetricSecretKey, Generate};
use pasetors::paserk::{FormatAsPaserk, Id};
use pasetors::version4::V4;
use zeroize::{Zeroize, Zeroizing};

/// Prefix of a PASERK-serialized v4 secret key.
const SECRET_PREFIX: &str = "k4.secret.";
/// Length in bytes of a v4 secret key: the 32-byte Ed25519 seed followed by the public key.
const SECRET_LEN: usize = 64;
/// Length in bytes of the Ed25519 seed at the start of a v4 secret key.
const SEED_LEN: usize = 32;

/// Error of parsing, generating or serializing a key.
#[derive(Debug, thiserror::Error)]
pub enum InvalidKey {
    /// The text is not a PASERK `k4.secret.` key whose public half matches its seed.
    #[error("not a valid PASERK k4.secret key")]
    Malformed,
    /// The seed is all zeros, which Ed25519 rejects.
    #[error("the key seed is all zeros")]
    ZeroSeed,
    /// pasetors failed to generate or serialize a key.
    #[error("key operation failed")]
    Crypto(#[source] pasetors::errors::Error),
    /// Formatting a PASERK string failed.
    #[error("failed to format the key as PASERK")]
    Format,
}

/// PASERK id of a public key (`k4.pid.…`), as carried in the `kid` footer claim.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct KeyId(String);

impl KeyId {
    /// Computes the PASERK id of a public key.
    fn of(public: &AsymmetricPublicKey<V4>) -> Result<Self, InvalidKey> {
        let mut text = String::new();
        Id::from(public)
            .fmt(&mut text)
            .map_err(|_| InvalidKey::Format)?;
        Ok(Self(text))
    }

    /// Returns the id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Borrow<str> for KeyId {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An Ed25519 key pair for v4.public tokens. Its `Debug` output shows only the key id.
#[derive(Clone)]
pub struct SecretKey {
    id: KeyId,
    secret: AsymmetricSecretKey<V4>,
    public: AsymmetricPublicKey<V4>,
}

impl SecretKey {
    /// Generates a new key pair from the operating system's random source.
    ///
    /// # Errors
    /// [`InvalidKey::Crypto`] when the random source fails.
    pub fn generate() -> Result<Self, InvalidKey> {
        let pair = AsymmetricKeyPair::<V4>::generate().map_err(InvalidKey::Crypto)?;
        Self::from_pair(pair.secret, pair.public)
    }

    /// Parses a PASERK `k4.secret.…` string; surrounding whitespace is ignored.
    ///
    /// # Errors
    /// [`InvalidKey::ZeroSeed`] for an all-zero seed, [`InvalidKey::Malformed`] for anything
    /// else that is not a v4 secret key.
    pub fn from_paserk(text: &str) -> Result<Self, InvalidKey> {
        let text = text.trim();
        reject_zero_seed(text)?;
        let secret =
            AsymmetricSecretKey::<V4>::try_from(text).map_err(|_| InvalidKey::Malformed)?;
        let public =
            AsymmetricPublicKey::<V4>::try_from(&secret).map_err(|_| InvalidKey::Malformed)?;
        Self::from_pair(secret, public)
    }

    fn from_pair(
        secret: AsymmetricSecretKey<V4>,
        public: AsymmetricPublicKey<V4>,
    ) -> Result<Self, InvalidKey> {
        let id = KeyId::of(&public)?;
        Ok(Self { id, secret, public })
    }

    /// Serializes the secret key as PASERK, in a buffer that is zeroed when dropped.
    ///
    /// # Errors
    /// [`InvalidKey::Format`] when formatting fails.
    pub fn to_paserk(&self) -> Result<Zeroizing<String>, InvalidKey> {
        let mut text = Zeroizing::new(String::new());
        self.secret
            .fmt(&mut *text)
            .map_err(|_| InvalidKey::Format)?;
        Ok(text)
    }

    /// Returns the PASERK id of the public key.
    pub fn id(&self) -> &KeyId {
        &self.id
    }

    pub(crate) fn secret(&self) -> &AsymmetricSecretKey<V4> {
        &self.secret
    }
}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SecretKey")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

/// Rejects a PASERK secret whose seed is all zeros before it reaches pasetors, because
/// `ed25519-compact` 2.6 panics on such a seed instead of returning an error.
fn reject_zero_seed(text: &str) -> Result<(), InvalidKey> {
    let encoded = text
        .strip_prefix(SECRET_PREFIX)
        .ok_or(InvalidKey::Malformed)?;
    let mut bytes = [0u8; SECRET_LEN];
    let decoded = Base64UrlSafeNoPadding::decode(&mut bytes, encoded, None)
        .map(|decoded| decoded.len())
        .map_err(|_| InvalidKey::Malformed);
    let zero_seed = bytes
        .get(..SEED_LEN)
        .is_some_and(|seed| seed.iter().all(|byte| *byte == 0));
    bytes.zeroize();

    if decoded? != SECRET_LEN {
        return Err(InvalidKey::Malformed);
    }
    if zero_seed {
        return Err(InvalidKey::ZeroSeed);
    }
    Ok(())
}

/// The key that signs new tokens and every public key that verifies them.
pub struct KeyRing {
    active: SecretKey,
    verifying: HashMap<KeyId, AsymmetricPublicKey<V4>>,
}

impl KeyRing {
    /// Builds a ring that signs with `active` and verifies with `active` and `retired`.
    pub fn new(active: SecretKey, retired: impl IntoIterator<Item = SecretKey>) -> Self {
        let mut verifying: HashMap<KeyId, AsymmetricPublicKey<V4>> = retired
            .into_iter()
            .map(|key| (key.id, key.public))
            .collect();
        verifying.insert(active.id.clone(), active.public.clone());
        Self { active, verifying }
    }

    /// Returns the id of the key that signs new tokens.
    pub fn active_id(&self) -> &KeyId {
        self.active.id()
    }

    /// Returns whether a token signed by the key `id` can be verified.
    pub fn contains(&self, id: &str) -> bool {
        self.verifying.contains_key(id)
    }

    /// Returns the ids of every key that verifies tokens, the active one included, sorted.
    pub fn key_ids(&self) -> Vec<&KeyId> {
        let mut ids: Vec<&KeyId> = self.verifying.keys().collect();
        ids.sort_by(|a, b| a.0.cmp(&b.0));
        ids
    }

    pub(crate) fn active(&self) -> &SecretKey {
        &self.active
    }

    pub(crate) fn verifying_key(&self, id: &str) -> Option<&AsymmetricPublicKey<V4>> {
        self.verifying.get(id)
    }
}

impl fmt::Debug for KeyRing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyRing")
            .field("active", &self.active.id)
            .field("verifying", &self.key_ids())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use ct_codecs::Encoder;

    use super::*;

    #[test]
    fn paserk_round_trip_keeps_id() {
        let key = SecretKey::generate().unwrap();

        let parsed = SecretKey::from_paserk(&key.to_paserk().unwrap()).unwrap();

        assert_eq!(parsed.id(), key.id());
    }

    #[test]
    fn key_id_is_public_paserk_id() {
        let key = SecretKey::generate().unwrap();

        assert!(key.id().as_str().starts_with("k4.pid."));
    }

    #[test]
    fn zero_seed_is_rejected_without_panic() {
        let zero = format!("{SECRET_PREFIX}{}", "A".repeat(86));

        let result = SecretKey::from_paserk(&zero);

        assert!(matches!(result, Err(InvalidKey::ZeroSeed)));
    }

    #[test]
    fn mismatched_public_half_is_malformed() {
        let key = SecretKey::generate().unwrap();
        let other = SecretKey::generate().unwrap();
        let mut bytes = key.secret.as_bytes().to_vec();
        bytes.truncate(SEED_LEN);
        bytes.extend_from_slice(other.public.as_bytes());
        let mut encoded = [0u8; 128];
        let encoded = Base64UrlSafeNoPadding::encode_to_str(&mut encoded, &bytes)
            .unwrap()
            .to_owned();

        let result = SecretKey::from_paserk(&format!("{SECRET_PREFIX}{encoded}"));

        assert!(matches!(result, Err(InvalidKey::Malformed)));
    }

    #[test]
    fn other_paserk_types_are_malformed() {
        let key = SecretKey::generate().unwrap();
        let mut public = String::new();
        key.public.fmt(&mut public).unwrap();

        for text in [
            public.as_str(),
            "",
            "k4.secret.",
            "k4.secret.!!!!",
            "k3.secret.AAAA",
        ] {
            assert!(
                matches!(SecretKey::from_paserk(text), Err(InvalidKey::Malformed)),
                "accepted {text:?}"
            );
        }
    }

    #[test]
    fn debug_hides_secret() {
        let key = SecretKey::generate().unwrap();
        let paserk = key.to_paserk().unwrap();
        let ring = KeyRing::new(key.clone(), []);

        let key_debug = format!("{key:?}");
        let ring_debug = format!("{ring:?}");

        assert!(!key_debug.contains(paserk.as_str()));
        assert!(!key_debug.contains("k4.secret"));
        assert!(!ring_debug.contains("k4.secret"));
        assert!(key_debug.contains(key.id().as_str()));
    }

    #[test]
    fn ring_verifies_active_and_retired() {
        let active = SecretKey::generate().unwrap();
        let retired = SecretKey::generate().unwrap();

        let ring = KeyRing::new(active.clone(), [retired.clone()]);

        assert_eq!(ring.active_id(), active.id());
        assert!(ring.contains(active.id().as_str()));
        assert!(ring.contains(retired.id().as_str()));
        assert_eq!(ring.key_ids().len(), 2);
    }
}
