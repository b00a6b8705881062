//! The CSRF check of cookie sessions, in front of authentication.
//!
//! The rules are the domain's (`rampart_domain::csrf`): a state-changing request that carries
//! the refresh cookie and no `Authorization` header needs `X-CSRF-Token` equal to the CSRF
//! cookie and an `Origin` that is listed in `cors.allowed_origins` or is the service's own.
//! A failure gets 403 problem details `csrf-failure` and a `csrf_failure` security event.

use std::sync::Arc;

use poem::http::Method;
use poem::http::header::{AUTHORIZATION, COOKIE, HOST, ORIGIN};
use poem::{Endpoint, IntoResponse, Middleware, Request, Response};
use rampart_domain::cors::{CorsDecision, CorsPolicy};
use rampart_domain::csrf::{
    self, CSRF_COOKIE, CSRF_HEADER, CsrfDecision, CsrfRequest, REFRESH_COOKIE,
};
use rampart_ports::usecases::{RequestContext, RequestGuard};

use crate::problem::{ProblemKind, ProblemResponse};

/// Applies the CSRF check to every request.
#[derive(Clone)]
pub struct Csrf {
    pub cors: Arc<CorsPolicy>,
    pub guard: RequestGuard,
}

impl<E: Endpoint> Middleware<E> for Csrf {
    type Output = CsrfEndpoint<E>;

    fn transform(&self, inner: E) -> Self::Output {
        CsrfEndpoint {
            inner,
            config: self.clone(),
        }
    }
}

/// The endpoint [`Csrf`] wraps.
pub struct CsrfEndpoint<E> {
    inner: E,
    config: Csrf,
}

/// Returns the value of cookie `name` in the request's `Cookie` headers.
pub(crate) fn cookie<'a>(request: &'a Request, name: &str) -> Option<&'a str> {
    request
        .headers()
        .get_all(COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.trim())
}

fn header(request: &Request, name: impl poem::http::header::AsHeaderName) -> Option<&str> {
    request
        .headers()
        .get(name)
        .and_then(|value| value.to_str().ok())
}

impl<E: Endpoint> Endpoint for CsrfEndpoint<E> {
    type Output = Response;

    async fn call(&self, request: Request) -> poem::Result<Response> {
        let method = request.method();
        let unsafe_method = !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS);
        let origin_allowed = header(&request, ORIGIN).map(|origin| {
            let decision = self
                .config
                .cors
                .decide(Some(origin), header(&request, HOST));
            matches!(
                decision,
                CorsDecision::Allowed { .. } | CorsDecision::NotCrossOrigin
            )
        });
        let decision = csrf::check(&CsrfRequest {
            unsafe_method,
            bearer: header(&request, AUTHORIZATION).is_some(),
            session_cookie: cookie(&request, REFRESH_COOKIE).is_some(),
            cookie_token: cookie(&request, CSRF_COOKIE),
            header_token: header(&request, CSRF_HEADER),
            origin_allowed,
        });
        if let CsrfDecision::Rejected(failure) = decision {
            if let Some(context) = request.extensions().get::<RequestContext>() {
                self.config
                    .guard
                    .csrf_failure(context, failure.as_str())
                    .await;
            }
            let detail = "This request relies on the session cookie, so it needs the X-CSRF-Token header with the value of the __Host-rampart-csrf cookie and an allowed Origin.";
            return Ok(ProblemResponse::new(ProblemKind::CsrfFailure, detail).into_poem_response());
        }
        Ok(self.inner.call(request).await?.into_response())
    }
}
