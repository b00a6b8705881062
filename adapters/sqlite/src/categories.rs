//! [`CategoryRepository`] on the `categories` table.

use async_trait::async_trait;
use diesel::prelude::*;
use diesel::result::Error as DieselError;
use diesel::sqlite::Sqlite;
use rampart_domain::category::{Category, CategoryId, CategoryName};
use rampart_ports::{CategoryRepository, StoreError};
use time::OffsetDateTime;
use tracing::instrument;

use crate::SqliteStores;
use crate::error::invalid_column;
use crate::schema::categories;
use crate::values::{parse_uuid, uuid_text};

/// A row of `categories`.
#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = categories, check_for_backend(Sqlite))]
struct CategoryRow {
    id: String,
    name: String,
    name_key: String,
    created_at: OffsetDateTime,
}

/// Returns the key under which a name is unique: lower-cased by Unicode rules, because SQLite's
/// `lower()` folds ASCII letters only.
fn name_key(name: &CategoryName) -> String {
    name.as_str().to_lowercase()
}

impl CategoryRow {
    fn from_domain(category: &Category) -> Self {
        Self {
            id: uuid_text(category.id.as_uuid()),
            name: category.name.as_str().to_owned(),
            name_key: name_key(&category.name),
            created_at: category.created_at,
        }
    }

    fn into_domain(self) -> Result<Category, DieselError> {
        Ok(Category {
            id: CategoryId::from_uuid(parse_uuid(&self.id, "categories.id")?),
            name: CategoryName::parse(&self.name).map_err(|_| invalid_column("categories.name"))?,
            created_at: self.created_at,
        })
    }
}

#[async_trait]
impl CategoryRepository for SqliteStores {
    #[instrument(level = "debug", skip_all, fields(category_id = %category.id))]
    async fn insert(&self, category: &Category) -> Result<(), StoreError> {
        let row = CategoryRow::from_domain(category);
        self.run("insert category", move |connection| {
            diesel::insert_into(categories::table)
                .values(&row)
                .execute(connection)
                .map(|_| ())
        })
        .await
    }

    #[instrument(level = "debug", skip_all, fields(category_id = %id))]
    async fn find(&self, id: CategoryId) -> Result<Option<Category>, StoreError> {
        let id = uuid_text(id.as_uuid());
        self.run("find category", move |connection| {
            categories::table
                .find(id)
                .select(CategoryRow::as_select())
                .first(connection)
                .optional()?
                .map(CategoryRow::into_domain)
                .transpose()
        })
        .await
    }

    #[instrument(level = "debug", skip_all)]
    async fn list(&self) -> Result<Vec<Category>, StoreError> {
        self.run("list categories", move |connection| {
            categories::table
                .order((categories::name_key.asc(), categories::name.asc()))
                .select(CategoryRow::as_select())
                .load(connection)?
                .into_iter()
                .map(CategoryRow::into_domain)
                .collect()
        })
        .await
    }

    #[instrument(level = "debug", skip_all, fields(category_id = %category.id))]
    async fn update(&self, category: &Category) -> Result<bool, StoreError> {
        let row = CategoryRow::from_domain(category);
        self.run("update category", move |connection| {
            let updated = diesel::update(categories::table.find(&row.id))
                .set((
                    categories::name.eq(&row.name),
                    categories::name_key.eq(&row.name_key),
                ))
                .execute(connection)?;
            Ok(updated == 1)
        })
        .await
    }

    #[instrument(level = "debug", skip_all, fields(category_id = %id))]
    async fn delete(&self, id: CategoryId) -> Result<bool, StoreError> {
        let id = uuid_text(id.as_uuid());
        self.run("delete category", move |connection| {
            // Posts of the category keep existing with category_id NULL (ON DELETE SET NULL).
            let deleted = diesel::delete(categories::table.find(id)).execute(connection)?;
            Ok(deleted == 1)
        })
        .await
    }
}
