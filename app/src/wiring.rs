//! Builds the adapters named by the configuration and hands them to the use cases as ports.

use std::sync::Arc;

use anyhow::Context;
use async_trait::async_trait;
use rampart_domain::upload_policy::UploadPolicy;
use rampart_domain::user::UserId;
use rampart_http::ReadinessProbe;
use rampart_ports::usecases::Deps;
use rampart_ports::{StoreError, UserRepository};
use uuid::Uuid;

use crate::clock::SystemClock;
use crate::config::Config;
use crate::events::TracingEventSink;

/// Issuer and audience written into every token.
const TOKEN_ISSUER: &str = "rampart";
const TOKEN_AUDIENCE: &str = "rampart-api";

pub(crate) use crate::database::Database;

/// Builds every port from the configuration, on an opened database.
///
/// # Errors
/// When the key directory or the hasher cannot be set up.
pub(crate) fn build_deps(config: &Config, database: Database) -> anyhow::Result<Deps> {
    let clock = Arc::new(SystemClock);
    let sqlite = match &database {
        Database::Sqlite(stores) => Some(stores.clone()),
        Database::Postgres(_) => None,
    };
    let stores = database.into_repositories();

    let key_dir = rampart_token::KeyDir::new(config.data_dir.join("keys"));
    let keys = key_dir
        .load_or_create(rampart_ports::Clock::now(clock.as_ref()))
        .context("loading the token signing keys")?;
    let tokens = rampart_token::PasetoTokenCodec::new(keys, TOKEN_ISSUER, TOKEN_AUDIENCE);

    let hasher = rampart_password::Argon2PasswordHasher::new(rampart_password::Argon2Settings {
        memory_kib: config.argon2.memory_kib,
        iterations: config.argon2.iterations,
        parallelism: config.argon2.parallelism,
        queue_capacity: config.hash_queue,
        ..rampart_password::Argon2Settings::default()
    })
    .context("setting up argon2 (check the password.argon2_* settings)")?;

    let shared = crate::shared_state::build(config, clock.clone(), sqlite)?;
    let blobs = rampart_storage::FsBlobStore::open(config.data_dir.join("uploads"))
        .context("opening the upload directory under data_dir")?;
    let uploads = crate::fault::upload_repository(stores.clone(), config);
    let decode_jobs = std::thread::available_parallelism().map_or(1, usize::from);

    Ok(Deps {
        users: stores.clone(),
        posts: stores.clone(),
        categories: stores.clone(),
        families: stores,
        revocations: shared.revocations,
        user_stamps: shared.user_stamps,
        login_attempts: shared.login_attempts,
        rate_limits: shared.rate_limits,
        uploads,
        blobs: Arc::new(blobs),
        images: Arc::new(rampart_sniff::ImageSniffer::new(decode_jobs)),
        hasher: Arc::new(hasher),
        tokens: Arc::new(tokens),
        sanitizer: Arc::new(rampart_html::AmmoniaSanitizer::new()),
        clock,
        events: Arc::new(TracingEventSink),
        password_policy: config.password_policy,
        lockout_policy: config.lockout,
        upload_policy: UploadPolicy::default(),
    })
}

/// Checks the database by looking up a user id that does not exist: a round trip through the
/// pool that reads nothing.
struct DatabaseProbe {
    users: Arc<dyn UserRepository>,
}

#[async_trait]
impl ReadinessProbe for DatabaseProbe {
    fn name(&self) -> &'static str {
        "database"
    }

    async fn check(&self) -> Result<(), StoreError> {
        self.users
            .find_by_id(UserId::from_uuid(Uuid::nil()))
            .await
            .map(|_| ())
    }
}

/// Returns the probes of `/health/ready`.
pub(crate) fn readiness_probes(deps: &Deps) -> Vec<Arc<dyn ReadinessProbe>> {
    vec![
        Arc::new(DatabaseProbe {
            users: deps.users.clone(),
        }),
        Arc::new(crate::shared_state::RevocationProbe {
            revocations: deps.revocations.clone(),
            clock: deps.clock.clone(),
        }),
    ]
}
