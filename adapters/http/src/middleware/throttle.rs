//! The request throttles: per client IP on every request, and per client IP or per user on top.
//!
//! Every request outside `/health/` is counted against two sliding-window limits in one
//! [`RateLimitStore::admit`] call, so one round trip to a shared store:
//!
//! ```text
//!   ip:<client ip>     every request                       100 per 60 s (limits.ip_per_minute)
//!   anon:<client ip>   requests without a valid token      100 per hour (limits.anonymous_per_hour)
//!   user:<user id>     requests with a valid access token  1000 per hour (limits.authenticated_per_hour)
//! ```
//!
//! A request passes only when both of its limits pass, and is then counted under both. The user
//! id comes from an access token whose signature and expiry verify, a check that does no I/O.
//! For such a token the same store call also reads whether the token or its family is revoked,
//! when the rate-limit store keeps the revocations too (Redis), so an authenticated request costs
//! one round trip. The verified token, its claims and that revocation status go into the
//! request's extensions for the bearer security scheme, which then neither verifies the
//! signature nor reads the revocations again. A revoked but well-formed token is counted under
//! its user and then rejected there with 401.
//!
//! Responses carry the headers of draft-ietf-httpapi-ratelimit-headers (draft 09) for the
//! tightest of the two limits ([`super::rate_headers`]). A rejection is a 429 `rate-limited`
//! problem with `Retry-After` and a `rate_limit` security event.

use std::sync::Arc;

use poem::http::header::AUTHORIZATION;
use poem::{Endpoint, IntoResponse, Middleware, Request, Response};
use rampart_domain::event::{SecurityEvent, SecurityEventKind};
use rampart_domain::throttle::{RateDecision, RateLimit, limits};
use rampart_domain::user::UserId;
use rampart_ports::usecases::{Deps, RequestContext};
use rampart_ports::{Clock, RateCheck, RateLimitStore, SecurityEventSink, StoreError, TokenCodec};

use super::rate_headers::{Policy, insert_headers, tightest};
use crate::errors::chain;
use crate::problem::{ProblemKind, ProblemResponse};
use crate::security::VerifiedAccessToken;

/// Paths under this prefix are never throttled, so probes keep working under load.
const EXEMPT_PREFIX: &str = "/health/";

/// The three request limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RequestLimits {
    /// Every request of one client IP.
    pub ip: RateLimit,
    /// Requests of one client IP without a valid access token.
    pub anonymous: RateLimit,
    /// Requests of one user, by the user id of a valid access token.
    pub authenticated: RateLimit,
}

impl Default for RequestLimits {
    fn default() -> Self {
        Self {
            ip: limits::IP,
            anonymous: limits::ANONYMOUS,
            authenticated: limits::AUTHENTICATED,
        }
    }
}

/// The ports the throttle uses, taken from the use cases' [`Deps`].
#[derive(Clone)]
pub struct ThrottlePorts {
    pub rate_limits: Arc<dyn RateLimitStore>,
    pub tokens: Arc<dyn TokenCodec>,
    pub clock: Arc<dyn Clock>,
    pub events: Arc<dyn SecurityEventSink>,
}

impl ThrottlePorts {
    /// Takes the rate-limit store, token codec, clock and event sink of `deps`.
    pub fn from_deps(deps: &Deps) -> Self {
        Self {
            rate_limits: deps.rate_limits.clone(),
            tokens: deps.tokens.clone(),
            clock: deps.clock.clone(),
            events: deps.events.clone(),
        }
    }
}

/// Applies [`RequestLimits`] to every request outside `/health/`.
#[derive(Clone)]
pub struct RequestThrottle {
    pub ports: ThrottlePorts,
    pub limits: RequestLimits,
}

impl<E: Endpoint> Middleware<E> for RequestThrottle {
    type Output = RequestThrottleEndpoint<E>;

    fn transform(&self, inner: E) -> Self::Output {
        RequestThrottleEndpoint {
            inner,
            throttle: self.clone(),
        }
    }
}

/// The endpoint [`RequestThrottle`] wraps.
pub struct RequestThrottleEndpoint<E> {
    inner: E,
    throttle: RequestThrottle,
}

