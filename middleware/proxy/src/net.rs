//! Trusted addresses: one address or a CIDR range, parsed by hand.

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

/// One trusted address (`10.0.0.1`, `::1`) or range (`10.0.0.0/8`,
/// `fd00::/8`), as given to
/// [`ProxyLayerBuilder::trust`](crate::ProxyLayerBuilder::trust).
///
/// IPv4-mapped IPv6 addresses (`::ffff:10.0.0.1`) match IPv4 ranges, since
/// a dual-stack socket reports IPv4 peers that way.
///
/// ```
/// use pastry_proxy::TrustedNet;
///
/// let net: TrustedNet = "10.0.0.0/8".parse().unwrap();
/// assert!(net.contains("10.1.2.3".parse().unwrap()));
/// assert!(net.contains("::ffff:10.1.2.3".parse().unwrap()));
/// assert!(!net.contains("11.0.0.1".parse().unwrap()));
/// assert!("10.0.0.0/33".parse::<TrustedNet>().is_err());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TrustedNet {
    addr: IpAddr,
    len: u8,
}

/// A trusted address or range that does not parse.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not an IP address or CIDR range")]
pub struct InvalidNet(pub(crate) String);

impl TrustedNet {
    /// The range of `len` leading bits of `addr`; bits past `len` are
    /// cleared. `None` when `len` is longer than the address.
    pub fn new(addr: IpAddr, len: u8) -> Option<Self> {
        let max = if addr.is_ipv4() { 32 } else { 128 };
        if len > max {
            return None;
        }
        let addr = match addr {
            IpAddr::V4(v4) => IpAddr::V4((u32::from(v4) & mask32(len)).into()),
            IpAddr::V6(v6) => IpAddr::V6((u128::from(v6) & mask128(len)).into()),
        };
        Some(Self { addr, len })
    }

    /// The single address `addr`.
    pub fn host(addr: IpAddr) -> Self {
        let addr = addr.to_canonical();
        let len = if addr.is_ipv4() { 32 } else { 128 };
        Self { addr, len }
    }

    /// Whether `ip` lies in this range.
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.addr, ip.to_canonical()) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => u32::from(ip) & mask32(self.len) == u32::from(net),
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                u128::from(ip) & mask128(self.len) == u128::from(net)
            }
            _ => false,
        }
    }
}

fn mask32(len: u8) -> u32 {
    u32::MAX.checked_shl(32 - u32::from(len)).unwrap_or(0)
}

fn mask128(len: u8) -> u128 {
    u128::MAX.checked_shl(128 - u32::from(len)).unwrap_or(0)
}

impl FromStr for TrustedNet {
    type Err = InvalidNet;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || InvalidNet(s.to_owned());
        let text = s.trim();
        match text.split_once('/') {
            None => text.parse::<IpAddr>().map(Self::host).map_err(|_| bad()),
            Some((addr, len)) => {
                let addr = addr.parse::<IpAddr>().map_err(|_| bad())?.to_canonical();
                if len.is_empty() || !len.bytes().all(|b| b.is_ascii_digit()) || len.len() > 3 {
                    return Err(bad());
                }
                let len: u8 = len.parse().map_err(|_| bad())?;
                Self::new(addr, len).ok_or_else(bad)
            }
        }
    }
}

impl fmt::Display for TrustedNet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.len)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn net(s: &str) -> TrustedNet {
        s.parse().unwrap()
    }

    #[test]
    fn single_addresses_match_only_themselves() {
        assert!(net("127.0.0.1").contains("127.0.0.1".parse().unwrap()));
        assert!(!net("127.0.0.1").contains("127.0.0.2".parse().unwrap()));
        assert!(net("::1").contains("::1".parse().unwrap()));
        assert!(!net("::1").contains("127.0.0.1".parse().unwrap()));
    }

    #[test]
    fn ranges_clear_host_bits_and_match_by_prefix() {
        assert_eq!(net("10.9.8.7/8").to_string(), "10.0.0.0/8");
        assert!(net("192.168.0.0/16").contains("192.168.200.1".parse().unwrap()));
        assert!(!net("192.168.0.0/16").contains("192.169.0.1".parse().unwrap()));
        assert!(net("fd00::/8").contains("fd12::1".parse().unwrap()));
        assert!(!net("fd00::/8").contains("fe80::1".parse().unwrap()));
        assert!(net("0.0.0.0/0").contains("8.8.8.8".parse().unwrap()));
        assert!(!net("0.0.0.0/0").contains("2001:db8::1".parse().unwrap()));
        assert!(net("::/0").contains("2001:db8::1".parse().unwrap()));
    }

    #[test]
    fn mapped_ipv6_peers_match_ipv4_ranges() {
        assert!(net("127.0.0.0/8").contains("::ffff:127.0.0.1".parse().unwrap()));
        assert!(net("::ffff:10.0.0.1").contains("10.0.0.1".parse().unwrap()));
    }

    #[test]
    fn bad_ranges_are_refused() {
        for bad in [
            "",
            "10.0.0.0/",
            "10.0.0.0/33",
            "::/129",
            "10.0.0/8",
            "x",
            "10.0.0.0/+8",
            "10.0.0.0/0008",
            "1.2.3.4/8/8",
        ] {
            assert!(bad.parse::<TrustedNet>().is_err(), "{bad:?} parsed");
        }
    }
}
