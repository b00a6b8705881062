//! Request context and the access log.
//!
//! Each request gets a [`RequestContext`] (client IP and request id) and a [`Transport`] in its
//! extensions, a tracing span carrying both, `X-Request-Id` on its response, and one log line
//! when it ends. A client's `X-Request-Id` is kept when it is 1 to 64 characters of
//! `A-Z a-z 0-9 . _ -`; otherwise a new UUID replaces it, so log lines cannot be forged through
//! the header.
//!
//! `X-Forwarded-For` and `X-Forwarded-Proto` are read only when the socket peer is one of the
//! trusted proxies; from anyone else they are ignored.

use std::sync::Arc;
use std::time::Instant;

use poem::http::uri::Scheme;
use poem::{Endpoint, IntoResponse, Middleware, Request, Response};
use rampart_domain::network::{self, Cidr};
use rampart_ports::usecases::RequestContext;
use tracing::Instrument;
use uuid::Uuid;

/// The request id header, accepted from clients and always returned.
pub const REQUEST_ID_HEADER: &str = "X-Request-Id";

fn is_well_formed(id: &str) -> bool {
    (1..=64).contains(&id.len())
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
}

/// How the request reached the service.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transport {
    /// True over TLS, or when a trusted proxy says the client used HTTPS.
    pub secure: bool,
}

/// Sets up the request context, span and access log line of every request.
#[derive(Debug, Clone, Default)]
pub struct RequestContextLayer {
    /// Proxies whose `X-Forwarded-For` and `X-Forwarded-Proto` are believed.
    pub trusted_proxies: Arc<Vec<Cidr>>,
}

impl<E: Endpoint> Middleware<E> for RequestContextLayer {
    type Output = RequestContextEndpoint<E>;

    fn transform(&self, inner: E) -> Self::Output {
        RequestContextEndpoint {
            inner: Arc::new(inner),
            trusted_proxies: self.trusted_proxies.clone(),
        }
    }
}

/// The endpoint [`RequestContextLayer`] wraps.
pub struct RequestContextEndpoint<E> {
    inner: Arc<E>,
    trusted_proxies: Arc<Vec<Cidr>>,
}

impl<E: Endpoint> Endpoint for RequestContextEndpoint<E> {
    type Output = Response;

    async fn call(&self, request: Request) -> poem::Result<Response> {
        request_context(self.inner.clone(), &self.trusted_proxies, request).await
    }
}

/// Returns the client IP and transport of a request, believing forwarded headers only from
/// trusted proxies.
fn resolve_client(request: &Request, trusted: &[Cidr]) -> (Option<std::net::IpAddr>, Transport) {
    let tls = *request.scheme() == Scheme::HTTPS;
    let Some(peer) = request.remote_addr().as_socket_addr().map(|addr| addr.ip()) else {
        return (None, Transport { secure: tls });
    };
    let peer = network::canonical(peer);
    if !network::is_trusted(peer, trusted) {
        return (Some(peer), Transport { secure: tls });
    }
    let forwarded_for = request
        .headers()
        .get("x-forwarded-for")
        .and_then(|v| v.to_str().ok());
    let forwarded_https = request
        .headers()
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|proto| proto.trim().eq_ignore_ascii_case("https"));
    let client = network::client_ip(peer, forwarded_for, trusted);
    (
        Some(client),
        Transport {
            secure: tls || forwarded_https,
        },
    )
}

/// Wraps a request in its context, span and access log line.
async fn request_context<E: Endpoint>(
    next: Arc<E>,
    trusted_proxies: &[Cidr],
    mut request: Request,
) -> poem::Result<Response> {
    let request_id = request
        .headers()
        .get(REQUEST_ID_HEADER)
        .and_then(|value| value.to_str().ok())
        .filter(|id| is_well_formed(id))
        .map_or_else(|| Uuid::new_v4().to_string(), str::to_owned);
    let (client_ip, transport) = resolve_client(&request, trusted_proxies);
    request.extensions_mut().insert(transport);
    let context = RequestContext {
        client_ip,
        request_id: request_id.clone(),
    };
    request.extensions_mut().insert(context);

    let method = request.method().to_string();
    let path = request.uri().path().to_owned();
    let span = tracing::info_span!(
        "request",
        request_id = %request_id,
        client_ip = client_ip.map(|ip| ip.to_string()).unwrap_or_default(),
        method = %method,
        path = %path,
    );
    let started = Instant::now();

    let result = next.call(request).instrument(span.clone()).await;
    let mut response = match result {
        Ok(output) => output.into_response(),
        Err(error) => error.into_response(),
    };

    let status = response.status().as_u16();
    let duration_ms = started.elapsed().as_secs_f64() * 1000.0;
    span.in_scope(|| {
        if status >= 500 {
            tracing::error!(status, duration_ms, "request finished");
        } else {
            tracing::info!(status, duration_ms, "request finished");
        }
    });
    if let Ok(value) = request_id.parse() {
        response.headers_mut().insert(REQUEST_ID_HEADER, value);
    }
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn well_formed_ids_are_kept() {
        assert!(is_well_formed("abc-123_X.y"));
    }

    #[test]
    fn ids_with_spaces_or_newlines_are_replaced() {
        assert!(!is_well_formed("abc def"));
        assert!(!is_well_formed("abc\ninjected"));
        assert!(!is_well_formed(""));
        assert!(!is_well_formed(&"a".repeat(65)));
    }
}
