//! The plain-HTTP listener beside the TLS one.
//!
//! Browser pages (`/` and `/docs`) are redirected to HTTPS with 308, which keeps the method. API
//! calls are rejected with 403 `https-required` without being run: a client that sent a token
//! over plain HTTP gets an error it cannot miss, instead of a redirect it might follow silently.

use std::sync::Arc;

use poem::http::StatusCode;
use poem::http::header::{HOST, LOCATION};
use poem::{Endpoint, EndpointExt, Request, Response, handler};
use rampart_domain::network::Cidr;

use crate::middleware::{RequestContextLayer, SecurityHeaders};
use crate::problem::{ProblemKind, ProblemResponse};

/// Port of the HTTPS listener that redirects point to.
#[derive(Debug, Clone, Copy)]
struct HttpsPort(u16);

/// Returns whether `path` is a page a browser opens, as opposed to an API call.
fn is_browser_page(path: &str) -> bool {
    path == "/" || path == "/docs" || path.starts_with("/docs/")
}

/// Returns the host name of a `Host` header without its port, when it is a plain DNS name or
/// IP literal; anything else could steer the redirect and is replaced by `localhost`.
fn redirect_host(request: &Request) -> String {
    let host = request
        .headers()
        .get(HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let name = if let Some(rest) = host.strip_prefix('[') {
        rest.split(']')
            .next()
            .map(|ip| format!("[{ip}]"))
            .unwrap_or_default()
    } else {
        host.split(':').next().unwrap_or_default().to_owned()
    };
    let valid = !name.is_empty()
        && name.len() <= 253
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-.[]:".contains(c));
    if valid { name } else { "localhost".to_owned() }
}

#[handler]
fn redirect_or_reject(request: &Request, port: poem::web::Data<&HttpsPort>) -> Response {
    let path = request.uri().path();
    if !is_browser_page(path) {
        return ProblemResponse::new(
            ProblemKind::HttpsRequired,
            "This API only accepts HTTPS. Resend the request over HTTPS, and treat any token sent over plain HTTP as leaked.",
        )
        .into_poem_response();
    }
    let path_and_query = request.uri().path_and_query().map_or("/", |p| p.as_str());
    let location = match port.0.0 {
        443 => format!("https://{}{path_and_query}", redirect_host(request)),
        port => format!("https://{}:{port}{path_and_query}", redirect_host(request)),
    };
    Response::builder()
        .status(StatusCode::PERMANENT_REDIRECT)
        .header(LOCATION, location)
        .finish()
}

/// Builds the application of the plain listener: redirects for pages, 403 for everything else,
/// with the security headers and the request log of the main application.
pub fn build_https_redirect(
    https_port: u16,
    trusted_proxies: Vec<Cidr>,
) -> impl Endpoint<Output = Response> {
    redirect_or_reject
        .data(HttpsPort(https_port))
        .with(SecurityHeaders::default())
        .with(RequestContextLayer {
            trusted_proxies: Arc::new(trusted_proxies),
        })
}

#[cfg(test)]
mod tests {
    use poem::test::TestClient;

    use super::*;

    #[tokio::test]
    async fn docs_redirect_to_https() {
        let client = TestClient::new(build_https_redirect(8443, Vec::new()));

        let response = client
            .get("/docs?x=1")
            .header("Host", "example.test:8080")
            .send()
            .await;

        response.assert_status(StatusCode::PERMANENT_REDIRECT);
        response.assert_header("location", "https://example.test:8443/docs?x=1");
    }

    #[tokio::test]
    async fn api_call_is_rejected() {
        let client = TestClient::new(build_https_redirect(443, Vec::new()));

        let response = client.post("/api/v1/auth/login").body("{}").send().await;

        response.assert_status(StatusCode::FORBIDDEN);
        response.assert_content_type("application/problem+json");
        response.assert_text(
            "{\"detail\":\"This API only accepts HTTPS. Resend the request over HTTPS, and treat any token sent over plain HTTP as leaked.\",\"status\":403,\"title\":\"HTTPS required\",\"type\":\"urn:rampart:problem:https-required\"}",
        ).await;
    }

    #[tokio::test]
    async fn forged_host_is_replaced() {
        let client = TestClient::new(build_https_redirect(443, Vec::new()));

        let response = client.get("/").header("Host", "evil.test/@x").send().await;

        response.assert_header("location", "https://localhost/");
    }
}
