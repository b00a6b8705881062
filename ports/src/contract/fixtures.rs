//! Builders of valid domain values for the contract cases, each with fresh random ids.

use rampart_domain::category::{Category, CategoryId, CategoryName};
use rampart_domain::post::{Post, PostId, PostTitle, SafeHtml};
use rampart_domain::token::{FamilyId, REFRESH_TOKEN_TTL, RefreshFamily, TokenId};
use rampart_domain::user::{Email, PasswordHash, Role, User, UserId, Username};
use time::OffsetDateTime;
use time::macros::datetime;
use uuid::Uuid;

/// The fixed time the cases start from.
pub const T0: OffsetDateTime = datetime!(2025-01-01 12:00:00.5 UTC);

/// A PHC string in the shape of an Argon2id hash; no password matches it.
pub const HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA";

/// Builds a member named `name` with the email `name@example.com`, created at [`T0`].
pub fn user(name: &str) -> User {
    User {
        id: UserId::from_uuid(Uuid::new_v4()),
        username: Username::parse(name).expect("fixture username is valid"),
        email: Email::parse(&format!("{name}@example.com")).expect("fixture email is valid"),
        role: Role::Member,
        password_hash: PasswordHash::new(HASH.to_owned()),
        created_at: T0,
    }
}

/// Builds a post of `author` created and updated at `created_at`, with no category or image.
pub fn post(author: UserId, created_at: OffsetDateTime) -> Post {
    Post {
        id: PostId::from_uuid(Uuid::new_v4()),
        title: PostTitle::parse("Hardening a REST service").expect("fixture title is valid"),
        body: SafeHtml::from_sanitized("<p>Deny by default.</p>".to_owned()),
        author_id: author,
        category_id: None,
        image_id: None,
        created_at,
        updated_at: created_at,
    }
}

/// Builds a category named `name`, created at [`T0`].
pub fn category(name: &str) -> Category {
    Category {
        id: CategoryId::from_uuid(Uuid::new_v4()),
        name: CategoryName::parse(name).expect("fixture category name is valid"),
        created_at: T0,
    }
}

/// Builds a never rotated family of `user` created at `created_at` with the usual lifetime.
pub fn family(user: UserId, created_at: OffsetDateTime) -> RefreshFamily {
    RefreshFamily {
        id: FamilyId::from_uuid(Uuid::new_v4()),
        user_id: user,
        current_token: token(),
        previous_token: None,
        created_at,
        expires_at: created_at + REFRESH_TOKEN_TTL,
        revoked: false,
    }
}

/// Returns a random token id.
pub fn token() -> TokenId {
    TokenId::from_uuid(Uuid::new_v4())
}

/// Returns a random family id.
pub fn family_id() -> FamilyId {
    FamilyId::from_uuid(Uuid::new_v4())
}

/// Returns a random user id.
pub fn user_id() -> UserId {
    UserId::from_uuid(Uuid::new_v4())
}
