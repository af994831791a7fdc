//! The layer: collects the settings and wraps services with them.

use std::fmt;
use std::sync::Arc;

use http::{Request, response};
use tower_layer::{Layer, Stack};

use crate::cache::CompressionCache;
use crate::coding::{Coding, Codings};
use crate::config::{Config, Predicate};
use crate::gunzip::GunzipRequestsLayer;
#[cfg(feature = "br")]
use crate::level::BrLevel;
use crate::level::Level;
#[cfg(feature = "zstd")]
use crate::level::ZstdLevel;
use crate::pool::{Levels, Pools};
use crate::service::Gzip;

/// Compresses responses with gzip (and, with the cargo features `br` and
/// `zstd`, brotli and zstd) for clients that accept it.
///
/// `GzipLayer::new()` defaults:
///
/// | setting | default | builder |
/// |---|---|---|
/// | codings offered | `gzip` (`br`, `zstd` once switched on) | [`gzip`](Self::gzip), `br`, `zstd` |
/// | gzip level | [`Level::DEFAULT`] (6) | [`level`](Self::level) |
/// | brotli quality (feature `br`) | 4 (`BrLevel::DEFAULT`) | `br_level` |
/// | zstd level (feature `zstd`) | 3 (`ZstdLevel::DEFAULT`) | `zstd_level` |
/// | smallest body compressed | 256 bytes ([`DEFAULT_MIN_SIZE`]) | [`min_size`](Self::min_size) |
/// | largest body compressed in one call | 8 MiB ([`DEFAULT_BUFFER_LIMIT`]) | [`buffer_limit`](Self::buffer_limit) |
/// | what is compressible | [`compressible_content_type`](crate::compressible_content_type) | [`compress_when`](Self::compress_when) |
/// | cache of compressed bodies | none | [`cache`](Self::cache) |
///
/// The HTTP rules (no compression of 1xx, 204, 304, 206, `Content-Range`,
/// already encoded or `no-transform` responses; `Vary`, `ETag`,
/// `Content-Length` and HEAD handling) always apply, whatever the settings.
///
/// The answer to an upgrade (a `101` to a WebSocket handshake, a 2xx to
/// `CONNECT`, as HTTP/2's extended `CONNECT` of RFC 8441; see
/// [`pastry_core::is_upgrade_response`]) passes with its head and body
/// exactly as the app made them, whatever the settings and the predicate:
/// what follows it is another protocol.
///
/// Request bodies pass through untouched; [`GunzipRequestsLayer`] decodes
/// gzip request bodies.
///
/// ```
/// use pastry_gzip::{GzipLayer, Level};
///
/// let layer = GzipLayer::new()
///     .level(Level::new(4).unwrap())
///     .min_size(1024)
///     .buffer_limit(1 << 20);
/// assert_eq!(layer.get_min_size(), 1024);
/// assert_eq!(layer.get_level(), Level::new(4).unwrap());
/// ```
#[derive(Clone)]
pub struct GzipLayer {
    levels: Levels,
    codings: Codings,
    min_size: u64,
    buffer_limit: u64,
    predicate: Option<Arc<Predicate>>,
    pools: Arc<Pools>,
    cache: Option<CompressionCache>,
}

impl fmt::Debug for GzipLayer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GzipLayer")
            .field("levels", &self.levels)
            .field("codings", &self.codings)
            .field("min_size", &self.min_size)
            .field("buffer_limit", &self.buffer_limit)
            .field("predicate", &self.predicate.as_ref().map(|_| "custom"))
            .field("cache", &self.cache)
            .finish()
    }
}

/// Bodies whose exact size is known and smaller than this are sent as they
/// are: 256 bytes. Below that the gzip framing (18 bytes) and the lost
/// `Content-Length` shortcut eat most of the gain.
pub const DEFAULT_MIN_SIZE: u64 = 256;

/// Bodies whose exact size is known and at most this large are compressed in
/// one call (libdeflate) and get an exact `Content-Length`: 8 MiB. Larger or
/// unknown-size bodies are streamed (zlib-rs). It also caps what the layer
/// holds of one body: a body that sends more than its exact size hint
/// promised is buffered up to this limit and then streamed.
pub const DEFAULT_BUFFER_LIMIT: u64 = 8 * 1024 * 1024;

