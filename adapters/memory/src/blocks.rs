//! [`IpBlockStore`] in memory: one map from canonical range to block.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::sync::Mutex;

use async_trait::async_trait;
use rampart_domain::network::Cidr;
use rampart_ports::blocks::{covering_range_keys, range_key};
use rampart_ports::{IpBlock, IpBlockStore, StoreError};
use time::OffsetDateTime;
use tracing::instrument;

use crate::lock::lock;

/// The IP block list kept in memory. Expired blocks are dropped whenever the list is read whole.
#[derive(Debug, Default)]
pub struct MemoryIpBlocks {
    state: Mutex<BTreeMap<String, IpBlock>>,
}

impl MemoryIpBlocks {
    /// Creates an empty list.
    pub fn new() -> Self {
        Self::default()
    }
}

#[async_trait]
impl IpBlockStore for MemoryIpBlocks {
    #[instrument(level = "debug", skip_all, fields(range = %block.range))]
    async fn block(&self, block: &IpBlock) -> Result<(), StoreError> {
        lock(&self.state)?.insert(range_key(&block.range), block.clone());
        Ok(())
    }

    #[instrument(level = "debug", skip_all, fields(range = %range))]
    async fn unblock(&self, range: &Cidr, now: OffsetDateTime) -> Result<bool, StoreError> {
        let removed = lock(&self.state)?.remove(&range_key(range));
        Ok(removed.is_some_and(|block| block.is_active(now)))
    }

    #[instrument(level = "debug", skip_all)]
    async fn list(&self, now: OffsetDateTime) -> Result<Vec<IpBlock>, StoreError> {
        let mut blocks = lock(&self.state)?;
        blocks.retain(|_, block| block.is_active(now));
        Ok(blocks.values().cloned().collect())
    }

    #[instrument(level = "debug", skip_all)]
    async fn find(&self, ip: IpAddr, now: OffsetDateTime) -> Result<Option<IpBlock>, StoreError> {
        let blocks = lock(&self.state)?;
        // Most of the time nothing is blocked: skip formatting the 33 or 129 range keys.
        if blocks.is_empty() {
            return Ok(None);
        }
        // The keys run from the widest range to the address itself, so the last match is the
        // narrowest.
        let narrowest = covering_range_keys(ip)
            .iter()
            .filter_map(|key| blocks.get(key))
            .rfind(|block| block.is_active(now))
            .cloned();
        Ok(narrowest)
    }
}
