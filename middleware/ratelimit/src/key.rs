//! Who a request is counted against.

use std::fmt;
use std::net::{IpAddr, Ipv6Addr};
use std::sync::Arc;

use http::request::Parts;
use pastry_core::Environ;

/// The function of [`RateLimitLayerBuilder::key_fn`](crate::RateLimitLayerBuilder::key_fn).
pub(crate) type KeyFn = Arc<dyn Fn(&Parts) -> Option<String> + Send + Sync>;

/// How the layer picks the key of a request.
#[derive(Clone, Default)]
pub(crate) enum KeyBy {
    /// The client address (`ClientAddr`), IPv6 by /64.
    #[default]
    ClientAddr,
    /// The authenticated user (`RemoteUser`), else the client address.
    User,
    /// The caller's function.
    Fn(KeyFn),
}

impl fmt::Debug for KeyBy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeyBy::ClientAddr => f.write_str("ClientAddr"),
            KeyBy::User => f.write_str("User"),
            KeyBy::Fn(_) => f.write_str("Fn(..)"),
        }
    }
}

/// The key a request is counted against.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Key {
    /// A client address, IPv6 masked to its /64.
    Addr(IpAddr),
    /// A user name.
    User(Box<str>),
    /// What the caller's function returned.
    Custom(Box<str>),
}

impl KeyBy {
    /// The key of the request with head `parts`, if it has one.
    pub(crate) fn key(&self, parts: &Parts) -> Option<Key> {
        match self {
            KeyBy::ClientAddr => addr_key(parts),
            KeyBy::User => match parts.remote_user() {
                Some(user) => Some(Key::User(user.into())),
                None => addr_key(parts),
            },
            KeyBy::Fn(f) => f(parts).map(|k| Key::Custom(k.into_boxed_str())),
        }
    }
}

fn addr_key(parts: &Parts) -> Option<Key> {
    parts
        .client_addr()
        .map(|addr| Key::Addr(client_group(addr.ip())))
}

/// The address a client is counted by: IPv4 as is, IPv6 by its /64 (one
/// customer's prefix, inside which a client can pick any address), the
/// same rule as the login throttle of `pastry-auth`.
pub(crate) fn client_group(ip: IpAddr) -> IpAddr {
    match ip.to_canonical() {
        IpAddr::V6(v6) => IpAddr::V6(Ipv6Addr::from(u128::from(v6) & !(u128::MAX >> 64))),
        v4 => v4,
    }
}

impl fmt::Display for Key {
    /// The key as the Redis store names it: `a:` address, `u:` user,
    /// `f:` the function's key.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Key::Addr(ip) => write!(f, "a:{ip}"),
            Key::User(user) => write!(f, "u:{user}"),
            Key::Custom(key) => write!(f, "f:{key}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv6_is_grouped_by_64_and_mapped_ipv4_is_ipv4() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:ffff::9".parse().unwrap();
        let c: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(client_group(a), client_group(b));
        assert_ne!(client_group(a), client_group(c));
        assert_eq!(client_group(a).to_string(), "2001:db8:1:2::");
        let mapped: IpAddr = "::ffff:192.0.2.7".parse().unwrap();
        assert_eq!(client_group(mapped), "192.0.2.7".parse::<IpAddr>().unwrap());
    }
}
