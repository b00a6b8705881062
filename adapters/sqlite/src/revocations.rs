//! [`RevocationStore`] on the `revocations` table, so that revoked access tokens and families
//! stay revoked across restarts of a single instance.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use async_trait::async_trait;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use rampart_domain::token::{FamilyId, TokenId};
use rampart_ports::{Clock, RevocationStore, StoreError};
use time::{Duration, OffsetDateTime};
use tracing::instrument;

use crate::SqliteStores;
use crate::schema::revocations;
use crate::values::uuid_text;

/// How long past its `until` a row is kept, so that a request whose clock reading is slightly
/// older than the pruning write's still finds its revocation.
const PRUNE_MARGIN: Duration = Duration::minutes(1);

/// Stores `until` for one entry, keeping a later `until` already stored.
const UPSERT: &str = "INSERT INTO revocations (kind, id, until_us) VALUES (?, ?, ?) \
     ON CONFLICT (kind, id) DO UPDATE SET until_us = max(until_us, excluded.until_us)";

/// Revoked access tokens and families in the SQLite database of [`SqliteStores`].
///
/// Every write also deletes the rows that expired before [`PRUNE_MARGIN`] ago by `clock`, so
/// the table contains about one access token lifetime of revocations.
///
/// Checks read a copy of the table in memory, loaded by the first check and updated by every
/// write of this store after the database accepted it, so a check costs no query. Revocations
/// that another process writes to the same file are not seen until a restart: the SQLite
/// configuration serves one instance (several instances share revocations in Redis).
#[derive(Clone)]
pub struct SqliteRevocations {
    stores: SqliteStores,
    clock: Arc<dyn Clock>,
    copy: Arc<Mutex<TableCopy>>,
}

/// The in-memory copy of the table: `until` in microseconds by kind and id.
#[derive(Debug, Default)]
struct TableCopy {
    /// Whether the rows of the database were merged in.
    loaded: bool,
    entries: HashMap<(&'static str, String), i64>,
}

impl TableCopy {
    /// Stores `until` for an entry, keeping a later `until` already stored.
    fn extend(&mut self, kind: &'static str, id: String, until: i64) {
        let stored = self.entries.entry((kind, id)).or_insert(until);
        *stored = (*stored).max(until);
    }

    /// Returns whether the token or the family is revoked at `now`.
    fn is_revoked(&self, token: String, family: String, now: i64) -> bool {
        [("token", token), ("family", family)]
            .into_iter()
            .any(|key| self.entries.get(&key).is_some_and(|until| now <= *until))
    }
}

impl std::fmt::Debug for SqliteRevocations {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteRevocations")
            .field("stores", &self.stores)
            .finish_non_exhaustive()
    }
}

impl SqliteRevocations {
    /// Keeps revocations in the database of `stores`, which must be migrated; `clock` dates
    /// the pruning of expired rows.
    pub fn new(stores: SqliteStores, clock: Arc<dyn Clock>) -> Self {
        Self {
            stores,
            clock,
            copy: Arc::default(),
        }
    }

    fn copy(&self) -> std::sync::MutexGuard<'_, TableCopy> {
        self.copy.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Merges the table's unexpired rows into the copy, once.
    async fn load(&self) -> Result<(), StoreError> {
        if self.copy().loaded {
            return Ok(());
        }
        let horizon = micros(self.clock.now() - PRUNE_MARGIN);
        let rows: Vec<(String, String, i64)> = self
            .stores
            .run("load revocations", move |connection| {
                revocations::table
                    .filter(revocations::until_us.ge(horizon))
                    .select((revocations::kind, revocations::id, revocations::until_us))
                    .load(connection)
            })
            .await?;
        let mut copy = self.copy();
        // Writes made while the rows loaded are in the copy already, and merging keeps the
        // later `until` of each entry.
        for (kind, id, until) in rows {
            let kind = match kind.as_str() {
                "token" => "token",
                "family" => "family",
                _ => continue,
            };
            copy.extend(kind, id, until);
        }
        copy.loaded = true;
        Ok(())
    }

