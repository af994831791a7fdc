//! Recently verified credentials, so repeated requests skip argon2.

use std::sync::Arc;
use std::time::{Duration, Instant};

use dashmap::DashMap;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

/// The key of a cache entry: HMAC-SHA256 of the name and password under a
/// key drawn at random for each process, so the map never holds a password
/// and its keys are useless elsewhere.
pub(crate) type CacheKey = [u8; 32];

struct Entry {
    password_hash: Arc<str>,
    expires: Instant,
}

pub(crate) struct CredentialCache {
    mac: Hmac<Sha256>,
    entries: DashMap<CacheKey, Entry>,
    ttl: Duration,
    capacity: usize,
}

impl CredentialCache {
    pub(crate) fn new(ttl: Duration, capacity: usize) -> Self {
        let key: [u8; 32] = rand::random();
        let mac = match Hmac::<Sha256>::new_from_slice(&key) {
            Ok(mac) => mac,
            Err(_) => unreachable!("HMAC accepts keys of any length"),
        };
        Self {
            mac,
            entries: DashMap::new(),
            ttl,
            capacity,
        }
    }

    pub(crate) fn enabled(&self) -> bool {
        !self.ttl.is_zero() && self.capacity > 0
    }

    pub(crate) fn key(&self, name: &str, password: &str) -> CacheKey {
        let mut mac = self.mac.clone();
        mac.update(&(name.len() as u64).to_be_bytes());
        mac.update(name.as_bytes());
        mac.update(password.as_bytes());
        mac.finalize().into_bytes().into()
    }

    /// Whether `key` was verified against `current_hash` and has not expired.
    /// A stale entry (expired, or made for another hash) is dropped.
    pub(crate) fn check(&self, key: &CacheKey, current_hash: &str, now: Instant) -> bool {
        let fresh = match self.entries.get(key) {
            None => return false,
            Some(entry) => {
                entry.expires > now
                    && bool::from(
                        entry
                            .password_hash
                            .as_bytes()
                            .ct_eq(current_hash.as_bytes()),
                    )
            }
        };
        if !fresh {
            self.entries.remove(key);
        }
        fresh
    }

    pub(crate) fn insert(&self, key: CacheKey, password_hash: Arc<str>, now: Instant) {
        if !self.enabled() {
            return;
        }
        if self.entries.len() >= self.capacity {
            self.entries.retain(|_, entry| entry.expires > now);
            if self.entries.len() >= self.capacity {
                return;
            }
        }
        self.entries.insert(
            key,
            Entry {
                password_hash,
                expires: now + self.ttl,
            },
        );
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_separate_name_and_password() {
        let cache = CredentialCache::new(Duration::from_secs(1), 8);
        assert_ne!(cache.key("ab", "c"), cache.key("a", "bc"));
        assert_eq!(cache.key("a", "b"), cache.key("a", "b"));
        let other = CredentialCache::new(Duration::from_secs(1), 8);
        assert_ne!(
            cache.key("a", "b"),
            other.key("a", "b"),
            "per-process random key"
        );
    }

    #[test]
    fn entries_expire_and_follow_the_hash() {
        let cache = CredentialCache::new(Duration::from_secs(10), 8);
        let now = Instant::now();
        let key = cache.key("a", "b");
        cache.insert(key, Arc::from("h1"), now);
        assert!(cache.check(&key, "h1", now));
        assert!(!cache.check(&key, "h2", now));
        assert_eq!(cache.len(), 0, "entry for an old hash dropped");
        cache.insert(key, Arc::from("h1"), now);
        assert!(!cache.check(&key, "h1", now + Duration::from_secs(10)));
    }

    #[test]
    fn capacity_is_respected() {
        let cache = CredentialCache::new(Duration::from_secs(10), 2);
        let now = Instant::now();
        for i in 0..5 {
            cache.insert(cache.key(&i.to_string(), "p"), Arc::from("h"), now);
        }
        assert_eq!(cache.len(), 2);
        cache.insert(
            cache.key("late", "p"),
            Arc::from("h"),
            now + Duration::from_secs(11),
        );
        assert_eq!(cache.len(), 1, "expired entries are swept when full");
    }
}
