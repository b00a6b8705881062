//! [`UploadRepository`] on the `uploads` table.

use async_trait::async_trait;
use diesel::prelude::*;
use diesel::result::Error as DieselError;
use diesel::sqlite::Sqlite;
use rampart_domain::filename::CleanFilename;
use rampart_domain::upload::{ImageFormat, Upload, UploadId};
use rampart_domain::user::UserId;
use rampart_ports::{StoreError, UploadRepository};
use time::OffsetDateTime;
use tracing::instrument;

use crate::SqliteStores;
use crate::error::invalid_column;
use crate::schema::uploads;
use crate::values::{parse_uuid, uuid_text};

/// How many ids one `IN (...)` list of [`UploadRepository::known_ids`] holds, below SQLite's
/// default limit of 32,766 bound parameters.
const IDS_PER_QUERY: usize = 500;

/// A row of `uploads`.
#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = uploads, check_for_backend(Sqlite))]
struct UploadRow {
    id: String,
    owner_id: String,
    filename: String,
    format: String,
    size: i64,
    created_at: OffsetDateTime,
}

fn format_text(format: ImageFormat) -> &'static str {
    match format {
        ImageFormat::Jpeg => "jpeg",
        ImageFormat::Png => "png",
        ImageFormat::Webp => "webp",
        ImageFormat::Gif => "gif",
    }
}

fn parse_format(text: &str) -> Result<ImageFormat, DieselError> {
    ImageFormat::ALL
        .into_iter()
        .find(|format| format_text(*format) == text)
        .ok_or_else(|| invalid_column("uploads.format"))
}

impl UploadRow {
    fn from_domain(upload: &Upload) -> Self {
        Self {
            id: uuid_text(upload.id.as_uuid()),
            owner_id: uuid_text(upload.owner_id.as_uuid()),
            filename: upload.filename.as_str().to_owned(),
            format: format_text(upload.format).to_owned(),
            size: i64::try_from(upload.size).unwrap_or(i64::MAX),
            created_at: upload.created_at,
        }
    }

    fn into_domain(self) -> Result<Upload, DieselError> {
        Ok(Upload {
            id: UploadId::from_uuid(parse_uuid(&self.id, "uploads.id")?),
            owner_id: UserId::from_uuid(parse_uuid(&self.owner_id, "uploads.owner_id")?),
            filename: CleanFilename::from_stored(self.filename),
            format: parse_format(&self.format)?,
            size: u64::try_from(self.size).map_err(|_| invalid_column("uploads.size"))?,
            created_at: self.created_at,
        })
    }
}

#[async_trait]
impl UploadRepository for SqliteStores {
    #[instrument(level = "debug", skip_all, fields(upload_id = %upload.id, user_id = %upload.owner_id))]
    async fn insert(&self, upload: &Upload) -> Result<(), StoreError> {
        let row = UploadRow::from_domain(upload);
        self.run("insert upload", move |connection| {
            diesel::insert_into(uploads::table)
                .values(&row)
                .execute(connection)
                .map(|_| ())
        })
        .await
    }

    #[instrument(level = "debug", skip_all, fields(upload_id = %id))]
    async fn find(&self, id: UploadId) -> Result<Option<Upload>, StoreError> {
        let id = uuid_text(id.as_uuid());
        self.run("find upload", move |connection| {
            uploads::table
                .find(id)
                .select(UploadRow::as_select())
                .first(connection)
                .optional()?
                .map(UploadRow::into_domain)
                .transpose()
        })
        .await
    }

    #[instrument(level = "debug", skip_all, fields(user_id = %owner))]
    async fn list_by_owner(&self, owner: UserId) -> Result<Vec<Upload>, StoreError> {
        let owner = uuid_text(owner.as_uuid());
        self.run("list uploads by owner", move |connection| {
            uploads::table
                .filter(uploads::owner_id.eq(owner))
                .order((uploads::created_at.desc(), uploads::id.asc()))
                .select(UploadRow::as_select())
                .load(connection)?
                .into_iter()
                .map(UploadRow::into_domain)
                .collect()
        })
        .await
    }

    #[instrument(level = "debug", skip_all, fields(count = ids.len()))]
    async fn known_ids(&self, ids: &[UploadId]) -> Result<Vec<UploadId>, StoreError> {
        let ids: Vec<String> = ids.iter().map(|id| uuid_text(id.as_uuid())).collect();
        self.run("find known upload ids", move |connection| {
            let mut known = Vec::new();
            for chunk in ids.chunks(IDS_PER_QUERY) {
                let found: Vec<String> = uploads::table
                    .filter(uploads::id.eq_any(chunk))
                    .select(uploads::id)
                    .load(connection)?;
                for id in found {
                    known.push(UploadId::from_uuid(parse_uuid(&id, "uploads.id")?));
                }
            }
            Ok(known)
        })
        .await
    }

    #[instrument(level = "debug", skip_all, fields(upload_id = %id))]
    async fn delete(&self, id: UploadId) -> Result<bool, StoreError> {
        let id = uuid_text(id.as_uuid());
        self.run("delete upload", move |connection| {
            // The trigger uploads_clear_post_images clears posts.image_id in the same statement.
            let deleted = diesel::delete(uploads::table.find(id)).execute(connection)?;
            Ok(deleted == 1)
        })
        .await
    }
}
