//! The bearer security scheme: how an operation gets its authenticated session.
//!
//! An operation that takes a [`BearerAuth`] argument cannot run for a request without a valid,
//! unrevoked access token: poem-openapi calls [`authenticate`] before the handler.

use poem::Request;
use poem_openapi::SecurityScheme;
use poem_openapi::auth::Bearer;
use rampart_domain::token::AccessClaims;
use rampart_ports::TokenStatus;
use rampart_ports::usecases::Session;

use crate::problem::{ProblemKind, ProblemResponse};
use crate::state::HttpState;

/// A PASETO v4.public access token in `Authorization: Bearer <token>`.
#[derive(SecurityScheme)]
#[oai(
    ty = "bearer",
    bearer_format = "PASETO v4.public",
    checker = "authenticate"
)]
pub struct BearerAuth(pub Session);

/// An access token whose signature and expiry a middleware verified earlier in this request,
/// kept in the request's extensions with its claims so that [`authenticate`] need not verify
/// the signature again.
#[derive(Clone)]
pub(crate) struct VerifiedAccessToken {
    pub(crate) token: String,
    pub(crate) claims: AccessClaims,
    /// The token's status as the middleware read it from the shared stores in this request;
    /// `None` when it did not read it.
    pub(crate) status: Option<TokenStatus>,
}

/// Verifies the bearer token and checks it against the revocation list.
///
/// When the request throttle already verified this same token, its claims are reused and only
/// their expiry is checked again, and a token status the throttle read in this request is used
/// instead of a second read.
async fn authenticate(request: &Request, bearer: Bearer) -> poem::Result<Session> {
    // poem-openapi's Bearer prints the token in Debug: keep only the string, and never log it.
    let token = bearer.token;
    let Some(state) = request.data::<HttpState>() else {
        tracing::error!("HttpState missing from request data");
        return Err(problem_error(ProblemResponse::new(
            ProblemKind::Internal,
            "The server failed to complete the request.",
        )));
    };
    let verified = request
        .extensions()
        .get::<VerifiedAccessToken>()
        .filter(|verified| verified.token == token);
    let session = match verified {
        Some(verified) => {
            let claims = verified.claims.clone();
            match verified.status {
                Some(status) => state.sessions.authenticate_checked(claims, status),
                None => state.sessions.authenticate_verified(claims).await,
            }
        }
        None => state.sessions.authenticate(&token).await,
    };
    session.map_err(|error| problem_error(error.into()))
}

/// Turns a problem into a poem error that keeps the problem as its response.
pub(crate) fn problem_error(problem: ProblemResponse) -> poem::Error {
    poem::Error::from_response(problem.into_poem_response())
}
