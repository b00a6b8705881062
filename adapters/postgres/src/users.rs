//! [`UserRepository`] on the `users` table.

use async_trait::async_trait;
use diesel::pg::Pg;
use diesel::result::Error as DieselError;
use diesel::sql_types::Text;
use diesel::{
    AsChangeset, BoolExpressionMethods, ExpressionMethods, Insertable, OptionalExtension, QueryDsl,
    Queryable, Selectable, SelectableHelper,
};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use rampart_domain::token::FamilyId;
use rampart_domain::user::{Email, PasswordHash, Role, User, UserId, Username};
use rampart_ports::{StoreError, UserRepository};
use time::OffsetDateTime;
use tracing::instrument;
use uuid::Uuid;

use crate::PostgresStores;
use crate::error::{invalid_column, store_error};
use crate::schema::{refresh_families, users};

#[diesel::declare_sql_function]
extern "SQL" {
    /// PostgreSQL's `lower()`, which the unique index on emails is built on.
    fn lower(text: Text) -> Text;
}

/// A row of `users`. It has no `Debug`, so the password hash cannot reach a log through it.
#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = users, check_for_backend(Pg))]
struct UserRow {
    id: Uuid,
    username: String,
    email: String,
    role: String,
    password_hash: String,
    created_at: OffsetDateTime,
}

/// The columns that a profile update replaces.
#[derive(AsChangeset)]
#[diesel(table_name = users)]
struct ProfileChange<'a> {
    username: &'a str,
    email: &'a str,
    role: &'a str,
}

impl UserRow {
    fn from_domain(user: &User) -> Self {
        Self {
            id: user.id.as_uuid(),
            username: user.username.as_str().to_owned(),
            email: user.email.as_str().to_owned(),
            role: user.role.as_str().to_owned(),
            password_hash: user.password_hash.expose().to_owned(),
            created_at: user.created_at,
        }
    }

    fn into_domain(self) -> Result<User, DieselError> {
        Ok(User {
            id: UserId::from_uuid(self.id),
            username: Username::parse(&self.username)
                .map_err(|_| invalid_column("users.username"))?,
            email: Email::parse(&self.email).map_err(|_| invalid_column("users.email"))?,
            role: Role::parse(&self.role).ok_or_else(|| invalid_column("users.role"))?,
            password_hash: PasswordHash::new(self.password_hash),
            created_at: self.created_at,
        })
    }
}

/// Loads the first user that `query` selects.
async fn find_one(
    connection: &mut AsyncPgConnection,
    query: users::BoxedQuery<'_, Pg>,
) -> Result<Option<User>, DieselError> {
    query
        .select(UserRow::as_select())
        .first(connection)
        .await
        .optional()?
        .map(UserRow::into_domain)
        .transpose()
}

#[async_trait]
impl UserRepository for PostgresStores {
    #[instrument(level = "debug", skip_all, fields(user_id = %user.id))]
    async fn insert(&self, user: &User) -> Result<(), StoreError> {
        let row = UserRow::from_domain(user);
        let mut connection = self.connection().await?;
        diesel::insert_into(users::table)
            .values(&row)
            .execute(&mut *connection)
            .await
            .map(|_| ())
            .map_err(|e| store_error("insert user", e))
    }

    #[instrument(level = "debug", skip_all, fields(user_id = %id))]
    async fn find_by_id(&self, id: UserId) -> Result<Option<User>, StoreError> {
        let mut connection = self.connection().await?;
        let query = users::table.filter(users::id.eq(id.as_uuid())).into_boxed();
        find_one(&mut connection, query)
            .await
            .map_err(|e| store_error("find user by id", e))
    }

    #[instrument(level = "debug", skip_all)]
    async fn find_by_username(&self, username: &Username) -> Result<Option<User>, StoreError> {
        let mut connection = self.connection().await?;
        let query = users::table
            .filter(users::username.eq(username.as_str()))
            .into_boxed();
        find_one(&mut connection, query)
            .await
            .map_err(|e| store_error("find user by username", e))
    }

