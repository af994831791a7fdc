//! HTTP Basic authentication (RFC 7617).

mod header;
mod layer;
mod service;

pub use layer::{BasicAuthLayer, BasicAuthLayerBuilder};
pub use service::BasicAuth;
