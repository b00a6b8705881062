//! [`RefreshFamilyStore`] on the in-memory records.

use async_trait::async_trait;
use rampart_domain::token::{FamilyId, RefreshFamily, RotationDecision, TokenId};
use rampart_domain::user::UserId;
use rampart_ports::{RefreshFamilyStore, StoreError};
use time::OffsetDateTime;
use tracing::instrument;

use crate::records::{MemoryRepositories, missing};

#[async_trait]
impl RefreshFamilyStore for MemoryRepositories {
    #[instrument(level = "debug", skip_all, fields(family_id = %family.id, user_id = %family.user_id))]
    async fn create(&self, family: &RefreshFamily) -> Result<(), StoreError> {
        let mut records = self.records()?;
        if !records.users.contains_key(&family.user_id) {
            return Err(missing("user_id"));
        }
        if records.families.contains_key(&family.id) {
            return Err(StoreError::other(
                "create refresh family",
                "family id already exists",
            ));
        }
        records.families.insert(family.id, family.clone());
        Ok(())
    }

    #[instrument(level = "debug", skip_all, fields(family_id = %id))]
    async fn find(&self, id: FamilyId) -> Result<Option<RefreshFamily>, StoreError> {
        Ok(self.records()?.families.get(&id).cloned())
    }

    #[instrument(level = "debug", skip_all, fields(family_id = %id))]
    async fn rotate(
        &self,
        id: FamilyId,
        presented: TokenId,
        next: TokenId,
        now: OffsetDateTime,
    ) -> Result<RotationDecision, StoreError> {
        let mut records = self.records()?;
        let Some(family) = records.families.get_mut(&id) else {
            return Ok(RotationDecision::Revoked);
        };
        let decision = family.decide(presented, now);
        match decision {
            RotationDecision::Rotate => {
                family.previous_token = Some((presented, now));
                family.current_token = next;
            }
            RotationDecision::Reuse => family.revoked = true,
            RotationDecision::Superseded | RotationDecision::Revoked => {}
        }
        Ok(decision)
    }

    #[instrument(level = "debug", skip_all, fields(family_id = %id))]
    async fn revoke(&self, id: FamilyId) -> Result<bool, StoreError> {
        let mut records = self.records()?;
        let Some(family) = records.families.get_mut(&id) else {
            return Ok(false);
        };
        family.revoked = true;
        Ok(true)
    }

    #[instrument(level = "debug", skip_all, fields(user_id = %user))]
    async fn list_for_user(&self, user: UserId) -> Result<Vec<RefreshFamily>, StoreError> {
        let records = self.records()?;
        let mut families: Vec<RefreshFamily> = records
            .families
            .values()
            .filter(|family| family.user_id == user)
            .cloned()
            .collect();
        families.sort_by_key(|family| (std::cmp::Reverse(family.created_at), family.id.as_uuid()));
        Ok(families)
    }
}
