//! [`RevocationStore`] in memory, with revocations swept out after their `until`.

use std::collections::HashMap;
use std::sync::Mutex;

use async_trait::async_trait;
use rampart_domain::token::{FamilyId, TokenId};
use rampart_ports::{RevocationStore, StoreError};
use time::{Duration, OffsetDateTime};
use tracing::instrument;

use crate::lock::lock;
use crate::sweep::SweepSchedule;

/// How long past its `until` a sweep keeps an entry, so that a request whose clock reading is
/// slightly older than the sweeping request's still finds its revocation.
const SWEEP_MARGIN: Duration = Duration::minutes(1);

/// Revoked access tokens and families, kept in memory until their `until`.
#[derive(Debug, Default)]
pub struct MemoryRevocations {
    state: Mutex<Revocations>,
}

#[derive(Debug, Default)]
struct Revocations {
    tokens: HashMap<TokenId, OffsetDateTime>,
    families: HashMap<FamilyId, OffsetDateTime>,
    schedule: SweepSchedule,
}

impl MemoryRevocations {
    /// Creates an empty store.
    pub fn new() -> Self {
        Self::default()
    }
}

/// Stores `until` for `id`, keeping a later `until` already stored.
fn extend<K: std::hash::Hash + Eq>(
    entries: &mut HashMap<K, OffsetDateTime>,
    id: K,
    until: OffsetDateTime,
) {
    let stored = entries.entry(id).or_insert(until);
    *stored = (*stored).max(until);
}

impl Revocations {
    fn len(&self) -> usize {
        self.tokens.len() + self.families.len()
    }

    fn sweep_if_due(&mut self, now: OffsetDateTime) {
        if !self.schedule.is_due(self.len(), now) {
            return;
        }
        let horizon = now - SWEEP_MARGIN;
        self.tokens.retain(|_, until| *until >= horizon);
        self.families.retain(|_, until| *until >= horizon);
        self.schedule.swept(self.len(), now);
    }
}

#[async_trait]
impl RevocationStore for MemoryRevocations {
    #[instrument(level = "debug", skip_all, fields(token_id = %token))]
    async fn revoke_token(&self, token: TokenId, until: OffsetDateTime) -> Result<(), StoreError> {
        extend(&mut lock(&self.state)?.tokens, token, until);
        Ok(())
    }

    #[instrument(level = "debug", skip_all, fields(families = families.len()))]
    async fn revoke_families(
        &self,
        families: &[FamilyId],
        until: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let mut state = lock(&self.state)?;
        for family in families {
            extend(&mut state.families, *family, until);
        }
        Ok(())
    }

    #[instrument(level = "debug", skip_all, fields(token_id = %token, family_id = %family))]
    async fn is_revoked(
        &self,
        token: TokenId,
        family: FamilyId,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        let mut state = lock(&self.state)?;
        state.sweep_if_due(now);
        let active = |until: Option<&OffsetDateTime>| until.is_some_and(|until| now <= *until);
        Ok(active(state.tokens.get(&token)) || active(state.families.get(&family)))
    }
}

#[cfg(test)]
mod tests {
    use uuid::Uuid;

    use super::*;
    use crate::sweep::{MIN_SWEEP_LEN, SWEEP_INTERVAL};

    const T0: OffsetDateTime = OffsetDateTime::UNIX_EPOCH;

    #[tokio::test]
    async fn sweep_forgets_expired_revocations() {
        let store = MemoryRevocations::new();
        let token = TokenId::from_uuid(Uuid::new_v4());
        let family = FamilyId::from_uuid(Uuid::new_v4());
        store.is_revoked(token, family, T0).await.unwrap();
        store.revoke_token(token, T0).await.unwrap();
        store.revoke_families(&[family], T0).await.unwrap();

        let later = T0 + SWEEP_INTERVAL + SWEEP_MARGIN + Duration::SECOND;
        store.is_revoked(token, family, later).await.unwrap();

        assert_eq!(lock(&store.state).unwrap().len(), 0);
    }

    #[tokio::test]
    async fn sweep_keeps_live_revocations() {
        let store = MemoryRevocations::new();
        let token = TokenId::from_uuid(Uuid::new_v4());
        let family = FamilyId::from_uuid(Uuid::new_v4());
        store.is_revoked(token, family, T0).await.unwrap();
        let until = T0 + Duration::hours(1);
        store.revoke_token(token, until).await.unwrap();

        let later = T0 + SWEEP_INTERVAL;
        let revoked = store.is_revoked(token, family, later).await.unwrap();

        assert!(revoked);
        assert_eq!(lock(&store.state).unwrap().len(), 1);
    }

    #[tokio::test]
    async fn flood_of_revocations_stays_bounded() {
        let store = MemoryRevocations::new();
        let family = FamilyId::from_uuid(Uuid::new_v4());

        // One revocation per millisecond that ends after one second, and the sweep keeps each
        // for one more minute, so about 61,000 are kept at any time.
        let mut peak = 0;
        for n in 0..200_000 {
            let now = T0 + Duration::milliseconds(n);
            let token = TokenId::from_uuid(Uuid::new_v4());
            store
                .revoke_token(token, now + Duration::SECOND)
                .await
                .unwrap();
            store.is_revoked(token, family, now).await.unwrap();
            peak = peak.max(lock(&store.state).unwrap().len());
        }

        assert!(
            peak <= 2 * 61_000 + MIN_SWEEP_LEN,
            "map grew to {peak} entries"
        );
    }
}