/// Returns the token of `Authorization: Bearer <token>`, if the request has one.
fn bearer_token(request: &Request) -> Option<&str> {
    let value = request.headers().get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

/// The two checks of one request, the policy of each in the same order, and the user whose
/// valid token the request carries.
struct RequestChecks {
    checks: Vec<RateCheck>,
    policies: [Policy; 2],
    user: Option<UserId>,
    /// The request's access token when it verified, for the bearer security scheme.
    verified: Option<VerifiedAccessToken>,
}

impl RequestChecks {
    /// Returns the policy and limit of the check at `index`.
    fn describe(&self, index: usize) -> (Policy, Option<RateLimit>) {
        let policy = self.policies.get(index).copied().unwrap_or(Policy::Ip);
        let limit = self.checks.get(index).map(|check| check.limit);
        (policy, limit)
    }
}

impl RequestThrottle {
    /// Returns the checks of a request.
    fn checks(&self, request: &Request, context: &RequestContext) -> RequestChecks {
        let ip = context.ip_or_unspecified();
        let now = self.ports.clock.now();
        let verified = bearer_token(request).and_then(|token| {
            let claims = self.ports.tokens.verify_access(token, now).ok()?;
            Some(VerifiedAccessToken {
                token: token.to_owned(),
                claims,
                status: None,
            })
        });
        let user: Option<UserId> = verified.as_ref().map(|verified| verified.claims.user_id);
        let ip_check = RateCheck {
            key: format!("ip:{ip}"),
            limit: self.limits.ip,
        };
        let (second, policy) = match user {
            Some(user) => (
                RateCheck {
                    key: format!("user:{user}"),
                    limit: self.limits.authenticated,
                },
                Policy::User,
            ),
            None => (
                RateCheck {
                    key: format!("anon:{ip}"),
                    limit: self.limits.anonymous,
                },
                Policy::Anonymous,
            ),
        };
        RequestChecks {
            checks: vec![ip_check, second],
            policies: [Policy::Ip, policy],
            user,
            verified,
        }
    }

    fn reject(
        &self,
        context: &RequestContext,
        checks: &RequestChecks,
        decisions: &[RateDecision],
    ) -> Response {
        let (index, decision) = tightest(decisions);
        let (policy, limit) = checks.describe(index);
        let mut event = SecurityEvent::new(
            SecurityEventKind::RateLimit,
            format!("{} request limit reached", policy.name()),
        )
        .client_ip(context.client_ip);
        if let Some(user_id) = checks.user {
            event = event.user(user_id);
        }
        self.ports.events.record(event);

        let retry_after = decision.retry_after.unwrap_or(decision.reset_after);
        let mut response = ProblemResponse::new(
            ProblemKind::RateLimited,
            "Too many requests. Retry after the time in Retry-After.",
        )
        .retry_after(retry_after)
        .into_poem_response();
        insert_headers(&mut response, policy, limit, &decision);
        response
    }
}

impl<E: Endpoint> Endpoint for RequestThrottleEndpoint<E> {
    type Output = Response;

    async fn call(&self, mut request: Request) -> poem::Result<Response> {
        if request.uri().path().starts_with(EXEMPT_PREFIX) {
            return Ok(self.inner.call(request).await?.into_response());
        }
        let context = request
            .extensions()
            .get::<RequestContext>()
            .cloned()
            .unwrap_or_default();
        let throttle = &self.throttle;
        let mut checks = throttle.checks(&request, &context);
        let now = throttle.ports.clock.now();
        let rate_limits = &throttle.ports.rate_limits;

        let admitted = match checks.verified.take() {
            Some(mut verified) => {
                let answer = rate_limits
                    .admit_with_status(&checks.checks, &verified.claims, now)
                    .await;
                answer.map(|(decisions, status)| {
                    verified.status = status;
                    request.extensions_mut().insert(verified);
                    decisions
                })
            }
            None => rate_limits.admit(&checks.checks, now).await,
        };
        let decisions = match admitted {
            Ok(decisions) => decisions,
            Err(error) => return Ok(store_failure(&error)),
        };
        if decisions.iter().any(|decision| !decision.allowed) {
            return Ok(throttle.reject(&context, &checks, &decisions));
        }

        let mut response = match self.inner.call(request).await {
            Ok(output) => output.into_response(),
            Err(error) => error.into_response(),
        };
        let (index, decision) = tightest(&decisions);
        let (policy, limit) = checks.describe(index);
        insert_headers(&mut response, policy, limit, &decision);
        Ok(response)
    }
}

/// Returns the response for a rate-limit store that failed although it falls back to in-process
/// limits when unavailable: 503 for an outage, 500 for anything else, both logged.
fn store_failure(error: &StoreError) -> Response {
    match error {
        StoreError::Unavailable(_) => {
            tracing::error!(error = %chain(error), "rate-limit store unavailable");
            ProblemResponse::new(
                ProblemKind::Unavailable,
                "A service this request depends on is unavailable. Retry later.",
            )
            .retry_after(time::Duration::SECOND)
            .into_poem_response()
        }
        _ => {
            tracing::error!(error = %chain(error), "rate-limit check failed");
            ProblemResponse::new(
                ProblemKind::Internal,
                "The server failed to complete the request.",
            )
            .into_poem_response()
        }
    }
}
