//! [`CategoryRepository`] on the `categories` table.

use async_trait::async_trait;
use diesel::pg::Pg;
use diesel::result::Error as DieselError;
use diesel::{
    ExpressionMethods, Insertable, OptionalExtension, QueryDsl, Queryable, Selectable,
    SelectableHelper,
};
use diesel_async::RunQueryDsl;
use rampart_domain::category::{Category, CategoryId, CategoryName};
use rampart_ports::{CategoryRepository, StoreError};
use time::OffsetDateTime;
use tracing::instrument;
use uuid::Uuid;

use crate::PostgresStores;
use crate::error::{invalid_column, store_error};
use crate::schema::categories;

/// A row of `categories`.
#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = categories, check_for_backend(Pg))]
struct CategoryRow {
    id: Uuid,
    name: String,
    name_key: String,
    created_at: OffsetDateTime,
}

/// Returns the key under which a name is unique: lower-cased by Unicode rules in Rust, so the
/// result does not depend on the database's locale.
fn name_key(name: &CategoryName) -> String {
    name.as_str().to_lowercase()
}

impl CategoryRow {
    fn from_domain(category: &Category) -> Self {
        Self {
            id: category.id.as_uuid(),
            name: category.name.as_str().to_owned(),
            name_key: name_key(&category.name),
            created_at: category.created_at,
        }
    }

    fn into_domain(self) -> Result<Category, DieselError> {
        Ok(Category {
            id: CategoryId::from_uuid(self.id),
            name: CategoryName::parse(&self.name).map_err(|_| invalid_column("categories.name"))?,
            created_at: self.created_at,
        })
    }
}

#[async_trait]
impl CategoryRepository for PostgresStores {
    #[instrument(level = "debug", skip_all, fields(category_id = %category.id))]
    async fn insert(&self, category: &Category) -> Result<(), StoreError> {
        let row = CategoryRow::from_domain(category);
        let mut connection = self.connection().await?;
        diesel::insert_into(categories::table)
            .values(&row)
            .execute(&mut *connection)
            .await
            .map(|_| ())
            .map_err(|e| store_error("insert category", e))
    }

    #[instrument(level = "debug", skip_all, fields(category_id = %id))]
    async fn find(&self, id: CategoryId) -> Result<Option<Category>, StoreError> {
        let mut connection = self.connection().await?;
        categories::table
            .find(id.as_uuid())
            .select(CategoryRow::as_select())
            .first(&mut *connection)
            .await
            .optional()
            .and_then(|row| row.map(CategoryRow::into_domain).transpose())
            .map_err(|e| store_error("find category", e))
    }

    #[instrument(level = "debug", skip_all)]
    async fn list(&self) -> Result<Vec<Category>, StoreError> {
        let mut connection = self.connection().await?;
        categories::table
            .order((categories::name_key.asc(), categories::name.asc()))
            .select(CategoryRow::as_select())
            .load(&mut *connection)
            .await
            .and_then(|rows| rows.into_iter().map(CategoryRow::into_domain).collect())
            .map_err(|e| store_error("list categories", e))
    }

    #[instrument(level = "debug", skip_all, fields(category_id = %category.id))]
    async fn update(&self, category: &Category) -> Result<bool, StoreError> {
        let row = CategoryRow::from_domain(category);
        let mut connection = self.connection().await?;
        let updated = diesel::update(categories::table.find(row.id))
            .set((
                categories::name.eq(&row.name),
                categories::name_key.eq(&row.name_key),
            ))
            .execute(&mut *connection)
            .await
            .map_err(|e| store_error("update category", e))?;
        Ok(updated == 1)
    }

    #[instrument(level = "debug", skip_all, fields(category_id = %id))]
    async fn delete(&self, id: CategoryId) -> Result<bool, StoreError> {
        let mut connection = self.connection().await?;
        // Posts of the category keep existing with category_id NULL (ON DELETE SET NULL).
        let deleted = diesel::delete(categories::table.find(id.as_uuid()))
            .execute(&mut *connection)
            .await
            .map_err(|e| store_error("delete category", e))?;
        Ok(deleted == 1)
    }
}
