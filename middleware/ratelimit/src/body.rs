//! [`RateLimitBody`]: the body of the responses of [`RateLimit`](crate::RateLimit).

/// The body of a response from [`RateLimit`](crate::RateLimit): the wrapped
/// app's body, or the layer's own short answer (the line of text of a 429
/// or a 503, empty for `HEAD`). It is [`pastry_core::LayerBody`], the body
/// every Pastry layer that answers on its own uses.
pub type RateLimitBody<B> = pastry_core::LayerBody<B>;