    #[instrument(level = "debug", skip_all)]
    async fn find_by_email(&self, email: &Email) -> Result<Option<User>, StoreError> {
        let email = email.as_str().to_lowercase();
        let mut connection = self.connection().await?;
        let query = users::table
            .filter(lower(users::email).eq(email))
            .into_boxed();
        find_one(&mut connection, query)
            .await
            .map_err(|e| store_error("find user by email", e))
    }

    #[instrument(level = "debug", skip_all, fields(user_id = %user.id))]
    async fn update_profile(&self, user: &User) -> Result<bool, StoreError> {
        let change = ProfileChange {
            username: user.username.as_str(),
            email: user.email.as_str(),
            role: user.role.as_str(),
        };
        let mut connection = self.connection().await?;
        let updated = diesel::update(users::table.find(user.id.as_uuid()))
            .set(&change)
            .execute(&mut *connection)
            .await
            .map_err(|e| store_error("update user profile", e))?;
        Ok(updated == 1)
    }

    #[instrument(level = "debug", skip_all, fields(user_id = %id))]
    async fn update_password_hash(
        &self,
        id: UserId,
        hash: &PasswordHash,
    ) -> Result<(), StoreError> {
        let mut connection = self.connection().await?;
        diesel::update(users::table.find(id.as_uuid()))
            .set(users::password_hash.eq(hash.expose()))
            .execute(&mut *connection)
            .await
            .map(|_| ())
            .map_err(|e| store_error("update password hash", e))
    }

    #[instrument(level = "debug", skip_all, fields(user_id = %id))]
    async fn change_password(
        &self,
        id: UserId,
        hash: &PasswordHash,
        keep: Option<FamilyId>,
    ) -> Result<Vec<FamilyId>, StoreError> {
        let id = id.as_uuid();
        let hash = hash.expose().to_owned();
        // No family has the nil id, so `Uuid::nil()` keeps none.
        let keep = keep.map_or(Uuid::nil(), |family| family.as_uuid());
        let mut connection = self.connection().await?;
        let revoked = connection
            .transaction(async |connection| {
                let updated = diesel::update(users::table.find(id))
                    .set(users::password_hash.eq(hash))
                    .execute(connection)
                    .await?;
                if updated == 0 {
                    return Ok::<_, DieselError>(Vec::new());
                }
                diesel::update(refresh_families::table)
                    .filter(
                        refresh_families::user_id
                            .eq(id)
                            .and(refresh_families::revoked.eq(false))
                            .and(refresh_families::id.ne(keep)),
                    )
                    .set(refresh_families::revoked.eq(true))
                    .returning(refresh_families::id)
                    .get_results::<Uuid>(connection)
                    .await
            })
            .await
            .map_err(|e| store_error("change password", e))?;
        Ok(revoked.into_iter().map(FamilyId::from_uuid).collect())
    }

    #[instrument(level = "debug", skip_all, fields(user_id = %id))]
    async fn delete(&self, id: UserId) -> Result<Option<Vec<FamilyId>>, StoreError> {
        let id = id.as_uuid();
        let mut connection = self.connection().await?;
        let removed = connection
            .transaction(async |connection| {
                let families = diesel::delete(
                    refresh_families::table.filter(refresh_families::user_id.eq(id)),
                )
                .returning(refresh_families::id)
                .get_results::<Uuid>(connection)
                .await?;
                // Posts go with the user through ON DELETE CASCADE.
                let deleted = diesel::delete(users::table.find(id))
                    .execute(connection)
                    .await?;
                Ok::<_, DieselError>((deleted == 1).then_some(families))
            })
            .await
            .map_err(|e| store_error("delete user", e))?;
        Ok(removed.map(|families| families.into_iter().map(FamilyId::from_uuid).collect()))
    }
}