    /// Writes one row per entry and prunes the expired rows, in one transaction.
    async fn revoke(
        &self,
        context: &'static str,
        entries: Vec<(&'static str, String)>,
        until: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let until = micros(until);
        let horizon = micros(self.clock.now() - PRUNE_MARGIN);
        let written = entries.clone();
        self.stores
            .run(context, move |connection| {
                connection.immediate_transaction(|connection| {
                    for (kind, id) in &entries {
                        diesel::sql_query(UPSERT)
                            .bind::<Text, _>(*kind)
                            .bind::<Text, _>(id)
                            .bind::<BigInt, _>(until)
                            .execute(connection)?;
                    }
                    diesel::delete(revocations::table.filter(revocations::until_us.lt(horizon)))
                        .execute(connection)?;
                    Ok(())
                })
            })
            .await?;
        let mut copy = self.copy();
        copy.entries.retain(|_, kept| *kept >= horizon);
        for (kind, id) in written {
            copy.extend(kind, id, until);
        }
        Ok(())
    }
}

/// Returns microseconds since the Unix epoch, saturated to the range of `i64`.
fn micros(time: OffsetDateTime) -> i64 {
    let micros = (time - OffsetDateTime::UNIX_EPOCH).whole_microseconds();
    i64::try_from(micros).unwrap_or(if micros < 0 { i64::MIN } else { i64::MAX })
}

#[async_trait]
impl RevocationStore for SqliteRevocations {
    #[instrument(level = "debug", skip_all, fields(token_id = %token))]
    async fn revoke_token(&self, token: TokenId, until: OffsetDateTime) -> Result<(), StoreError> {
        let entries = vec![("token", uuid_text(token.as_uuid()))];
        self.revoke("revoke access token", entries, until).await
    }

    #[instrument(level = "debug", skip_all, fields(families = families.len()))]
    async fn revoke_families(
        &self,
        families: &[FamilyId],
        until: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let entries = families
            .iter()
            .map(|family| ("family", uuid_text(family.as_uuid())))
            .collect();
        self.revoke("revoke refresh families", entries, until).await
    }

    #[instrument(level = "debug", skip_all, fields(token_id = %token, family_id = %family))]
    async fn is_revoked(
        &self,
        token: TokenId,
        family: FamilyId,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        self.load().await?;
        let token = uuid_text(token.as_uuid());
        let family = uuid_text(family.as_uuid());
        Ok(self.copy().is_revoked(token, family, micros(now)))
    }
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;
    use uuid::Uuid;

    use super::*;

    const T0: OffsetDateTime = datetime!(2025-01-01 12:00 UTC);

    struct FixedClock(OffsetDateTime);

    impl Clock for FixedClock {
        fn now(&self) -> OffsetDateTime {
            self.0
        }
    }

    async fn row_count(stores: &SqliteStores) -> i64 {
        stores
            .run("count revocations", |connection| {
                revocations::table.count().get_result(connection)
            })
            .await
            .unwrap()
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn write_prunes_expired_rows() {
        let directory = tempfile::tempdir().unwrap();
        let stores = SqliteStores::connect(directory.path().join("rampart.db"), 2)
            .await
            .unwrap();
        stores.run_migrations().await.unwrap();
        let later = T0 + Duration::hours(1);
        let early = SqliteRevocations::new(stores.clone(), Arc::new(FixedClock(T0)));
        let late = SqliteRevocations::new(stores.clone(), Arc::new(FixedClock(later)));
        let expired = TokenId::from_uuid(Uuid::new_v4());
        early
            .revoke_token(expired, T0 + Duration::minutes(15))
            .await
            .unwrap();

        late.revoke_token(
            TokenId::from_uuid(Uuid::new_v4()),
            later + Duration::minutes(15),
        )
        .await
        .unwrap();

        assert_eq!(row_count(&stores).await, 1);
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn revocation_after_first_check_is_seen() {
        let directory = tempfile::tempdir().unwrap();
        let stores = SqliteStores::connect(directory.path().join("rampart.db"), 2)
            .await
            .unwrap();
        stores.run_migrations().await.unwrap();
        let store = SqliteRevocations::new(stores, Arc::new(FixedClock(T0)));
        let token = TokenId::from_uuid(Uuid::new_v4());
        let family = FamilyId::from_uuid(Uuid::new_v4());

        let before = store.is_revoked(token, family, T0).await.unwrap();
        store
            .revoke_token(token, T0 + Duration::minutes(15))
            .await
            .unwrap();
        let after = store.is_revoked(token, family, T0).await.unwrap();

        assert!(!before, "token revoked before its revocation");
        assert!(after, "revocation written after the first check not seen");
    }

    #[test]
    fn micros_count_from_epoch() {
        assert_eq!(micros(OffsetDateTime::UNIX_EPOCH), 0);
        assert_eq!(micros(T0), 1_735_732_800_000_000);
    }
}
