//! [`CategoryRepository`] on the in-memory records.

use async_trait::async_trait;
use rampart_domain::category::{Category, CategoryId};
use rampart_ports::{CategoryRepository, StoreError};
use tracing::instrument;

use crate::records::{MemoryRepositories, category_key};

#[async_trait]
impl CategoryRepository for MemoryRepositories {
    #[instrument(level = "debug", skip_all, fields(category_id = %category.id))]
    async fn insert(&self, category: &Category) -> Result<(), StoreError> {
        let mut records = self.records()?;
        let key = category_key(&category.name);
        if records.category_ids_by_name.contains_key(&key) {
            return Err(StoreError::Conflict { field: "name" });
        }
        if records.categories.contains_key(&category.id) {
            return Err(StoreError::other(
                "insert category",
                "category id already exists",
            ));
        }
        records.category_ids_by_name.insert(key, category.id);
        records.categories.insert(category.id, category.clone());
        Ok(())
    }

    #[instrument(level = "debug", skip_all, fields(category_id = %id))]
    async fn find(&self, id: CategoryId) -> Result<Option<Category>, StoreError> {
        Ok(self.records()?.categories.get(&id).cloned())
    }

    #[instrument(level = "debug", skip_all)]
    async fn list(&self) -> Result<Vec<Category>, StoreError> {
        let records = self.records()?;
        let mut categories: Vec<Category> = records.categories.values().cloned().collect();
        categories.sort_by_cached_key(|c| (category_key(&c.name), c.name.as_str().to_owned()));
        Ok(categories)
    }

    #[instrument(level = "debug", skip_all, fields(category_id = %category.id))]
    async fn update(&self, category: &Category) -> Result<bool, StoreError> {
        let mut records = self.records()?;
        let Some(stored) = records.categories.get(&category.id) else {
            return Ok(false);
        };
        let old_key = category_key(&stored.name);
        let new_key = category_key(&category.name);
        let holder = records.category_ids_by_name.get(&new_key);
        if holder.is_some_and(|holder| *holder != category.id) {
            return Err(StoreError::Conflict { field: "name" });
        }
        records.category_ids_by_name.remove(&old_key);
        records.category_ids_by_name.insert(new_key, category.id);
        if let Some(stored) = records.categories.get_mut(&category.id) {
            stored.name = category.name.clone();
        }
        Ok(true)
    }

    #[instrument(level = "debug", skip_all, fields(category_id = %id))]
    async fn delete(&self, id: CategoryId) -> Result<bool, StoreError> {
        let mut records = self.records()?;
        let Some(category) = records.categories.remove(&id) else {
            return Ok(false);
        };
        records
            .category_ids_by_name
            .remove(&category_key(&category.name));
        for post in records.posts.values_mut() {
            if post.category_id == Some(id) {
                post.category_id = None;
            }
        }
        Ok(true)
    }
}
