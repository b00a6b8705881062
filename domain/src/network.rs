//! Client addresses: CIDR ranges and the client IP behind trusted proxies.
//!
//! A proxy appends the address it received a request from to `X-Forwarded-For`, so the header
//! reads left to right from the original client to the last proxy. Only the entries added by
//! proxies we trust can be believed: the client IP is the right-most address that is not a
//! trusted proxy. A request whose socket peer is not a trusted proxy is taken at its peer
//! address, whatever its headers say.

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

/// An IPv4 or IPv6 address range such as `10.0.0.0/8` or `::1/128`. A bare address is a
/// range of one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Cidr {
    network: IpAddr,
    prefix: u8,
}

/// Why a CIDR range could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("must be an IP address or a CIDR range such as 10.0.0.0/8 or ::1/128")]
pub struct CidrError;

impl Cidr {
    /// Returns whether `ip` lies in this range. IPv4-mapped IPv6 addresses match IPv4 ranges.
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.network, canonical(ip)) {
            (IpAddr::V4(network), IpAddr::V4(ip)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(network) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(network), IpAddr::V6(ip)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(network) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }

    /// Returns the prefix length in bits.
    pub fn prefix(&self) -> u8 {
        self.prefix
    }
}

impl FromStr for Cidr {
    type Err = CidrError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let text = text.trim();
        let (address, prefix) = match text.split_once('/') {
            Some((address, prefix)) => (address, Some(prefix)),
            None => (text, None),
        };
        let network = canonical(address.parse::<IpAddr>().map_err(|_| CidrError)?);
        let max = if network.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            Some(bits) if bits.bytes().all(|b| b.is_ascii_digit()) && !bits.is_empty() => {
                bits.parse::<u8>().map_err(|_| CidrError)?
            }
            Some(_) => return Err(CidrError),
            None => max,
        };
        if prefix > max {
            return Err(CidrError);
        }
        Ok(Self { network, prefix })
    }
}

impl fmt::Display for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.network, self.prefix)
    }
}

/// Returns an IPv4-mapped IPv6 address (`::ffff:a.b.c.d`) as IPv4, any other address as is.
pub fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        IpAddr::V4(_) => ip,
    }
}

/// Returns whether `ip` lies in any of `ranges`.
pub fn is_trusted(ip: IpAddr, ranges: &[Cidr]) -> bool {
    ranges.iter().any(|range| range.contains(ip))
}

/// Resolves the client IP of a request from its socket peer and its `X-Forwarded-For` header.
///
/// When the peer is a trusted proxy, the header is read from the right and the first address
/// that is not a trusted proxy is the client. When every listed address is trusted, the
/// left-most one is. An unparsable entry stops the walk: the last address that could be
/// believed is returned. When the peer is not trusted, the header is ignored.
pub fn client_ip(peer: IpAddr, forwarded_for: Option<&str>, trusted: &[Cidr]) -> IpAddr {
    let peer = canonical(peer);
    if !is_trusted(peer, trusted) {
        return peer;
    }
    let Some(header) = forwarded_for else {
        return peer;
    };
    let mut client = peer;
    for entry in header.rsplit(',') {
        let Ok(ip) = entry.trim().parse::<IpAddr>().map(canonical) else {
            return client;
        };
        client = ip;
        if !is_trusted(ip, trusted) {
            return ip;
        }
    }
    client
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn ranges(list: &[&str]) -> Vec<Cidr> {
        list.iter().map(|r| r.parse().unwrap()).collect()
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn ipv4_range_contains_members() {
        let range: Cidr = "10.1.0.0/16".parse().unwrap();

        assert!(range.contains(ip("10.1.200.3")));
        assert!(!range.contains(ip("10.2.0.1")));
        assert!(range.contains(ip("::ffff:10.1.0.9")));
    }

    #[test]
    fn ipv6_range_contains_members() {
        let range: Cidr = "2001:db8::/32".parse().unwrap();

        assert!(range.contains(ip("2001:db8:1::1")));
        assert!(!range.contains(ip("2001:db9::1")));
        assert!(!range.contains(ip("10.0.0.1")));
    }

    #[test]
    fn zero_prefix_contains_everything() {
        let range: Cidr = "0.0.0.0/0".parse().unwrap();

        assert!(range.contains(ip("203.0.113.9")));
    }

    #[test]
    fn malformed_ranges_are_rejected() {
        for bad in [
            "",
            "10.0.0.0/33",
            "::/129",
            "10.0.0/8",
            "10.0.0.0/-1",
            "10.0.0.0/",
            "host/8",
            "10.0.0.0/+8",
        ] {
            assert_eq!(bad.parse::<Cidr>(), Err(CidrError), "{bad:?}");
        }
    }

    #[test]
    fn untrusted_peer_ignores_header() {
        let trusted = ranges(&["127.0.0.1"]);

        let client = client_ip(ip("203.0.113.5"), Some("198.51.100.1"), &trusted);

        assert_eq!(client, ip("203.0.113.5"));
    }

    #[test]
    fn trusted_peer_yields_rightmost_untrusted() {
        let trusted = ranges(&["127.0.0.1", "10.0.0.0/8"]);

        let client = client_ip(
            ip("127.0.0.1"),
            Some("1.2.3.4, 198.51.100.7, 10.0.0.2"),
            &trusted,
        );

        assert_eq!(client, ip("198.51.100.7"));
    }

    #[test]
    fn spoofed_leftmost_entry_is_ignored() {
        let trusted = ranges(&["127.0.0.1"]);

        let client = client_ip(ip("127.0.0.1"), Some("6.6.6.6, 198.51.100.7"), &trusted);

        assert_eq!(client, ip("198.51.100.7"));
    }

    #[test]
    fn garbage_entry_stops_the_walk() {
        let trusted = ranges(&["127.0.0.1"]);

        let client = client_ip(ip("127.0.0.1"), Some("198.51.100.7, not-an-ip"), &trusted);

        assert_eq!(client, ip("127.0.0.1"));
    }

    #[test]
    fn missing_header_yields_peer() {
        let trusted = ranges(&["127.0.0.1"]);

        assert_eq!(client_ip(ip("127.0.0.1"), None, &trusted), ip("127.0.0.1"));
    }

    proptest! {
        #[test]
        fn untrusted_peer_always_wins(a in any::<u32>(), header in "\\PC{0,60}") {
            let peer = IpAddr::V4(std::net::Ipv4Addr::from(a));
            let trusted = ranges(&["127.0.0.0/8"]);
            prop_assume!(!trusted[0].contains(peer));

            prop_assert_eq!(client_ip(peer, Some(&header), &trusted), peer);
        }
    }
}
