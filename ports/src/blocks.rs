//! The IP block list port: addresses and CIDR ranges refused until a set time.
//!
//! A block covers one [`Cidr`] range, and a bare address is a range of one. Stores key each block
//! by its canonical range ([`range_key`]: host bits cleared, so `10.1.2.3/8` and `10.0.0.0/8` are
//! the same block), which lets a store look up every range that could cover an address in one
//! step ([`covering_range_keys`]: one candidate per prefix length).

use std::net::IpAddr;

use async_trait::async_trait;
use rampart_domain::network::{Cidr, canonical};
use time::OffsetDateTime;

use crate::error::StoreError;

/// One block: a range refused until `until`, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IpBlock {
    pub range: Cidr,
    /// The first instant at which the block no longer applies.
    pub until: OffsetDateTime,
    /// Why the range is blocked, in a few words, for operators.
    pub reason: String,
}

impl IpBlock {
    /// Returns whether the block applies at `now`.
    pub fn is_active(&self, now: OffsetDateTime) -> bool {
        now < self.until
    }
}

/// Keeps the IP block list.
#[cfg_attr(feature = "mock", mockall::automock)]
#[async_trait]
pub trait IpBlockStore: Send + Sync {
    /// Blocks `block.range` until `block.until`.
    ///
    /// MUST replace any block of the same canonical range ([`range_key`]), so a shorter `until`
    /// shortens it.
    ///
    /// # Errors
    /// Store failures only.
    async fn block(&self, block: &IpBlock) -> Result<(), StoreError>;

    /// Removes the block of `range` and returns whether one applied at `now`.
    ///
    /// # Errors
    /// Store failures only.
    async fn unblock(&self, range: &Cidr, now: OffsetDateTime) -> Result<bool, StoreError>;

    /// Lists the blocks that apply at `now`, ordered by [`range_key`].
    ///
    /// MUST leave out every block whose `until` is at or before `now`.
    ///
    /// # Errors
    /// Store failures only.
    async fn list(&self, now: OffsetDateTime) -> Result<Vec<IpBlock>, StoreError>;

    /// Returns the block that applies to `ip` at `now`, the narrowest (longest prefix) when
    /// several ranges cover it.
    ///
    /// MUST match IPv4-mapped IPv6 addresses against IPv4 ranges.
    ///
    /// # Errors
    /// Store failures only.
    async fn find(&self, ip: IpAddr, now: OffsetDateTime) -> Result<Option<IpBlock>, StoreError>;
}

/// Returns the canonical text of a range: its network address with the host bits cleared, a
/// slash and the prefix length, such as `10.0.0.0/8`.
pub fn range_key(range: &Cidr) -> String {
    let text = range.to_string();
    let address = text
        .split_once('/')
        .and_then(|(address, _)| address.parse::<IpAddr>().ok());
    match address {
        Some(address) => masked_key(address, range.prefix()),
        // `Cidr` displays as `address/prefix`, so this arm only keeps the function total.
        None => text,
    }
}

/// Returns the canonical key of every range that can contain `ip`, from the widest (`/0`) to
/// the address itself: 33 keys for IPv4, 129 for IPv6.
pub fn covering_range_keys(ip: IpAddr) -> Vec<String> {
    let ip = canonical(ip);
    let bits: u8 = if ip.is_ipv4() { 32 } else { 128 };
    (0..=bits).map(|prefix| masked_key(ip, prefix)).collect()
}

/// Formats `address` with every bit past `prefix` cleared, followed by `/prefix`.
fn masked_key(address: IpAddr, prefix: u8) -> String {
    let network = match canonical(address) {
        IpAddr::V4(v4) => {
            let mask = u32::MAX
                .checked_shl(32 - u32::from(prefix.min(32)))
                .unwrap_or(0);
            IpAddr::V4((u32::from(v4) & mask).into())
        }
        IpAddr::V6(v6) => {
            let mask = u128::MAX
                .checked_shl(128 - u32::from(prefix.min(128)))
                .unwrap_or(0);
            IpAddr::V6((u128::from(v6) & mask).into())
        }
    };
    format!("{network}/{prefix}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn range_key_clears_host_bits() {
        let range: Cidr = "10.1.2.3/8".parse().unwrap();

        assert_eq!(range_key(&range), "10.0.0.0/8");
    }

    #[test]
    fn bare_address_is_full_length() {
        let v4: Cidr = "192.0.2.7".parse().unwrap();
        let v6: Cidr = "2001:db8::1".parse().unwrap();

        assert_eq!(range_key(&v4), "192.0.2.7/32");
        assert_eq!(range_key(&v6), "2001:db8::1/128");
    }

    #[test]
    fn covering_keys_include_each_prefix() {
        let keys = covering_range_keys("::ffff:192.0.2.7".parse().unwrap());

        assert_eq!(keys.len(), 33);
        assert_eq!(keys[0], "0.0.0.0/0");
        assert_eq!(keys[24], "192.0.2.0/24");
        assert_eq!(keys[32], "192.0.2.7/32");
    }

    #[test]
    fn ipv6_address_has_129_keys() {
        let keys = covering_range_keys("2001:db8::1".parse().unwrap());

        assert_eq!(keys.len(), 129);
        assert_eq!(keys[32], "2001:db8::/32");
    }
}
