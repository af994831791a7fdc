//! [`ConditionalLayer`] and its builder: collects the settings, checks
//! them, and builds the service.

use tower_layer::Layer;

use crate::ConditionalError;
use crate::config::Config;
use crate::service::Conditional;

/// Conditional GET for the app it wraps: a strong `ETag` on complete,
/// bounded `200` answers to `GET` and `HEAD`, and `304 Not Modified` or
/// `412 Precondition Failed` where the request's preconditions say so.
/// Builds [`Conditional`]. See the [crate docs](crate) for the rules.
///
/// ```
/// use pastry_conditional::ConditionalLayer;
///
/// // The defaults: ETags computed for bodies up to 1 MiB.
/// let layer = ConditionalLayer::new();
/// # let _ = layer;
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct ConditionalLayer {
    config: Config,
}

impl ConditionalLayer {
    /// The layer with the default settings: ETags computed for bodies up
    /// to [`DEFAULT_BUFFER_LIMIT`](crate::DEFAULT_BUFFER_LIMIT) (1 MiB).
    ///
    /// ```
    /// use pastry_conditional::ConditionalLayer;
    /// use tower::ServiceBuilder;
    ///
    /// let builder = ServiceBuilder::new().layer(ConditionalLayer::new());
    /// # let _ = builder;
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    /// Starts the settings of a layer; finish with
    /// [`ConditionalLayerBuilder::build`].
    ///
    /// ```
    /// use pastry_conditional::ConditionalLayer;
    ///
    /// let layer = ConditionalLayer::builder().buffer_limit(256 * 1024).build().unwrap();
    /// # let _ = layer;
    /// ```
    pub fn builder() -> ConditionalLayerBuilder {
        ConditionalLayerBuilder::default()
    }
}

impl<S> Layer<S> for ConditionalLayer {
    type Service = Conditional<S>;

    fn layer(&self, inner: S) -> Self::Service {
        Conditional::new(inner, self.config)
    }
}

/// The settings of a [`ConditionalLayer`], checked by
/// [`build`](Self::build); made by [`ConditionalLayer::builder`]. Setters
/// never fail; the rule between them is checked once, by `build`.
#[derive(Clone, Copy, Debug, Default)]
pub struct ConditionalLayerBuilder {
    config: Config,
}

impl ConditionalLayerBuilder {
    /// The largest body, in bytes, the layer reads to hash (default
    /// [`DEFAULT_BUFFER_LIMIT`](crate::DEFAULT_BUFFER_LIMIT), 1 MiB). Only
    /// bodies whose exact size is known up front are read; a larger one,
    /// or one that yields more than this whatever its size hint said,
    /// passes through unhashed.
    ///
    /// ```
    /// use pastry_conditional::ConditionalLayer;
    ///
    /// let layer = ConditionalLayer::builder().buffer_limit(64 * 1024).build();
    /// assert!(layer.is_ok());
    /// ```
    pub fn buffer_limit(mut self, bytes: u64) -> Self {
        self.config.buffer_limit = bytes;
        self
    }

    /// Whether the layer computes ETags (default `true`). With `false` it
    /// reads no body and only answers preconditions against the `ETag` and
    /// `Last-Modified` the app sets.
    ///
    /// ```
    /// use pastry_conditional::ConditionalLayer;
    ///
    /// let layer = ConditionalLayer::builder().compute_etags(false).build();
    /// assert!(layer.is_ok());
    /// ```
    pub fn compute_etags(mut self, compute: bool) -> Self {
        self.config.compute_etags = compute;
        self
    }

    /// The layer.
    ///
    /// # Errors
    ///
    /// [`ConditionalError::ZeroBufferLimit`] for a buffer limit of 0 with
    /// ETags computed (say `compute_etags(false)` instead).
    ///
    /// ```
    /// use pastry_conditional::{ConditionalError, ConditionalLayer};
    ///
    /// let err = ConditionalLayer::builder().buffer_limit(0).build().unwrap_err();
    /// assert_eq!(err, ConditionalError::ZeroBufferLimit);
    /// ```
    pub fn build(self) -> Result<ConditionalLayer, ConditionalError> {
        Ok(ConditionalLayer {
            config: self.config.check()?,
        })
    }
}
