//! Liveness and readiness probes.

use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi};

use super::ApiTags;
use crate::problem::{Problem, ProblemKind, ProblemResponse};
use crate::state::HttpState;

/// The state of the service.
#[derive(Object)]
struct HealthBody {
    /// `ok`.
    status: String,
}

#[derive(ApiResponse)]
enum LiveResponse {
    /// The process is running.
    #[oai(status = 200)]
    Ok(Json<HealthBody>),
}

#[derive(ApiResponse)]
enum ReadyResponse {
    /// The database and the shared stores respond.
    #[oai(status = 200)]
    Ok(Json<HealthBody>),
    /// A dependency does not respond; the body does not name it (the log does).
    #[oai(status = 503, content_type = "application/problem+json")]
    Unavailable(Json<Problem>),
}

/// Liveness and readiness probes.
pub struct HealthApi;

#[OpenApi(prefix_path = "/health", tag = "ApiTags::Health")]
impl HealthApi {
    /// Report that the process is running; does no I/O.
    #[oai(path = "/live", method = "get")]
    async fn live(&self) -> LiveResponse {
        LiveResponse::Ok(Json(HealthBody {
            status: "ok".to_owned(),
        }))
    }

    /// Report whether the database and the shared stores respond.
    #[oai(path = "/ready", method = "get")]
    async fn ready(&self, state: poem::web::Data<&HttpState>) -> ReadyResponse {
        for probe in &state.probes {
            if let Err(error) = probe.check().await {
                tracing::warn!(probe = probe.name(), error = %error, "readiness check failed");
                let problem = ProblemResponse::new(
                    ProblemKind::Unavailable,
                    "A dependency of the service is unavailable. Retry later.",
                );
                return ReadyResponse::Unavailable(Json(problem.body));
            }
        }
        ReadyResponse::Ok(Json(HealthBody {
            status: "ok".to_owned(),
        }))
    }
}
