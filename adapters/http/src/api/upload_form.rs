//! The request body of an upload: a `multipart/form-data` form with exactly one field, `file`,
//! read as a stream so that no request can make the server hold more than the limit.
//!
//! The global body limit skips the upload route (see [`UPLOAD_ROUTE`]); this module enforces the
//! upload limits instead: a declared `Content-Length` over the limit is rejected before any of
//! the body is read, and the file is counted chunk by chunk, so reading stops at the first chunk
//! past the limit and the rest of the body is never read.

use poem::http::header::{CONTENT_LENGTH, CONTENT_TYPE};
use poem::{Body, Request, RequestBody};
use poem_openapi::registry::{MetaMediaType, MetaRequest, MetaSchema, MetaSchemaRef, Registry};
use poem_openapi::{ApiExtractor, ApiExtractorType, ExtractParamOptions};
use rampart_domain::upload::UploadRejection;
use rampart_domain::upload_policy::UploadPolicy;

/// The route whose body the upload form reads, exempt from the global JSON body limit.
pub const UPLOAD_ROUTE: &str = "/api/v1/uploads";

/// The form field that carries the file.
const FILE_FIELD: &str = "file";

/// The unread body of an upload request with the headers that describe it.
pub(super) struct UploadForm {
    content_type: Option<String>,
    content_length: Option<u64>,
    body: Body,
}

/// A file read from the form: the client's file name and the bytes.
pub(super) struct FormFile {
    pub(super) filename: String,
    pub(super) bytes: Vec<u8>,
}

impl<'a> ApiExtractor<'a> for UploadForm {
    const TYPES: &'static [ApiExtractorType] = &[ApiExtractorType::RequestObject];

    type ParamType = ();
    type ParamRawType = ();

    fn register(_registry: &mut Registry) {}

    fn request_meta() -> Option<MetaRequest> {
        let file = MetaSchema {
            description: Some("The image: JPEG, PNG, WebP or GIF, at most 5 MiB."),
            format: Some("binary"),
            ..MetaSchema::new("string")
        };
        let form = MetaSchema {
            properties: vec![(FILE_FIELD, MetaSchemaRef::Inline(Box::new(file)))],
            required: vec![FILE_FIELD],
            ..MetaSchema::new("object")
        };
        Some(MetaRequest {
            description: Some("A form with exactly one field, `file`, that has a file name."),
            content: vec![MetaMediaType {
                content_type: "multipart/form-data",
                schema: MetaSchemaRef::Inline(Box::new(form)),
            }],
            required: true,
        })
    }

    async fn from_request(
        request: &'a Request,
        body: &mut RequestBody,
        _param_opts: ExtractParamOptions<Self::ParamType>,
    ) -> poem::Result<Self> {
        let header = |name| {
            request
                .headers()
                .get(name)
                .and_then(|value| value.to_str().ok())
        };
        Ok(Self {
            content_type: header(CONTENT_TYPE).map(str::to_owned),
            content_length: header(CONTENT_LENGTH).and_then(|value| value.parse().ok()),
            body: body.take()?,
        })
    }
}

impl UploadForm {
    /// Reads the one file of the form within the policy's limits.
    ///
    /// # Errors
    /// [`UploadRejection::TooLarge`] for a declared length or a file over the limit,
    /// [`UploadRejection::MissingFile`], [`UploadRejection::UnexpectedField`] for any other
    /// field or a second file, and [`UploadRejection::MalformedForm`] for a body that is not a
    /// complete `multipart/form-data` form with a boundary.
    pub(super) async fn read_file(self, policy: UploadPolicy) -> Result<FormFile, UploadRejection> {
        if let Some(length) = self.content_length {
            policy.check_declared_length(length)?;
        }
        let content_type = self.content_type.ok_or_else(|| {
            UploadRejection::MalformedForm("the Content-Type header is missing".to_owned())
        })?;
        let boundary = multer::parse_boundary(&content_type).map_err(|_| {
            UploadRejection::MalformedForm(
                "the Content-Type must be multipart/form-data with a boundary".to_owned(),
            )
        })?;
        let limits = multer::SizeLimit::new()
            .whole_stream(policy.max_request_bytes())
            .per_field(policy.max_file_bytes.saturating_add(1));
        let mut form = multer::Multipart::with_constraints(
            self.body.into_bytes_stream(),
            boundary,
            multer::Constraints::new().size_limit(limits),
        );

        let mut file: Option<FormFile> = None;
        while let Some(mut field) = form
            .next_field()
            .await
            .map_err(|e| form_error(&policy, e))?
        {
            let name = field.name().unwrap_or_default();
            if name != FILE_FIELD {
                return Err(UploadRejection::UnexpectedField(format!(
                    "a field named {:?}",
                    name.chars().take(64).collect::<String>()
                )));
            }
            if file.is_some() {
                return Err(UploadRejection::UnexpectedField(
                    "a second `file` field".to_owned(),
                ));
            }
            let Some(filename) = field.file_name().map(str::to_owned) else {
                return Err(UploadRejection::MalformedForm(
                    "the `file` field has no file name".to_owned(),
                ));
            };
            let mut bytes = Vec::new();
            while let Some(chunk) = field.chunk().await.map_err(|e| form_error(&policy, e))? {
                let total = bytes.len().saturating_add(chunk.len());
                policy.check_size(u64::try_from(total).unwrap_or(u64::MAX))?;
                bytes.extend_from_slice(&chunk);
            }
            file = Some(FormFile { filename, bytes });
        }
        file.ok_or(UploadRejection::MissingFile)
    }
}

/// Translates a multipart parsing error: a size limit means too large, anything else malformed.
fn form_error(policy: &UploadPolicy, error: multer::Error) -> UploadRejection {
    match error {
        multer::Error::FieldSizeExceeded { .. } | multer::Error::StreamSizeExceeded { .. } => {
            policy.too_large()
        }
        multer::Error::IncompleteStream
        | multer::Error::IncompleteFieldData { .. }
        | multer::Error::IncompleteHeaders => {
            UploadRejection::MalformedForm("the body ends before the form does".to_owned())
        }
        multer::Error::StreamReadFailed(source) => {
            tracing::info!(error = %source, "upload body could not be read");
            UploadRejection::MalformedForm("the body could not be read".to_owned())
        }
        other => UploadRejection::MalformedForm(other.to_string()),
    }
}
