//! [`ResponseFuture`]: the app's answer, or the layer's own.

use bytes::Bytes;
use futures_util::future::BoxFuture;
use http::Response;

/// The future of [`Oidc`](crate::Oidc): the wrapped app's response, or the
/// layer's own answer on its login and callback paths (worked out with the
/// provider first, hence the boxed future). It is
/// [`pastry_core::LayerFuture`], the future every Pastry layer that answers
/// on its own uses.
pub type ResponseFuture<F> = pastry_core::LayerFuture<F, BoxFuture<'static, Response<Bytes>>>;
