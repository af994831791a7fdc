//! What can be wrong with the settings of a [`RateLimitLayer`](crate::RateLimitLayer).

/// A setting [`RateLimitLayerBuilder::build`](crate::RateLimitLayerBuilder::build)
/// (or [`Policy`](crate::Policy)'s parser) refused, found before the first
/// request.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RateLimitError {
    /// The policy allows zero requests, or its period is zero.
    #[error("the rate must allow at least one request per non-zero period")]
    ZeroRate,
    /// The burst is zero: no request could ever pass.
    #[error("the burst must be at least 1")]
    ZeroBurst,
    /// The rate is finer than one request per nanosecond (one per
    /// microsecond with Redis), or the period times the burst overflows.
    #[error("the rate is out of range (finer than the store's clock, or too long a window)")]
    RateOutOfRange,
    /// A policy written as text is not `COUNT/UNIT[,burst=N]`.
    #[error("policy {0:?} is not COUNT/UNIT[,burst=N] with UNIT s, min or h")]
    InvalidPolicy(String),
    /// The policy name is empty or not printable ASCII without `"` and `\`
    /// (it is sent in the `RateLimit` fields, and keys the Redis entries).
    #[error("policy name {0:?} must be non-empty printable ASCII without '\"' or '\\'")]
    InvalidName(String),
    /// The memory store was given no room for a single key.
    #[error("max_keys must be at least 1")]
    ZeroMaxKeys,
    /// The Redis timeout is zero.
    #[error("the Redis timeout must be longer than zero")]
    ZeroTimeout,
    /// The Redis URL is not one (shown with its password redacted).
    #[error("{url:?} is not a usable Redis URL: {reason}")]
    RedisUrl {
        /// The URL, password redacted.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
}
