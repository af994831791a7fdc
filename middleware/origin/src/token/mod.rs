//! Synchronizer tokens kept in the session (feature `sessions`).

mod config;
mod layer;
mod service;

pub use config::DEFAULT_MAX_FORM;
pub use layer::{CsrfTokenLayer, CsrfTokenLayerBuilder};
pub use service::CsrfTokenCheck;
