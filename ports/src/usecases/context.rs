//! The inputs every use case receives: the ports, and the caller's request context.

use std::net::IpAddr;
use std::sync::Arc;

use rampart_domain::event::SecurityEvent;
use rampart_domain::lockout::LockoutPolicy;
use rampart_domain::password::PasswordPolicy;
use rampart_domain::upload_policy::UploadPolicy;

use crate::services::{Clock, HtmlSanitizer, PasswordHasher, SecurityEventSink, TokenCodec};
use crate::stores::{
    CategoryRepository, LoginAttemptStore, PostRepository, RateLimitStore, RefreshFamilyStore,
    RevocationStore, UserRepository, UserStampStore,
};
use crate::uploads::{BlobStore, ImageInspector, UploadRepository};

/// The ports and policies the use cases run on. `app/` builds one and every use case shares it.
#[derive(Clone)]
pub struct Deps {
    pub users: Arc<dyn UserRepository>,
    pub posts: Arc<dyn PostRepository>,
    pub categories: Arc<dyn CategoryRepository>,
    pub families: Arc<dyn RefreshFamilyStore>,
    pub revocations: Arc<dyn RevocationStore>,
    pub user_stamps: Arc<dyn UserStampStore>,
    pub login_attempts: Arc<dyn LoginAttemptStore>,
    pub rate_limits: Arc<dyn RateLimitStore>,
    pub uploads: Arc<dyn UploadRepository>,
    pub blobs: Arc<dyn BlobStore>,
    pub images: Arc<dyn ImageInspector>,
    pub hasher: Arc<dyn PasswordHasher>,
    pub tokens: Arc<dyn TokenCodec>,
    pub sanitizer: Arc<dyn HtmlSanitizer>,
    pub clock: Arc<dyn Clock>,
    pub events: Arc<dyn SecurityEventSink>,
    pub password_policy: PasswordPolicy,
    pub lockout_policy: LockoutPolicy,
    pub upload_policy: UploadPolicy,
}

impl Deps {
    /// Records a security event with the caller's client IP.
    pub(crate) fn record(&self, context: &RequestContext, event: SecurityEvent) {
        self.events.record(event.client_ip(context.client_ip));
    }
}

/// Caller details as the transport reports them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestContext {
    /// The client IP after trusted-proxy resolution; `None` only in tests without a socket.
    pub client_ip: Option<IpAddr>,
    pub request_id: String,
}

impl RequestContext {
    /// Returns the client IP, or the unspecified address when the transport had none, so that
    /// every caller without an address shares one set of counters.
    pub fn ip_or_unspecified(&self) -> IpAddr {
        self.client_ip
            .unwrap_or(IpAddr::V6(std::net::Ipv6Addr::UNSPECIFIED))
    }
}
