//! Shared contract suites for store adapters.
//!
//! Each store port has one suite here, a module of `pub async fn` cases that test the `MUST`
//! lines and documented behaviour of its trait in [`crate::stores`]. An adapter runs a whole
//! suite from its tests with one macro call per port, given an async factory expression that
//! returns a fresh, empty store for every case:
//!
//! ```ignore
//! async fn fresh_repositories() -> rampart_ports::contract::Repositories {
//!     let stores = std::sync::Arc::new(MyStores::new());
//!     rampart_ports::contract::Repositories::from_shared(stores)
//! }
//!
//! rampart_ports::user_repository_contract!(fresh_repositories());
//! rampart_ports::post_repository_contract!(fresh_repositories());
//! rampart_ports::category_repository_contract!(fresh_repositories());
//! rampart_ports::refresh_family_store_contract!(fresh_repositories());
//! rampart_ports::revocation_store_contract!(async { std::sync::Arc::new(MyRevocations::new()) });
//! rampart_ports::user_stamp_contract!(async { std::sync::Arc::new(MyStamps::new()) });
//! rampart_ports::upload_repository_contract!(async {
//!     let stores = std::sync::Arc::new(MyStores::new());
//!     rampart_ports::contract::uploads::UploadRepositories::from_shared(stores)
//! });
//! ```
//!
//! Each macro expands to a module named after the suite with one
//! `#[tokio::test(flavor = "multi_thread")]` per case, so the calling crate needs `tokio` (with
//! the `macros` and `rt-multi-thread` features) among its dev-dependencies. The factory
//! expression is evaluated once per case inside that module, which glob-imports the caller's
//! module.
//!
//! The user, post, category and refresh family suites take one [`Repositories`] bundle, because
//! their contracts cross stores: deleting a user removes their posts and families, changing a
//! password revokes families, deleting a category clears it from posts. The revocation, login
//! attempt, rate limit, user stamp and IP block suites take an `Arc` of the one store they test.
//!
//! NOTE: The atomicity of multi-step writes ("together or not at all") cannot be observed
//! without injecting a failure into the adapter, so these suites test only the outcome of each
//! step.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "contract cases are test code that runs inside adapters' test binaries, where a \
              failed expectation must panic to fail the test"
)]

use std::any::Any;
use std::sync::Arc;

use crate::stores::{CategoryRepository, PostRepository, RefreshFamilyStore, UserRepository};

pub mod blocks;
pub mod categories;
pub mod families;
pub mod fixtures;
pub mod login_attempts;
pub mod posts;
pub mod rate_limits;
pub mod revocations;
pub mod uploads;
pub mod user_stamps;
pub mod users;

/// The four repositories that share data, taken by the user, post, category and family suites.
#[derive(Clone)]
pub struct Repositories {
    pub users: Arc<dyn UserRepository>,
    pub posts: Arc<dyn PostRepository>,
    pub categories: Arc<dyn CategoryRepository>,
    pub families: Arc<dyn RefreshFamilyStore>,
    /// A value dropped with the last clone of the bundle, such as a temporary database directory.
    guard: Option<Arc<dyn Any + Send + Sync>>,
}

impl Repositories {
    /// Bundles four repositories that must see each other's writes.
    pub fn new(
        users: Arc<dyn UserRepository>,
        posts: Arc<dyn PostRepository>,
        categories: Arc<dyn CategoryRepository>,
        families: Arc<dyn RefreshFamilyStore>,
    ) -> Self {
        Self {
            users,
            posts,
            categories,
            families,
            guard: None,
        }
    }

    /// Bundles one value that implements all four repositories.
    pub fn from_shared<S>(stores: Arc<S>) -> Self
    where
        S: UserRepository + PostRepository + CategoryRepository + RefreshFamilyStore + 'static,
    {
        Self::new(stores.clone(), stores.clone(), stores.clone(), stores)
    }

    /// Keeps `guard` alive as long as the bundle, for example the temporary directory that
    /// contains the database file behind the repositories.
    #[must_use]
    pub fn holding(mut self, guard: impl Any + Send + Sync) -> Self {
        self.guard = Some(Arc::new(guard));
        self
    }
}

/// Expands one test per listed case of a suite, inside a module named after the suite.
#[doc(hidden)]
#[macro_export]
macro_rules! __contract_tests {
    ($suite:ident, $module:ident, $factory:expr; $($case:ident),+ $(,)?) => {
        mod $suite {
            #[allow(unused_imports)]
            use super::*;

            $(
                #[::tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    $crate::contract::$module::$case(($factory).await).await;
                }
            )+
        }
    };
}

/// Runs the [`UserRepository`] suite, given a factory that returns a fresh
/// [`Repositories`](crate::contract::Repositories).
#[macro_export]
macro_rules! user_repository_contract {
    ($factory:expr $(,)?) => {
        $crate::__contract_tests! {
            user_repository_contract, users, $factory;
            inserted_user_is_found_by_each_key,
            unknown_user_is_not_found,
            email_lookup_ignores_case,
            duplicate_username_conflicts_writing_nothing,
            duplicate_email_conflicts_writing_nothing,
            profile_update_replaces_name_email_role,
            profile_update_of_unknown_user_is_false,
            profile_update_to_taken_username_conflicts,
            profile_update_to_taken_email_conflicts,
            hash_update_keeps_every_family,
            password_change_revokes_all_but_kept,
            password_change_without_keep_revokes_all,
            user_delete_cascades_posts_and_families,
            unknown_user_delete_returns_none,
        }
    };
}

