//! Runs every store contract of `rampart-ports` against the in-memory stores.

use std::sync::Arc;

use rampart_memory::{
    MemoryIpBlocks, MemoryLoginAttempts, MemoryRateLimits, MemoryRepositories, MemoryRevocations,
    MemoryUserStamps,
};
use rampart_ports::contract::Repositories;

async fn fresh_repositories() -> Repositories {
    Repositories::from_shared(Arc::new(MemoryRepositories::new()))
}

rampart_ports::user_repository_contract!(fresh_repositories());
rampart_ports::post_repository_contract!(fresh_repositories());
rampart_ports::category_repository_contract!(fresh_repositories());
rampart_ports::refresh_family_store_contract!(fresh_repositories());
rampart_ports::revocation_store_contract!(async { Arc::new(MemoryRevocations::new()) });
rampart_ports::login_attempt_store_contract!(async { Arc::new(MemoryLoginAttempts::new()) });
rampart_ports::rate_limit_store_contract!(async { Arc::new(MemoryRateLimits::new()) });
rampart_ports::user_stamp_contract!(async { Arc::new(MemoryUserStamps::new()) });
rampart_ports::ip_block_store_contract!(async { Arc::new(MemoryIpBlocks::new()) });
rampart_ports::upload_repository_contract!(async {
    rampart_ports::contract::uploads::UploadRepositories::from_shared(Arc::new(
        MemoryRepositories::new(),
    ))
});
