/// A [`ProxyLayer`](crate::ProxyLayer) that cannot be built, reported by
/// [`ProxyLayerBuilder::build`](crate::ProxyLayerBuilder::build).
///
/// ```
/// use pastry_proxy::{ProxyError, ProxyLayer};
///
/// let err = ProxyLayer::builder().trust("10.0.0.0/33").build().unwrap_err();
/// assert!(matches!(err, ProxyError::InvalidTrust { ref value } if value == "10.0.0.0/33"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ProxyError {
    /// A trusted address or range that does not parse.
    #[error("trusted proxy {value:?} is not an IP address or CIDR range")]
    InvalidTrust {
        /// The value as given.
        value: String,
    },
    /// Neither trusted addresses nor a hop count: the layer would trust
    /// nothing.
    #[error("no trusted proxy: give addresses with .trust(..) or a hop count with .hops(..)")]
    NothingTrusted,
    /// A hop count above [`max_entries`](crate::ProxyLayerBuilder::max_entries).
    #[error("hop count {hops} is above the limit of {max} entries read")]
    HopsOverLimit {
        /// The largest hop count given.
        hops: usize,
        /// The limit.
        max: usize,
    },
    /// A limit of zero.
    #[error("{limit} must be at least 1")]
    ZeroLimit {
        /// The setting's name.
        limit: &'static str,
    },
}
