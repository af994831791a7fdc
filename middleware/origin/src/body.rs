//! The bodies of this crate: the response body (the app's, or a refusal)
//! and the request body the app gets behind the token check.

/// The body of a response from this crate's services: the wrapped app's
/// body, or the short text of a refusal (a 403, a 413 …). It is
/// [`pastry_core::LayerBody`], the body every Pastry layer that answers on
/// its own uses.
pub type OriginBody<B> = pastry_core::LayerBody<B>;

/// The request body an app behind [`CsrfTokenLayer`](crate::CsrfTokenLayer)
/// gets: the client's body as it came ([`LayerBody::inner`]), or, when the
/// layer read a form to find the token, the same bytes, whole and unchanged
/// ([`LayerBody::own`]). It is [`pastry_core::LayerBody`] too.
///
/// [`LayerBody::inner`]: pastry_core::LayerBody::inner
/// [`LayerBody::own`]: pastry_core::LayerBody::own
pub type CheckedBody<B> = pastry_core::LayerBody<B>;
