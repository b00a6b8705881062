//! Categories: anyone reads, admins create, rename and delete.

use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi};
use rampart_domain::category::{Category, CategoryId};
use rampart_ports::usecases::RequestContext;
use time::OffsetDateTime;
use uuid::Uuid;

use super::ApiTags;
use crate::problem::ProblemResponse;
use crate::problem_response;
use crate::security::BearerAuth;
use crate::state::HttpState;
use crate::strict::{StrictString, fields};

/// A category.
#[derive(Object)]
#[oai(rename = "Category")]
struct CategoryBody {
    id: Uuid,
    name: String,
    created_at: OffsetDateTime,
}

impl From<Category> for CategoryBody {
    fn from(category: Category) -> Self {
        Self {
            id: category.id.as_uuid(),
            name: category.name.as_str().to_owned(),
            created_at: category.created_at,
        }
    }
}

/// A category name.
#[derive(Object)]
#[oai(deny_unknown_fields)]
struct CategoryInput {
    /// Plain text, 1 to 64 characters with a visible one, unique regardless of case.
    name: StrictString<fields::Name>,
}

#[derive(ApiResponse)]
enum ListResponse {
    /// Every category, ordered by name.
    #[oai(status = 200)]
    Ok(Json<Vec<CategoryBody>>),
}

problem_response!(ListProblem {
    ServiceUnavailable = 503: "A dependency is unavailable; see Retry-After.",
});

#[derive(ApiResponse)]
enum CategoryResponse {
    /// The category.
    #[oai(status = 200)]
    Ok(Json<CategoryBody>),
    /// The category was created.
    #[oai(status = 201)]
    Created(Json<CategoryBody>),
}

problem_response!(WriteProblem {
    BadRequest = 400: "An invalid name, a malformed body or an id that is not a UUID.",
    Unauthorized = 401: "Missing, invalid, expired or revoked access token.",
    Forbidden = 403: "Only admins may change categories.",
    NotFound = 404: "No category has this id.",
    Conflict = 409: "Another category has this name.",
    PayloadTooLarge = 413: "The body is larger than 1 MiB.",
    ServiceUnavailable = 503: "A dependency is unavailable; see Retry-After.",
});

#[derive(ApiResponse)]
enum DeleteResponse {
    /// The category was deleted; its posts remain without a category.
    #[oai(status = 204)]
    NoContent,
}

/// Categories.
pub struct CategoriesApi;

#[OpenApi(prefix_path = "/api/v1/categories", tag = "ApiTags::Categories")]
impl CategoriesApi {
    /// List every category.
    #[oai(path = "/", method = "get")]
    async fn list(&self, state: poem::web::Data<&HttpState>) -> Result<ListResponse, ListProblem> {
        let categories = state
            .categories
            .list()
            .await
            .map_err(ProblemResponse::from)?;
        Ok(ListResponse::Ok(Json(
            categories.into_iter().map(CategoryBody::from).collect(),
        )))
    }

    /// Create a category (admins only).
    #[oai(path = "/", method = "post")]
    async fn create(
        &self,
        state: poem::web::Data<&HttpState>,
        context: poem::web::Data<&RequestContext>,
        auth: BearerAuth,
        body: Json<CategoryInput>,
    ) -> Result<CategoryResponse, WriteProblem> {
        let category = state
            .categories
            .create(&context, &auth.0, body.0.name.as_str())
            .await
            .map_err(ProblemResponse::from)?;
        Ok(CategoryResponse::Created(Json(category.into())))
    }

    /// Rename a category (admins only).
    #[oai(path = "/:id", method = "patch")]
    async fn rename(
        &self,
        state: poem::web::Data<&HttpState>,
        context: poem::web::Data<&RequestContext>,
        auth: BearerAuth,
        id: Path<Uuid>,
        body: Json<CategoryInput>,
    ) -> Result<CategoryResponse, WriteProblem> {
        let category = state
            .categories
            .rename(
                &context,
                &auth.0,
                CategoryId::from_uuid(id.0),
                body.0.name.as_str(),
            )
            .await
            .map_err(ProblemResponse::from)?;
        Ok(CategoryResponse::Ok(Json(category.into())))
    }

    /// Delete a category (admins only).
    #[oai(path = "/:id", method = "delete")]
    async fn delete(
        &self,
        state: poem::web::Data<&HttpState>,
        context: poem::web::Data<&RequestContext>,
        auth: BearerAuth,
        id: Path<Uuid>,
    ) -> Result<DeleteResponse, WriteProblem> {
        state
            .categories
            .delete(&context, &auth.0, CategoryId::from_uuid(id.0))
            .await
            .map_err(ProblemResponse::from)?;
        Ok(DeleteResponse::NoContent)
    }
}
