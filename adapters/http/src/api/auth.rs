//! Registration, login, refresh and logout.

use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi};
use rampart_domain::password::Password;
use rampart_ports::usecases::{LoginRequest, RegisterRequest, RequestContext};

use super::ApiTags;
use super::wire::{TokenPairBody, UserBody};
use crate::problem::ProblemResponse;
use crate::problem_response;
use crate::security::BearerAuth;
use crate::state::HttpState;
use crate::strict::{StrictString, fields};

/// A new account.
#[derive(Object)]
#[oai(deny_unknown_fields)]
struct RegisterBody {
    /// 3 to 32 characters of `a-z 0-9 _ . -`, compared case-insensitively.
    username: StrictString<fields::Username>,
    email: StrictString<fields::Email>,
    /// At least 12 characters with an uppercase letter, a digit and a special character (the
    /// `classic` policy), not a common password and not close to the username or email.
    password: StrictString<fields::Password>,
}

/// Credentials: the username or the email, and the password.
#[derive(Object)]
#[oai(deny_unknown_fields)]
struct LoginBody {
    /// Username or email, at most 254 bytes.
    username: StrictString<fields::Username>,
    password: StrictString<fields::Password>,
}

/// A refresh token to rotate.
#[derive(Object)]
#[oai(deny_unknown_fields)]
struct RefreshBody {
    refresh_token: StrictString<fields::RefreshToken>,
}

#[derive(ApiResponse)]
enum RegisterResponse {
    /// The account was created.
    #[oai(status = 201)]
    Created(Json<UserBody>),
}

problem_response!(RegisterProblem {
    BadRequest = 400: "Invalid fields, each listed in `errors`, or a malformed body.",
    Conflict = 409: "The username or email is not available.",
    PayloadTooLarge = 413: "The body is larger than 1 MiB.",
    TooManyRequests = 429: "Too many registrations from this address; see Retry-After.",
    ServiceUnavailable = 503: "The server is busy; see Retry-After.",
});

#[derive(ApiResponse)]
enum TokenResponse {
    /// A new token pair.
    #[oai(status = 200)]
    Ok(Json<TokenPairBody>),
}

problem_response!(LoginProblem {
    BadRequest = 400: "A malformed body or a field out of range.",
    Unauthorized = 401: "Unknown user or wrong password; the two are not told apart.",
    PayloadTooLarge = 413: "The body is larger than 1 MiB.",
    TooManyRequests = 429: "`account-locked` for this username from this address, or `rate-limited`; see Retry-After.",
    ServiceUnavailable = 503: "The server is busy; see Retry-After.",
});

problem_response!(RefreshProblem {
    BadRequest = 400: "A malformed body.",
    Unauthorized = 401: "Invalid, expired or revoked refresh token; `refresh-token-superseded` when a concurrent refresh won; `token-revoked` when a used token came back and its session was revoked.",
    PayloadTooLarge = 413: "The body is larger than 1 MiB.",
    ServiceUnavailable = 503: "A dependency is unavailable; see Retry-After.",
});

#[derive(ApiResponse)]
enum LogoutResponse {
    /// The access token and its session are revoked.
    #[oai(status = 204)]
    NoContent,
}

problem_response!(LogoutProblem {
    Unauthorized = 401: "Missing, invalid, expired or revoked access token.",
    ServiceUnavailable = 503: "A dependency is unavailable; see Retry-After.",
});

/// Registration, login, refresh and logout.
pub struct AuthApi;

#[OpenApi(prefix_path = "/api/v1/auth", tag = "ApiTags::Auth")]
impl AuthApi {
    /// Register a member account.
    #[oai(path = "/register", method = "post")]
    async fn register(
        &self,
        state: poem::web::Data<&HttpState>,
        context: poem::web::Data<&RequestContext>,
        body: Json<RegisterBody>,
    ) -> Result<RegisterResponse, RegisterProblem> {
        let request = RegisterRequest {
            username: body.0.username.into_inner(),
            email: body.0.email.into_inner(),
            password: Password::new(body.0.password.as_str()),
        };
        let user = state
            .auth
            .register(&context, request)
            .await
            .map_err(ProblemResponse::from)?;
        Ok(RegisterResponse::Created(Json(user.into())))
    }

    /// Log in with a username or email and a password.
    #[oai(path = "/login", method = "post")]
    async fn login(
        &self,
        state: poem::web::Data<&HttpState>,
        context: poem::web::Data<&RequestContext>,
        body: Json<LoginBody>,
    ) -> Result<TokenResponse, LoginProblem> {
        let request = LoginRequest {
            username: body.0.username.into_inner(),
            password: Password::new(body.0.password.as_str()),
        };
        let pair = state
            .auth
            .login(&context, request)
            .await
            .map_err(ProblemResponse::from)?;
        Ok(TokenResponse::Ok(Json(pair.into())))
    }

    /// Exchange a refresh token for a new token pair; the presented token is spent.
    #[oai(path = "/refresh", method = "post")]
    async fn refresh(
        &self,
        state: poem::web::Data<&HttpState>,
        context: poem::web::Data<&RequestContext>,
        body: Json<RefreshBody>,
    ) -> Result<TokenResponse, RefreshProblem> {
        let pair = state
            .auth
            .refresh(&context, body.0.refresh_token.as_str())
            .await
            .map_err(ProblemResponse::from)?;
        Ok(TokenResponse::Ok(Json(pair.into())))
    }

    /// Revoke the access token and its whole session.
    #[oai(path = "/logout", method = "post")]
    async fn logout(
        &self,
        state: poem::web::Data<&HttpState>,
        context: poem::web::Data<&RequestContext>,
        auth: BearerAuth,
    ) -> Result<LogoutResponse, LogoutProblem> {
        state
            .sessions
            .logout(&context, &auth.0)
            .await
            .map_err(ProblemResponse::from)?;
        Ok(LogoutResponse::NoContent)
    }
}
