//! The response future of [`CrossOriginProtection`](crate::CrossOriginProtection).

/// The future of [`CrossOriginProtection`](crate::CrossOriginProtection):
/// the wrapped app's answer, or the layer's refusal. It is
/// [`pastry_core::LayerFuture`], the future every Pastry layer that answers
/// on its own uses.
pub type ResponseFuture<F> = pastry_core::LayerFuture<F>;