impl GzipLayer {
    /// A layer with the defaults in the table above.
    pub fn new() -> Self {
        GzipLayer {
            levels: Levels::default(),
            codings: Codings::gzip(),
            min_size: DEFAULT_MIN_SIZE,
            buffer_limit: DEFAULT_BUFFER_LIMIT,
            predicate: None,
            pools: Arc::new(Pools::with_levels(Levels::default())),
            cache: None,
        }
    }
}

impl Default for GzipLayer {
    fn default() -> Self {
        Self::new()
    }
}

impl GzipLayer {
    /// The gzip compression level, for both gzip engines (default
    /// [`Level::DEFAULT`]).
    pub fn level(mut self, level: Level) -> Self {
        self.levels.gzip = level;
        self.pools = Arc::new(Pools::with_levels(self.levels));
        self
    }

    /// The brotli quality (default [`BrLevel::DEFAULT`], 4).
    #[cfg(feature = "br")]
    pub fn br_level(mut self, level: BrLevel) -> Self {
        self.levels.br = level;
        self.pools = Arc::new(Pools::with_levels(self.levels));
        self
    }

    /// The zstd level (default [`ZstdLevel::DEFAULT`], 3).
    #[cfg(feature = "zstd")]
    pub fn zstd_level(mut self, level: ZstdLevel) -> Self {
        self.levels.zstd = level;
        self.pools = Arc::new(Pools::with_levels(self.levels));
        self
    }

    /// Whether gzip is offered (default `true`). With no coding offered
    /// the layer passes every response through, adding no `Vary`.
    ///
    /// ```
    /// use pastry_gzip::{Coding, GzipLayer};
    ///
    /// let layer = GzipLayer::new().gzip(false);
    /// assert!(!layer.offers(Coding::Gzip));
    /// ```
    pub fn gzip(mut self, on: bool) -> Self {
        self.codings.set(Coding::Gzip, on);
        self
    }

    /// Whether brotli (`br`) is offered (default `false`: the feature `br`
    /// makes it available, this offers it).
    ///
    /// ```
    /// use pastry_gzip::{Coding, GzipLayer};
    ///
    /// let layer = GzipLayer::new().br(true);
    /// assert!(layer.offers(Coding::Br) && layer.offers(Coding::Gzip));
    /// ```
    #[cfg(feature = "br")]
    pub fn br(mut self, on: bool) -> Self {
        self.codings.set(Coding::Br, on);
        self
    }

    /// Whether zstd is offered (default `false`: the feature `zstd` makes
    /// it available, this offers it).
    ///
    /// ```
    /// use pastry_gzip::{Coding, GzipLayer};
    ///
    /// let layer = GzipLayer::new().zstd(true);
    /// assert!(layer.offers(Coding::Zstd));
    /// ```
    #[cfg(feature = "zstd")]
    pub fn zstd(mut self, on: bool) -> Self {
        self.codings.set(Coding::Zstd, on);
        self
    }

    /// Whether `coding` is offered.
    pub fn offers(&self, coding: Coding) -> bool {
        self.codings.contains(coding)
    }

    /// Bodies whose exact size is known (an exact size hint, or a
    /// `Content-Length`) and smaller than `bytes` are left uncompressed,
    /// with no `Vary` added (default [`DEFAULT_MIN_SIZE`]). `0` compresses
    /// everything eligible.
    pub fn min_size(mut self, bytes: u64) -> Self {
        self.min_size = bytes;
        self
    }

    /// Bodies whose exact size hint is at most `bytes` are collected and
    /// compressed in one call with libdeflate, and sent with an exact
    /// `Content-Length`; others are streamed (default
    /// [`DEFAULT_BUFFER_LIMIT`]). `0` streams everything.
    ///
    /// It is also the most the layer buffers of one body: a body whose
    /// exact size hint is wrong and that sends more than `bytes` is not
    /// buffered further: what was read is compressed and the rest streamed
    /// after it, without `Content-Length`.
    pub fn buffer_limit(mut self, bytes: u64) -> Self {
        self.buffer_limit = bytes;
        self
    }

