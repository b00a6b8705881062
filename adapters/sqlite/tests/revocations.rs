//! Runs the revocation contract of `rampart-ports` against [`SqliteRevocations`] on a fresh,
//! migrated database file per case, and checks that revocations outlive a reopened file.

#![cfg(test)]

use std::sync::Arc;

use async_trait::async_trait;
use rampart_domain::token::{ACCESS_TOKEN_TTL, FamilyId, TokenId};
use rampart_ports::contract::fixtures::{T0, family_id, token};
use rampart_ports::{Clock, RevocationStore, StoreError};
use rampart_sqlite::{SqliteRevocations, SqliteStores};
use tempfile::TempDir;
use time::OffsetDateTime;

/// The contract cases' start time, so that no row they write is pruned as expired.
struct FixedClock;

impl Clock for FixedClock {
    fn now(&self) -> OffsetDateTime {
        T0
    }
}

/// The store together with the directory of its database file, removed with the last `Arc`.
struct Served {
    revocations: SqliteRevocations,
    _directory: TempDir,
}

async fn open(directory: &TempDir) -> SqliteRevocations {
    let stores = SqliteStores::connect(directory.path().join("rampart.db"), 4)
        .await
        .unwrap();
    stores.run_migrations().await.unwrap();
    SqliteRevocations::new(stores, Arc::new(FixedClock))
}

async fn served() -> Arc<Served> {
    let directory = tempfile::tempdir().unwrap();
    Arc::new(Served {
        revocations: open(&directory).await,
        _directory: directory,
    })
}

#[async_trait]
impl RevocationStore for Served {
    async fn revoke_token(&self, token: TokenId, until: OffsetDateTime) -> Result<(), StoreError> {
        self.revocations.revoke_token(token, until).await
    }

    async fn revoke_families(
        &self,
        families: &[FamilyId],
        until: OffsetDateTime,
    ) -> Result<(), StoreError> {
        self.revocations.revoke_families(families, until).await
    }

    async fn is_revoked(
        &self,
        token: TokenId,
        family: FamilyId,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        self.revocations.is_revoked(token, family, now).await
    }
}

rampart_ports::revocation_store_contract!(served());

#[tokio::test(flavor = "multi_thread")]
async fn revocations_survive_reopened_file() {
    let directory = tempfile::tempdir().unwrap();
    let revoked_token = token();
    let revoked_family = family_id();
    let before = open(&directory).await;
    before
        .revoke_token(revoked_token, T0 + ACCESS_TOKEN_TTL)
        .await
        .unwrap();
    before
        .revoke_families(&[revoked_family], T0 + ACCESS_TOKEN_TTL)
        .await
        .unwrap();
    drop(before);

    let after = open(&directory).await;

    let token_revoked = after
        .is_revoked(revoked_token, family_id(), T0)
        .await
        .unwrap();
    let family_revoked = after.is_revoked(token(), revoked_family, T0).await.unwrap();
    assert!(token_revoked, "token revocation lost on reopen");
    assert!(family_revoked, "family revocation lost on reopen");
}
