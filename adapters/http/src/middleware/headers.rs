//! Security headers on every response, errors included.
//!
//! API responses get a deny-all Content-Security-Policy and `Cache-Control: no-store`; `/docs`
//! gets a policy that lets Swagger UI run its inline scripts and styles, and nothing else;
//! `/api/v1/uploads/{id}` gets [`UPLOAD_CSP`], which also sandboxes an image opened on its own.
//! Responses to requests that came over HTTPS also get `Strict-Transport-Security`.

use poem::http::HeaderValue;
use poem::http::header::{self, HeaderName};
use poem::{Endpoint, IntoResponse, Middleware, Request, Response};

use super::request::Transport;

const API_CSP: &str =
    "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";
const DOCS_CSP: &str = "default-src 'none'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";
/// The policy of served uploads: nothing loads, and a document opened from one runs sandboxed.
pub const UPLOAD_CSP: &str = "default-src 'none'; sandbox";
const PERMISSIONS_POLICY: &str = "accelerometer=(), autoplay=(), camera=(), display-capture=(), encrypted-media=(), fullscreen=(), geolocation=(), gyroscope=(), hid=(), idle-detection=(), magnetometer=(), microphone=(), midi=(), payment=(), picture-in-picture=(), publickey-credentials-get=(), screen-wake-lock=(), serial=(), usb=(), xr-spatial-tracking=()";

/// One year with subdomains and `preload`: the minimum the browsers' HSTS preload list accepts.
const HSTS: &str = "max-age=31536000; includeSubDomains; preload";

/// Adds the security headers to every response and removes `Server` and `X-Powered-By`.
#[derive(Debug, Clone)]
pub struct SecurityHeaders {
    /// Value of `X-XSS-Protection`: `1; mode=block` by default; current OWASP advice is `0`.
    pub xss_protection: HeaderValue,
}

impl Default for SecurityHeaders {
    fn default() -> Self {
        Self {
            xss_protection: HeaderValue::from_static("1; mode=block"),
        }
    }
}

impl<E: Endpoint> Middleware<E> for SecurityHeaders {
    type Output = SecurityHeadersEndpoint<E>;

    fn transform(&self, inner: E) -> Self::Output {
        SecurityHeadersEndpoint {
            inner,
            config: self.clone(),
        }
    }
}

/// The endpoint [`SecurityHeaders`] wraps.
pub struct SecurityHeadersEndpoint<E> {
    inner: E,
    config: SecurityHeaders,
}

impl<E: Endpoint> Endpoint for SecurityHeadersEndpoint<E> {
    type Output = Response;

    async fn call(&self, request: Request) -> poem::Result<Response> {
        let is_docs = request.uri().path() == "/docs" || request.uri().path().starts_with("/docs/");
        let is_upload = request.uri().path().starts_with("/api/v1/uploads/");
        let secure = request
            .extensions()
            .get::<Transport>()
            .is_some_and(|t| t.secure);
        let mut response = match self.inner.call(request).await {
            Ok(output) => output.into_response(),
            Err(error) => error.into_response(),
        };

        let headers = response.headers_mut();
        let csp = if is_docs {
            DOCS_CSP
        } else if is_upload {
            UPLOAD_CSP
        } else {
            API_CSP
        };
        let fixed: [(HeaderName, &'static str); 9] = [
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            (header::X_FRAME_OPTIONS, "DENY"),
            (header::REFERRER_POLICY, "strict-origin-when-cross-origin"),
            (
                HeaderName::from_static("permissions-policy"),
                PERMISSIONS_POLICY,
            ),
            (header::CONTENT_SECURITY_POLICY, csp),
            (
                HeaderName::from_static("cross-origin-opener-policy"),
                "same-origin",
            ),
            (
                HeaderName::from_static("cross-origin-resource-policy"),
                "same-origin",
            ),
            (
                HeaderName::from_static("x-permitted-cross-domain-policies"),
                "none",
            ),
            (header::CACHE_CONTROL, "no-store"),
        ];
        // One allocation for all of them instead of a regrowth of the map along the way.
        headers.reserve(fixed.len() + 2);
        for (name, value) in fixed {
            headers.insert(name, HeaderValue::from_static(value));
        }
        headers.insert(header::X_XSS_PROTECTION, self.config.xss_protection.clone());
        if secure {
            headers.insert(
                header::STRICT_TRANSPORT_SECURITY,
                HeaderValue::from_static(HSTS),
            );
        }
        headers.remove(header::SERVER);
        headers.remove("x-powered-by");
        Ok(response)
    }
}
