//! The caller's own account: profile, password, export and erasure.

use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi};
use rampart_domain::password::Password;
use rampart_ports::usecases::{ProfileChange, RequestContext};
use time::OffsetDateTime;
use uuid::Uuid;

use super::ApiTags;
use super::wire::{PostBody, UploadBody, UserBody};
use crate::problem::ProblemResponse;
use crate::problem_response;
use crate::security::BearerAuth;
use crate::state::HttpState;
use crate::strict::{StrictString, fields};

/// Profile fields to change; absent fields stay as they are. The role cannot be changed here.
#[derive(Object)]
#[oai(deny_unknown_fields)]
struct ProfilePatch {
    username: Option<StrictString<fields::Username>>,
    email: Option<StrictString<fields::Email>>,
}

/// A password change.
#[derive(Object)]
#[oai(deny_unknown_fields)]
struct PasswordChange {
    current_password: StrictString<fields::CurrentPassword>,
    new_password: StrictString<fields::NewPassword>,
}

/// One login session: a refresh token family.
#[derive(Object)]
#[oai(rename = "Session")]
struct SessionBody {
    id: Uuid,
    created_at: OffsetDateTime,
    expires_at: OffsetDateTime,
    revoked: bool,
}

/// Every record Rampart holds about the caller.
#[derive(Object)]
#[oai(rename = "UserExport")]
struct ExportBody {
    user: UserBody,
    posts: Vec<PostBody>,
    uploads: Vec<UploadBody>,
    sessions: Vec<SessionBody>,
}

#[derive(ApiResponse)]
enum UserResponse {
    /// The caller's account.
    #[oai(status = 200)]
    Ok(Json<UserBody>),
}

problem_response!(MeProblem {
    Unauthorized = 401: "Missing, invalid, expired or revoked access token.",
    NotFound = 404: "The account no longer exists.",
    ServiceUnavailable = 503: "A dependency is unavailable; see Retry-After.",
});

problem_response!(ProfileProblem {
    BadRequest = 400: "Invalid fields, each listed in `errors`, or a malformed body.",
    Unauthorized = 401: "Missing, invalid, expired or revoked access token.",
    NotFound = 404: "The account no longer exists.",
    Conflict = 409: "The username or email is not available.",
    PayloadTooLarge = 413: "The body is larger than 1 MiB.",
    TooManyRequests = 429: "More than 10 profile changes in an hour; see Retry-After.",
    ServiceUnavailable = 503: "A dependency is unavailable; see Retry-After.",
});

#[derive(ApiResponse)]
enum NoContentResponse {
    /// Done.
    #[oai(status = 204)]
    NoContent,
}

problem_response!(PasswordProblem {
    BadRequest = 400: "Wrong current password, or a new password that breaks the policy (every rule listed in `errors`).",
    Unauthorized = 401: "Missing, invalid, expired or revoked access token.",
    NotFound = 404: "The account no longer exists.",
    PayloadTooLarge = 413: "The body is larger than 1 MiB.",
    TooManyRequests = 429: "More than 5 password change attempts in 15 minutes; see Retry-After.",
    ServiceUnavailable = 503: "The server is busy; see Retry-After.",
});

#[derive(ApiResponse)]
enum ExportResponse {
    /// Every record held about the caller.
    #[oai(status = 200)]
    Ok(Json<ExportBody>),
}

/// The caller's own account.
pub struct UsersApi;

#[OpenApi(prefix_path = "/api/v1/users", tag = "ApiTags::Users")]
impl UsersApi {
    /// Get the caller's account.
    #[oai(path = "/me", method = "get")]
    async fn me(
        &self,
        state: poem::web::Data<&HttpState>,
        auth: BearerAuth,
    ) -> Result<UserResponse, MeProblem> {
        let user = state
            .accounts
            .me(&auth.0)
            .await
            .map_err(ProblemResponse::from)?;
        Ok(UserResponse::Ok(Json(user.into())))
    }

    /// Change the caller's username or email.
    #[oai(path = "/me", method = "patch")]
    async fn update_me(
        &self,
        state: poem::web::Data<&HttpState>,
        context: poem::web::Data<&RequestContext>,
        auth: BearerAuth,
        body: Json<ProfilePatch>,
    ) -> Result<UserResponse, ProfileProblem> {
        let change = ProfileChange {
            username: body.0.username.map(StrictString::into_inner),
            email: body.0.email.map(StrictString::into_inner),
        };
        let user = state
            .accounts
            .update_profile(&context, &auth.0, change)
            .await
            .map_err(ProblemResponse::from)?;
        Ok(UserResponse::Ok(Json(user.into())))
    }

    /// Change the caller's password; every other session is revoked.
    #[oai(path = "/me/password", method = "post")]
    async fn change_password(
        &self,
        state: poem::web::Data<&HttpState>,
        context: poem::web::Data<&RequestContext>,
        auth: BearerAuth,
        body: Json<PasswordChange>,
    ) -> Result<NoContentResponse, PasswordProblem> {
        let current = Password::new(body.0.current_password.as_str());
        let new = Password::new(body.0.new_password.as_str());
        state
            .accounts
            .change_password(&context, &auth.0, current, new)
            .await
            .map_err(ProblemResponse::from)?;
        Ok(NoContentResponse::NoContent)
    }

    /// Export every record held about the caller.
    #[oai(path = "/me/export", method = "get")]
    async fn export(
        &self,
        state: poem::web::Data<&HttpState>,
        auth: BearerAuth,
    ) -> Result<ExportResponse, MeProblem> {
        let export = state
            .accounts
            .export(&auth.0)
            .await
            .map_err(ProblemResponse::from)?;
        let body = ExportBody {
            user: export.user.into(),
            posts: export.posts.into_iter().map(PostBody::from).collect(),
            uploads: export.uploads.into_iter().map(UploadBody::from).collect(),
            sessions: export
                .sessions
                .into_iter()
                .map(|family| SessionBody {
                    id: family.id.as_uuid(),
                    created_at: family.created_at,
                    expires_at: family.expires_at,
                    revoked: family.revoked,
                })
                .collect(),
        };
        Ok(ExportResponse::Ok(Json(body)))
    }

    /// Erase the caller's account with its posts and sessions.
    #[oai(path = "/me", method = "delete")]
    async fn delete_me(
        &self,
        state: poem::web::Data<&HttpState>,
        context: poem::web::Data<&RequestContext>,
        auth: BearerAuth,
    ) -> Result<NoContentResponse, MeProblem> {
        state
            .accounts
            .delete(&context, &auth.0)
            .await
            .map_err(ProblemResponse::from)?;
        Ok(NoContentResponse::NoContent)
    }
}
