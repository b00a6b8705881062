//! [`UserRepository`] on the `users` table.

use async_trait::async_trait;
use diesel::prelude::*;
use diesel::result::Error as DieselError;
use diesel::sql_types::Text;
use diesel::sqlite::Sqlite;
use rampart_domain::token::FamilyId;
use rampart_domain::user::{Email, PasswordHash, Role, User, UserId, Username};
use rampart_ports::{StoreError, UserRepository};
use time::OffsetDateTime;
use tracing::instrument;

use crate::SqliteStores;
use crate::error::invalid_column;
use crate::schema::{refresh_families, users};
use crate::values::{parse_uuid, uuid_text};

#[diesel::declare_sql_function]
extern "SQL" {
    /// SQLite's `lower()`, which the unique index on emails is built on.
    fn lower(text: Text) -> Text;
}

/// A row of `users`. It has no `Debug`, so the password hash cannot reach a log through it.
#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = users, check_for_backend(Sqlite))]
struct UserRow {
    id: String,
    username: String,
    email: String,
    role: String,
    password_hash: String,
    created_at: OffsetDateTime,
}

impl UserRow {
    fn from_domain(user: &User) -> Self {
        Self {
            id: uuid_text(user.id.as_uuid()),
            username: user.username.as_str().to_owned(),
            email: user.email.as_str().to_owned(),
            role: user.role.as_str().to_owned(),
            password_hash: user.password_hash.expose().to_owned(),
            created_at: user.created_at,
        }
    }

    fn into_domain(self) -> Result<User, DieselError> {
        Ok(User {
            id: UserId::from_uuid(parse_uuid(&self.id, "users.id")?),
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
fn find_one(
    connection: &mut SqliteConnection,
    query: users::BoxedQuery<'static, Sqlite>,
) -> Result<Option<User>, DieselError> {
    query
        .select(UserRow::as_select())
        .first(connection)
        .optional()?
        .map(UserRow::into_domain)
        .transpose()
}

/// Lists the ids of the families of `user`, optionally only the active ones.
fn family_ids(
    connection: &mut SqliteConnection,
    user: &str,
    only_active: bool,
) -> Result<Vec<String>, DieselError> {
    let mut query = refresh_families::table
        .filter(refresh_families::user_id.eq(user))
        .select(refresh_families::id)
        .into_boxed();
    if only_active {
        query = query.filter(refresh_families::revoked.eq(false));
    }
    query.load(connection)
}

/// Parses stored family ids.
fn parse_family_ids(ids: &[String]) -> Result<Vec<FamilyId>, DieselError> {
    ids.iter()
        .map(|id| parse_uuid(id, "refresh_families.id").map(FamilyId::from_uuid))
        .collect()
}

#[async_trait]
impl UserRepository for SqliteStores {
    #[instrument(level = "debug", skip_all, fields(user_id = %user.id))]
    async fn insert(&self, user: &User) -> Result<(), StoreError> {
        let row = UserRow::from_domain(user);
        self.run("insert user", move |connection| {
            diesel::insert_into(users::table)
                .values(&row)
                .execute(connection)
                .map(|_| ())
        })
        .await
    }

    #[instrument(level = "debug", skip_all, fields(user_id = %id))]
    async fn find_by_id(&self, id: UserId) -> Result<Option<User>, StoreError> {
        let id = uuid_text(id.as_uuid());
        self.run("find user by id", move |connection| {
            find_one(
                connection,
                users::table.filter(users::id.eq(id)).into_boxed(),
            )
        })
        .await
    }

    #[instrument(level = "debug", skip_all)]
    async fn find_by_username(&self, username: &Username) -> Result<Option<User>, StoreError> {
        let username = username.as_str().to_owned();
        self.run("find user by username", move |connection| {
            find_one(
                connection,
                users::table
                    .filter(users::username.eq(username))
                    .into_boxed(),
            )
        })
        .await
    }

    #[instrument(level = "debug", skip_all)]
    async fn find_by_email(&self, email: &Email) -> Result<Option<User>, StoreError> {
        let email = email.as_str().to_lowercase();
        self.run("find user by email", move |connection| {
            find_one(
                connection,
                users::table
                    .filter(lower(users::email).eq(email))
                    .into_boxed(),
            )
        })
        .await
    }

    #[instrument(level = "debug", skip_all, fields(user_id = %user.id))]
    async fn update_profile(&self, user: &User) -> Result<bool, StoreError> {
        let row = UserRow::from_domain(user);
        self.run("update user profile", move |connection| {
            let updated = diesel::update(users::table.find(&row.id))
                .set((
                    users::username.eq(&row.username),
                    users::email.eq(&row.email),
                    users::role.eq(&row.role),
                ))
                .execute(connection)?;
            Ok(updated == 1)
        })
        .await
    }

    #[instrument(level = "debug", skip_all, fields(user_id = %id))]
    async fn update_password_hash(
        &self,
        id: UserId,
        hash: &PasswordHash,
    ) -> Result<(), StoreError> {
        let id = uuid_text(id.as_uuid());
        let hash = hash.expose().to_owned();
        self.run("update password hash", move |connection| {
            diesel::update(users::table.find(id))
                .set(users::password_hash.eq(hash))
                .execute(connection)
                .map(|_| ())
        })
        .await
    }

    #[instrument(level = "debug", skip_all, fields(user_id = %id))]
    async fn change_password(
        &self,
        id: UserId,
        hash: &PasswordHash,
        keep: Option<FamilyId>,
    ) -> Result<Vec<FamilyId>, StoreError> {
        let id = uuid_text(id.as_uuid());
        let hash = hash.expose().to_owned();
        let keep = keep.map(|family| uuid_text(family.as_uuid()));
        self.run("change password", move |connection| {
            connection.immediate_transaction(|connection| {
                let updated = diesel::update(users::table.find(&id))
                    .set(users::password_hash.eq(hash))
                    .execute(connection)?;
                if updated == 0 {
                    return Ok(Vec::new());
                }
                let mut revoked = family_ids(connection, &id, true)?;
                revoked.retain(|family| Some(family) != keep.as_ref());
                if !revoked.is_empty() {
                    diesel::update(refresh_families::table)
                        .filter(refresh_families::id.eq_any(&revoked))
                        .set(refresh_families::revoked.eq(true))
                        .execute(connection)?;
                }
                parse_family_ids(&revoked)
            })
        })
        .await
    }

    #[instrument(level = "debug", skip_all, fields(user_id = %id))]
    async fn delete(&self, id: UserId) -> Result<Option<Vec<FamilyId>>, StoreError> {
        let id = uuid_text(id.as_uuid());
        self.run("delete user", move |connection| {
            connection.immediate_transaction(|connection| {
                let removed = family_ids(connection, &id, false)?;
                // Posts and refresh families go with the user through ON DELETE CASCADE.
                let deleted = diesel::delete(users::table.find(&id)).execute(connection)?;
                if deleted == 0 {
                    return Ok(None);
                }
                parse_family_ids(&removed).map(Some)
            })
        })
        .await
    }
}
