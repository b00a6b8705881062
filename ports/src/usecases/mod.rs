//! Use cases: what Rampart does, written against the ports.
//!
//! Each use case has one error enum with the variants a caller acts on and an opaque variant for
//! everything else. None of them knows HTTP: the HTTP adapter maps each variant to a status.

mod accounts;
mod auth;
mod categories;
mod context;
mod fields;
mod guard;
mod posts;
mod session;
mod uploads;
mod user_cache;

pub use accounts::{AccountError, Accounts, ProfileChange, UserExport};
pub use auth::{
    Auth, LOGIN_IDENTIFIER_MAX, LoginError, LoginRequest, RefreshError, RegisterError,
    RegisterRequest, TokenPair,
};
pub use categories::{Categories, CategoryError};
pub use context::{Deps, RequestContext};
pub use fields::FieldErrors;
pub use guard::{Admission, GuardDeps, RequestGuard};
pub use posts::{NewPost, PostChange, PostError, Posts};
pub use session::{AuthError, Session, Sessions};
pub use uploads::{UploadError, Uploads};
