//! Rampart's ports and use cases.
//!
//! The traits here are everything the use cases need from the outside world: stores, the upload
//! blob store and image inspector, the password hasher, the token codec, the HTML sanitizer, the
//! clock and the security event sink. Their signatures speak only domain types, so an adapter
//! can be swapped without touching a use case.
//! Each store trait states its contract in `MUST` lines; the suites in [`contract`] (feature
//! `contract`) test exactly those lines against every adapter.
//!
//! With the `mock` feature every trait also gets a mockall mock (`MockUserRepository`...).

pub mod blocks;
pub mod error;
pub mod services;
pub mod stores;
pub mod uploads;
pub mod usecases;

#[cfg(feature = "contract")]
pub mod contract;

#[cfg(feature = "mock")]
pub use blocks::MockIpBlockStore;
pub use blocks::{IpBlock, IpBlockStore};
pub use error::StoreError;
pub use services::*;
pub use stores::*;
pub use uploads::*;
