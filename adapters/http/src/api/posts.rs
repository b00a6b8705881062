//! Posts: anyone reads, authenticated users create, owners change and delete.

use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::types::MaybeUndefined;
use poem_openapi::{ApiResponse, Object, OpenApi};
use rampart_domain::page::PageRequest;
use rampart_domain::post::PostId;
use rampart_ports::usecases::{FieldErrors, NewPost, PostChange, PostError, RequestContext};
use uuid::Uuid;

use super::ApiTags;
use super::wire::PostBody;
use crate::problem::ProblemResponse;
use crate::problem_response;
use crate::security::BearerAuth;
use crate::state::HttpState;
use crate::strict::{FieldName, StrictString, fields};

/// A new post. The author is the caller: `author_id` is set by the server and rejected here.
#[derive(Object)]
#[oai(deny_unknown_fields)]
struct CreatePostBody {
    /// Plain text, 1 to 200 characters with a visible one, without bidirectional controls.
    title: StrictString<fields::Title>,
    /// HTML, at most 100,000 bytes; tags, attributes and URL schemes outside the allowlist are
    /// removed, not rejected.
    body: StrictString<fields::Body>,
    category_id: Option<Uuid>,
    image_id: Option<Uuid>,
}

/// Post fields to change; absent fields stay as they are, `null` clears a category or image.
/// A title or body cannot be cleared, so `null` there is rejected.
#[derive(Object)]
#[oai(deny_unknown_fields)]
struct PatchPostBody {
    title: MaybeUndefined<StrictString<fields::Title>>,
    body: MaybeUndefined<StrictString<fields::Body>>,
    category_id: MaybeUndefined<Uuid>,
    image_id: MaybeUndefined<Uuid>,
}

/// One page of posts, newest first.
#[derive(Object)]
#[oai(rename = "PostPage")]
struct PageBody {
    items: Vec<PostBody>,
    page: u32,
    page_size: u32,
    /// Number of posts on all pages.
    total: u64,
}

#[derive(ApiResponse)]
enum PageResponse {
    /// One page of posts.
    #[oai(status = 200)]
    Ok(Json<PageBody>),
}

problem_response!(ListProblem {
    BadRequest = 400: "`page` below 1, `page_size` outside 1 to 100, or not a number.",
    ServiceUnavailable = 503: "A dependency is unavailable; see Retry-After.",
});

#[derive(ApiResponse)]
enum PostResponse {
    /// The post.
    #[oai(status = 200)]
    Ok(Json<PostBody>),
    /// The post was created.
    #[oai(status = 201)]
    Created(Json<PostBody>),
}

problem_response!(GetProblem {
    BadRequest = 400: "The id is not a UUID.",
    NotFound = 404: "No post has this id.",
    ServiceUnavailable = 503: "A dependency is unavailable; see Retry-After.",
});

problem_response!(WriteProblem {
    BadRequest = 400: "Invalid fields, each listed in `errors`, a field the server sets (such as `author_id`), or a malformed body.",
    Unauthorized = 401: "Missing, invalid, expired or revoked access token, or an account that no longer exists.",
    Forbidden = 403: "The caller does not own this post.",
    NotFound = 404: "No post has this id.",
    PayloadTooLarge = 413: "The body is larger than 1 MiB.",
    ServiceUnavailable = 503: "A dependency is unavailable; see Retry-After.",
});

#[derive(ApiResponse)]
enum DeleteResponse {
    /// The post was deleted.
    #[oai(status = 204)]
    NoContent,
}

fn page_request(page: Option<u32>, page_size: Option<u32>) -> Result<PageRequest, PostError> {
    PageRequest::new(page, page_size).map_err(|error| {
        let field = match error {
            rampart_domain::page::PageError::Page => "page",
            rampart_domain::page::PageError::PageSize => "page_size",
        };
        PostError::Invalid(FieldErrors::single(field, error))
    })
}

/// Posts.
pub struct PostsApi;

