//! [`LoginAttemptStore`] on Redis: the three failure logs of one attempt in one script.

use std::sync::LazyLock;

use async_trait::async_trait;
use rampart_domain::lockout::{LockoutPolicy, LoginGate};
use rampart_domain::network::canonical;
use rampart_ports::{LoginAttemptStore, LoginKey, StoreError};
use redis::Script;
use time::{Duration, OffsetDateTime};
use tracing::instrument;
use uuid::Uuid;

use crate::RedisStores;
use crate::error::UnexpectedReply;
use crate::time_units::{micros, span_micros};

static ADMIT: LazyLock<Script> = LazyLock::new(|| Script::new(include_str!("lua/login_admit.lua")));
static SUCCEED: LazyLock<Script> =
    LazyLock::new(|| Script::new(include_str!("lua/login_succeed.lua")));
static RELEASE: LazyLock<Script> =
    LazyLock::new(|| Script::new(include_str!("lua/login_release.lua")));

/// Turns the admit script's answer into a gate.
fn gate(outcome: &str, value: i64) -> Result<LoginGate, StoreError> {
    let retry_after = Duration::microseconds(value);
    match outcome {
        "proceed" => Ok(LoginGate::Proceed {
            locks_on_failure: value == 1,
        }),
        "locked" => Ok(LoginGate::Locked { retry_after }),
        "delayed" => Ok(LoginGate::Delayed { retry_after }),
        "throttled" => Ok(LoginGate::Throttled { retry_after }),
        other => Err(StoreError::other(
            "admit login attempt",
            UnexpectedReply(format!("login gate {other:?}")),
        )),
    }
}

impl RedisStores {
    fn login_keys(&self, key: &LoginKey) -> [String; 3] {
        [
            self.keys.login_user(&key.username),
            self.keys.login_pairs(&key.username),
            self.keys.login_ip(key.client_ip),
        ]
    }
}

#[async_trait]
impl LoginAttemptStore for RedisStores {
    #[instrument(level = "debug", skip_all)]
    async fn admit(
        &self,
        key: &LoginKey,
        policy: &LockoutPolicy,
        now: OffsetDateTime,
    ) -> Result<LoginGate, StoreError> {
        let mut invocation = ADMIT.prepare_invoke();
        for name in self.login_keys(key) {
            invocation.key(name);
        }
        invocation
            .arg(micros(now))
            .arg(canonical(key.client_ip).to_string())
            .arg(Uuid::new_v4().simple().to_string())
            .arg(policy.pair_limit)
            .arg(span_micros(policy.pair_window))
            .arg(span_micros(policy.lock_duration))
            .arg(policy.delay_threshold)
            .arg(span_micros(policy.username_window))
            .arg(policy.ip_limit)
            .arg(span_micros(policy.ip_window));
        for delay in policy.delays {
            invocation.arg(span_micros(delay));
        }
        let mut link = self.pool.link().await?;
        let result = invocation
            .invoke_async::<(String, i64)>(link.connection())
            .await;
        let (outcome, value) = link.finish("admit login attempt", result)?;
        gate(&outcome, value)
    }

    #[instrument(level = "debug", skip_all)]
    async fn succeed(&self, key: &LoginKey, _policy: &LockoutPolicy) -> Result<(), StoreError> {
        let mut invocation = SUCCEED.prepare_invoke();
        for name in self.login_keys(key) {
            invocation.key(name);
        }
        invocation.arg(canonical(key.client_ip).to_string());
        let mut link = self.pool.link().await?;
        let result = invocation.invoke_async::<i64>(link.connection()).await;
        link.finish("record successful login", result).map(drop)
    }

    #[instrument(level = "debug", skip_all)]
    async fn release(&self, key: &LoginKey, policy: &LockoutPolicy) -> Result<(), StoreError> {
        let mut invocation = RELEASE.prepare_invoke();
        for name in self.login_keys(key) {
            invocation.key(name);
        }
        invocation
            .arg(canonical(key.client_ip).to_string())
            .arg(span_micros(policy.lock_duration));
        let mut link = self.pool.link().await?;
        let result = invocation.invoke_async::<i64>(link.connection()).await;
        link.finish("release login attempt", result).map(drop)
    }

    #[instrument(level = "debug", skip_all)]
    async fn clear(&self, username: &str) -> Result<(), StoreError> {
        let mut link = self.pool.link().await?;
        let result = redis::cmd("DEL")
            .arg(self.keys.login_user(username))
            .arg(self.keys.login_pairs(username))
            .query_async::<i64>(link.connection())
            .await;
        link.finish("clear login attempts", result).map(drop)
    }
}
