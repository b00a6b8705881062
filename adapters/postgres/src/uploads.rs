//! [`UploadRepository`] on the `uploads` table.

use async_trait::async_trait;
use diesel::pg::Pg;
use diesel::result::Error as DieselError;
use diesel::{
    ExpressionMethods, Insertable, OptionalExtension, QueryDsl, Queryable, Selectable,
    SelectableHelper,
};
use diesel_async::RunQueryDsl;
use rampart_domain::filename::CleanFilename;
use rampart_domain::upload::{ImageFormat, Upload, UploadId};
use rampart_domain::user::UserId;
use rampart_ports::{StoreError, UploadRepository};
use time::OffsetDateTime;
use tracing::instrument;
use uuid::Uuid;

use crate::PostgresStores;
use crate::error::{invalid_column, store_error};
use crate::schema::uploads;

/// A row of `uploads`.
#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = uploads, check_for_backend(Pg))]
struct UploadRow {
    id: Uuid,
    owner_id: Uuid,
    filename: String,
    format: String,
    size: i64,
    created_at: OffsetDateTime,
}

/// Returns the stored name of `format`, as the CHECK constraint of `uploads.format` lists them.
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
            id: upload.id.as_uuid(),
            owner_id: upload.owner_id.as_uuid(),
            filename: upload.filename.as_str().to_owned(),
            format: format_text(upload.format).to_owned(),
            size: i64::try_from(upload.size).unwrap_or(i64::MAX),
            created_at: upload.created_at,
        }
    }

    fn into_domain(self) -> Result<Upload, DieselError> {
        Ok(Upload {
            id: UploadId::from_uuid(self.id),
            owner_id: UserId::from_uuid(self.owner_id),
            filename: CleanFilename::from_stored(self.filename),
            format: parse_format(&self.format)?,
            size: u64::try_from(self.size).map_err(|_| invalid_column("uploads.size"))?,
            created_at: self.created_at,
        })
    }
}

#[async_trait]
impl UploadRepository for PostgresStores {
    #[instrument(level = "debug", skip_all, fields(upload_id = %upload.id, user_id = %upload.owner_id))]
    async fn insert(&self, upload: &Upload) -> Result<(), StoreError> {
        let row = UploadRow::from_domain(upload);
        let mut connection = self.connection().await?;
        diesel::insert_into(uploads::table)
            .values(&row)
            .execute(&mut *connection)
            .await
            .map(|_| ())
            .map_err(|e| store_error("insert upload", e))
    }

    #[instrument(level = "debug", skip_all, fields(upload_id = %id))]
    async fn find(&self, id: UploadId) -> Result<Option<Upload>, StoreError> {
        let mut connection = self.connection().await?;
        uploads::table
            .find(id.as_uuid())
            .select(UploadRow::as_select())
            .first(&mut *connection)
            .await
            .optional()
            .and_then(|row| row.map(UploadRow::into_domain).transpose())
            .map_err(|e| store_error("find upload", e))
    }

    #[instrument(level = "debug", skip_all, fields(user_id = %owner))]
    async fn list_by_owner(&self, owner: UserId) -> Result<Vec<Upload>, StoreError> {
        let mut connection = self.connection().await?;
        uploads::table
            .filter(uploads::owner_id.eq(owner.as_uuid()))
            .order((uploads::created_at.desc(), uploads::id.asc()))
            .select(UploadRow::as_select())
            .load(&mut *connection)
            .await
            .and_then(|rows| rows.into_iter().map(UploadRow::into_domain).collect())
            .map_err(|e| store_error("list uploads by owner", e))
    }

    #[instrument(level = "debug", skip_all, fields(count = ids.len()))]
    async fn known_ids(&self, ids: &[UploadId]) -> Result<Vec<UploadId>, StoreError> {
        // `= ANY($1)` binds the whole list as one array parameter, so its length is not limited
        // by the 65,535 bind parameters of the protocol.
        let ids: Vec<Uuid> = ids.iter().map(|id| id.as_uuid()).collect();
        let mut connection = self.connection().await?;
        let known: Vec<Uuid> = uploads::table
            .filter(uploads::id.eq_any(ids))
            .select(uploads::id)
            .load(&mut *connection)
            .await
            .map_err(|e| store_error("find known upload ids", e))?;
        Ok(known.into_iter().map(UploadId::from_uuid).collect())
    }

    #[instrument(level = "debug", skip_all, fields(upload_id = %id))]
    async fn delete(&self, id: UploadId) -> Result<bool, StoreError> {
        let mut connection = self.connection().await?;
        // The trigger uploads_clear_post_images clears posts.image_id in the same statement.
        let deleted = diesel::delete(uploads::table.find(id.as_uuid()))
            .execute(&mut *connection)
            .await
            .map_err(|e| store_error("delete upload", e))?;
        Ok(deleted == 1)
    }
}
