//! [`PostRepository`] on the `posts` table.

use async_trait::async_trait;
use diesel::pg::Pg;
use diesel::result::Error as DieselError;
use diesel::{
    ExpressionMethods, Insertable, OptionalExtension, QueryDsl, Queryable, Selectable,
    SelectableHelper,
};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use rampart_domain::category::CategoryId;
use rampart_domain::page::{Page, PageRequest};
use rampart_domain::post::{Post, PostId, PostTitle, SafeHtml};
use rampart_domain::user::UserId;
use rampart_ports::{PostRepository, StoreError};
use time::OffsetDateTime;
use tracing::instrument;
use uuid::Uuid;

use crate::PostgresStores;
use crate::error::{invalid_column, store_error};
use crate::schema::posts;

/// A row of `posts`.
#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = posts, check_for_backend(Pg))]
struct PostRow {
    id: Uuid,
    title: String,
    body: String,
    author_id: Uuid,
    category_id: Option<Uuid>,
    image_id: Option<Uuid>,
    created_at: OffsetDateTime,
    updated_at: OffsetDateTime,
}

impl PostRow {
    fn from_domain(post: &Post) -> Self {
        Self {
            id: post.id.as_uuid(),
            title: post.title.as_str().to_owned(),
            body: post.body.as_str().to_owned(),
            author_id: post.author_id.as_uuid(),
            category_id: post.category_id.map(|id| id.as_uuid()),
            image_id: post.image_id,
            created_at: post.created_at,
            updated_at: post.updated_at,
        }
    }

    fn into_domain(self) -> Result<Post, DieselError> {
        Ok(Post {
            id: PostId::from_uuid(self.id),
            title: PostTitle::parse(&self.title).map_err(|_| invalid_column("posts.title"))?,
            body: SafeHtml::from_sanitized(self.body),
            author_id: UserId::from_uuid(self.author_id),
            category_id: self.category_id.map(CategoryId::from_uuid),
            image_id: self.image_id,
            created_at: self.created_at,
            updated_at: self.updated_at,
        })
    }
}

/// Loads every post that `query` selects, newest first, then by ascending id.
async fn load_newest_first(
    connection: &mut AsyncPgConnection,
    query: posts::BoxedQuery<'_, Pg>,
) -> Result<Vec<Post>, DieselError> {
    query
        .order((posts::created_at.desc(), posts::id.asc()))
        .select(PostRow::as_select())
        .load(connection)
        .await?
        .into_iter()
        .map(PostRow::into_domain)
        .collect()
}

#[async_trait]
impl PostRepository for PostgresStores {
    #[instrument(level = "debug", skip_all, fields(post_id = %post.id, user_id = %post.author_id))]
    async fn insert(&self, post: &Post) -> Result<(), StoreError> {
        let row = PostRow::from_domain(post);
        let mut connection = self.connection().await?;
        diesel::insert_into(posts::table)
            .values(&row)
            .execute(&mut *connection)
            .await
            .map(|_| ())
            .map_err(|e| store_error("insert post", e))
    }

    #[instrument(level = "debug", skip_all, fields(post_id = %id))]
    async fn find(&self, id: PostId) -> Result<Option<Post>, StoreError> {
        let mut connection = self.connection().await?;
        posts::table
            .find(id.as_uuid())
            .select(PostRow::as_select())
            .first(&mut *connection)
            .await
            .optional()
            .and_then(|row| row.map(PostRow::into_domain).transpose())
            .map_err(|e| store_error("find post", e))
    }

    #[instrument(level = "debug", skip_all, fields(page = page.page()))]
    async fn list(&self, page: PageRequest) -> Result<Page<Post>, StoreError> {
        // A page size of at most 100 and a page number below 2^32 keep the offset below 2^39.
        let offset = i64::try_from(page.offset()).unwrap_or(i64::MAX);
        let limit = i64::from(page.page_size());
        let mut connection = self.connection().await?;
        // One repeatable-read transaction, so the count and the items come from one snapshot.
        connection
            .build_transaction()
            .read_only()
            .repeatable_read()
            .run(async |connection| {
                let total: i64 = posts::table.count().get_result(connection).await?;
                let query = posts::table.limit(limit).offset(offset).into_boxed();
                let items = load_newest_first(connection, query).await?;
                Ok::<_, DieselError>(Page {
                    items,
                    page: page.page(),
                    page_size: page.page_size(),
                    total: u64::try_from(total).unwrap_or_default(),
                })
            })
            .await
            .map_err(|e| store_error("list posts", e))
    }

    #[instrument(level = "debug", skip_all, fields(user_id = %author))]
    async fn list_by_author(&self, author: UserId) -> Result<Vec<Post>, StoreError> {
        let mut connection = self.connection().await?;
        let query = posts::table
            .filter(posts::author_id.eq(author.as_uuid()))
            .into_boxed();
        load_newest_first(&mut connection, query)
            .await
            .map_err(|e| store_error("list posts by author", e))
    }

    #[instrument(level = "debug", skip_all, fields(post_id = %post.id))]
    async fn update(&self, post: &Post) -> Result<bool, StoreError> {
        let row = PostRow::from_domain(post);
        let mut connection = self.connection().await?;
        // author_id and created_at are left out of the SET list: they never change.
        let updated = diesel::update(posts::table.find(row.id))
            .set((
                posts::title.eq(&row.title),
                posts::body.eq(&row.body),
                posts::category_id.eq(row.category_id),
                posts::image_id.eq(row.image_id),
                posts::updated_at.eq(row.updated_at),
            ))
            .execute(&mut *connection)
            .await
            .map_err(|e| store_error("update post", e))?;
        Ok(updated == 1)
    }

    #[instrument(level = "debug", skip_all, fields(post_id = %id))]
    async fn delete(&self, id: PostId) -> Result<bool, StoreError> {
        let mut connection = self.connection().await?;
        let deleted = diesel::delete(posts::table.find(id.as_uuid()))
            .execute(&mut *connection)
            .await
            .map_err(|e| store_error("delete post", e))?;
        Ok(deleted == 1)
    }
}
