//! The OpenAPI operations, one module per resource, with their wire types beside them.

mod auth;
mod categories;
mod health;
mod posts;
mod upload_form;
mod uploads;
mod users;
mod wire;

pub use auth::AuthApi;
pub use categories::CategoriesApi;
pub use health::HealthApi;
pub use posts::PostsApi;
pub use upload_form::UPLOAD_ROUTE;
pub use uploads::UploadsApi;
pub use users::UsersApi;

use poem_openapi::Tags;

/// Groups of operations in the OpenAPI document.
#[derive(Tags)]
pub enum ApiTags {
    /// Registration, login, token refresh and logout.
    Auth,
    /// The caller's own account.
    Users,
    /// Posts: anyone reads, the author changes.
    Posts,
    /// Categories: anyone reads, admins change.
    Categories,
    /// Uploaded images: anyone reads, the uploader deletes.
    Uploads,
    /// Liveness and readiness probes.
    Health,
}
