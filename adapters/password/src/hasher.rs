//! [`Argon2PasswordHasher`]: argon2id hashing on a thread pool behind a bounded queue.
//!
//! Each job takes a permit from a semaphore without waiting, so a full queue returns
//! `HashError::Busy` at once instead of piling up work. Admitted jobs run on the [`HashPool`],
//! one per hashing thread at a time, and the rest wait their turn in its channel. The permit moves into the
//! job and is released when the hash is done, even if the caller stopped waiting. Jobs run
//! inside the caller's tracing span. Nothing here logs a password or a hash.

use std::cell::RefCell;
use std::fmt;
use std::sync::Arc;

use argon2::password_hash::phc;
use argon2::{ARGON2ID_IDENT, Algorithm, Argon2, Block, Params, PasswordHasher as _, Version};
use async_trait::async_trait;
use rampart_domain::password::Password;
use rampart_domain::user::PasswordHash;
use rampart_ports::{HashError, PasswordHasher, Verification};
use tokio::sync::{Semaphore, TryAcquireError, oneshot};
use tracing::{Dispatch, Span, instrument};
use uuid::Uuid;
use zeroize::Zeroizing;

use crate::pool::HashPool;
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
    pool: HashPool,
}

/// State shared with the blocking jobs.
struct Inner {
    argon2: Argon2<'static>,
    settings: Argon2Settings,
    /// PHC string of a random password, hashed with the configured parameters.
    dummy_hash: String,
}

