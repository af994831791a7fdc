//! [`ResponseFuture`]: the app's answer, or the layer's own.

use std::future::Future;
use std::pin::Pin;

use bytes::Bytes;
use http::Response;

/// The future of [`Oidc`](crate::Oidc): the wrapped app's response, or the
/// layer's own answer on its login and callback paths (worked out with the
/// provider first, hence the boxed future). It is
/// [`pastry_core::LayerFuture`], the future every Pastry layer that answers
/// on its own uses.
pub type ResponseFuture<F> = pastry_core::LayerFuture<F, OwnAnswer>;

/// The layer's own answer on its login and callback paths, boxed.
pub type OwnAnswer = Pin<Box<dyn Future<Output = Response<Bytes>> + Send + 'static>>;
