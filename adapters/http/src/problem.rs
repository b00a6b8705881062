//! RFC 9457 problem details: the body of every error response.
//!
//! Each kind of error has a stable `type` URI (`urn:rampart:problem:<slug>`) that clients match
//! on; `title` is the same for every instance of a kind, and `detail` states what went wrong with
//! this request and what to do about it. A 5xx body never names the cause.

use std::collections::BTreeMap;

use poem::http::StatusCode;
use poem_openapi::Object;

/// The media type of problem details.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// An RFC 9457 problem details object.
#[derive(Debug, Clone, Object)]
pub struct Problem {
    /// Stable URI naming the kind of error, such as `urn:rampart:problem:validation-error`.
    #[oai(rename = "type")]
    pub problem_type: String,
    /// Short summary of the kind of error.
    pub title: String,
    /// HTTP status code.
    pub status: u16,
    /// Explanation of this occurrence and the fix the client can make.
    pub detail: String,
    /// Messages per request field, for validation errors.
    #[oai(skip_serializing_if_is_none)]
    pub errors: Option<BTreeMap<String, Vec<String>>>,
    /// The upload rule a rejected file breaks, such as `type-mismatch`.
    #[oai(skip_serializing_if_is_none)]
    pub rule: Option<String>,
}

/// The kinds of error Rampart returns, each with its status, slug and title.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProblemKind {
    /// 400: a field or parameter is invalid.
    Validation,
    /// 400: the body is not valid JSON or does not match the schema.
    MalformedRequest,
    /// 400: an uploaded file breaks a rule of the upload policy, named in `rule`.
    UploadRejected,
    /// 400: a request value carries an SQL injection, XSS or path traversal pattern.
    AttackDetected,
    /// 401: missing, invalid or expired credentials.
    Unauthorized,
    /// 401: the access or refresh token was revoked.
    TokenRevoked,
    /// 401: a concurrent refresh already rotated this refresh token.
    RefreshTokenSuperseded,
    /// 403: the caller may not do this.
    PermissionDenied,
    /// 403: an API call over plain HTTP, rejected without running it.
    HttpsRequired,
    /// 403: a cookie-authenticated request without a matching CSRF token or allowed origin.
    CsrfFailure,
    /// 403: the client address is in a blocked range or auto-blocked after repeated attacks.
    IpBlocked,
    /// 403: the user agent names an attack tool.
    UserAgentBlocked,
    /// 403: a CORS preflight for an unlisted origin, method or header.
    CorsRejected,
    /// 404: no resource at this path or id.
    NotFound,
    /// 405: the path exists but not with this method.
    MethodNotAllowed,
    /// 408: the request body arrived too slowly or handling took too long.
    RequestTimeout,
    /// 409: a unique value is taken.
    Conflict,
    /// 413: the body is larger than allowed.
    PayloadTooLarge,
    /// 415: the body is not `application/json`.
    UnsupportedMediaType,
    /// 429: a rate limit was reached.
    RateLimited,
    /// 429: too many failed logins locked this username for this client.
    AccountLocked,
    /// 500: an unexpected failure; details are in the server log under the request id.
    Internal,
    /// 503: a dependency is down or overloaded.
    Unavailable,
}

impl ProblemKind {
    /// Returns the HTTP status of this kind.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::Validation | Self::MalformedRequest | Self::UploadRejected => {
                StatusCode::BAD_REQUEST
            }
            Self::Unauthorized | Self::TokenRevoked | Self::RefreshTokenSuperseded => {
                StatusCode::UNAUTHORIZED
            }
            Self::PermissionDenied | Self::HttpsRequired | Self::CsrfFailure => {
                StatusCode::FORBIDDEN
            }
            Self::AttackDetected => StatusCode::BAD_REQUEST,
            Self::IpBlocked | Self::UserAgentBlocked | Self::CorsRejected => StatusCode::FORBIDDEN,
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Self::RequestTimeout => StatusCode::REQUEST_TIMEOUT,
            Self::Conflict => StatusCode::CONFLICT,
            Self::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::RateLimited | Self::AccountLocked => StatusCode::TOO_MANY_REQUESTS,
            Self::Internal => StatusCode::INTERNAL_SERVER_ERROR,
            Self::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    /// Returns the slug of the `type` URI.
    pub fn slug(&self) -> &'static str {
        match self {
            Self::Validation => "validation-error",
            Self::MalformedRequest => "malformed-request",
            Self::UploadRejected => "upload-rejected",
            Self::Unauthorized => "unauthorized",
            Self::TokenRevoked => "token-revoked",
            Self::RefreshTokenSuperseded => "refresh-token-superseded",
            Self::PermissionDenied => "permission-denied",
            Self::HttpsRequired => "https-required",
            Self::CsrfFailure => "csrf-failure",
            Self::AttackDetected => "attack-detected",
            Self::IpBlocked => "ip-blocked",
            Self::UserAgentBlocked => "user-agent-blocked",
            Self::CorsRejected => "cors-rejected",
            Self::NotFound => "not-found",
            Self::MethodNotAllowed => "method-not-allowed",
            Self::RequestTimeout => "request-timeout",
            Self::Conflict => "conflict",
            Self::PayloadTooLarge => "payload-too-large",
            Self::UnsupportedMediaType => "unsupported-media-type",
            Self::RateLimited => "rate-limited",
            Self::AccountLocked => "account-locked",
            Self::Internal => "internal-error",
            Self::Unavailable => "dependency-unavailable",
        }
    }

    /// Returns the title shared by every problem of this kind.
    pub fn title(&self) -> &'static str {
        match self {
            Self::Validation => "Invalid request fields",
            Self::MalformedRequest => "Malformed request",
            Self::UploadRejected => "Upload rejected",
            Self::Unauthorized => "Authentication required",
            Self::TokenRevoked => "Token revoked",
            Self::RefreshTokenSuperseded => "Refresh token superseded",
            Self::PermissionDenied => "Permission denied",
            Self::HttpsRequired => "HTTPS required",
            Self::CsrfFailure => "CSRF check failed",
            Self::AttackDetected => "Attack pattern detected",
            Self::IpBlocked => "Address blocked",
            Self::UserAgentBlocked => "User agent blocked",
            Self::CorsRejected => "Cross-origin request rejected",
            Self::NotFound => "Not found",
            Self::MethodNotAllowed => "Method not allowed",
            Self::RequestTimeout => "Request timeout",
            Self::Conflict => "Conflict",
            Self::PayloadTooLarge => "Payload too large",
            Self::UnsupportedMediaType => "Unsupported media type",
            Self::RateLimited => "Too many requests",
            Self::AccountLocked => "Account locked",
            Self::Internal => "Internal server error",
            Self::Unavailable => "Service unavailable",
        }
    }
}

