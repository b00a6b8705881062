//! PASETO v4.public access and refresh tokens for Rampart, with pasetors.
//!
//! [`PasetoTokenCodec`] implements the `TokenCodec` port. It signs with the active Ed25519 key of
//! a [`KeyRing`] and verifies with every key in it, picked by the PASERK id in the token footer.
//! [`KeyDir`] loads the ring from a directory of PASERK key files, creates the first key,
//! rotates and prunes keys. Validity is checked at the `now` the caller passes in; nothing here
//! reads the clock. Tokens, payloads and key material are never logged.

mod claims;
mod codec;
mod error;
mod key_dir;
mod keys;
mod verified;

pub use codec::{MAX_TOKEN_LEN, PasetoTokenCodec};
pub use error::KeyError;
pub use key_dir::{ACTIVE_FILE, KEY_EXTENSION, KeyDir, RETENTION};
pub use keys::{InvalidKey, KeyId, KeyRing, SecretKey};

#[cfg(test)]
mod tests;