/// Runs the [`PostRepository`] suite, given a factory that returns a fresh
/// [`Repositories`](crate::contract::Repositories).
#[macro_export]
macro_rules! post_repository_contract {
    ($factory:expr $(,)?) => {
        $crate::__contract_tests! {
            post_repository_contract, posts, $factory;
            inserted_post_is_found,
            unknown_post_is_not_found,
            pages_are_newest_first_without_overlap,
            page_past_end_is_empty,
            author_list_is_newest_first,
            post_update_keeps_author_and_creation,
            unknown_post_update_is_false,
            deleted_post_is_gone,
            post_by_deleted_author_is_missing_reference,
            post_in_unknown_category_is_missing_reference,
        }
    };
}

/// Runs the [`CategoryRepository`] suite, given a factory that returns a fresh
/// [`Repositories`](crate::contract::Repositories).
#[macro_export]
macro_rules! category_repository_contract {
    ($factory:expr $(,)?) => {
        $crate::__contract_tests! {
            category_repository_contract, categories, $factory;
            inserted_category_is_found,
            duplicate_name_in_other_case_conflicts,
            categories_are_listed_by_name,
            category_rename_is_stored,
            category_rename_to_taken_name_conflicts,
            category_rename_to_own_name_succeeds,
            unknown_category_update_is_false,
            category_delete_uncategorizes_its_posts,
        }
    };
}

/// Runs the [`RefreshFamilyStore`] suite, given a factory that returns a fresh
/// [`Repositories`](crate::contract::Repositories).
#[macro_export]
macro_rules! refresh_family_store_contract {
    ($factory:expr $(,)?) => {
        $crate::__contract_tests! {
            refresh_family_store_contract, families, $factory;
            created_family_is_found,
            current_token_rotates_family,
            previous_token_within_grace_is_superseded,
            previous_token_after_grace_revokes_family,
            unknown_family_rotation_is_revoked,
            revoked_family_rotation_changes_nothing,
            expired_family_rotation_changes_nothing,
            concurrent_rotations_have_one_winner,
            family_revoke_marks_it_revoked,
            user_families_are_newest_first,
            family_of_deleted_user_is_missing_reference,
        }
    };
}

/// Runs the [`RevocationStore`](crate::RevocationStore) suite; the factory returns a fresh
/// `Arc` of the store.
#[macro_export]
macro_rules! revocation_store_contract {
    ($factory:expr $(,)?) => {
        $crate::__contract_tests! {
            revocation_store_contract, revocations, $factory;
            revoked_token_is_revoked_until_expiry,
            revoked_families_cover_their_tokens,
            unrelated_token_is_not_revoked,
            family_revocation_expires_after_until,
            earlier_until_does_not_shorten_revocation,
        }
    };
}

/// Runs the [`LoginAttemptStore`](crate::LoginAttemptStore) suite; the factory returns a fresh
/// `Arc` of the store.
#[macro_export]
macro_rules! login_attempt_store_contract {
    ($factory:expr $(,)?) => {
        $crate::__contract_tests! {
            login_attempt_store_contract, login_attempts, $factory;
            fifth_failure_locks_pair,
            concurrent_admits_let_five_proceed,
            lock_expires_after_lock_duration,
            success_leaves_other_keys_untouched,
            clear_unlocks_username_from_every_ip,
            ip_limit_spans_usernames,
            username_delay_spans_ips,
            released_attempts_never_lock,
            release_clears_lock_it_set,
            release_keeps_other_locks_and_keys,
        }
    };
}

/// Runs the [`RateLimitStore`](crate::RateLimitStore) suite, given a factory that returns a
/// fresh `Arc` of the store.
#[macro_export]
macro_rules! rate_limit_store_contract {
    ($factory:expr $(,)?) => {
        $crate::__contract_tests! {
            rate_limit_store_contract, rate_limits, $factory;
            requests_up_to_limit_pass,
            concurrent_admits_pass_exactly_limit,
            rejected_check_records_no_key,
            decisions_follow_check_order,
            keys_are_counted_separately,
            key_expires_after_window,
            repeated_key_rolls_back_together,
            joined_slot_leaves_with_newest_request,
            reset_follows_oldest_slot,
            slot_start_at_64th_rolls_back,
            rolled_back_slot_start_restores_tail,
            busy_key_counts_last_window,
        }
    };
}

/// Runs the suite of a store that reads revocations while admitting, given a factory that
/// returns a fresh `Arc` of the store.
///
/// The store must be both the [`RateLimitStore`](crate::RateLimitStore) and the
/// [`RevocationStore`](crate::RevocationStore) of the service.
#[macro_export]
macro_rules! rate_limit_revocation_contract {
    ($factory:expr $(,)?) => {
        $crate::__contract_tests! {
            rate_limit_revocation_contract, rate_limits, $factory;
            admission_reports_revocations,
            admission_counts_like_admit,
            admission_reports_user_stamp,
        }
    };
}

/// Runs the [`UserStampStore`](crate::UserStampStore) suite, given a factory that returns a
/// fresh `Arc` of the store.
#[macro_export]
macro_rules! user_stamp_contract {
    ($factory:expr $(,)?) => {
        $crate::__contract_tests! {
            user_stamp_contract, user_stamps, $factory;
            stamp_is_stable_until_renewed,
            renewal_changes_only_that_user,
            concurrent_reads_agree_on_new_stamp,
        }
    };
}

/// Runs the [`IpBlockStore`](crate::IpBlockStore) suite, given a factory that returns a fresh
/// `Arc` of the store.
#[macro_export]
macro_rules! ip_block_store_contract {
    ($factory:expr $(,)?) => {
        $crate::__contract_tests! {
            ip_block_store_contract, blocks, $factory;
            blocked_address_is_found_until_expiry,
            range_covers_its_addresses,
            narrowest_block_wins,
            block_replaces_same_range,
            unblock_removes_only_that_range,
            list_skips_expired_blocks,
        }
    };
}
