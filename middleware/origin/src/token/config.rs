//! The token check's settings, shared by the layer that collects them and
//! the service that reads them.

use crate::config::ExemptPaths;

/// The largest form body [`CsrfTokenLayer`](super::CsrfTokenLayer) reads
/// to find the token, by default: 64 KiB. A larger form is a 413; send the
/// token in the `X-CSRF-Token` header instead, or raise the limit with
/// [`CsrfTokenLayerBuilder::max_form`](super::CsrfTokenLayerBuilder::max_form).
pub const DEFAULT_MAX_FORM: usize = 64 * 1024;

/// The settings of the token check, shared by every clone of the service.
#[derive(Debug)]
pub(crate) struct TokenConfig {
    pub(crate) max_form: usize,
    pub(crate) exempt: ExemptPaths,
}