impl Argon2PasswordHasher {
    /// Checks `settings`, hashes a random dummy password with them on the calling thread, and
    /// starts the hashing threads, at most `queue_capacity` of them.
    ///
    /// # Errors
    /// [`SettingsError`] when a setting is out of range, hashing the dummy password fails or a
    /// hashing thread cannot start.
    pub fn new(settings: Argon2Settings) -> Result<Self, SettingsError> {
        let params = settings.params()?;
        let argon2 = Argon2::new(ALGORITHM, VERSION, params);
        let dummy_password = Zeroizing::new(Uuid::new_v4().to_string());
        let dummy_hash = argon2
            .hash_password(dummy_password.as_bytes())
            .map_err(SettingsError::DummyHash)?
            .to_string();

        let pool = HashPool::start(settings.threads.min(settings.queue_capacity))
            .map_err(SettingsError::ThreadStart)?;

        Ok(Self {
            queue: Arc::new(Semaphore::new(settings.queue_capacity)),
            pool,
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

    /// Runs `job` on the hashing pool inside the current span, or returns
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
        let (sender, receiver) = oneshot::channel();

        self.pool
            .submit(
                move || {
                    tracing::dispatcher::with_default(&dispatch, || span.in_scope(|| job(&inner)))
                },
                move |result| {
                    // The slot is free before the caller sees the result. The caller may have
                    // stopped waiting; the result is then dropped.
                    drop(permit);
                    let _ = sender.send(result);
                },
            )
            .map_err(internal)?;
        receiver.await.map_err(internal)?
    }
}

/// The algorithm and version of every new hash.
const ALGORITHM: Algorithm = Algorithm::Argon2id;
const VERSION: Version = Version::V0x13;

impl Inner {
    /// Hashes `password` with a new random salt into a PHC string.
    ///
    /// This does what argon2's `hash_password` does, on this thread's reused memory.
    fn hash(&self, password: &[u8]) -> Result<PasswordHash, HashError> {
        let salt = argon2::password_hash::try_generate_salt()
            .map_err(|error| internal(argon2::password_hash::Error::from(error)))?;
        let params = self.argon2.params();
        let mut output = vec![0u8; params.output_len().unwrap_or(Params::DEFAULT_OUTPUT_LEN)];
        with_memory(self.block_count(), self.block_count(), |blocks| {
            self.argon2
                .hash_password_into_with_memory(password, &salt, &mut output, blocks)
        })
        .map_err(internal)?;

        let hash = phc::PasswordHash {
            algorithm: ALGORITHM.ident(),
            version: Some(VERSION.into()),
            params: phc::ParamsString::try_from(params).map_err(internal)?,
            salt: Some(phc::Salt::new(&salt).map_err(internal)?),
            hash: Some(phc::Output::new(&output).map_err(internal)?),
        };
        Ok(PasswordHash::new(hash.to_string()))
    }

    /// Verifies `password` against the PHC string `stored`.
    ///
    /// This does what argon2's `verify_password` does: hash the password with the stored
    /// algorithm, version, costs and salt, and compare the outputs in constant time. It passes
    /// its own memory, though, so that logins reuse one buffer per hashing thread.
    fn verify(&self, password: &[u8], stored: &str) -> Result<Verification, HashError> {
        let parsed = phc::PasswordHash::new(stored).map_err(internal)?;
        let (Some(salt), Some(expected)) = (&parsed.salt, &parsed.hash) else {
            return Err(internal(StoredHashError::Incomplete));
        };
        let params = Params::try_from(&parsed).map_err(internal)?;
        if !within_limits(&params) {
            return Err(internal(StoredHashError::TooCostly));
        }
        let algorithm = Algorithm::try_from(parsed.algorithm.as_str()).map_err(internal)?;
        let version = parsed
            .version
            .map(Version::try_from)
            .transpose()
            .map_err(internal)?
            .unwrap_or_default();
        let argon2 = Argon2::new(algorithm, version, params.clone());

        let mut output = vec![0u8; expected.len()];
        with_memory(params.block_count(), self.block_count(), |blocks| {
            argon2.hash_password_into_with_memory(password, salt.as_ref(), &mut output, blocks)
        })
        .map_err(internal)?;
        let computed = phc::Output::new(&output).map_err(internal)?;

        // `phc::Output` compares in constant time.
        if computed == *expected {
            Ok(Verification::Valid {
                needs_rehash: self.needs_rehash(&parsed, &params),
            })
        } else {
            Ok(Verification::Invalid)
        }
    }

    /// Returns the number of memory blocks of the configured costs.
    fn block_count(&self) -> usize {
        self.argon2.params().block_count()
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
        self.run(move |inner| inner.hash(password.as_bytes())).await
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
            .field("threads", &self.pool.threads())
            .finish_non_exhaustive()
    }
}

thread_local! {
    /// The argon2 memory of this hashing thread, kept from one hash to the next.
    static MEMORY: RefCell<Vec<Block>> = const { RefCell::new(Vec::new()) };
}

/// Runs `hash` on `blocks` argon2 blocks of memory.
///
/// A hash with the configured costs (`configured_blocks`) reuses this thread's buffer. A new
/// zeroed allocation of `memory_kib` for every login would cost the time to zero it. Under
/// that churn glibc's arenas also fragmented until each kept three hashes' worth of memory
/// (measured: 58 MiB per arena at m = 19 MiB). A stored hash with other costs, one that needs a
/// rehash, gets memory of its own for this call.
// NOTE: like argon2's own allocation, the buffer is not wiped between hashes; the argon2 crate
// does not zeroize its memory either.
fn with_memory<T>(
    blocks: usize,
    configured_blocks: usize,
    hash: impl FnOnce(&mut [Block]) -> T,
) -> T {
    if blocks != configured_blocks {
        return hash(&mut vec![Block::new(); blocks]);
    }
    MEMORY.with(|memory| match memory.try_borrow_mut() {
        Ok(mut memory) => {
            // The contents need no reset: argon2 writes every block before it reads it.
            memory.resize(blocks, Block::new());
            hash(&mut memory)
        }
        // Only a hash running inside another on this thread could find the buffer borrowed.
        Err(_) => hash(&mut vec![Block::new(); blocks]),
    })
}

fn internal(error: impl std::error::Error + Send + Sync + 'static) -> HashError {
    HashError::Internal(Box::new(error))
}

#[cfg(test)]
#[path = "hasher_tests.rs"]
mod tests;
