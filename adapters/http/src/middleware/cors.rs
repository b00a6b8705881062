//! CORS: applies the domain's exact-origin allowlist ([`CorsPolicy`]) to every request.
//!
//! This middleware responds to a preflight (`OPTIONS` with `Access-Control-Request-Method`)
//! itself, so the preflight goes no further. A listed origin gets 204 with the allowed methods
//! and headers, anything else a 403 `cors-rejected` problem without any CORS header.
//!
//! Any other request runs. Its response gets `Access-Control-Allow-Origin` with the request's
//! own origin and `Access-Control-Allow-Credentials: true` only when that origin is listed. A
//! request from an unlisted origin gets no CORS header and a `cors_rejected` event, at most once
//! a minute per address. Every response to a request with an `Origin` varies on it.

use std::sync::Arc;

use poem::http::header::{self, HeaderName, HeaderValue};
use poem::http::{Method, StatusCode};
use poem::{Endpoint, IntoResponse, Middleware, Request, Response};
use rampart_domain::cors::{
    CorsDecision, CorsPolicy, PREFLIGHT_MAX_AGE_SECONDS, PreflightDecision, PreflightRejection,
};
use rampart_ports::usecases::{RequestContext, RequestGuard};

use crate::problem::{ProblemKind, ProblemResponse};

/// The domain's `ALLOWED_METHODS` joined for `Access-Control-Allow-Methods`.
const ALLOWED_METHOD_LIST: &str = "GET, POST, PATCH, DELETE";
/// The domain's `ALLOWED_HEADERS` joined for `Access-Control-Allow-Headers`.
const ALLOWED_HEADER_LIST: &str = "authorization, content-type, x-csrf-token, x-request-id";
/// The domain's `EXPOSED_HEADERS` joined for `Access-Control-Expose-Headers`.
const EXPOSED_HEADER_LIST: &str = "x-request-id, retry-after";

/// Applies [`CorsPolicy`] to every request.
#[derive(Clone)]
pub struct Cors {
    pub policy: Arc<CorsPolicy>,
    /// Writes the `cors_rejected` events.
    pub guard: RequestGuard,
}

impl<E: Endpoint> Middleware<E> for Cors {
    type Output = CorsEndpoint<E>;

    fn transform(&self, inner: E) -> Self::Output {
        CorsEndpoint {
            inner,
            cors: self.clone(),
        }
    }
}

/// The endpoint [`Cors`] wraps.
pub struct CorsEndpoint<E> {
    inner: E,
    cors: Cors,
}

fn header_text<'a>(request: &'a Request, name: &HeaderName) -> Option<&'a str> {
    request
        .headers()
        .get(name)
        .and_then(|value| value.to_str().ok())
}

/// Builds the response to a preflight.
fn preflight(policy: &CorsPolicy, request: &Request, method: &str) -> Response {
    let origin = header_text(request, &header::ORIGIN);
    let requested_headers = header_text(request, &header::ACCESS_CONTROL_REQUEST_HEADERS);
    let mut response = match policy.preflight(origin, method, requested_headers) {
        PreflightDecision::Allowed { origin } => {
            let mut response = Response::builder().status(StatusCode::NO_CONTENT).finish();
            allow_origin(&mut response, &origin);
            let headers = response.headers_mut();
            headers.insert(
                header::ACCESS_CONTROL_ALLOW_METHODS,
                HeaderValue::from_static(ALLOWED_METHOD_LIST),
            );
            headers.insert(
                header::ACCESS_CONTROL_ALLOW_HEADERS,
                HeaderValue::from_static(ALLOWED_HEADER_LIST),
            );
            headers.insert(
                header::ACCESS_CONTROL_MAX_AGE,
                HeaderValue::from(PREFLIGHT_MAX_AGE_SECONDS),
            );
            response
        }
        PreflightDecision::Rejected(reason) => {
            let detail = match reason {
                PreflightRejection::Origin => "This origin may not call the API from a browser.",
                PreflightRejection::Method => {
                    "Cross-origin requests may use GET, POST, PATCH and DELETE only."
                }
                PreflightRejection::Header => {
                    "Cross-origin requests may send Authorization, Content-Type, X-CSRF-Token and X-Request-Id only."
                }
            };
            tracing::debug!(reason = ?reason, "CORS preflight rejected");
            ProblemResponse::new(ProblemKind::CorsRejected, detail).into_poem_response()
        }
    };
    for name in [
        header::ORIGIN,
        header::ACCESS_CONTROL_REQUEST_METHOD,
        header::ACCESS_CONTROL_REQUEST_HEADERS,
    ] {
        response
            .headers_mut()
            .append(header::VARY, HeaderValue::from(name));
    }
    response
}

/// Adds the headers every allowed cross-origin response carries.
fn allow_origin(response: &mut Response, origin: &str) {
    let Ok(value) = HeaderValue::from_str(origin) else {
        return;
    };
    let headers = response.headers_mut();
    headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, value);
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_CREDENTIALS,
        HeaderValue::from_static("true"),
    );
}

impl<E: Endpoint> Endpoint for CorsEndpoint<E> {
    type Output = Response;

    async fn call(&self, request: Request) -> poem::Result<Response> {
        let policy = self.cors.policy.as_ref();
        let requested_method = header_text(&request, &header::ACCESS_CONTROL_REQUEST_METHOD)
            .map(str::to_owned)
            .filter(|_| request.method() == Method::OPTIONS);
        if let Some(method) = requested_method {
            return Ok(preflight(policy, &request, &method));
        }

        let origin = header_text(&request, &header::ORIGIN).map(str::to_owned);
        let host = header_text(&request, &header::HOST);
        let decision = policy.decide(origin.as_deref(), host);
        if let (CorsDecision::Rejected, Some(origin)) = (&decision, &origin) {
            let context = request
                .extensions()
                .get::<RequestContext>()
                .cloned()
                .unwrap_or_default();
            self.cors.guard.cors_rejected(&context, origin).await;
        }

        let mut response = match self.inner.call(request).await {
            Ok(output) => output.into_response(),
            Err(error) => error.into_response(),
        };
        if let CorsDecision::Allowed { origin } = &decision {
            allow_origin(&mut response, origin);
            response.headers_mut().insert(
                header::ACCESS_CONTROL_EXPOSE_HEADERS,
                HeaderValue::from_static(EXPOSED_HEADER_LIST),
            );
        }
        if origin.is_some() {
            response
                .headers_mut()
                .append(header::VARY, HeaderValue::from(header::ORIGIN));
        }
        Ok(response)
    }
}

#[cfg(test)]
mod tests {
    use rampart_domain::cors::{ALLOWED_HEADERS, ALLOWED_METHODS, EXPOSED_HEADERS};

    use super::*;

    #[test]
    fn header_lists_match_domain() {
        assert_eq!(ALLOWED_METHOD_LIST, ALLOWED_METHODS.join(", "));
        assert_eq!(ALLOWED_HEADER_LIST, ALLOWED_HEADERS.join(", "));
        assert_eq!(EXPOSED_HEADER_LIST, EXPOSED_HEADERS.join(", "));
    }
}
