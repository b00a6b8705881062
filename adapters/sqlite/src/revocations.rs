//! [`RevocationStore`] on the `revocations` table, so that revoked access tokens and families
//! stay revoked across restarts of a single instance.

use std::sync::Arc;

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
/// the table contains about one access token lifetime of revocations. Reads never write.
#[derive(Clone)]
pub struct SqliteRevocations {
    stores: SqliteStores,
    clock: Arc<dyn Clock>,
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
        Self { stores, clock }
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
            .await
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
        let token = uuid_text(token.as_uuid());
        let family = uuid_text(family.as_uuid());
        let now = micros(now);
        self.stores
            .run("check revocation", move |connection| {
                let token_row = revocations::kind.eq("token").and(revocations::id.eq(token));
                let family_row = revocations::kind
                    .eq("family")
                    .and(revocations::id.eq(family));
                let active: i64 = revocations::table
                    .filter(token_row.or(family_row))
                    .filter(revocations::until_us.ge(now))
                    .count()
                    .get_result(connection)?;
                Ok(active > 0)
            })
            .await
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

    #[test]
    fn micros_count_from_epoch() {
        assert_eq!(micros(OffsetDateTime::UNIX_EPOCH), 0);
        assert_eq!(micros(T0), 1_735_732_800_000_000);
    }
}
