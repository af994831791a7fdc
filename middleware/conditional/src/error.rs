//! What can be wrong with the settings of a
//! [`ConditionalLayer`](crate::ConditionalLayer).

/// A setting [`ConditionalLayerBuilder::build`](crate::ConditionalLayerBuilder::build)
/// refused, found before the first request.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConditionalError {
    /// ETags are computed but the buffer limit is 0, so only empty bodies
    /// could ever be hashed: almost certainly a mistake for
    /// [`compute_etags(false)`](crate::ConditionalLayerBuilder::compute_etags),
    /// which says what is meant (evaluate only the validators the app sets).
    #[error(
        "buffer_limit(0) with computed ETags hashes only empty bodies: use compute_etags(false) to rely on the app's validators"
    )]
    ZeroBufferLimit,
}