    /// Replaces the content-type test with `predicate`, which sees the
    /// request head and the response head and says whether the response is
    /// worth compressing. The HTTP skip rules still apply first. Setting a
    /// predicate makes each request keep a copy of its head (one
    /// allocation).
    ///
    /// ```
    /// use pastry_gzip::{GzipLayer, compressible_content_type};
    ///
    /// let layer = GzipLayer::new().compress_when(|req, res| {
    ///     !req.uri().path().starts_with("/raw/") && compressible_content_type(&res.headers)
    /// });
    /// # let _ = layer;
    /// ```
    pub fn compress_when<F>(mut self, predicate: F) -> Self
    where
        F: Fn(&Request<()>, &response::Parts) -> bool + Send + Sync + 'static,
    {
        self.predicate = Some(Arc::new(predicate));
        self
    }

    /// Keeps compressed bodies in `cache`, keyed by strong `ETag`, coding,
    /// level, `Content-Type`, `Host`, mount prefix and request target, so
    /// that a response sent again is compressed once (off by default). Layers
    /// given clones of one [`CompressionCache`] share its entries and its
    /// bound. See [`CompressionCache`] for what is stored and why.
    ///
    /// ```
    /// use pastry_gzip::{CompressionCache, GzipLayer};
    ///
    /// let cache = CompressionCache::new(16 * 1024 * 1024);
    /// let pages = GzipLayer::new().cache(cache.clone());
    /// let api = GzipLayer::new().cache(cache.clone());
    /// assert!(pages.get_cache().is_some() && api.get_cache().is_some());
    /// ```
    pub fn cache(mut self, cache: CompressionCache) -> Self {
        self.cache = Some(cache);
        self
    }

    /// The cache set with [`cache`](Self::cache), if any.
    ///
    /// ```
    /// use pastry_gzip::GzipLayer;
    ///
    /// assert!(GzipLayer::new().get_cache().is_none());
    /// ```
    pub fn get_cache(&self) -> Option<&CompressionCache> {
        self.cache.as_ref()
    }

    /// This layer plus request-body decoding: a [`Gzip`] around a
    /// [`GunzipRequests`](crate::GunzipRequests) with `limit`, which is what
    /// `ServiceBuilder::new().layer(gzip).layer(GunzipRequestsLayer::new(limit))`
    /// builds.
    ///
    /// Kept for compatibility: layer a [`GunzipRequestsLayer`] inside the
    /// `GzipLayer` instead.
    ///
    /// ```
    /// # #![allow(deprecated)]
    /// use pastry_gzip::GzipLayer;
    ///
    /// let layer = GzipLayer::new().decompress_requests(1 << 20);
    /// # let _ = layer;
    /// ```
    #[deprecated(
        since = "0.2.0",
        note = "layer a GunzipRequestsLayer inside the GzipLayer instead"
    )]
    pub fn decompress_requests(self, limit: u64) -> Stack<GunzipRequestsLayer, GzipLayer> {
        Stack::new(GunzipRequestsLayer::new(limit), self)
    }

    /// The configured gzip level.
    pub fn get_level(&self) -> Level {
        self.levels.gzip
    }

    /// The configured brotli quality.
    #[cfg(feature = "br")]
    pub fn get_br_level(&self) -> BrLevel {
        self.levels.br
    }

    /// The configured zstd level.
    #[cfg(feature = "zstd")]
    pub fn get_zstd_level(&self) -> ZstdLevel {
        self.levels.zstd
    }

    /// The configured minimum size.
    pub fn get_min_size(&self) -> u64 {
        self.min_size
    }

    /// The configured one-call limit.
    pub fn get_buffer_limit(&self) -> u64 {
        self.buffer_limit
    }

    fn config(&self) -> Arc<Config> {
        Arc::new(Config {
            min_size: self.min_size,
            buffer_limit: self.buffer_limit,
            predicate: self.predicate.clone(),
            codings: self.codings,
            // Clones of a layer, and every service it makes, share one pool.
            pools: Arc::clone(&self.pools),
            cache: self.cache.clone(),
        })
    }
}

/// The constructors that start from a layer's settings.
impl<S> Gzip<S> {
    /// Wraps `inner` with the defaults of [`GzipLayer::new`].
    pub fn new(inner: S) -> Self {
        GzipLayer::new().layer(inner)
    }

    /// A [`GzipLayer`] with the defaults, to configure.
    pub fn layer() -> GzipLayer {
        GzipLayer::new()
    }
}

impl<S> Layer<S> for GzipLayer {
    type Service = Gzip<S>;

    fn layer(&self, inner: S) -> Self::Service {
        Gzip::from_parts(inner, self.config())
    }
}
