//! The settings a layer hands to every service it makes.

use std::fmt;
use std::sync::Arc;

use http::{Request, response};

use crate::cache::CompressionCache;
use crate::coding::Codings;
use crate::pool::Pools;

/// A user predicate: the request head (without its body) and the response
/// head.
pub(crate) type Predicate = dyn Fn(&Request<()>, &response::Parts) -> bool + Send + Sync;

/// Settings shared by a layer and every service it makes.
pub(crate) struct Config {
    pub(crate) min_size: u64,
    pub(crate) buffer_limit: u64,
    pub(crate) predicate: Option<Arc<Predicate>>,
    /// The codings offered to clients.
    pub(crate) codings: Codings,
    pub(crate) pools: Arc<Pools>,
    pub(crate) cache: Option<CompressionCache>,
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("levels", &self.pools.levels())
            .field("codings", &self.codings)
            .field("min_size", &self.min_size)
            .field("buffer_limit", &self.buffer_limit)
            .field("predicate", &self.predicate.as_ref().map(|_| "custom"))
            .field("cache", &self.cache)
            .finish()
    }
}
