//! Request validation: SQL injection, XSS and path traversal in the path, query, selected
//! headers and JSON strings of a request ([`super::request_values`]).
//!
//! A JSON body (`application/json` or `+json`) is read here, at most [`JSON_BODY_MAX`] bytes,
//! parsed, inspected and put back for the operation. A body that is not valid JSON is put back
//! uninspected, and the operation rejects it. Other bodies, such as uploads, are not read.
//!
//! The first finding goes to [`RequestGuard::report_finding`], which writes its event and, in
//! `block` mode, counts it toward the client's auto-block. A rejected request gets a 400
//! `attack-detected` problem that names the kind and location, never the value.

use poem::error::ReadBodyError;
use poem::http::header::CONTENT_TYPE;
use poem::{Body, Endpoint, IntoResponse, Middleware, Request, Response};
use rampart_domain::inspection::Finding;
use rampart_ports::usecases::{RequestContext, RequestGuard};

use super::body_limit::JSON_BODY_MAX;
use super::request_values::{inspect_json, inspect_target};
use crate::problem::{ProblemKind, ProblemResponse};

/// Inspects every request, and rejects or only logs what it finds as the validation mode
/// decides.
#[derive(Clone)]
pub struct RequestValidation {
    pub guard: RequestGuard,
}

impl<E: Endpoint> Middleware<E> for RequestValidation {
    type Output = RequestValidationEndpoint<E>;

    fn transform(&self, inner: E) -> Self::Output {
        RequestValidationEndpoint {
            inner,
            guard: self.guard.clone(),
        }
    }
}

/// The endpoint [`RequestValidation`] wraps.
pub struct RequestValidationEndpoint<E> {
    inner: E,
    guard: RequestGuard,
}

/// Returns whether the request declares a JSON body.
fn is_json(request: &Request) -> bool {
    let Some(media_type) = request
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(';').next())
    else {
        return false;
    };
    let media_type = media_type.trim().to_ascii_lowercase();
    media_type == "application/json" || media_type.ends_with("+json")
}

/// The outcome of reading and inspecting a JSON body.
enum BodyCheck {
    Clean,
    Found(Finding),
    /// The body could not be read; the response to send instead.
    Failed(Response),
}

/// Reads, inspects and puts back a JSON body.
async fn check_json_body(request: &mut Request) -> BodyCheck {
    let bytes = match request.take_body().into_bytes_limit(JSON_BODY_MAX).await {
        Ok(bytes) => bytes,
        Err(ReadBodyError::PayloadTooLarge) => {
            let problem = ProblemResponse::new(
                ProblemKind::PayloadTooLarge,
                format!("The body is larger than {JSON_BODY_MAX} bytes; send a smaller one."),
            );
            return BodyCheck::Failed(problem.into_poem_response());
        }
        Err(error) => {
            tracing::info!(error = %error, "request body could not be read");
            let problem =
                ProblemResponse::new(ProblemKind::MalformedRequest, "The body could not be read.");
            return BodyCheck::Failed(problem.into_poem_response());
        }
    };
    let finding = serde_json::from_slice::<serde_json::Value>(&bytes)
        .ok()
        .and_then(|document| inspect_json(request.uri().path(), &document));
    request.set_body(Body::from(bytes));
    match finding {
        Some(finding) => BodyCheck::Found(finding),
        None => BodyCheck::Clean,
    }
}

impl<E: Endpoint> Endpoint for RequestValidationEndpoint<E> {
    type Output = Response;

    async fn call(&self, mut request: Request) -> poem::Result<Response> {
        let mut finding = inspect_target(&request);
        if finding.is_none() && is_json(&request) {
            match check_json_body(&mut request).await {
                BodyCheck::Clean => {}
                BodyCheck::Found(found) => finding = Some(found),
                BodyCheck::Failed(response) => return Ok(response),
            }
        }

        if let Some(finding) = finding {
            let context = request
                .extensions()
                .get::<RequestContext>()
                .cloned()
                .unwrap_or_default();
            let verdict = self.guard.report_finding(&context, &finding).await;
            if verdict.reject {
                let detail = format!(
                    "The request was rejected because {} contains a {} pattern. Remove it and retry.",
                    finding.location,
                    finding.kind.describe()
                );
                return Ok(
                    ProblemResponse::new(ProblemKind::AttackDetected, detail).into_poem_response()
                );
            }
        }
        Ok(self.inner.call(request).await?.into_response())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_type(content_type: &str) -> Request {
        Request::builder()
            .header(CONTENT_TYPE, content_type)
            .finish()
    }

    #[test]
    fn json_media_types_are_read() {
        assert!(is_json(&with_type("application/json")));
        assert!(is_json(&with_type("Application/JSON; charset=utf-8")));
        assert!(is_json(&with_type("application/merge-patch+json")));
        assert!(!is_json(&with_type("multipart/form-data; boundary=x")));
        assert!(!is_json(&Request::builder().finish()));
    }
}
