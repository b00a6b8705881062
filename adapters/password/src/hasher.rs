//! [`Argon2PasswordHasher`]: argon2id hashing on blocking threads behind a bounded queue.
//!
//! Each job takes a permit from a semaphore without waiting, so a full queue returns
//! `HashError::Busy` at once instead of piling up work. The permit moves into the blocking job
//! and is released when the hash is done, even if the caller stopped waiting. Jobs run inside
//! the caller's tracing span. Nothing here logs a password or a hash.

use std::fmt;
use std::sync::Arc;

use argon2::password_hash::phc;
use argon2::{
    ARGON2ID_IDENT, Algorithm, Argon2, Params, PasswordHasher as _, PasswordVerifier as _, Version,
};
use async_trait::async_trait;
use rampart_domain::password::Password;
use rampart_domain::user::PasswordHash;
use rampart_ports::{HashError, PasswordHasher, Verification};
use tokio::sync::{Semaphore, TryAcquireError};
use tracing::{Dispatch, Span, instrument};
use uuid::Uuid;
use zeroize::Zeroizing;

use crate::settings::{Argon2Settings, SettingsError, within_limits};

/// Error of an unusable stored hash, kept as the source of [`HashError::Internal`].
#[derive(Debug, thiserror::Error)]
enum StoredHashError {
    #[error("stored password hash has no salt or no output")]
    Incomplete,
    #[error("stored password hash demands more work than the configured maximum")]
    TooCostly,
}

/// Hashes and verifies passwords with argon2id.
pub struct Argon2PasswordHasher {
    inner: Arc<Inner>,
    queue: Arc<Semaphore>,
}

/// State shared with the blocking jobs.
struct Inner {
    argon2: Argon2<'static>,
    settings: Argon2Settings,
    /// PHC string of a random password, hashed with the configured parameters.
    dummy_hash: String,
}

impl Argon2PasswordHasher {
    /// Checks `settings` and hashes a random dummy password with them, on the calling thread.
    ///
    /// # Errors
    /// [`SettingsError`] when a setting is out of range or hashing the dummy password fails.
    pub fn new(settings: Argon2Settings) -> Result<Self, SettingsError> {
        let params = settings.params()?;
        let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, params);
        let dummy_password = Zeroizing::new(Uuid::new_v4().to_string());
        let dummy_hash = argon2
            .hash_password(dummy_password.as_bytes())
            .map_err(SettingsError::DummyHash)?
            .to_string();

        Ok(Self {
            queue: Arc::new(Semaphore::new(settings.queue_capacity)),
            inner: Arc::new(Inner {
                argon2,
                settings,
                dummy_hash,
            }),
        })
    }

    /// Returns the settings in force.
    pub fn settings(&self) -> &Argon2Settings {
        &self.inner.settings
    }

    /// Runs `job` on a blocking thread inside the current span, or returns
    /// [`HashError::Busy`] when the queue is full.
    async fn run<T, F>(&self, job: F) -> Result<T, HashError>
    where
        T: Send + 'static,
        F: FnOnce(&Inner) -> Result<T, HashError> + Send + 'static,
    {
        let permit = Arc::clone(&self.queue)
            .try_acquire_owned()
            .map_err(|error| match error {
                TryAcquireError::NoPermits => HashError::Busy,
                TryAcquireError::Closed => HashError::Internal(Box::new(error)),
            })?;
        let inner = Arc::clone(&self.inner);
        let span = Span::current();
        let dispatch = tracing::dispatcher::get_default(Dispatch::clone);

        let task = tokio::task::spawn_blocking(move || {
            let _permit = permit;
            tracing::dispatcher::with_default(&dispatch, || span.in_scope(|| job(&inner)))
        });
        task.await
            .map_err(|error| HashError::Internal(Box::new(error)))?
    }
}

impl Inner {
    /// Verifies `password` against the PHC string `stored`.
    fn verify(&self, password: &[u8], stored: &str) -> Result<Verification, HashError> {
        let parsed = phc::PasswordHash::new(stored).map_err(internal)?;
        if parsed.salt.is_none() || parsed.hash.is_none() {
            return Err(internal(StoredHashError::Incomplete));
        }
        let params = Params::try_from(&parsed).map_err(internal)?;
        if !within_limits(&params) {
            return Err(internal(StoredHashError::TooCostly));
        }

        match self.argon2.verify_password(password, &parsed) {
            Ok(()) => Ok(Verification::Valid {
                needs_rehash: self.needs_rehash(&parsed, &params),
            }),
            Err(argon2::password_hash::Error::PasswordInvalid) => Ok(Verification::Invalid),
            Err(error) => Err(internal(error)),
        }
    }

    /// Returns whether a stored hash differs from the configured algorithm, version or costs.
    fn needs_rehash(&self, stored: &phc::PasswordHash, params: &Params) -> bool {
        let settings = &self.settings;
        stored.algorithm != ARGON2ID_IDENT
            || stored.version != Some(Version::V0x13.into())
            || params.m_cost() != settings.memory_kib
            || params.t_cost() != settings.iterations
            || params.p_cost() != settings.parallelism
            || params.output_len() != Some(Params::DEFAULT_OUTPUT_LEN)
            || !params.keyid().is_empty()
            || !params.data().is_empty()
    }
}

#[async_trait]
impl PasswordHasher for Argon2PasswordHasher {
    #[instrument(level = "debug", skip_all)]
    async fn hash(&self, password: &Password) -> Result<PasswordHash, HashError> {
        let password = Zeroizing::new(password.expose().to_owned());
        self.run(move |inner| {
            let hash = inner
                .argon2
                .hash_password(password.as_bytes())
                .map_err(internal)?;
            Ok(PasswordHash::new(hash.to_string()))
        })
        .await
    }

    #[instrument(level = "debug", skip_all)]
    async fn verify(
        &self,
        password: &Password,
        hash: &PasswordHash,
    ) -> Result<Verification, HashError> {
        let password = Zeroizing::new(password.expose().to_owned());
        let stored = hash.expose().to_owned();
        self.run(move |inner| inner.verify(password.as_bytes(), &stored))
            .await
    }

    #[instrument(level = "debug", skip_all)]
    async fn verify_dummy(&self, password: &Password) -> Result<(), HashError> {
        let password = Zeroizing::new(password.expose().to_owned());
        self.run(move |inner| {
            inner.verify(password.as_bytes(), &inner.dummy_hash)?;
            Ok(())
        })
        .await
    }
}

impl fmt::Debug for Argon2PasswordHasher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Argon2PasswordHasher")
            .field("settings", &self.inner.settings)
            .field("free_queue_slots", &self.queue.available_permits())
            .finish_non_exhaustive()
    }
}

fn internal(error: impl std::error::Error + Send + Sync + 'static) -> HashError {
    HashError::Internal(Box::new(error))
}

#[cfg(test)]
#[path = "hasher_tests.rs"]
mod tests;
