//! HTTP Basic authentication (RFC 7617).

mod header;
mod layer;
mod service;

pub use layer::BasicAuthLayer;
pub use service::BasicAuth;
