//! The layer and its one setting.

use tower_layer::Layer;

use super::service::GunzipRequests;

/// Decodes `Content-Encoding: gzip` (or `x-gzip`) request bodies for the
/// app it wraps, and `br` and `zstd` ones with the cargo features of those
/// names, up to `limit` decompressed bytes.
///
/// A zstd body may consist of several frames (RFC 8878); a frame asking
/// for a window over 8 MiB (RFC 9659's limit) is refused with 400, so the
/// window cannot be used to make the server allocate memory. A brotli body
/// is decoded as standard brotli (windows up to 16 MiB), not the
/// large-window variant.
///
/// The app sees a [`DecompressBody`](crate::DecompressBody) with no
/// `Content-Encoding` and no `Content-Length`. A body that inflates past
/// the limit is answered with 413, a corrupt or truncated one with 400
/// (the app's own response is replaced); the app's body reads fail with a
/// [`pastry_core::HttpError`] carrying the same status. Memory stays
/// bounded whatever the compression ratio. Other request bodies pass
/// through untouched, and so do upgrade requests (an HTTP/1.1 `Upgrade`, a
/// `CONNECT` such as HTTP/2's extended `CONNECT`; see
/// [`pastry_core::is_upgrade`]), whatever their `Content-Encoding`.
///
/// It does not compress responses: put a [`GzipLayer`](crate::GzipLayer)
/// outside it for that.
///
/// ```
/// use pastry_gzip::{GunzipRequestsLayer, GzipLayer};
/// use tower::ServiceBuilder;
///
/// let layer = GunzipRequestsLayer::new(1 << 20);
/// assert_eq!(layer.get_limit(), 1 << 20);
/// let stack = ServiceBuilder::new().layer(GzipLayer::new()).layer(layer);
/// # let _ = stack;
/// ```
#[derive(Clone, Copy, Debug)]
pub struct GunzipRequestsLayer {
    limit: u64,
}

impl GunzipRequestsLayer {
    /// A layer letting a request body inflate to at most `limit` bytes.
    pub fn new(limit: u64) -> Self {
        GunzipRequestsLayer { limit }
    }

    /// The most decompressed bytes a request body may produce.
    pub fn get_limit(&self) -> u64 {
        self.limit
    }
}

impl<S> GunzipRequests<S> {
    /// A [`GunzipRequestsLayer`] with this limit.
    pub fn layer(limit: u64) -> GunzipRequestsLayer {
        GunzipRequestsLayer::new(limit)
    }
}

impl<S> Layer<S> for GunzipRequestsLayer {
    type Service = GunzipRequests<S>;

    fn layer(&self, inner: S) -> Self::Service {
        GunzipRequests::new(inner, self.limit)
    }
}
