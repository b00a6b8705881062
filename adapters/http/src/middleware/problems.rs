//! Problem details for errors raised outside the handlers: bad parameters and bodies that
//! poem-openapi rejects, missing credentials, unknown paths and methods, and panics.

use std::any::Any;
use std::collections::BTreeMap;
use std::sync::Arc;

use poem::error::{MethodNotAllowedError, NotFoundError};
use poem::http::StatusCode;
use poem::http::header::WWW_AUTHENTICATE;
use poem::{Endpoint, IntoResponse, Request, Response};
use poem_openapi::error::{
    AuthorizationError, ContentTypeError, ParseParamError, ParseRequestPayloadError,
};

use crate::problem::{ProblemKind, ProblemResponse};
use crate::strict::field_error;

/// Turns every error into problem details and adds `WWW-Authenticate: Bearer` to every 401.
///
/// # Errors
/// None: every error becomes a response.
pub async fn errors_to_problems<E: Endpoint>(
    next: Arc<E>,
    request: Request,
) -> poem::Result<Response> {
    let mut response = match next.call(request).await {
        Ok(output) => output.into_response(),
        Err(error) if error.is_from_response() => error.into_response(),
        Err(error) => problem_for(&error).into_poem_response(),
    };
    if response.status() == StatusCode::UNAUTHORIZED
        && !response.headers().contains_key(WWW_AUTHENTICATE)
    {
        response.headers_mut().insert(
            WWW_AUTHENTICATE,
            poem::http::HeaderValue::from_static("Bearer"),
        );
    }
    Ok(response)
}

/// Returns the 500 problem for a panic, after logging it.
pub fn catch_panic(panic: Box<dyn Any + Send + 'static>) -> Response {
    let message = panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_default();
    tracing::error!(panic = %message, "handler panicked");
    ProblemResponse::new(
        ProblemKind::Internal,
        "The server failed to complete the request.",
    )
    .into_poem_response()
}

fn problem_for(error: &poem::Error) -> ProblemResponse {
    if let Some(param) = error.downcast_ref::<ParseParamError>() {
        let mut errors = BTreeMap::new();
        errors.insert(
            param.name.to_owned(),
            vec![format!("is invalid: {}", param.reason)],
        );
        return ProblemResponse::new(
            ProblemKind::Validation,
            format!(
                "The parameter `{}` is invalid; fix it and retry.",
                param.name
            ),
        )
        .with_errors(errors);
    }
    if let Some(payload) = error.downcast_ref::<ParseRequestPayloadError>() {
        return malformed_body(&payload.reason);
    }
    if error.is::<ContentTypeError>() {
        return ProblemResponse::new(
            ProblemKind::UnsupportedMediaType,
            "Send the body as application/json.",
        );
    }
    if error.is::<AuthorizationError>() {
        return ProblemResponse::new(
            ProblemKind::Unauthorized,
            "This operation needs `Authorization: Bearer <access token>`.",
        );
    }
    if error.is::<NotFoundError>() {
        return ProblemResponse::new(
            ProblemKind::NotFound,
            "No resource at this path. The API lives under /api/v1; see /docs.",
        );
    }
    if error.is::<MethodNotAllowedError>() || error.status() == StatusCode::METHOD_NOT_ALLOWED {
        return ProblemResponse::new(
            ProblemKind::MethodNotAllowed,
            "This path does not accept this method; see /docs.",
        );
    }
    if error.status() == StatusCode::BAD_REQUEST
        && error.to_string().contains("failed to parse path")
    {
        return ProblemResponse::new(
            ProblemKind::Validation,
            "A path parameter is invalid: resource ids are UUIDs such as 3f2b8c1e-9d4a-4f6e-8b7a-2c5d9e0f1a2b.",
        );
    }
    match error.status() {
        StatusCode::PAYLOAD_TOO_LARGE => ProblemResponse::new(
            ProblemKind::PayloadTooLarge,
            "The body is larger than the limit of this endpoint.",
        ),
        StatusCode::NOT_FOUND => {
            ProblemResponse::new(ProblemKind::NotFound, "No resource at this path.")
        }
        status if status.is_client_error() => {
            tracing::info!(status = status.as_u16(), error = %error, "request rejected");
            let mut problem =
                ProblemResponse::new(ProblemKind::MalformedRequest, "The request is malformed.");
            problem.status = status;
            problem.body.status = status.as_u16();
            problem
        }
        status => {
            tracing::error!(status = status.as_u16(), error = %error, "request failed");
            ProblemResponse::new(
                ProblemKind::Internal,
                "The server failed to complete the request.",
            )
        }
    }
}

/// Builds the 400 for a body poem-openapi could not parse. A field the schema does not have,
/// such as `author_id`, and a string field holding another JSON type are named in `errors`.
fn malformed_body(reason: &str) -> ProblemResponse {
    if let Some((field, problem)) = field_error(reason) {
        let mut errors = BTreeMap::new();
        errors.insert(field.clone(), vec![problem]);
        return ProblemResponse::new(
            ProblemKind::Validation,
            format!("The field `{field}` is invalid; see `errors`, fix it and retry."),
        )
        .with_errors(errors);
    }
    let unknown_field = reason
        .split("unknown field `")
        .nth(1)
        .and_then(|rest| rest.split('`').next())
        .filter(|name| !name.is_empty() && name.len() <= 64);
    if let Some(field) = unknown_field {
        let mut errors = BTreeMap::new();
        errors.insert(
            field.to_owned(),
            vec!["is not accepted: the server sets it, or it does not exist".to_owned()],
        );
        return ProblemResponse::new(
            ProblemKind::Validation,
            format!("The field `{field}` cannot be sent; remove it and retry."),
        )
        .with_errors(errors);
    }
    let detail = format!(
        "The body is not valid JSON of the expected shape: {}",
        truncate(reason, 200)
    );
    ProblemResponse::new(ProblemKind::MalformedRequest, detail)
}

fn truncate(text: &str, max_chars: usize) -> String {
    text.chars().take(max_chars).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_field_is_named() {
        let problem =
            malformed_body("failed to parse \"CreatePostBody\": unknown field `author_id`.");

        assert_eq!(problem.status, StatusCode::BAD_REQUEST);
        assert!(problem.body.errors.unwrap().contains_key("author_id"));
    }

    #[test]
    fn number_for_string_names_field() {
        let problem = malformed_body(
            "failed to parse \"string\": request field `title` must be a string, not a number. \
             (occurred while parsing \"CreatePostBody\")",
        );

        assert_eq!(problem.status, StatusCode::BAD_REQUEST);
        assert_eq!(
            problem.body.problem_type,
            "urn:rampart:problem:validation-error"
        );
        assert!(problem.body.errors.unwrap().contains_key("title"));
    }

    #[test]
    fn syntax_error_is_malformed() {
        let problem = malformed_body("expected value at line 1 column 1");

        assert_eq!(
            problem.body.problem_type,
            "urn:rampart:problem:malformed-request"
        );
    }
}
