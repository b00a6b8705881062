//! [`PostRepository`] on the `posts` table.

use async_trait::async_trait;
use diesel::prelude::*;
use diesel::result::Error as DieselError;
use diesel::sqlite::Sqlite;
use rampart_domain::category::CategoryId;
use rampart_domain::page::{Page, PageRequest};
use rampart_domain::post::{Post, PostId, PostTitle, SafeHtml};
use rampart_domain::user::UserId;
use rampart_ports::{PostRepository, StoreError};
use time::OffsetDateTime;
use tracing::instrument;

use crate::SqliteStores;
use crate::error::{invalid_column, is_foreign_key_violation};
use crate::schema::{posts, users};
use crate::values::{parse_uuid, uuid_text};

/// A row of `posts`.
#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = posts, check_for_backend(Sqlite))]
struct PostRow {
    id: String,
    title: String,
    body: String,
    author_id: String,
    category_id: Option<String>,
    image_id: Option<String>,
    created_at: OffsetDateTime,
    updated_at: OffsetDateTime,
}

impl PostRow {
    fn from_domain(post: &Post) -> Self {
        Self {
            id: uuid_text(post.id.as_uuid()),
            title: post.title.as_str().to_owned(),
            body: post.body.as_str().to_owned(),
            author_id: uuid_text(post.author_id.as_uuid()),
            category_id: post.category_id.map(|id| uuid_text(id.as_uuid())),
            image_id: post.image_id.map(uuid_text),
            created_at: post.created_at,
            updated_at: post.updated_at,
        }
    }

    fn into_domain(self) -> Result<Post, DieselError> {
        let category_id = self
            .category_id
            .map(|id| parse_uuid(&id, "posts.category_id").map(CategoryId::from_uuid))
            .transpose()?;
        let image_id = self
            .image_id
            .map(|id| parse_uuid(&id, "posts.image_id"))
            .transpose()?;
        Ok(Post {
            id: PostId::from_uuid(parse_uuid(&self.id, "posts.id")?),
            title: PostTitle::parse(&self.title).map_err(|_| invalid_column("posts.title"))?,
            body: SafeHtml::from_sanitized(self.body),
            author_id: UserId::from_uuid(parse_uuid(&self.author_id, "posts.author_id")?),
            category_id,
            image_id,
            created_at: self.created_at,
            updated_at: self.updated_at,
        })
    }
}

/// Loads every post that `query` selects, newest first, then by ascending id.
fn load_newest_first(
    connection: &mut SqliteConnection,
    query: posts::BoxedQuery<'static, Sqlite>,
) -> Result<Vec<Post>, DieselError> {
    query
        .order((posts::created_at.desc(), posts::id.asc()))
        .select(PostRow::as_select())
        .load(connection)?
        .into_iter()
        .map(PostRow::into_domain)
        .collect()
}

#[async_trait]
impl PostRepository for SqliteStores {
    #[instrument(level = "debug", skip_all, fields(post_id = %post.id, user_id = %post.author_id))]
    async fn insert(&self, post: &Post) -> Result<(), StoreError> {
        let row = PostRow::from_domain(post);
        let missing = self
            .run("insert post", move |connection| {
                let inserted = diesel::insert_into(posts::table)
                    .values(&row)
                    .execute(connection);
                if !is_foreign_key_violation(&inserted) {
                    return inserted.map(|_| None);
                }
                // SQLite does not say which foreign key failed: the author, unless it exists.
                let authors: i64 = users::table
                    .find(&row.author_id)
                    .count()
                    .get_result(connection)?;
                Ok(Some(if authors == 0 {
                    "author_id"
                } else {
                    "category_id"
                }))
            })
            .await?;
        match missing {
            Some(field) => Err(StoreError::MissingReference { field }),
            None => Ok(()),
        }
    }

    #[instrument(level = "debug", skip_all, fields(post_id = %id))]
    async fn find(&self, id: PostId) -> Result<Option<Post>, StoreError> {
        let id = uuid_text(id.as_uuid());
        self.run("find post", move |connection| {
            posts::table
                .find(id)
                .select(PostRow::as_select())
                .first(connection)
                .optional()?
                .map(PostRow::into_domain)
                .transpose()
        })
        .await
    }

    #[instrument(level = "debug", skip_all, fields(page = page.page()))]
    async fn list(&self, page: PageRequest) -> Result<Page<Post>, StoreError> {
        // A page size of at most 100 and a page number below 2^32 keep the offset below 2^39.
        let offset = i64::try_from(page.offset()).unwrap_or(i64::MAX);
        let limit = i64::from(page.page_size());
        self.run("list posts", move |connection| {
            // One read transaction, so the count and the items come from one snapshot.
            connection.transaction(|connection| {
                let total: i64 = posts::table.count().get_result(connection)?;
                let query = posts::table.limit(limit).offset(offset).into_boxed();
                let items = load_newest_first(connection, query)?;
                Ok(Page {
                    items,
                    page: page.page(),
                    page_size: page.page_size(),
                    total: u64::try_from(total).unwrap_or_default(),
                })
            })
        })
        .await
    }

    #[instrument(level = "debug", skip_all, fields(user_id = %author))]
    async fn list_by_author(&self, author: UserId) -> Result<Vec<Post>, StoreError> {
        let author = uuid_text(author.as_uuid());
        self.run("list posts by author", move |connection| {
            let query = posts::table
                .filter(posts::author_id.eq(author))
                .into_boxed();
            load_newest_first(connection, query)
        })
        .await
    }

    #[instrument(level = "debug", skip_all, fields(post_id = %post.id))]
    async fn update(&self, post: &Post) -> Result<bool, StoreError> {
        let row = PostRow::from_domain(post);
        self.run("update post", move |connection| {
            // author_id and created_at are left out of the SET list: they never change.
            let updated = diesel::update(posts::table.find(&row.id))
                .set((
                    posts::title.eq(&row.title),
                    posts::body.eq(&row.body),
                    posts::category_id.eq(&row.category_id),
                    posts::image_id.eq(&row.image_id),
                    posts::updated_at.eq(row.updated_at),
                ))
                .execute(connection)?;
            Ok(updated == 1)
        })
        .await
    }

    #[instrument(level = "debug", skip_all, fields(post_id = %id))]
    async fn delete(&self, id: PostId) -> Result<bool, StoreError> {
        let id = uuid_text(id.as_uuid());
        self.run("delete post", move |connection| {
            let deleted = diesel::delete(posts::table.find(id)).execute(connection)?;
            Ok(deleted == 1)
        })
        .await
    }
}
