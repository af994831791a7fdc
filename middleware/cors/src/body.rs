//! [`CorsBody`]: the body of the responses of [`Cors`](crate::Cors).

/// The body of a response from [`Cors`](crate::Cors): the wrapped app's
/// body, or the layer's own short answer to a preflight (empty when
/// allowed, a line of text when refused). It is
/// [`pastry_core::LayerBody`], the body every Pastry layer that answers on
/// its own uses.
pub type CorsBody<B> = pastry_core::LayerBody<B>;
