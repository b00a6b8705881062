//! Blocking: refuses blocked addresses and attack tools with 403 before anything else runs.
//!
//! [`RequestGuard::admit`] decides, from the client IP of the [`RequestContext`] and the
//! `User-Agent` header, and writes the `ip_blocked` or `user_agent_blocked` event. Paths under
//! `/health/` are not blocked, so load-balancer probes keep working whatever the guard decides
//! about the prober's address.

use poem::http::header::USER_AGENT;
use poem::{Endpoint, IntoResponse, Middleware, Request, Response};
use rampart_ports::usecases::{Admission, RequestContext, RequestGuard};

use crate::problem::{ProblemKind, ProblemResponse};

/// Paths under this prefix are never blocked.
const EXEMPT_PREFIX: &str = "/health/";

/// Refuses clients that [`RequestGuard::admit`] does not allow.
#[derive(Clone)]
pub struct Blocking {
    pub guard: RequestGuard,
}

impl<E: Endpoint> Middleware<E> for Blocking {
    type Output = BlockingEndpoint<E>;

    fn transform(&self, inner: E) -> Self::Output {
        BlockingEndpoint {
            inner,
            guard: self.guard.clone(),
        }
    }
}

/// The endpoint [`Blocking`] wraps.
pub struct BlockingEndpoint<E> {
    inner: E,
    guard: RequestGuard,
}

impl<E: Endpoint> Endpoint for BlockingEndpoint<E> {
    type Output = Response;

    async fn call(&self, request: Request) -> poem::Result<Response> {
        if request.uri().path().starts_with(EXEMPT_PREFIX) {
            return Ok(self.inner.call(request).await?.into_response());
        }
        let context = request
            .extensions()
            .get::<RequestContext>()
            .cloned()
            .unwrap_or_default();
        // A user agent that is not visible ASCII is still checked, in its lossy UTF-8 form.
        let user_agent = request
            .headers()
            .get(USER_AGENT)
            .map(|value| String::from_utf8_lossy(value.as_bytes()).into_owned());

        let problem = match self.guard.admit(&context, user_agent.as_deref()).await {
            Admission::Allowed => return Ok(self.inner.call(request).await?.into_response()),
            Admission::IpBlocked => ProblemResponse::new(
                ProblemKind::IpBlocked,
                "Requests from this address are blocked.",
            ),
            Admission::UserAgentBlocked => ProblemResponse::new(
                ProblemKind::UserAgentBlocked,
                "Requests from this client are not accepted.",
            ),
        };
        Ok(problem.into_poem_response())
    }
}
