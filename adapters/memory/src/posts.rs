//! [`PostRepository`] on the in-memory records.

use async_trait::async_trait;
use rampart_domain::page::{Page, PageRequest};
use rampart_domain::post::{Post, PostId};
use rampart_domain::user::UserId;
use rampart_ports::{PostRepository, StoreError};
use tracing::instrument;

use crate::records::{MemoryRepositories, Records, missing, post_position};

impl Records {
    /// Checks that the category a post names exists, as the SQL foreign key does.
    fn check_category(&self, post: &Post) -> Result<(), StoreError> {
        match post.category_id {
            Some(id) if !self.categories.contains_key(&id) => Err(missing("category_id")),
            _ => Ok(()),
        }
    }
}

#[async_trait]
impl PostRepository for MemoryRepositories {
    #[instrument(level = "debug", skip_all, fields(post_id = %post.id, user_id = %post.author_id))]
    async fn insert(&self, post: &Post) -> Result<(), StoreError> {
        let mut records = self.records()?;
        if !records.users.contains_key(&post.author_id) {
            return Err(missing("author_id"));
        }
        records.check_category(post)?;
        if records.posts.contains_key(&post.id) {
            return Err(StoreError::other("insert post", "post id already exists"));
        }
        records.post_order.insert(post_position(post));
        records.posts.insert(post.id, post.clone());
        Ok(())
    }

    #[instrument(level = "debug", skip_all, fields(post_id = %id))]
    async fn find(&self, id: PostId) -> Result<Option<Post>, StoreError> {
        Ok(self.records()?.posts.get(&id).cloned())
    }

    #[instrument(level = "debug", skip_all, fields(page = page.page()))]
    async fn list(&self, page: PageRequest) -> Result<Page<Post>, StoreError> {
        let records = self.records()?;
        let offset = usize::try_from(page.offset()).unwrap_or(usize::MAX);
        let size = usize::try_from(page.page_size()).unwrap_or(usize::MAX);
        let items = records
            .post_order
            .iter()
            .skip(offset)
            .take(size)
            .filter_map(|(_, id)| records.posts.get(&PostId::from_uuid(*id)))
            .cloned()
            .collect();
        Ok(Page {
            items,
            page: page.page(),
            page_size: page.page_size(),
            total: u64::try_from(records.posts.len()).unwrap_or(u64::MAX),
        })
    }

    #[instrument(level = "debug", skip_all, fields(user_id = %author))]
    async fn list_by_author(&self, author: UserId) -> Result<Vec<Post>, StoreError> {
        let records = self.records()?;
        let posts = records
            .post_order
            .iter()
            .filter_map(|(_, id)| records.posts.get(&PostId::from_uuid(*id)))
            .filter(|post| post.author_id == author)
            .cloned()
            .collect();
        Ok(posts)
    }

    #[instrument(level = "debug", skip_all, fields(post_id = %post.id))]
    async fn update(&self, post: &Post) -> Result<bool, StoreError> {
        let mut records = self.records()?;
        if !records.posts.contains_key(&post.id) {
            return Ok(false);
        }
        records.check_category(post)?;
        let Some(stored) = records.posts.get_mut(&post.id) else {
            return Ok(false);
        };
        stored.title = post.title.clone();
        stored.body = post.body.clone();
        stored.category_id = post.category_id;
        stored.image_id = post.image_id;
        stored.updated_at = post.updated_at;
        Ok(true)
    }

    #[instrument(level = "debug", skip_all, fields(post_id = %id))]
    async fn delete(&self, id: PostId) -> Result<bool, StoreError> {
        let mut records = self.records()?;
        let Some(post) = records.posts.remove(&id) else {
            return Ok(false);
        };
        records.post_order.remove(&post_position(&post));
        Ok(true)
    }
}
