//! Where the layer keeps each key's state.

pub(crate) mod memory;
#[cfg(feature = "redis")]
pub(crate) mod redis;

use std::fmt;

use memory::MemoryStore;

/// The store of a layer, chosen when it is built.
pub(crate) enum Store {
    /// In this process, bounded.
    Memory(MemoryStore),
    /// In Redis, shared by every process that uses it.
    #[cfg(feature = "redis")]
    Redis(Box<redis::RedisStore>),
}

impl Store {
    pub(crate) fn memory(max_keys: usize) -> Self {
        Store::Memory(MemoryStore::new(max_keys))
    }
}

impl fmt::Debug for Store {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Store::Memory(m) => m.fmt(f),
            #[cfg(feature = "redis")]
            Store::Redis(r) => r.fmt(f),
        }
    }
}
