//! The request body limit.
//!
//! A declared `Content-Length` over the limit is rejected before any of the body is read. A body
//! without a length (chunked) is read up to the limit and rejected as soon as it passes it, so no
//! request can make the server buffer more than the limit.
//!
//! One route may be left to enforce its own limit while it streams its body: the upload route,
//! whose limit is larger and whose rejections are security events.

use std::time::Duration;

use poem::http::Method;
use poem::http::header::CONTENT_LENGTH;
use poem::{Body, Endpoint, IntoResponse, Middleware, Request, Response};
use tokio::io::{AsyncRead, AsyncReadExt};

use crate::problem::{ProblemKind, ProblemResponse};

/// Largest JSON body accepted: 1 MiB.
pub const JSON_BODY_MAX: usize = 1024 * 1024;

/// Rejects bodies larger than `max_bytes` with 413.
#[derive(Debug, Clone, Copy)]
pub struct BodyLimit {
    pub max_bytes: usize,
    /// A `POST` path whose body is passed on unread, because its operation enforces a limit of
    /// its own while streaming.
    pub streamed_route: Option<&'static str>,
}

impl<E: Endpoint> Middleware<E> for BodyLimit {
    type Output = BodyLimitEndpoint<E>;

    fn transform(&self, inner: E) -> Self::Output {
        BodyLimitEndpoint {
            inner,
            max_bytes: self.max_bytes,
            streamed_route: self.streamed_route,
        }
    }
}

/// The endpoint [`BodyLimit`] wraps.
pub struct BodyLimitEndpoint<E> {
    inner: E,
    max_bytes: usize,
    streamed_route: Option<&'static str>,
}

/// Most bytes of a rejected body read and thrown away before the 413 is sent: 16 MiB.
const DRAIN_MAX: u64 = 16 * 1024 * 1024;
/// Maximum time spent discarding a rejected body: 5 s.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(5);

/// Reads and discards what is left of a rejected body, up to [`DRAIN_MAX`] bytes and
/// [`DRAIN_TIMEOUT`]. A server that closes a connection while the client is still sending
/// makes the kernel reset it, and the reset can destroy the 413 before the client reads it;
/// taking the rest of a moderately large body first lets the client read the response. Beyond
/// those bounds the connection is closed anyway.
async fn drain(reader: &mut (impl AsyncRead + Unpin)) {
    let discarded = tokio::time::timeout(
        DRAIN_TIMEOUT,
        tokio::io::copy(&mut reader.take(DRAIN_MAX), &mut tokio::io::sink()),
    )
    .await;
    if discarded.is_err() {
        tracing::info!("stopped discarding a rejected body after the drain timeout");
    }
}

fn too_large(max_bytes: usize) -> Response {
    ProblemResponse::new(
        ProblemKind::PayloadTooLarge,
        format!("The body is larger than {max_bytes} bytes; send a smaller one."),
    )
    .into_poem_response()
}

impl<E: Endpoint> Endpoint for BodyLimitEndpoint<E> {
    type Output = Response;

    async fn call(&self, mut request: Request) -> poem::Result<Response> {
        let streamed = self.streamed_route.is_some_and(|route| {
            request.method() == Method::POST && request.uri().path().trim_end_matches('/') == route
        });
        if streamed {
            return Ok(self.inner.call(request).await?.into_response());
        }
        let declared = request
            .headers()
            .get(CONTENT_LENGTH)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.parse::<u64>().ok());
        match declared {
            Some(length) if length > self.max_bytes as u64 => {
                let mut reader = request.take_body().into_async_read();
                drain(&mut reader).await;
                return Ok(too_large(self.max_bytes));
            }
            Some(_) => {}
            None => {
                // No declared length: read at most the limit, and stop as soon as it is passed.
                let limit = self.max_bytes as u64;
                let mut reader = request.take_body().into_async_read();
                let mut bytes = Vec::new();
                match (&mut reader).take(limit + 1).read_to_end(&mut bytes).await {
                    Ok(_) if bytes.len() as u64 > limit => {
                        drain(&mut reader).await;
                        return Ok(too_large(self.max_bytes));
                    }
                    Ok(_) => request.set_body(Body::from(bytes)),
                    Err(error) => {
                        tracing::info!(error = %error, "request body could not be read");
                        let problem = ProblemResponse::new(
                            ProblemKind::MalformedRequest,
                            "The body could not be read.",
                        );
                        return Ok(problem.into_poem_response());
                    }
                }
            }
        }
        Ok(self.inner.call(request).await?.into_response())
    }
}
