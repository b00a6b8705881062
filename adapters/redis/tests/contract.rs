//! Runs the store contracts of `rampart-ports` against Redis: a fresh `redis-server` per case,
//! or the server named by `REDIS_URL` with a fresh key prefix per case.
//!
//! The stores' clock is fixed at the contracts' start time, so the TTLs they compute from it
//! match the times the cases pass in.

#![cfg(test)]

use std::net::IpAddr;
use std::sync::Arc;

use async_trait::async_trait;
use rampart_domain::lockout::{LockoutPolicy, LoginGate};
use rampart_domain::network::Cidr;
use rampart_domain::throttle::RateDecision;
use rampart_domain::token::{AccessClaims, FamilyId, TokenId};
use rampart_domain::user::UserId;
use rampart_ports::contract::fixtures::T0;
use rampart_ports::{
    Clock, IpBlock, IpBlockStore, LoginAttemptStore, LoginKey, RateCheck, RateLimitStore,
    RevocationStore, StoreError, TokenStatus, UserStamp, UserStampStore,
};
use rampart_redis::{RedisSettings, RedisStores};
use rampart_tests::redis::TestRedis;
use time::OffsetDateTime;

struct FixedClock;

impl Clock for FixedClock {
    fn now(&self) -> OffsetDateTime {
        T0
    }
}

/// The stores together with the server they use, which stops when the last case's `Arc` drops.
struct Served {
    stores: RedisStores,
    _redis: TestRedis,
}

async fn served() -> Arc<Served> {
    let redis = TestRedis::start();
    let mut settings = RedisSettings::new(redis.url());
    settings.prefix = redis.prefix().to_owned();
    let stores = RedisStores::connect(&settings, Arc::new(FixedClock)).unwrap();
    stores.ping().await.unwrap();
    Arc::new(Served {
        stores,
        _redis: redis,
    })
}

#[async_trait]
impl RateLimitStore for Served {
    async fn admit(
        &self,
        checks: &[RateCheck],
        now: OffsetDateTime,
    ) -> Result<Vec<RateDecision>, StoreError> {
        RateLimitStore::admit(&self.stores, checks, now).await
    }

    async fn admit_with_status(
        &self,
        checks: &[RateCheck],
        claims: &AccessClaims,
        now: OffsetDateTime,
    ) -> Result<(Vec<RateDecision>, Option<TokenStatus>), StoreError> {
        self.stores.admit_with_status(checks, claims, now).await
    }
}

#[async_trait]
impl UserStampStore for Served {
    async fn current(&self, user: UserId, now: OffsetDateTime) -> Result<UserStamp, StoreError> {
        self.stores.current(user, now).await
    }

    async fn renew(&self, user: UserId) -> Result<(), StoreError> {
        self.stores.renew(user).await
    }
}

#[async_trait]
impl LoginAttemptStore for Served {
    async fn admit(
        &self,
        key: &LoginKey,
        policy: &LockoutPolicy,
        now: OffsetDateTime,
    ) -> Result<LoginGate, StoreError> {
        LoginAttemptStore::admit(&self.stores, key, policy, now).await
    }

    async fn succeed(&self, key: &LoginKey, policy: &LockoutPolicy) -> Result<(), StoreError> {
        self.stores.succeed(key, policy).await
    }

    async fn release(&self, key: &LoginKey, policy: &LockoutPolicy) -> Result<(), StoreError> {
        self.stores.release(key, policy).await
    }

    async fn clear(&self, username: &str) -> Result<(), StoreError> {
        self.stores.clear(username).await
    }
}

#[async_trait]
impl RevocationStore for Served {
    async fn revoke_token(&self, token: TokenId, until: OffsetDateTime) -> Result<(), StoreError> {
        self.stores.revoke_token(token, until).await
    }

    async fn revoke_families(
        &self,
        families: &[FamilyId],
        until: OffsetDateTime,
    ) -> Result<(), StoreError> {
        self.stores.revoke_families(families, until).await
    }

    async fn is_revoked(
        &self,
        token: TokenId,
        family: FamilyId,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        self.stores.is_revoked(token, family, now).await
    }
}

#[async_trait]
impl IpBlockStore for Served {
    async fn block(&self, block: &IpBlock) -> Result<(), StoreError> {
        self.stores.block(block).await
    }

    async fn unblock(&self, range: &Cidr, now: OffsetDateTime) -> Result<bool, StoreError> {
        self.stores.unblock(range, now).await
    }

    async fn list(&self, now: OffsetDateTime) -> Result<Vec<IpBlock>, StoreError> {
        self.stores.list(now).await
    }

    async fn find(&self, ip: IpAddr, now: OffsetDateTime) -> Result<Option<IpBlock>, StoreError> {
        self.stores.find(ip, now).await
    }
}

rampart_ports::revocation_store_contract!(served());
rampart_ports::login_attempt_store_contract!(served());
rampart_ports::rate_limit_store_contract!(served());
rampart_ports::rate_limit_revocation_contract!(served());
rampart_ports::user_stamp_contract!(served());
rampart_ports::ip_block_store_contract!(served());
