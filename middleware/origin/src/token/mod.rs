//! Synchronizer tokens kept in the session (feature `sessions`).

mod layer;
mod service;

pub use layer::{CsrfTokenLayer, CsrfTokenLayerBuilder, DEFAULT_MAX_FORM};
pub use service::CsrfTokenCheck;
