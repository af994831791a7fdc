//! HTTP Basic authentication (RFC 7617).

mod future;
mod header;
mod layer;
mod service;

pub use future::ResponseFuture;
pub use layer::BasicAuthLayer;
pub use service::BasicAuth;
