//! [`RefreshFamilyStore`] on the `refresh_families` table.

use async_trait::async_trait;
use diesel::prelude::*;
use diesel::result::Error as DieselError;
use diesel::sqlite::Sqlite;
use rampart_domain::token::{FamilyId, RefreshFamily, RotationDecision, TokenId};
use rampart_domain::user::UserId;
use rampart_ports::{RefreshFamilyStore, StoreError};
use time::OffsetDateTime;
use tracing::instrument;

use crate::SqliteStores;
use crate::error::invalid_column;
use crate::schema::refresh_families;
use crate::values::{parse_uuid, uuid_text};

/// A row of `refresh_families`.
#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = refresh_families, check_for_backend(Sqlite))]
struct FamilyRow {
    id: String,
    user_id: String,
    current_token: String,
    previous_token: Option<String>,
    previous_rotated_at: Option<OffsetDateTime>,
    created_at: OffsetDateTime,
    expires_at: OffsetDateTime,
    revoked: bool,
}

impl FamilyRow {
    fn from_domain(family: &RefreshFamily) -> Self {
        let (previous_token, previous_rotated_at) = match family.previous_token {
            Some((token, at)) => (Some(uuid_text(token.as_uuid())), Some(at)),
            None => (None, None),
        };
        Self {
            id: uuid_text(family.id.as_uuid()),
            user_id: uuid_text(family.user_id.as_uuid()),
            current_token: uuid_text(family.current_token.as_uuid()),
            previous_token,
            previous_rotated_at,
            created_at: family.created_at,
            expires_at: family.expires_at,
            revoked: family.revoked,
        }
    }

    fn into_domain(self) -> Result<RefreshFamily, DieselError> {
        let previous_token = match (self.previous_token, self.previous_rotated_at) {
            (Some(token), Some(at)) => Some((
                TokenId::from_uuid(parse_uuid(&token, "refresh_families.previous_token")?),
                at,
            )),
            (None, None) => None,
            _ => return Err(invalid_column("refresh_families.previous_rotated_at")),
        };
        Ok(RefreshFamily {
            id: FamilyId::from_uuid(parse_uuid(&self.id, "refresh_families.id")?),
            user_id: UserId::from_uuid(parse_uuid(&self.user_id, "refresh_families.user_id")?),
            current_token: TokenId::from_uuid(parse_uuid(
                &self.current_token,
                "refresh_families.current_token",
            )?),
            previous_token,
            created_at: self.created_at,
            expires_at: self.expires_at,
            revoked: self.revoked,
        })
    }
}

/// Loads one family by its stored id.
fn find_family(
    connection: &mut SqliteConnection,
    id: &str,
) -> Result<Option<RefreshFamily>, DieselError> {
    refresh_families::table
        .find(id)
        .select(FamilyRow::as_select())
        .first(connection)
        .optional()?
        .map(FamilyRow::into_domain)
        .transpose()
}

/// A rotation whose guarded UPDATE matched no row: the family changed between the read and the
/// write, which the write lock of `BEGIN IMMEDIATE` rules out.
#[derive(Debug, thiserror::Error)]
#[error("refresh family changed during rotation")]
struct RotationRace;

#[async_trait]
impl RefreshFamilyStore for SqliteStores {
    #[instrument(level = "debug", skip_all, fields(family_id = %family.id, user_id = %family.user_id))]
    async fn create(&self, family: &RefreshFamily) -> Result<(), StoreError> {
        let row = FamilyRow::from_domain(family);
        self.run("create refresh family", move |connection| {
            diesel::insert_into(refresh_families::table)
                .values(&row)
                .execute(connection)
                .map(|_| ())
        })
        .await
    }

    #[instrument(level = "debug", skip_all, fields(family_id = %id))]
    async fn find(&self, id: FamilyId) -> Result<Option<RefreshFamily>, StoreError> {
        let id = uuid_text(id.as_uuid());
        self.run("find refresh family", move |connection| {
            find_family(connection, &id)
        })
        .await
    }

    #[instrument(level = "debug", skip_all, fields(family_id = %id))]
    async fn rotate(
        &self,
        id: FamilyId,
        presented: TokenId,
        next: TokenId,
        now: OffsetDateTime,
    ) -> Result<RotationDecision, StoreError> {
        let id = uuid_text(id.as_uuid());
        let presented_text = uuid_text(presented.as_uuid());
        let next = uuid_text(next.as_uuid());
        self.run("rotate refresh family", move |connection| {
            connection.immediate_transaction(|connection| {
                let Some(family) = find_family(connection, &id)? else {
                    return Ok(RotationDecision::Revoked);
                };
                let decision = family.decide(presented, now);
                let row = refresh_families::table.find(&id);
                match decision {
                    RotationDecision::Rotate => {
                        // The guard on current_token makes a second rotation with the same
                        // token match no row even if the transaction were not serialized.
                        let updated = diesel::update(
                            row.filter(refresh_families::current_token.eq(&presented_text)),
                        )
                        .set((
                            refresh_families::current_token.eq(&next),
                            refresh_families::previous_token.eq(Some(&presented_text)),
                            refresh_families::previous_rotated_at.eq(Some(now)),
                        ))
                        .execute(connection)?;
                        if updated != 1 {
                            // Any error rolls the transaction back; diesel has no variant for
                            // a lost race, so this one carries `RotationRace` as its message.
                            return Err(DieselError::QueryBuilderError(Box::new(RotationRace)));
                        }
                    }
                    RotationDecision::Reuse => {
                        diesel::update(row)
                            .set(refresh_families::revoked.eq(true))
                            .execute(connection)?;
                    }
                    RotationDecision::Superseded | RotationDecision::Revoked => {}
                }
                Ok(decision)
            })
        })
        .await
    }

    #[instrument(level = "debug", skip_all, fields(family_id = %id))]
    async fn revoke(&self, id: FamilyId) -> Result<bool, StoreError> {
        let id = uuid_text(id.as_uuid());
        self.run("revoke refresh family", move |connection| {
            let updated = diesel::update(refresh_families::table.find(id))
                .set(refresh_families::revoked.eq(true))
                .execute(connection)?;
            Ok(updated == 1)
        })
        .await
    }

    #[instrument(level = "debug", skip_all, fields(user_id = %user))]
    async fn list_for_user(&self, user: UserId) -> Result<Vec<RefreshFamily>, StoreError> {
        let user = uuid_text(user.as_uuid());
        self.run("list refresh families", move |connection| {
            refresh_families::table
                .filter(refresh_families::user_id.eq(user))
                .order((
                    refresh_families::created_at.desc(),
                    refresh_families::id.asc(),
                ))
                .select(FamilyRow::as_select())
                .load(connection)?
                .into_iter()
                .map(FamilyRow::into_domain)
                .collect()
        })
        .await
    }
}
