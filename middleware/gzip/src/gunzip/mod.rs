//! Request bodies: gzip decoded for the app, with a size limit
//! ([`GunzipRequestsLayer`](crate::GunzipRequestsLayer)).

mod body;
pub(crate) mod decompress;
mod future;
mod layer;
mod service;

pub use body::GunzipResponseBody;
pub use decompress::DecompressBody;
pub use future::GunzipFuture;
pub use layer::GunzipRequestsLayer;
pub use service::GunzipRequests;
