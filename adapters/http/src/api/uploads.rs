//! Uploads: authenticated users upload images, anyone reads them, owners delete them.

use poem::http::header::{CONTENT_DISPOSITION, CONTENT_SECURITY_POLICY, X_CONTENT_TYPE_OPTIONS};
use poem::{IntoResponse, Response};
use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use poem_openapi::registry::{
    MetaHeader, MetaMediaType, MetaResponse, MetaResponses, MetaSchema, MetaSchemaRef, Registry,
};
use poem_openapi::{ApiResponse, OpenApi};
use rampart_domain::upload::{ImageFormat, UploadId};
use rampart_ports::usecases::RequestContext;
use uuid::Uuid;

use super::ApiTags;
use super::upload_form::UploadForm;
use super::wire::UploadBody;
use crate::middleware::UPLOAD_CSP;
use crate::problem::ProblemResponse;
use crate::problem_response;
use crate::security::BearerAuth;
use crate::state::HttpState;

#[derive(ApiResponse)]
enum CreatedResponse {
    /// The image was accepted, re-encoded and stored.
    #[oai(status = 201)]
    Created(Json<UploadBody>),
}

problem_response!(CreateProblem {
    BadRequest = 400: "The file breaks an upload rule, named in `rule` and `errors.file`, or the form is malformed.",
    Unauthorized = 401: "Missing, invalid, expired or revoked access token, or an account that no longer exists.",
    PayloadTooLarge = 413: "The file is larger than 5 MiB, or the declared body larger than 5 MiB plus 64 KiB.",
    ServiceUnavailable = 503: "A dependency is unavailable; see Retry-After.",
});

problem_response!(GetProblem {
    BadRequest = 400: "The id is not a UUID.",
    NotFound = 404: "No upload has this id.",
    ServiceUnavailable = 503: "A dependency is unavailable; see Retry-After.",
});

problem_response!(DeleteProblem {
    BadRequest = 400: "The id is not a UUID.",
    Unauthorized = 401: "Missing, invalid, expired or revoked access token.",
    Forbidden = 403: "The caller does not own this upload.",
    NotFound = 404: "No upload has this id.",
    ServiceUnavailable = 503: "A dependency is unavailable; see Retry-After.",
});

#[derive(ApiResponse)]
enum DeleteResponse {
    /// The upload was deleted; posts that showed it no longer have an image.
    #[oai(status = 204)]
    NoContent,
}

/// The bytes of an image, served so that no browser runs or sniffs them.
struct ImageResponse {
    format: ImageFormat,
    filename: String,
    bytes: Vec<u8>,
}

impl IntoResponse for ImageResponse {
    fn into_response(self) -> Response {
        Response::builder()
            .content_type(self.format.mime())
            .header(X_CONTENT_TYPE_OPTIONS, "nosniff")
            .header(
                CONTENT_DISPOSITION,
                format!("inline; filename=\"{}\"", self.filename),
            )
            .header(CONTENT_SECURITY_POLICY, UPLOAD_CSP)
            .body(self.bytes)
    }
}

fn string_header(name: &str, description: &str) -> MetaHeader {
    MetaHeader {
        name: name.to_owned(),
        description: Some(description.to_owned()),
        required: true,
        deprecated: false,
        schema: MetaSchemaRef::Inline(Box::new(MetaSchema::new("string"))),
    }
}

impl ApiResponse for ImageResponse {
    fn meta() -> MetaResponses {
        let binary = || {
            MetaSchemaRef::Inline(Box::new(MetaSchema {
                format: Some("binary"),
                ..MetaSchema::new("string")
            }))
        };
        MetaResponses {
            responses: vec![MetaResponse {
                description: "The re-encoded image, with the type detected at upload.",
                status: Some(200),
                status_range: None,
                content: ImageFormat::ALL
                    .iter()
                    .map(|format| MetaMediaType {
                        content_type: format.mime(),
                        schema: binary(),
                    })
                    .collect(),
                headers: vec![
                    string_header(
                        "Content-Disposition",
                        "`inline` with the cleaned file name.",
                    ),
                    string_header("X-Content-Type-Options", "Always `nosniff`."),
                    string_header(
                        "Content-Security-Policy",
                        "Always `default-src 'none'; sandbox`.",
                    ),
                ],
            }],
        }
    }

    fn register(_registry: &mut Registry) {}
}

/// Uploads.
pub struct UploadsApi;

#[OpenApi(prefix_path = "/api/v1/uploads", tag = "ApiTags::Uploads")]
impl UploadsApi {
    /// Upload an image as the caller.
    ///
    /// The type is detected from the bytes and must match the file name's extension (jpg, jpeg,
    /// png, webp or gif). The image is then decoded and re-encoded, which drops EXIF and
    /// anything appended to it.
    #[oai(path = "/", method = "post")]
    async fn create(
        &self,
        state: poem::web::Data<&HttpState>,
        context: poem::web::Data<&RequestContext>,
        auth: BearerAuth,
        form: UploadForm,
    ) -> Result<CreatedResponse, CreateProblem> {
        let uploads = &state.uploads;
        let file = form
            .read_file(uploads.policy())
            .await
            .map_err(|rejection| {
                ProblemResponse::from(uploads.reject(&context, &auth.0, rejection))
            })?;
        let upload = uploads
            .create(&context, &auth.0, &file.filename, file.bytes)
            .await
            .map_err(ProblemResponse::from)?;
        Ok(CreatedResponse::Created(Json(upload.into())))
    }

    /// Get the bytes of an image.
    #[oai(path = "/:id", method = "get")]
    async fn get(
        &self,
        state: poem::web::Data<&HttpState>,
        id: Path<Uuid>,
    ) -> Result<ImageResponse, GetProblem> {
        let (upload, bytes) = state
            .uploads
            .get(UploadId::from_uuid(id.0))
            .await
            .map_err(ProblemResponse::from)?;
        Ok(ImageResponse {
            format: upload.format,
            filename: upload.filename.as_str().to_owned(),
            bytes,
        })
    }

    /// Delete an image of the caller's.
    #[oai(path = "/:id", method = "delete")]
    async fn delete(
        &self,
        state: poem::web::Data<&HttpState>,
        context: poem::web::Data<&RequestContext>,
        auth: BearerAuth,
        id: Path<Uuid>,
    ) -> Result<DeleteResponse, DeleteProblem> {
        state
            .uploads
            .delete(&context, &auth.0, UploadId::from_uuid(id.0))
            .await
            .map_err(ProblemResponse::from)?;
        Ok(DeleteResponse::NoContent)
    }
}
