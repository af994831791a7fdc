//! [`MetricsError`]: a bad setting, refused when the handle is built.

/// Why a [`MetricsHandle`](crate::MetricsHandle) could not be built or
/// installed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MetricsError {
    /// The histogram buckets are empty, not finite, or not strictly
    /// increasing.
    #[error("histogram buckets must be finite, positive and strictly increasing, and at least one")]
    InvalidBuckets,
    /// Another recorder is already the process's global one.
    #[error("a global metrics recorder is already installed")]
    AlreadyInstalled,
}
