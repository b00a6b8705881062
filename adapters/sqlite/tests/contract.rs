//! Runs the repository contracts of `rampart-ports` against a fresh, migrated database file per
//! case.

#![cfg(test)]

use std::sync::Arc;

use rampart_ports::contract::Repositories;
use rampart_sqlite::SqliteStores;

async fn fresh_repositories() -> Repositories {
    let directory = tempfile::tempdir().unwrap();
    let stores = SqliteStores::connect(directory.path().join("rampart.db"), 4)
        .await
        .unwrap();
    stores.run_migrations().await.unwrap();
    Repositories::from_shared(Arc::new(stores)).holding(directory)
}

rampart_ports::user_repository_contract!(fresh_repositories());
rampart_ports::post_repository_contract!(fresh_repositories());
rampart_ports::category_repository_contract!(fresh_repositories());
rampart_ports::refresh_family_store_contract!(fresh_repositories());
rampart_ports::upload_repository_contract!(async {
    let directory = tempfile::tempdir().unwrap();
    let stores = SqliteStores::connect(directory.path().join("rampart.db"), 4)
        .await
        .unwrap();
    stores.run_migrations().await.unwrap();
    rampart_ports::contract::uploads::UploadRepositories::from_shared(Arc::new(stores))
        .holding(directory)
});
