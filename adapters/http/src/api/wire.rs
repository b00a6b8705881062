//! Wire types shared by several resources: users, token pairs, posts, uploads.

use poem_openapi::{Enum, Object};
use rampart_domain::post::Post;
use rampart_domain::upload::Upload;
use rampart_domain::user::{Role, User};
use rampart_ports::usecases::TokenPair;
use time::OffsetDateTime;
use uuid::Uuid;

/// Role of a user.
#[derive(Debug, Clone, Copy, Enum)]
#[oai(rename_all = "lowercase")]
pub(super) enum RoleBody {
    Admin,
    Member,
}

/// A user account.
#[derive(Debug, Clone, Object)]
#[oai(rename = "User")]
pub(super) struct UserBody {
    pub(super) id: Uuid,
    /// Normalized username: lower case, 3 to 32 of `a-z 0-9 _ . -`.
    pub(super) username: String,
    pub(super) email: String,
    pub(super) role: RoleBody,
    pub(super) created_at: OffsetDateTime,
}

impl From<User> for UserBody {
    fn from(user: User) -> Self {
        Self {
            id: user.id.as_uuid(),
            username: user.username.as_str().to_owned(),
            email: user.email.as_str().to_owned(),
            role: match user.role {
                Role::Admin => RoleBody::Admin,
                Role::Member => RoleBody::Member,
            },
            created_at: user.created_at,
        }
    }
}

/// An access token and a refresh token.
#[derive(Clone, Object)]
#[oai(rename = "TokenPair")]
pub(super) struct TokenPairBody {
    /// PASETO v4.public access token, for `Authorization: Bearer`.
    pub(super) access_token: String,
    /// Refresh token for /api/v1/auth/refresh; single use. Absent in cookie mode, where it
    /// travels in the HttpOnly `__Host-rampart-refresh` cookie instead.
    #[oai(skip_serializing_if_is_none)]
    pub(super) refresh_token: Option<String>,
    /// Always `Bearer`.
    pub(super) token_type: String,
    /// Seconds until the access token expires.
    pub(super) expires_in: i64,
    /// Seconds until the refresh token expires.
    pub(super) refresh_expires_in: i64,
}

impl From<TokenPair> for TokenPairBody {
    fn from(pair: TokenPair) -> Self {
        Self {
            access_token: pair.access_token,
            refresh_token: Some(pair.refresh_token),
            token_type: "Bearer".to_owned(),
            expires_in: pair.access_expires_in.whole_seconds(),
            refresh_expires_in: pair.refresh_expires_in.whole_seconds(),
        }
    }
}

/// A post.
#[derive(Debug, Clone, Object)]
#[oai(rename = "Post")]
pub(super) struct PostBody {
    pub(super) id: Uuid,
    /// Plain text title.
    pub(super) title: String,
    /// Sanitized HTML body.
    pub(super) body: String,
    /// The author, set by the server.
    pub(super) author_id: Uuid,
    pub(super) category_id: Option<Uuid>,
    pub(super) image_id: Option<Uuid>,
    pub(super) created_at: OffsetDateTime,
    pub(super) updated_at: OffsetDateTime,
}

impl From<Post> for PostBody {
    fn from(post: Post) -> Self {
        Self {
            id: post.id.as_uuid(),
            title: post.title.as_str().to_owned(),
            body: post.body.as_str().to_owned(),
            author_id: post.author_id.as_uuid(),
            category_id: post.category_id.map(|id| id.as_uuid()),
            image_id: post.image_id,
            created_at: post.created_at,
            updated_at: post.updated_at,
        }
    }
}

/// An uploaded image.
#[derive(Debug, Clone, Object)]
#[oai(rename = "Upload")]
pub(super) struct UploadBody {
    pub(super) id: Uuid,
    /// The user who uploaded it, set by the server.
    pub(super) owner_id: Uuid,
    /// Cleaned file name: `a-z 0-9 - _`, then the extension of the detected type.
    pub(super) filename: String,
    /// The type detected from the bytes: `image/jpeg`, `image/png`, `image/webp` or `image/gif`.
    pub(super) content_type: String,
    /// Size in bytes of the stored, re-encoded image.
    pub(super) size: u64,
    pub(super) created_at: OffsetDateTime,
}

impl From<Upload> for UploadBody {
    fn from(upload: Upload) -> Self {
        Self {
            id: upload.id.as_uuid(),
            owner_id: upload.owner_id.as_uuid(),
            filename: upload.filename.as_str().to_owned(),
            content_type: upload.format.mime().to_owned(),
            size: upload.size,
            created_at: upload.created_at,
        }
    }
}
