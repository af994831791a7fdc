//! `Validate`: a conformance checker for apps and the middleware that call
//! them.

mod body;
mod check;
mod future;
mod layer;
mod rule;
mod service;

pub use body::ValidateBody;
pub use future::ResponseFuture;
pub use layer::{DEFAULT_TIMEOUT, ValidateLayer};
pub use rule::{Rule, Violation};
pub use service::Validate;
