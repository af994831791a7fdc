//! The layer: builds the settings and wraps services with them.

use std::fmt;
use std::sync::Arc;

use bytes::Bytes;
use http::Response;
use tower_layer::Layer;

use crate::config::Config;
use crate::failure::Failure;
use crate::service::Catch;

/// Wraps a service so that its errors and panics become error responses
/// with an id, a log event and (in debug mode) a detailed page.
///
/// The default is production mode: pages say only the status, its reason
/// and the error id.
///
/// What is caught, and what the client gets:
///
/// | failure | the client gets |
/// |---|---|
/// | `poll_ready` returns `Err` or panics | an error page for the next request ([`Phase::Ready`](crate::Phase::Ready)) |
/// | `call` panics | an error page ([`Phase::Call`](crate::Phase::Call)) |
/// | the future returns `Err` | an error page with the [`HttpError`](pastry_core::HttpError)'s 4xx/5xx status if the chain holds one, else 500 ([`Phase::Future`](crate::Phase::Future)) |
/// | the future panics | a 500 error page ([`Phase::Future`](crate::Phase::Future)) |
/// | the body returns `Err` or panics, before or after its first frame | the head already went to the server, so the body ends with [`BodyAborted`](crate::BodyAborted) and the server aborts the response ([`Phase::Body`](crate::Phase::Body)) |
///
/// The body is not buffered or peeked at before the head is returned: that
/// would delay the head of every streaming response and need the body to be
/// `Unpin` or boxed. So a body failing before its first frame is aborted
/// like one failing later, and its log event says `bytes_sent = 0`.
/// Every caught failure gets a fresh id and exactly one
/// `tracing::error!` event (target `pastry_catch`).
///
/// ```
/// use pastry_catch::CatchLayer;
/// use tower::ServiceBuilder;
///
/// let debug = std::env::var_os("APP_DEBUG").is_some();
/// let builder = ServiceBuilder::new().layer(CatchLayer::new().debug(debug));
/// # let _ = builder;
/// ```
#[derive(Clone, Default)]
pub struct CatchLayer {
    config: Config,
}

impl CatchLayer {
    /// A layer in production mode with the default pages.
    pub fn new() -> Self {
        Self::default()
    }

    /// Debug mode: pages show the panic message or error chain, the
    /// backtrace (see [`capture_backtraces`](crate::capture_backtraces)),
    /// and the request method, URI and headers with credentials redacted;
    /// log events carry the backtrace. Never turn it on where strangers can
    /// reach the app. Costs one header-map clone per request.
    ///
    /// ```
    /// let layer = pastry_catch::CatchLayer::new().debug(cfg!(debug_assertions));
    /// # let _ = layer;
    /// ```
    pub fn debug(mut self, debug: bool) -> Self {
        self.config.debug = debug;
        self
    }

    /// Answers failures with `handler`'s response instead of the default
    /// page. The failure is still logged first, the `x-error-id` header is
    /// still set (overwriting one the handler set), and a `HEAD` request
    /// still gets an empty body. A panic in the handler falls back to the
    /// default page. Costs one header-map clone per request, so the handler
    /// sees the request headers.
    ///
    /// ```
    /// use bytes::Bytes;
    /// use http::{Response, header::CONTENT_TYPE};
    /// use pastry_catch::CatchLayer;
    ///
    /// let layer = CatchLayer::new().handler(|failure: &pastry_catch::Failure| {
    ///     Response::builder()
    ///         .status(failure.status())
    ///         .header(CONTENT_TYPE, "text/plain")
    ///         .body(format!("oops, ticket {}", failure.id()))
    ///         .unwrap()
    /// });
    /// # let _ = layer;
    /// ```
    pub fn handler<F, T>(mut self, handler: F) -> Self
    where
        F: Fn(&Failure) -> Response<T> + Send + Sync + 'static,
        T: Into<Bytes>,
    {
        self.config.handler = Some(Arc::new(move |failure: &Failure| {
            handler(failure).map(Into::into)
        }));
        self
    }
}

impl fmt::Debug for CatchLayer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CatchLayer")
            .field("debug", &self.config.debug)
            .field("handler", &self.config.handler.is_some())
            .finish()
    }
}

impl<S> Layer<S> for CatchLayer {
    type Service = Catch<S>;

    fn layer(&self, inner: S) -> Self::Service {
        Catch::with_config(inner, self.config.clone())
    }
}
