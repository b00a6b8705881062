//! The request pipeline around the operations: request context and logging, security headers,
//! problem details for every error, the body limit, panic capture and the request throttles.

mod body_limit;
mod headers;
mod problems;
mod rate_headers;
mod request;
mod throttle;

pub use body_limit::{BodyLimit, JSON_BODY_MAX};
pub use headers::SecurityHeaders;
pub use problems::{catch_panic, errors_to_problems};
pub use request::{REQUEST_ID_HEADER, RequestContextLayer, Transport};
pub use throttle::{RequestLimits, RequestThrottle, ThrottlePorts};
