//! The request pipeline around the operations.
//!
//! From the outside in: request context and logging, security headers, CORS, blocking, the
//! request throttles, problem details for every error, panic capture, the body limit and request
//! validation.

mod blocking;
mod body_limit;
mod cors;
mod csrf;
mod headers;
mod problems;
mod rate_headers;
mod request;
mod request_values;
mod throttle;
mod timeout;
mod validation;

pub use blocking::Blocking;
pub use body_limit::{BodyLimit, JSON_BODY_MAX};
pub use cors::Cors;
pub use csrf::Csrf;
pub use headers::{SecurityHeaders, UPLOAD_CSP};
pub use problems::{catch_panic, errors_to_problems};
pub use request::{REQUEST_ID_HEADER, RequestContextLayer, Transport};
pub use throttle::{RequestLimits, RequestThrottle, ThrottlePorts};
pub use timeout::{REQUEST_TIMEOUT, RequestTimeout};
pub use validation::RequestValidation;
