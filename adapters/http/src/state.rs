//! Shared handler state: the use cases and the readiness probes.

use std::sync::Arc;

use async_trait::async_trait;
use rampart_ports::StoreError;
use rampart_ports::usecases::{
    Accounts, Auth, Categories, Deps, Posts, RequestGuard, Sessions, Uploads,
};

use crate::middleware::ThrottlePorts;

/// A dependency that `/health/ready` checks, such as the database.
#[async_trait]
pub trait ReadinessProbe: Send + Sync {
    /// Returns the name shown in logs when the probe fails.
    fn name(&self) -> &'static str;

    /// Checks that the dependency responds.
    ///
    /// # Errors
    /// The store error that made the check fail.
    async fn check(&self) -> Result<(), StoreError>;
}

/// The use cases and probes shared by every request, behind one `Arc`.
///
/// poem's `data` middleware clones the state into every request, so a clone must be cheap: one
/// reference count instead of a copy of every use case's ports.
#[derive(Clone)]
pub struct HttpState(Arc<Handlers>);

impl std::ops::Deref for HttpState {
    type Target = Handlers;

    fn deref(&self) -> &Handlers {
        &self.0
    }
}

/// The use cases and probes of [`HttpState`].
pub struct Handlers {
    pub auth: Auth,
    pub sessions: Sessions,
    pub accounts: Accounts,
    pub posts: Posts,
    pub categories: Categories,
    pub uploads: Uploads,
    pub probes: Vec<Arc<dyn ReadinessProbe>>,
    /// The ports of the request throttle.
    pub throttle: ThrottlePorts,
    /// Blocking, auto-block and the events of CORS and request validation.
    pub guard: RequestGuard,
}

impl HttpState {
    /// Builds every use case on one set of ports, beside the request guard.
    pub fn new(deps: Deps, guard: RequestGuard, probes: Vec<Arc<dyn ReadinessProbe>>) -> Self {
        let throttle = ThrottlePorts::from_deps(&deps);
        Self(Arc::new(Handlers {
            auth: Auth::new(deps.clone()),
            sessions: Sessions::new(deps.clone()),
            accounts: Accounts::new(deps.clone()),
            posts: Posts::new(deps.clone()),
            uploads: Uploads::new(deps.clone()),
            categories: Categories::new(deps),
            probes,
            throttle,
            guard,
        }))
    }
}
