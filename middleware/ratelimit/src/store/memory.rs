//! The memory store: a bounded map from key to TAT, evicting the key idle
//! the longest when full.

use std::fmt;
use std::hash::{BuildHasher, RandomState};
use std::sync::{Mutex, PoisonError};

use hashlink::LruCache;

use crate::gcra::{Gcra, Verdict};
use crate::key::Key;

/// Shards of the map, each behind its own lock, so concurrent requests on
/// different keys rarely wait for each other.
const SHARDS: usize = 32;

/// Each key's TAT, in LRU order per shard: a request on a key (let through
/// or refused) makes it the most recent; a new key in a full shard evicts
/// the least recent. The shards' capacities add up to the cap.
pub(crate) struct MemoryStore {
    shards: Box<[Mutex<LruCache<Key, u64>>]>,
    hasher: RandomState,
}

impl MemoryStore {
    /// A store holding at most `max_keys` (at least 1) keys.
    pub(crate) fn new(max_keys: usize) -> Self {
        let shards = SHARDS.min(max_keys.max(1));
        let (each, extra) = (max_keys / shards, max_keys % shards);
        let shards = (0..shards)
            .map(|i| Mutex::new(LruCache::new(each + usize::from(i < extra))))
            .collect();
        Self {
            shards,
            hasher: RandomState::new(),
        }
    }

    /// The verdict for `key` at `now`, recorded.
    pub(crate) fn check(&self, key: Key, gcra: &Gcra, now: u64) -> Verdict {
        // The shard count is small, so the cast and the modulo are exact.
        let index = (self.hasher.hash_one(&key) % self.shards.len() as u64) as usize;
        let mut shard = self.shards[index]
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(tat) = shard.get_mut(&key) {
            let (verdict, next) = gcra.decide(*tat, now);
            *tat = next;
            return verdict;
        }
        let (verdict, next) = gcra.decide(0, now);
        shard.insert(key, next);
        verdict
    }

    /// How many keys the store holds.
    pub(crate) fn len(&self) -> usize {
        self.shards
            .iter()
            .map(|s| s.lock().unwrap_or_else(PoisonError::into_inner).len())
            .sum()
    }
}

impl fmt::Debug for MemoryStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let cap: usize = self
            .shards
            .iter()
            .map(|s| s.lock().unwrap_or_else(PoisonError::into_inner).capacity())
            .sum();
        f.debug_struct("MemoryStore")
            .field("keys", &self.len())
            .field("max_keys", &cap)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_capacities_add_up_to_the_cap() {
        for cap in [1, 5, 32, 33, 100_000] {
            let store = MemoryStore::new(cap);
            let total: usize = store
                .shards
                .iter()
                .map(|s| s.lock().unwrap().capacity())
                .sum();
            assert_eq!(total, cap);
        }
    }
}
