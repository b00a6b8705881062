//! [`IpBlockStore`] on Redis: one hash from canonical range to block.
//!
//! A lookup requests every range that could cover the address (33 for IPv4, 129 for IPv6) in
//! one `HMGET`, so it costs one round trip whatever the length of the list.

use std::net::IpAddr;
use std::sync::LazyLock;

use async_trait::async_trait;
use rampart_domain::network::Cidr;
use rampart_ports::blocks::{covering_range_keys, range_key};
use rampart_ports::{IpBlock, IpBlockStore, StoreError};
use redis::Script;
use time::OffsetDateTime;
use tracing::instrument;

use crate::RedisStores;
use crate::error::UnexpectedReply;
use crate::time_units::{from_micros, micros};

static BLOCK: LazyLock<Script> = LazyLock::new(|| Script::new(include_str!("lua/block.lua")));
static UNBLOCK: LazyLock<Script> = LazyLock::new(|| Script::new(include_str!("lua/unblock.lua")));

/// Milliseconds the hash outlives its last block, for readers whose clock runs behind.
const EXPIRY_MARGIN_MILLIS: i64 = 60_000;

/// Formats a block as the hash stores it: `until|range|reason`.
fn encode(block: &IpBlock) -> String {
    format!("{}|{}|{}", micros(block.until), block.range, block.reason)
}

/// Parses a stored block.
fn decode(value: &str) -> Result<IpBlock, StoreError> {
    let invalid =
        || StoreError::other("read ip block", UnexpectedReply(format!("block {value:?}")));
    let mut parts = value.splitn(3, '|');
    let (Some(until), Some(range), Some(reason)) = (parts.next(), parts.next(), parts.next())
    else {
        return Err(invalid());
    };
    let until = until
        .parse::<i64>()
        .ok()
        .and_then(from_micros)
        .ok_or_else(invalid)?;
    let range = range.parse::<Cidr>().map_err(|_| invalid())?;
    Ok(IpBlock {
        range,
        until,
        reason: reason.to_owned(),
    })
}

#[async_trait]
impl IpBlockStore for RedisStores {
    #[instrument(level = "debug", skip_all, fields(range = %block.range))]
    async fn block(&self, block: &IpBlock) -> Result<(), StoreError> {
        let mut invocation = BLOCK.prepare_invoke();
        invocation
            .key(self.keys.blocks())
            .arg(range_key(&block.range))
            .arg(encode(block))
            .arg(micros(self.clock.now()))
            .arg(EXPIRY_MARGIN_MILLIS);
        let mut link = self.pool.link().await?;
        let result = invocation.invoke_async::<i64>(link.connection()).await;
        link.finish("block ip range", result).map(drop)
    }

    #[instrument(level = "debug", skip_all, fields(range = %range))]
    async fn unblock(&self, range: &Cidr, now: OffsetDateTime) -> Result<bool, StoreError> {
        let mut invocation = UNBLOCK.prepare_invoke();
        invocation.key(self.keys.blocks()).arg(range_key(range));
        let mut link = self.pool.link().await?;
        let result = invocation
            .invoke_async::<Option<String>>(link.connection())
            .await;
        match link.finish("unblock ip range", result)? {
            Some(value) => Ok(decode(&value)?.is_active(now)),
            None => Ok(false),
        }
    }

    #[instrument(level = "debug", skip_all)]
    async fn list(&self, now: OffsetDateTime) -> Result<Vec<IpBlock>, StoreError> {
        let mut link = self.pool.link().await?;
        let result = redis::cmd("HGETALL")
            .arg(self.keys.blocks())
            .query_async::<Vec<(String, String)>>(link.connection())
            .await;
        let mut entries = link.finish("list ip blocks", result)?;
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        let mut blocks = Vec::with_capacity(entries.len());
        for (_, value) in entries {
            let block = decode(&value)?;
            if block.is_active(now) {
                blocks.push(block);
            }
        }
        Ok(blocks)
    }

    #[instrument(level = "debug", skip_all)]
    async fn find(&self, ip: IpAddr, now: OffsetDateTime) -> Result<Option<IpBlock>, StoreError> {
        let mut link = self.pool.link().await?;
        let result = redis::cmd("HMGET")
            .arg(self.keys.blocks())
            .arg(covering_range_keys(ip))
            .query_async::<Vec<Option<String>>>(link.connection())
            .await;
        let values = link.finish("find ip block", result)?;
        // The candidates run from the widest range to the address itself, so the last active
        // match is the narrowest.
        let mut narrowest = None;
        for value in values.into_iter().flatten() {
            let block = decode(&value)?;
            if block.is_active(now) {
                narrowest = Some(block);
            }
        }
        Ok(narrowest)
    }
}
