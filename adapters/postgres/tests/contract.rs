//! Runs the repository contracts of `rampart-ports` against a fresh, migrated PostgreSQL
//! database per case, through the runtime role that `rampart serve` uses.

#![cfg(test)]

use std::sync::Arc;

use rampart_ports::contract::Repositories;
use rampart_ports::contract::uploads::UploadRepositories;
use rampart_postgres::{PostgresSettings, PostgresStores};
use rampart_tests::postgres::{Cluster, TestDatabase};

/// Creates and migrates a database, and connects to it as the runtime role.
async fn fresh_stores() -> (Arc<PostgresStores>, TestDatabase) {
    let database = Cluster::shared().fresh_database();
    let settings = PostgresSettings {
        pool_size: 4,
        ..PostgresSettings::default()
    };
    PostgresStores::connect(database.owner_url(), &settings)
        .await
        .unwrap()
        .run_migrations()
        .await
        .unwrap();
    let stores = PostgresStores::connect(database.app_url(), &settings)
        .await
        .unwrap();
    (Arc::new(stores), database)
}

async fn fresh_repositories() -> Repositories {
    let (stores, database) = fresh_stores().await;
    Repositories::from_shared(stores).holding(database)
}

async fn fresh_upload_repositories() -> UploadRepositories {
    let (stores, database) = fresh_stores().await;
    UploadRepositories::from_shared(stores).holding(database)
}

rampart_ports::user_repository_contract!(fresh_repositories());
rampart_ports::post_repository_contract!(fresh_repositories());
rampart_ports::category_repository_contract!(fresh_repositories());
rampart_ports::refresh_family_store_contract!(fresh_repositories());
rampart_ports::upload_repository_contract!(fresh_upload_repositories());
