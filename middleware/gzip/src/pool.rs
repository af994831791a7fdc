//! Compressor pools: deflate state is costly to build (a zlib-rs stream
//! allocates and initialises a window and hash tables), so each layer keeps
//! the compressors it has used and hands them to later responses.

use std::sync::{Arc, Mutex, MutexGuard};

use flate2::Compress;
use libdeflater::Compressor;

use crate::coding::Coding;
#[cfg(feature = "br")]
use crate::level::BrLevel;
use crate::level::Level;
#[cfg(feature = "zstd")]
use crate::level::ZstdLevel;

/// Compressors kept per layer and engine; more than this many responses in
/// flight at once simply build (and then drop) extra compressors.
const MAX_IDLE: usize = 64;

/// Idle zstd contexts kept per layer and kind: each holds a window and
/// tables of a few MiB at the default level, so fewer are kept.
#[cfg(feature = "zstd")]
const MAX_IDLE_ZSTD: usize = 16;

/// The level of every coding.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Levels {
    pub(crate) gzip: Level,
    #[cfg(feature = "br")]
    pub(crate) br: BrLevel,
    #[cfg(feature = "zstd")]
    pub(crate) zstd: ZstdLevel,
}

impl Levels {
    /// The level number `coding` compresses at.
    pub(crate) fn of(self, coding: Coding) -> u32 {
        match coding {
            Coding::Gzip => self.gzip.get(),
            #[cfg(feature = "br")]
            Coding::Br => self.br.get(),
            #[cfg(feature = "zstd")]
            Coding::Zstd => self.zstd.get(),
        }
    }
}

impl Default for Levels {
    fn default() -> Self {
        Levels {
            gzip: Level::DEFAULT,
            #[cfg(feature = "br")]
            br: BrLevel::DEFAULT,
            #[cfg(feature = "zstd")]
            zstd: ZstdLevel::DEFAULT,
        }
    }
}

/// The compressors one layer (and every service it made) shares.
pub(crate) struct Pools {
    levels: Levels,
    level: Level,
    streams: Mutex<Vec<Compress>>,
    oneshots: Mutex<Vec<Compressor>>,
    #[cfg(feature = "zstd")]
    zstd_streams: Mutex<Vec<zstd::stream::raw::Encoder<'static>>>,
    #[cfg(feature = "zstd")]
    zstd_oneshots: Mutex<Vec<zstd::bulk::Compressor<'static>>>,
}

impl std::fmt::Debug for Pools {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pools")
            .field("levels", &self.levels)
            .finish_non_exhaustive()
    }
}

impl Pools {
    #[cfg(test)]
    pub(crate) fn new(level: Level) -> Self {
        Pools::with_levels(Levels {
            gzip: level,
            ..Levels::default()
        })
    }

    pub(crate) fn with_levels(levels: Levels) -> Self {
        Pools {
            levels,
            level: levels.gzip,
            streams: Mutex::new(Vec::new()),
            oneshots: Mutex::new(Vec::new()),
            #[cfg(feature = "zstd")]
            zstd_streams: Mutex::new(Vec::new()),
            #[cfg(feature = "zstd")]
            zstd_oneshots: Mutex::new(Vec::new()),
        }
    }

    pub(crate) fn levels(&self) -> Levels {
        self.levels
    }

    /// A zstd stream encoder, fresh or reset, at the layer's level, with
    /// its window within HTTP's 8 MiB.
    #[cfg(feature = "zstd")]
    pub(crate) fn zstd_stream(self: &Arc<Self>) -> std::io::Result<PooledZstd> {
        let encoder = match lock(&self.zstd_streams).pop() {
            Some(encoder) => encoder,
            None => {
                let mut encoder = zstd::stream::raw::Encoder::new(self.levels.zstd.zstd())?;
                encoder.set_parameter(zstd::zstd_safe::CParameter::WindowLog(zstd_window_log(
                    self.levels.zstd,
                )))?;
                encoder
            }
        };
        Ok(PooledZstd {
            encoder: Some(encoder),
            pools: Arc::clone(self),
        })
    }

    /// Runs `f` with a zstd one-call compressor, taken from the pool and
    /// put back.
    #[cfg(feature = "zstd")]
    pub(crate) fn with_zstd_oneshot<T>(
        &self,
        f: impl FnOnce(&mut zstd::bulk::Compressor<'static>) -> std::io::Result<T>,
    ) -> std::io::Result<T> {
        let mut compressor = match lock(&self.zstd_oneshots).pop() {
            Some(compressor) => compressor,
            None => {
                let mut compressor = zstd::bulk::Compressor::new(self.levels.zstd.zstd())?;
                compressor.set_parameter(zstd::zstd_safe::CParameter::WindowLog(
                    zstd_window_log(self.levels.zstd),
                ))?;
                compressor
            }
        };
        let result = f(&mut compressor);
        let mut idle = lock(&self.zstd_oneshots);
        if idle.len() < MAX_IDLE_ZSTD {
            idle.push(compressor);
        }
        result
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

/// The window zstd uses at `level`, at most 2^23 (8 MiB, RFC 9659's limit
/// for the `zstd` content coding); 0 lets zstd choose below that.
#[cfg(feature = "zstd")]
fn zstd_window_log(level: ZstdLevel) -> u32 {
    // Levels up to 19 choose at most 2^23 for unknown sizes; pin it for
    // the high ones so a library default change cannot break clients.
    if level.get() >= 17 { 23 } else { 0 }
}

/// A zstd stream encoder on loan; reset and returned to its pool on drop.
#[cfg(feature = "zstd")]
pub(crate) struct PooledZstd {
    encoder: Option<zstd::stream::raw::Encoder<'static>>,
    pools: Arc<Pools>,
}

#[cfg(feature = "zstd")]
impl std::fmt::Debug for PooledZstd {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PooledZstd").finish_non_exhaustive()
    }
}

#[cfg(feature = "zstd")]
impl PooledZstd {
    pub(crate) fn get(&mut self) -> Option<&mut zstd::stream::raw::Encoder<'static>> {
        self.encoder.as_mut()
    }
}

#[cfg(feature = "zstd")]
impl Drop for PooledZstd {
    fn drop(&mut self) {
        use zstd::stream::raw::Operation;
        if let Some(mut encoder) = self.encoder.take() {
            // A frame left half-written (a client gone mid-stream) is
            // abandoned; an encoder that cannot reset is dropped.
            if encoder.reinit().is_ok() {
                let mut idle = lock(&self.pools.zstd_streams);
                if idle.len() < MAX_IDLE_ZSTD {
                    idle.push(encoder);
                }
            }
        }
    }
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
