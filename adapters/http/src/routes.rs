//! The route table and the order of the middleware around it.

use std::sync::Arc;

use poem::endpoint::EitherEndpoint;
use poem::http::HeaderValue;
use poem::middleware::{CatchPanic, CookieJarManager};
use poem::{Endpoint, EndpointExt, Response, Route, handler};
use poem_openapi::OpenApiService;
use rampart_domain::cors::CorsPolicy;
use rampart_domain::network::Cidr;

use crate::api::{AuthApi, CategoriesApi, HealthApi, PostsApi, UPLOAD_ROUTE, UploadsApi, UsersApi};
use crate::middleware::{
    Blocking, BodyLimit, Cors, Csrf, JSON_BODY_MAX, REQUEST_TIMEOUT, RequestContextLayer,
    RequestLimits, RequestThrottle, RequestTimeout, RequestValidation, SecurityHeaders,
    catch_panic, errors_to_problems,
};
use crate::state::HttpState;

type Apis = (
    HealthApi,
    AuthApi,
    UsersApi,
    PostsApi,
    CategoriesApi,
    UploadsApi,
);

/// Settings of the HTTP adapter.
#[derive(Debug, Clone)]
pub struct HttpOptions {
    /// Value of `X-XSS-Protection`.
    pub xss_protection: HeaderValue,
    /// Proxies whose `X-Forwarded-For` and `X-Forwarded-Proto` are believed.
    pub trusted_proxies: Vec<Cidr>,
    /// The per-IP, anonymous and authenticated request limits.
    pub request_limits: RequestLimits,
    /// The origins allowed to call the API from a browser.
    pub cors: CorsPolicy,
    /// Mounts `GET /__test/panic`, which panics, for tests of the 500 response. Debug builds
    /// only; release builds ignore it.
    pub test_fault_route: bool,
    /// Serves without the security middleware, so a benchmark can measure what it costs. Never
    /// for production: the configuration accepts it only in development.
    pub bench_stack_off: bool,
}

impl Default for HttpOptions {
    fn default() -> Self {
        Self {
            xss_protection: HeaderValue::from_static("1; mode=block"),
            trusted_proxies: Vec::new(),
            request_limits: RequestLimits::default(),
            cors: CorsPolicy::default(),
            test_fault_route: false,
            bench_stack_off: false,
        }
    }
}

fn api_service() -> OpenApiService<Apis, ()> {
    OpenApiService::new(
        (
            HealthApi,
            AuthApi,
            UsersApi,
            PostsApi,
            CategoriesApi,
            UploadsApi,
        ),
        "Rampart",
        env!("CARGO_PKG_VERSION"),
    )
    .description(
        "A hardened REST API. Errors are RFC 9457 problem details (application/problem+json) \
         with a stable `type` URI per kind of error.",
    )
}

/// Returns the OpenAPI document that `/openapi.json` serves.
pub fn openapi_json() -> String {
    api_service().spec()
}

/// Builds the whole HTTP application: operations, `/openapi.json`, `/docs` and the middleware.
///
/// With [`HttpOptions::bench_stack_off`] the security headers, CORS, blocking, throttles, CSRF
/// check, request timeout, body limit and request validation are left out. The request context
/// and access log, problem details, panic capture and the bearer authentication of the
/// operations stay.
pub fn build_app(state: HttpState, options: HttpOptions) -> impl Endpoint<Output = Response> {
    let api = api_service();
    let docs = api.swagger_ui();
    let spec = openapi_json();
    let throttle = RequestThrottle {
        ports: state.throttle.clone(),
        limits: options.request_limits,
    };
    let guard = state.guard.clone();
    let cors = Arc::new(options.cors);

    let routes = Route::new()
        .at("/openapi.json", serve_spec.data(SpecDocument(spec)))
        .nest("/docs", docs)
        .nest("/", api);
    #[cfg(debug_assertions)]
    let routes = if options.test_fault_route {
        crate::fault::mount(routes)
    } else {
        routes
    };

    // Handlers read and set the cookies of browser sessions through poem's CookieJar.
    let routes = routes.with(CookieJarManager::new());

    let context = RequestContextLayer {
        trusted_proxies: Arc::new(options.trusted_proxies),
    };
    if options.bench_stack_off {
        let bare = routes
            .with(CatchPanic::new().with_handler(catch_panic))
            .around(errors_to_problems)
            .data(state)
            .with(context);
        return EitherEndpoint::A(bare);
    }

    let guarded = routes
        .with(RequestValidation {
            guard: guard.clone(),
        })
        .with(BodyLimit {
            max_bytes: JSON_BODY_MAX,
            // The upload operation streams its body under the upload policy's own limits.
            streamed_route: Some(UPLOAD_ROUTE),
        })
        .with(RequestTimeout {
            duration: REQUEST_TIMEOUT,
        })
        .with(CatchPanic::new().with_handler(catch_panic))
        .around(errors_to_problems)
        .data(state)
        .with(Csrf {
            cors: cors.clone(),
            guard: guard.clone(),
        })
        .with(throttle)
        .with(Blocking {
            guard: guard.clone(),
        })
        .with(Cors {
            policy: cors,
            guard,
        })
        .with(SecurityHeaders {
            xss_protection: options.xss_protection,
        })
        .with(context);
    EitherEndpoint::B(guarded)
}

#[derive(Clone)]
struct SpecDocument(String);

#[handler]
fn serve_spec(spec: poem::web::Data<&SpecDocument>) -> Response {
    Response::builder()
        .content_type("application/json")
        .body(spec.0.0.clone())
}
