//! [`RefreshFamilyStore`] on the `refresh_families` table.

use async_trait::async_trait;
use diesel::pg::Pg;
use diesel::result::Error as DieselError;
use diesel::{
    ExpressionMethods, Insertable, OptionalExtension, QueryDsl, Queryable, Selectable,
    SelectableHelper,
};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use rampart_domain::token::{FamilyId, RefreshFamily, RotationDecision, TokenId};
use rampart_domain::user::UserId;
use rampart_ports::{RefreshFamilyStore, StoreError};
use time::OffsetDateTime;
use tracing::instrument;
use uuid::Uuid;

use crate::PostgresStores;
use crate::error::{invalid_column, store_error};
use crate::schema::refresh_families;

/// A row of `refresh_families`.
#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = refresh_families, check_for_backend(Pg))]
struct FamilyRow {
    id: Uuid,
    user_id: Uuid,
    current_token: Uuid,
    previous_token: Option<Uuid>,
    previous_rotated_at: Option<OffsetDateTime>,
    created_at: OffsetDateTime,
    expires_at: OffsetDateTime,
    revoked: bool,
}

impl FamilyRow {
    fn from_domain(family: &RefreshFamily) -> Self {
        let (previous_token, previous_rotated_at) = match family.previous_token {
            Some((token, at)) => (Some(token.as_uuid()), Some(at)),
            None => (None, None),
        };
        Self {
            id: family.id.as_uuid(),
            user_id: family.user_id.as_uuid(),
            current_token: family.current_token.as_uuid(),
            previous_token,
            previous_rotated_at,
            created_at: family.created_at,
            expires_at: family.expires_at,
            revoked: family.revoked,
        }
    }

    fn into_domain(self) -> Result<RefreshFamily, DieselError> {
        let previous_token = match (self.previous_token, self.previous_rotated_at) {
            (Some(token), Some(at)) => Some((TokenId::from_uuid(token), at)),
            (None, None) => None,
            _ => return Err(invalid_column("refresh_families.previous_rotated_at")),
        };
        Ok(RefreshFamily {
            id: FamilyId::from_uuid(self.id),
            user_id: UserId::from_uuid(self.user_id),
            current_token: TokenId::from_uuid(self.current_token),
            previous_token,
            created_at: self.created_at,
            expires_at: self.expires_at,
            revoked: self.revoked,
        })
    }
}

/// Loads one family.
async fn find_family(
    connection: &mut AsyncPgConnection,
    id: Uuid,
) -> Result<Option<RefreshFamily>, DieselError> {
    refresh_families::table
        .find(id)
        .select(FamilyRow::as_select())
        .first(connection)
        .await
        .optional()?
        .map(FamilyRow::into_domain)
        .transpose()
}

/// Loads one family and takes its row lock until the transaction ends.
async fn lock_family(
    connection: &mut AsyncPgConnection,
    id: Uuid,
) -> Result<Option<RefreshFamily>, DieselError> {
    refresh_families::table
        .find(id)
        .select(FamilyRow::as_select())
        .for_update()
        .first(connection)
        .await
        .optional()?
        .map(FamilyRow::into_domain)
        .transpose()
}

/// A rotation whose guarded UPDATE matched no row: the family changed between the read and the
/// write, which the row lock of `SELECT ... FOR UPDATE` rules out.
#[derive(Debug, thiserror::Error)]
#[error("refresh family changed during rotation")]
struct RotationRace;

#[async_trait]
impl RefreshFamilyStore for PostgresStores {
    #[instrument(level = "debug", skip_all, fields(family_id = %family.id, user_id = %family.user_id))]
    async fn create(&self, family: &RefreshFamily) -> Result<(), StoreError> {
        let row = FamilyRow::from_domain(family);
        let mut connection = self.connection().await?;
        diesel::insert_into(refresh_families::table)
            .values(&row)
            .execute(&mut *connection)
            .await
            .map(|_| ())
            .map_err(|e| store_error("create refresh family", e))
    }

    #[instrument(level = "debug", skip_all, fields(family_id = %id))]
    async fn find(&self, id: FamilyId) -> Result<Option<RefreshFamily>, StoreError> {
        let mut connection = self.connection().await?;
        find_family(&mut connection, id.as_uuid())
            .await
            .map_err(|e| store_error("find refresh family", e))
    }

    #[instrument(level = "debug", skip_all, fields(family_id = %id))]
    async fn rotate(
        &self,
        id: FamilyId,
        presented: TokenId,
        next: TokenId,
        now: OffsetDateTime,
    ) -> Result<RotationDecision, StoreError> {
        let id = id.as_uuid();
        let mut connection = self.connection().await?;
        connection
            .transaction(async |connection| {
                // The row lock makes a concurrent rotation of the family wait here until this
                // transaction ends, and then read the family as this one left it.
                let Some(family) = lock_family(connection, id).await? else {
                    return Ok(RotationDecision::Revoked);
                };
                let decision = family.decide(presented, now);
                let row = refresh_families::table.find(id);
                match decision {
                    RotationDecision::Rotate => {
                        let updated = diesel::update(
                            row.filter(refresh_families::current_token.eq(presented.as_uuid())),
                        )
                        .set((
                            refresh_families::current_token.eq(next.as_uuid()),
                            refresh_families::previous_token.eq(Some(presented.as_uuid())),
                            refresh_families::previous_rotated_at.eq(Some(now)),
                        ))
                        .execute(connection)
                        .await?;
                        if updated != 1 {
                            // Any error rolls the transaction back; diesel has no variant for
                            // a lost race, so this one carries `RotationRace` as its message.
                            return Err(DieselError::QueryBuilderError(Box::new(RotationRace)));
                        }
                    }
                    RotationDecision::Reuse => {
                        diesel::update(row)
                            .set(refresh_families::revoked.eq(true))
                            .execute(connection)
                            .await?;
                    }
                    RotationDecision::Superseded | RotationDecision::Revoked => {}
                }
                Ok(decision)
            })
            .await
            .map_err(|e| store_error("rotate refresh family", e))
    }

    #[instrument(level = "debug", skip_all, fields(family_id = %id))]
    async fn revoke(&self, id: FamilyId) -> Result<bool, StoreError> {
        let mut connection = self.connection().await?;
        let updated = diesel::update(refresh_families::table.find(id.as_uuid()))
            .set(refresh_families::revoked.eq(true))
            .execute(&mut *connection)
            .await
            .map_err(|e| store_error("revoke refresh family", e))?;
        Ok(updated == 1)
    }

    #[instrument(level = "debug", skip_all, fields(user_id = %user))]
    async fn list_for_user(&self, user: UserId) -> Result<Vec<RefreshFamily>, StoreError> {
        let mut connection = self.connection().await?;
        refresh_families::table
            .filter(refresh_families::user_id.eq(user.as_uuid()))
            .order((
                refresh_families::created_at.desc(),
                refresh_families::id.asc(),
            ))
            .select(FamilyRow::as_select())
            .load(&mut *connection)
            .await
            .map_err(|e| store_error("list refresh families", e))?
            .into_iter()
            .map(FamilyRow::into_domain)
            .collect::<Result<_, _>>()
            .map_err(|e| store_error("list refresh families", e))
    }
}
