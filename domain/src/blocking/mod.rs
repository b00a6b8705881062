//! Blocking: clients refused before any other check, by address or by user agent.
//!
//! Three rules refuse a client with 403, in this order:
//!
//! ```text
//!   address in a configured range (blocking.ips)            -> ip_blocked
//!   address blocked in the IP block store, until a set time -> ip_blocked
//!   User-Agent names an attack tool                         -> user_agent_blocked
//! ```
//!
//! Every user-agent block and every request-validation detection counts as one attack of the
//! client's address; [`AutoBlockPolicy`] turns too many attacks into a timed block in the store.

mod auto_block;
mod user_agent;

pub use auto_block::{AttackVerdict, AutoBlockPolicy, REPEAT_EVENTS};
pub use user_agent::{ATTACK_TOOLS, attack_tool};

use std::net::IpAddr;

use crate::network::Cidr;

/// The blocking rules that need no store: configured ranges and the auto-block numbers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BlockingPolicy {
    /// Ranges from `blocking.ips`, refused for as long as the configuration lists them.
    pub ranges: Vec<Cidr>,
    pub auto_block: AutoBlockPolicy,
}

impl BlockingPolicy {
    /// Returns the configured range that covers `ip`, if any.
    pub fn configured_block(&self, ip: IpAddr) -> Option<&Cidr> {
        self.ranges.iter().find(|range| range.contains(ip))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn configured_ranges_cover_members() {
        let policy = BlockingPolicy {
            ranges: vec![
                "198.51.100.0/24".parse().unwrap(),
                "2001:db8::/32".parse().unwrap(),
            ],
            auto_block: AutoBlockPolicy::default(),
        };

        assert!(
            policy
                .configured_block("198.51.100.77".parse().unwrap())
                .is_some()
        );
        assert!(
            policy
                .configured_block("::ffff:198.51.100.1".parse().unwrap())
                .is_some()
        );
        assert!(
            policy
                .configured_block("2001:db8:5::1".parse().unwrap())
                .is_some()
        );
        assert!(
            policy
                .configured_block("198.51.101.1".parse().unwrap())
                .is_none()
        );
    }
}
