//! The request timeout: a request whose body arrives too slowly, or whose handling takes too
//! long, gets 408 problem details instead of holding a worker and a connection.

use std::time::Duration;

use poem::{Endpoint, IntoResponse, Middleware, Request, Response};

use crate::problem::{ProblemKind, ProblemResponse};

/// Time a request gets from its headers to its response when no setting says otherwise: 30 s.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// Ends requests that take longer than `duration` with 408.
#[derive(Debug, Clone, Copy)]
pub struct RequestTimeout {
    pub duration: Duration,
}

impl<E: Endpoint> Middleware<E> for RequestTimeout {
    type Output = RequestTimeoutEndpoint<E>;

    fn transform(&self, inner: E) -> Self::Output {
        RequestTimeoutEndpoint {
            inner,
            duration: self.duration,
        }
    }
}

/// The endpoint [`RequestTimeout`] wraps.
pub struct RequestTimeoutEndpoint<E> {
    inner: E,
    duration: Duration,
}

impl<E: Endpoint> Endpoint for RequestTimeoutEndpoint<E> {
    type Output = Response;

    async fn call(&self, request: Request) -> poem::Result<Response> {
        match tokio::time::timeout(self.duration, self.inner.call(request)).await {
            Ok(result) => Ok(result?.into_response()),
            Err(_) => {
                tracing::info!(timeout_ms = self.duration.as_millis(), "request timed out");
                let problem = ProblemResponse::new(
                    ProblemKind::RequestTimeout,
                    format!(
                        "The request was not completed within {} seconds; send the body without pauses and retry.",
                        self.duration.as_secs()
                    ),
                );
                let mut response = problem.into_poem_response();
                // The body may be half read, so the connection cannot carry another request.
                response.headers_mut().insert(
                    poem::http::header::CONNECTION,
                    poem::http::HeaderValue::from_static("close"),
                );
                Ok(response)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use poem::http::StatusCode;
    use poem::test::TestClient;
    use poem::{EndpointExt, handler};

    use super::*;

    #[handler]
    async fn slow() -> &'static str {
        tokio::time::sleep(Duration::from_secs(5)).await;
        "late"
    }

    #[handler]
    fn fast() -> &'static str {
        "ok"
    }

    #[tokio::test]
    async fn slow_request_gets_408() {
        let client = TestClient::new(slow.with(RequestTimeout {
            duration: Duration::from_millis(50),
        }));

        let response = client.get("/").send().await;

        response.assert_status(StatusCode::REQUEST_TIMEOUT);
        response.assert_content_type("application/problem+json");
        response.assert_header("connection", "close");
    }

    #[tokio::test]
    async fn fast_request_passes() {
        let client = TestClient::new(fast.with(RequestTimeout {
            duration: Duration::from_secs(5),
        }));

        let response = client.get("/").send().await;

        response.assert_status_is_ok();
    }
}
