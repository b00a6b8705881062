//! Registration, login, refresh and logout.

use poem::web::cookie::{Cookie, CookieJar, SameSite};
use poem_openapi::param::Query;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Enum, Object, OpenApi};
use rampart_domain::csrf::{CSRF_COOKIE, REFRESH_COOKIE};
use rampart_domain::password::Password;
use rampart_ports::usecases::{LoginRequest, RegisterRequest, RequestContext, TokenPair};
use uuid::Uuid;

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

/// A refresh token to rotate. In cookie mode send `{}`: the token comes from the
/// `__Host-rampart-refresh` cookie, and the request needs `X-CSRF-Token`.
#[derive(Object)]
#[oai(deny_unknown_fields)]
struct RefreshBody {
    refresh_token: Option<StrictString<fields::RefreshToken>>,
}

/// Where a browser keeps the refresh token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "lowercase")]
enum SessionMode {
    /// In the response body, for API clients (the default).
    Bearer,
    /// In an HttpOnly, Secure, SameSite=Strict `__Host-` cookie, with a readable CSRF cookie
    /// whose value unsafe cookie-authenticated requests repeat in `X-CSRF-Token`.
    Cookie,
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
    /// The access token and its session are revoked; browsers drop the session cookies.
    #[oai(status = 204)]
    NoContent(#[oai(header = "Clear-Site-Data")] String),
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
        jar: &CookieJar,
        /// `cookie` keeps the refresh token in an HttpOnly cookie instead of the body.
        session: Query<Option<SessionMode>>,
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
        Ok(token_response(
            pair,
            session.0 == Some(SessionMode::Cookie),
            jar,
        ))
    }

    /// Exchange a refresh token for a new token pair; the presented token is spent.
    #[oai(path = "/refresh", method = "post")]
    async fn refresh(
        &self,
        state: poem::web::Data<&HttpState>,
        context: poem::web::Data<&RequestContext>,
        jar: &CookieJar,
        body: Json<RefreshBody>,
    ) -> Result<TokenResponse, RefreshProblem> {
        // A token in the body wins; otherwise the cookie of a browser session is used, and the
        // CSRF middleware has already checked that request.
        let (token, cookie_mode) = match body.0.refresh_token {
            Some(token) => (token.into_inner(), false),
            None => match jar.get(REFRESH_COOKIE) {
                Some(cookie) => (cookie.value_str().to_owned(), true),
                None => (String::new(), false),
            },
        };
        let pair = state
            .auth
            .refresh(&context, &token)
            .await
            .map_err(ProblemResponse::from)?;
        Ok(token_response(pair, cookie_mode, jar))
    }

    /// Revoke the access token and its whole session.
    #[oai(path = "/logout", method = "post")]
    async fn logout(
        &self,
        state: poem::web::Data<&HttpState>,
        context: poem::web::Data<&RequestContext>,
        jar: &CookieJar,
        auth: BearerAuth,
    ) -> Result<LogoutResponse, LogoutProblem> {
        state
            .sessions
            .logout(&context, &auth.0)
            .await
            .map_err(ProblemResponse::from)?;
        for name in [REFRESH_COOKIE, CSRF_COOKIE] {
            if jar.get(name).is_some() {
                jar.add(expired_cookie(name));
            }
        }
        Ok(LogoutResponse::NoContent("\"cookies\"".to_owned()))
    }
}

/// Returns the token pair as the response body, or, in cookie mode, sets the refresh token and
/// a fresh CSRF token as cookies and leaves the refresh token out of the body.
fn token_response(pair: TokenPair, cookie_mode: bool, jar: &CookieJar) -> TokenResponse {
    if !cookie_mode {
        return TokenResponse::Ok(Json(pair.into()));
    }
    let max_age = std::time::Duration::from_secs(
        u64::try_from(pair.refresh_expires_in.whole_seconds()).unwrap_or(0),
    );
    let mut refresh = session_cookie(REFRESH_COOKIE, &pair.refresh_token, max_age);
    refresh.set_http_only(true);
    jar.add(refresh);
    // The CSRF token is readable by the page, which repeats it in X-CSRF-Token.
    jar.add(session_cookie(
        CSRF_COOKIE,
        &Uuid::new_v4().simple().to_string(),
        max_age,
    ));

    let mut body = TokenPairBody::from(pair);
    body.refresh_token = None;
    TokenResponse::Ok(Json(body))
}

/// Builds a `__Host-` cookie: Secure, path `/`, no domain, SameSite=Strict.
fn session_cookie(name: &str, value: &str, max_age: std::time::Duration) -> Cookie {
    let mut cookie = Cookie::new_with_str(name, value);
    cookie.set_secure(true);
    cookie.set_path("/");
    cookie.set_same_site(SameSite::Strict);
    cookie.set_max_age(max_age);
    cookie
}

/// Builds the cookie that makes a browser delete `name`.
fn expired_cookie(name: &str) -> Cookie {
    let mut cookie = session_cookie(name, "", std::time::Duration::ZERO);
    cookie.make_removal();
    cookie
}
