//! [`UserStampStore`] in memory: the embedded default, and deployments of one instance.

use std::collections::HashMap;
use std::sync::Mutex;

use async_trait::async_trait;
use rampart_domain::user::UserId;
use rampart_ports::{StoreError, UserStamp, UserStampStore};
use time::OffsetDateTime;

use crate::lock::lock;
use crate::sweep::SweepSchedule;

/// Users' stamps, each kept for [`UserStamp::LIFETIME`] from its creation.
///
/// Only caches in the same process see these stamps, so this store suits a single instance.
#[derive(Debug, Default)]
pub struct MemoryUserStamps {
    state: Mutex<Stamps>,
}

#[derive(Debug, Default)]
struct Stamps {
    /// Each user's stamp and the time it was created.
    stamps: HashMap<UserId, (UserStamp, OffsetDateTime)>,
    schedule: SweepSchedule,
}

impl MemoryUserStamps {
    /// Creates an empty store.
    pub fn new() -> Self {
        Self::default()
    }
}

impl Stamps {
    fn sweep_if_due(&mut self, now: OffsetDateTime) {
        if !self.schedule.is_due(self.stamps.len(), now) {
            return;
        }
        self.stamps
            .retain(|_, (_, created)| now - *created < UserStamp::LIFETIME);
        self.schedule.swept(self.stamps.len(), now);
    }
}

#[async_trait]
impl UserStampStore for MemoryUserStamps {
    async fn current(&self, user: UserId, now: OffsetDateTime) -> Result<UserStamp, StoreError> {
        let mut state = lock(&self.state)?;
        state.sweep_if_due(now);
        let entry = state
            .stamps
            .entry(user)
            .or_insert_with(|| (UserStamp::random(), now));
        if now - entry.1 >= UserStamp::LIFETIME {
            *entry = (UserStamp::random(), now);
        }
        Ok(entry.0)
    }

    async fn renew(&self, user: UserId) -> Result<(), StoreError> {
        lock(&self.state)?.stamps.remove(&user);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;
    use uuid::Uuid;

    use super::*;

    const T0: OffsetDateTime = datetime!(2025-01-01 12:00 UTC);

    #[tokio::test]
    async fn stamp_is_replaced_after_lifetime() {
        let store = MemoryUserStamps::new();
        let user = UserId::from_uuid(Uuid::new_v4());

        let first = store.current(user, T0).await.unwrap();
        let before_end = store
            .current(user, T0 + UserStamp::LIFETIME - time::Duration::SECOND)
            .await
            .unwrap();
        let after_end = store.current(user, T0 + UserStamp::LIFETIME).await.unwrap();

        assert_eq!(first, before_end, "stamp replaced within its lifetime");
        assert_ne!(first, after_end, "stamp kept past its lifetime");
    }
}
