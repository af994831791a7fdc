//! Compressor pools: deflate state is costly to build (a zlib-rs stream
//! allocates and initialises a window and hash tables), so each layer keeps
//! the compressors it has used and hands them to later responses.

use std::sync::{Arc, Mutex, MutexGuard};

use flate2::Compress;
use libdeflater::Compressor;

use crate::level::Level;

/// Compressors kept per layer and engine; more than this many responses in
/// flight at once simply build (and then drop) extra compressors.
const MAX_IDLE: usize = 64;

/// The compressors one layer (and every service it made) shares.
pub(crate) struct Pools {
    level: Level,
    streams: Mutex<Vec<Compress>>,
    oneshots: Mutex<Vec<Compressor>>,
}

impl std::fmt::Debug for Pools {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pools")
            .field("level", &self.level)
            .finish_non_exhaustive()
    }
}

impl Pools {
    pub(crate) fn new(level: Level) -> Self {
        Pools {
            level,
            streams: Mutex::new(Vec::new()),
            oneshots: Mutex::new(Vec::new()),
        }
    }

    pub(crate) fn level(&self) -> Level {
        self.level
    }

    /// A zlib-rs gzip stream, fresh or reset.
    pub(crate) fn stream(self: &Arc<Self>) -> PooledStream {
        let compress = lock(&self.streams)
            .pop()
            .unwrap_or_else(|| Compress::new_gzip(self.level.zlib(), 15));
        PooledStream {
            compress: Some(compress),
            pools: Arc::clone(self),
        }
    }

    /// Runs `f` with a libdeflate compressor, taken from the pool and put back.
    pub(crate) fn with_oneshot<T>(&self, f: impl FnOnce(&mut Compressor) -> T) -> T {
        let mut compressor = lock(&self.oneshots)
            .pop()
            .unwrap_or_else(|| Compressor::new(self.level.libdeflate()));
        let result = f(&mut compressor);
        let mut idle = lock(&self.oneshots);
        if idle.len() < MAX_IDLE {
            idle.push(compressor);
        }
        result
    }

    #[cfg(test)]
    pub(crate) fn idle(&self) -> (usize, usize) {
        (lock(&self.streams).len(), lock(&self.oneshots).len())
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding the lock cannot leave a Vec of compressors in a
    // bad state, so poisoning is ignored.
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A streaming compressor on loan; reset and returned to its pool on drop.
#[derive(Debug)]
pub(crate) struct PooledStream {
    compress: Option<Compress>,
    pools: Arc<Pools>,
}

impl PooledStream {
    pub(crate) fn get(&mut self) -> &mut Compress {
        // Only `Drop` takes the compressor out.
        self.compress
            .get_or_insert_with(|| Compress::new_gzip(self.pools.level.zlib(), 15))
    }
}

impl Drop for PooledStream {
    fn drop(&mut self) {
        if let Some(mut compress) = self.compress.take() {
            compress.reset();
            let mut idle = lock(&self.pools.streams);
            if idle.len() < MAX_IDLE {
                idle.push(compress);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stream_compressors_are_reset_returned_and_reused() {
        let pools = Arc::new(Pools::new(Level::DEFAULT));
        {
            let mut stream = pools.stream();
            let mut out = [0u8; 64];
            stream
                .get()
                .compress(b"some text", &mut out, flate2::FlushCompress::None)
                .unwrap();
            assert_eq!(stream.get().total_in(), 9);
        }
        assert_eq!(pools.idle().0, 1);
        let mut again = pools.stream();
        assert_eq!(
            pools.idle().0,
            0,
            "the idle compressor was taken, not a new one built"
        );
        assert_eq!(
            again.get().total_in(),
            0,
            "a pooled compressor comes back reset"
        );
    }

    #[test]
    fn oneshot_compressors_are_returned() {
        let pools = Pools::new(Level::FASTEST);
        pools.with_oneshot(|_| ());
        pools.with_oneshot(|_| ());
        assert_eq!(pools.idle().1, 1);
    }
}