#[OpenApi(prefix_path = "/api/v1/posts", tag = "ApiTags::Posts")]
impl PostsApi {
    /// List posts, newest first.
    #[oai(path = "/", method = "get")]
    async fn list(
        &self,
        state: poem::web::Data<&HttpState>,
        /// Page number, from 1.
        page: Query<Option<u32>>,
        /// Posts per page, 1 to 100; 20 by default.
        page_size: Query<Option<u32>>,
    ) -> Result<PageResponse, ListProblem> {
        let request = page_request(page.0, page_size.0).map_err(ProblemResponse::from)?;
        let found = state
            .posts
            .list(request)
            .await
            .map_err(ProblemResponse::from)?;
        Ok(PageResponse::Ok(Json(PageBody {
            items: found.items.into_iter().map(PostBody::from).collect(),
            page: found.page,
            page_size: found.page_size,
            total: found.total,
        })))
    }

    /// Create a post as the caller.
    #[oai(path = "/", method = "post")]
    async fn create(
        &self,
        state: poem::web::Data<&HttpState>,
        context: poem::web::Data<&RequestContext>,
        auth: BearerAuth,
        body: Json<CreatePostBody>,
    ) -> Result<PostResponse, WriteProblem> {
        let new = NewPost {
            title: body.0.title.into_inner(),
            body: body.0.body.into_inner(),
            category_id: body.0.category_id,
            image_id: body.0.image_id,
        };
        let post = state
            .posts
            .create(&context, &auth.0, new)
            .await
            .map_err(ProblemResponse::from)?;
        Ok(PostResponse::Created(Json(post.into())))
    }

    /// Get one post.
    #[oai(path = "/:id", method = "get")]
    async fn get(
        &self,
        state: poem::web::Data<&HttpState>,
        id: Path<Uuid>,
    ) -> Result<PostResponse, GetProblem> {
        let post = state
            .posts
            .get(PostId::from_uuid(id.0))
            .await
            .map_err(ProblemResponse::from)?;
        Ok(PostResponse::Ok(Json(post.into())))
    }

    /// Change a post of the caller's.
    #[oai(path = "/:id", method = "patch")]
    async fn update(
        &self,
        state: poem::web::Data<&HttpState>,
        context: poem::web::Data<&RequestContext>,
        auth: BearerAuth,
        id: Path<Uuid>,
        body: Json<PatchPostBody>,
    ) -> Result<PostResponse, WriteProblem> {
        let change = PostChange {
            title: required(body.0.title).map_err(ProblemResponse::from)?,
            body: required(body.0.body).map_err(ProblemResponse::from)?,
            category_id: maybe(body.0.category_id),
            image_id: maybe(body.0.image_id),
        };
        let post = state
            .posts
            .update(&context, &auth.0, PostId::from_uuid(id.0), change)
            .await
            .map_err(ProblemResponse::from)?;
        Ok(PostResponse::Ok(Json(post.into())))
    }

    /// Delete a post of the caller's.
    #[oai(path = "/:id", method = "delete")]
    async fn delete(
        &self,
        state: poem::web::Data<&HttpState>,
        context: poem::web::Data<&RequestContext>,
        auth: BearerAuth,
        id: Path<Uuid>,
    ) -> Result<DeleteResponse, WriteProblem> {
        state
            .posts
            .delete(&context, &auth.0, PostId::from_uuid(id.0))
            .await
            .map_err(ProblemResponse::from)?;
        Ok(DeleteResponse::NoContent)
    }
}

/// Turns an absent field into "leave as it is" and rejects `null` for a field that cannot be
/// cleared.
fn required<F: FieldName>(
    value: MaybeUndefined<StrictString<F>>,
) -> Result<Option<String>, PostError> {
    match value {
        MaybeUndefined::Undefined => Ok(None),
        MaybeUndefined::Null => Err(PostError::Invalid(FieldErrors::single(
            F::NAME,
            "must be a string; leave the field out to keep its value",
        ))),
        MaybeUndefined::Value(text) => Ok(Some(text.into_inner())),
    }
}

/// Turns "absent, null or a value" into "leave, clear or set".
fn maybe(value: MaybeUndefined<Uuid>) -> Option<Option<Uuid>> {
    match value {
        MaybeUndefined::Undefined => None,
        MaybeUndefined::Null => Some(None),
        MaybeUndefined::Value(id) => Some(Some(id)),
    }
}
