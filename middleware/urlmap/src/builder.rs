use std::fmt;
use std::sync::Arc;

use pastry_core::App;
#[cfg(doc)]
use pastry_core::BoxError;

use crate::app::{ErasedApp, MountedApp};
use crate::table::Table;
use crate::{Mount, UrlMap, UrlMapError, UrlMapLayer};

/// Collects mounts; [`build`](Self::build) checks them and gives the
/// [`UrlMap`]. Start one with [`UrlMap::builder`].
///
/// Mounting never fails on the spot, so the chain
/// `UrlMap::builder().mount("/blog", blog).mount("/forum", forum)` reads
/// straight; every bad key (a duplicate, a malformed prefix or host) is
/// reported by `build` (or [`into_layer`](Self::into_layer)) as a
/// [`UrlMapError`], before the first request.
///
/// Each app may have its own type (an axum `Router`, a `service_fn`,
/// another map): the builder erases it into a shared, boxed clone-able
/// service. That erasure is the feature (apps of different types side by
/// side); it costs one clone of the app and one boxed future and body per
/// request.
///
/// An app must be `Clone + Send + Sync + 'static` with a `Send` future and
/// errors convertible into [`BoxError`], and answer with a body whose data
/// is `Bytes` (axum's `Router`, `service_fn`, tower-http middleware all
/// are).
pub struct UrlMapBuilder<B> {
    mounts: Vec<(Mount, Arc<dyn ErasedApp<B>>)>,
    fallback: Option<Arc<dyn ErasedApp<B>>>,
}

impl<B: Send + 'static> UrlMapBuilder<B> {
    /// An empty map: every request gets the default 404.
    pub fn new() -> Self {
        Self {
            mounts: Vec::new(),
            fallback: None,
        }
    }

    /// Mounts `app` at a prefix (`"/blog"`) or at a [`Mount`] (host, prefix
    /// and per-mount settings).
    ///
    /// ```
    /// use http::{Request, Response};
    /// use pastry_urlmap::{Mount, UrlMap};
    /// use tower::service_fn;
    ///
    /// let app = service_fn(|_req: Request<String>| async {
    ///     Ok::<_, std::convert::Infallible>(Response::new(String::from("hi")))
    /// });
    /// let map = UrlMap::builder()
    ///     .mount("/blog", app)
    ///     .mount(Mount::at("/forum").slash_redirect(true), app)
    ///     .build()
    ///     .unwrap();
    /// assert_eq!(map.len(), 2);
    /// ```
    pub fn mount<S>(mut self, at: impl Into<Mount>, app: S) -> Self
    where
        S: App<B> + Clone + Send + Sync + 'static,
        S::Future: Send + 'static,
        S::ResBody: Send + 'static,
    {
        self.mounts.push((at.into(), Arc::new(MountedApp(app))));
        self
    }

    /// Mounts `app` at the root of a host (`"api.example.com"`,
    /// `"*.example.com"`, `"example.com:8080"`); see [`Mount::host`]. The
    /// same as `.mount(Mount::at("/").host(host), app)`.
    ///
    /// ```
    /// use http::{Request, Response};
    /// use pastry_urlmap::UrlMap;
    /// use tower::service_fn;
    ///
    /// let app = service_fn(|_req: Request<String>| async {
    ///     Ok::<_, std::convert::Infallible>(Response::new(String::from("api")))
    /// });
    /// let map = UrlMap::builder().host("api.example.com", app).build().unwrap();
    /// assert_eq!(map.len(), 1);
    /// ```
    pub fn host<S>(self, host: impl Into<String>, app: S) -> Self
    where
        S: App<B> + Clone + Send + Sync + 'static,
        S::Future: Send + 'static,
        S::ResBody: Send + 'static,
    {
        self.mount(Mount::at("/").host(host), app)
    }

    /// The app for requests no mount matches, called with the whole
    /// (normalised) path and no script name added. Without one, the map
    /// answers `404 Not Found` in plain text.
    ///
    /// ```
    /// use http::{Request, Response};
    /// use pastry_urlmap::UrlMap;
    /// use tower::service_fn;
    ///
    /// let app = service_fn(|_req: Request<String>| async {
    ///     Ok::<_, std::convert::Infallible>(Response::new(String::from("fallback")))
    /// });
    /// let map = UrlMap::builder().fallback(app).build().unwrap();
    /// assert!(map.is_empty());
    /// ```
    pub fn fallback<S>(mut self, app: S) -> Self
    where
        S: App<B> + Clone + Send + Sync + 'static,
        S::Future: Send + 'static,
        S::ResBody: Send + 'static,
    {
        self.fallback = Some(Arc::new(MountedApp(app)));
        self
    }

    /// Checks every key and builds the map.
    ///
    /// # Errors
    ///
    /// [`UrlMapError::DuplicateMount`] when two mounts have the same
    /// normalised host and prefix (the second is never silently
    /// preferred), [`UrlMapError::InvalidPrefix`] or
    /// [`UrlMapError::InvalidHost`] for a malformed key.
    pub fn build(self) -> Result<UrlMap<B>, UrlMapError> {
        let table = Table::build(self.mounts)?;
        Ok(UrlMap::from_parts(Arc::new(table), self.fallback))
    }

    /// Checks every key and gives a layer whose wrapped service is the
    /// fallback (replacing any set with [`fallback`](Self::fallback)).
    ///
    /// # Errors
    ///
    /// As [`build`](Self::build).
    pub fn into_layer(self) -> Result<UrlMapLayer<B>, UrlMapError> {
        let table = Table::build(self.mounts)?;
        Ok(UrlMapLayer::new(Arc::new(table)))
    }
}

impl<B: Send + 'static> Default for UrlMapBuilder<B> {
    fn default() -> Self {
        Self::new()
    }
}

impl<B> Clone for UrlMapBuilder<B> {
    fn clone(&self) -> Self {
        Self {
            mounts: self.mounts.clone(),
            fallback: self.fallback.clone(),
        }
    }
}

impl<B> fmt::Debug for UrlMapBuilder<B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UrlMapBuilder")
            .field(
                "mounts",
                &self
                    .mounts
                    .iter()
                    .map(|(mount, _)| mount)
                    .collect::<Vec<_>>(),
            )
            .field("fallback", &self.fallback.is_some())
            .finish()
    }
}