/// A problem with its status and the headers that go with it, before it becomes one
/// operation's response type.
#[derive(Debug, Clone)]
pub struct ProblemResponse {
    pub status: StatusCode,
    pub body: Problem,
    /// Seconds for `Retry-After`, on 429 and 503.
    pub retry_after: Option<u64>,
}

impl ProblemResponse {
    /// Builds a problem of `kind` with a detail message.
    pub fn new(kind: ProblemKind, detail: impl Into<String>) -> Self {
        Self {
            status: kind.status(),
            body: Problem {
                problem_type: format!("urn:rampart:problem:{}", kind.slug()),
                title: kind.title().to_owned(),
                status: kind.status().as_u16(),
                detail: detail.into(),
                errors: None,
                rule: None,
            },
            retry_after: None,
        }
    }

    /// Adds the messages per field.
    pub fn with_errors(mut self, errors: BTreeMap<String, Vec<String>>) -> Self {
        self.body.errors = Some(errors);
        self
    }

    /// Names the upload rule a rejected file breaks.
    pub fn with_rule(mut self, rule: &str) -> Self {
        self.body.rule = Some(rule.to_owned());
        self
    }

    /// Adds `Retry-After`, rounded up to whole seconds and at least 1.
    pub fn retry_after(mut self, after: time::Duration) -> Self {
        let seconds = after.whole_seconds() + i64::from(after.subsec_nanoseconds() > 0);
        self.retry_after = Some(u64::try_from(seconds.max(1)).unwrap_or(1));
        self
    }

    /// Turns the problem into a plain poem response with the problem media type.
    pub fn into_poem_response(self) -> poem::Response {
        let body = serde_json::to_vec(&poem_openapi::types::ToJSON::to_json(&self.body))
            .unwrap_or_default();
        let mut builder = poem::Response::builder()
            .status(self.status)
            .content_type(PROBLEM_JSON);
        if let Some(seconds) = self.retry_after {
            builder = builder.header("Retry-After", seconds.to_string());
        }
        builder.body(body)
    }
}

/// Declares the error response type of one operation: one variant per status it can return,
/// each a problem details body with an optional `Retry-After`. A 500 variant is always added.
///
/// A [`ProblemResponse`] whose status the operation does not declare becomes a 500 and is logged,
/// since it means the declaration is out of date.
#[macro_export]
macro_rules! problem_response {
    ($(#[$doc:meta])* $name:ident { $($variant:ident = $status:literal : $description:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, poem_openapi::ApiResponse)]
        pub enum $name {
            $(
                #[doc = $description]
                #[oai(status = $status, content_type = "application/problem+json")]
                $variant(
                    poem_openapi::payload::Json<$crate::problem::Problem>,
                    #[oai(header = "Retry-After")] Option<u64>,
                ),
            )+
            /// Unexpected failure: the body names nothing of the cause, and the log has it under the
            /// request id.
            #[oai(status = 500, content_type = "application/problem+json")]
            InternalServerError(
                poem_openapi::payload::Json<$crate::problem::Problem>,
                #[oai(header = "Retry-After")] Option<u64>,
            ),
        }

        impl From<$crate::problem::ProblemResponse> for $name {
            fn from(problem: $crate::problem::ProblemResponse) -> Self {
                match problem.status.as_u16() {
                    $($status => Self::$variant(poem_openapi::payload::Json(problem.body), problem.retry_after),)+
                    500 => Self::InternalServerError(poem_openapi::payload::Json(problem.body), problem.retry_after),
                    other => {
                        tracing::error!(status = other, operation = stringify!($name), "undeclared error status replaced by 500");
                        let internal = $crate::problem::ProblemResponse::new(
                            $crate::problem::ProblemKind::Internal,
                            "The server failed to complete the request.",
                        );
                        Self::InternalServerError(poem_openapi::payload::Json(internal.body), None)
                    }
                }
            }
        }
    };
}
