//! What a `pastry.toml` factory is given and what a layer factory
//! returns: the [`Context`] with its settings and the stack's shared
//! parts, and the boxed [`AppLayer`].

use std::fmt;
use std::sync::Arc;
#[cfg(feature = "auth")]
use std::{
    cell::RefCell,
    collections::HashMap,
    path::{Path, PathBuf},
};

use http::Request;
use tower::{Layer, Service};

use crate::{App, BoxApp, BoxBody};

use super::settings::Settings;

/// A middleware of a `pastry.toml`, built from its settings and ready to
/// wrap the app below it: any tower [`Layer`] whose service is a
/// conforming app over [`BoxBody`] requests, boxed.
#[derive(Clone)]
pub struct AppLayer {
    wrap: Arc<dyn Fn(BoxApp) -> BoxApp + Send + Sync>,
}

impl AppLayer {
    /// Boxes `layer`.
    pub fn new<L>(layer: L) -> Self
    where
        L: Layer<BoxApp> + Send + Sync + 'static,
        L::Service: App<BoxBody, ResBody: Send + 'static> + Clone + Send + Sync + 'static,
        <L::Service as Service<Request<BoxBody>>>::Future: Send + 'static,
    {
        AppLayer {
            wrap: Arc::new(move |inner| BoxApp::new(layer.layer(inner))),
        }
    }
}

impl Layer<BoxApp> for AppLayer {
    type Service = BoxApp;

    fn layer(&self, inner: BoxApp) -> BoxApp {
        (self.wrap)(inner)
    }
}

impl fmt::Debug for AppLayer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AppLayer")
    }
}

/// What an app or layer factory is given: its settings, where it is
/// mounted, and what the whole stack shares.
pub struct Context<'a> {
    pub(crate) settings: Settings<'a>,
    pub(crate) mount: &'a str,
    pub(crate) shared: &'a Shared,
}

impl fmt::Debug for Context<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Context")
            .field("settings", &self.settings)
            .field("mount", &self.mount)
            .finish_non_exhaustive()
    }
}

impl<'a> Context<'a> {
    /// The app's `settings` table, or the layer's own keys.
    pub fn settings(&self) -> &Settings<'a> {
        &self.settings
    }

    /// The path the app (or the layer's app) is mounted at; `""` for the
    /// layers around the whole site.
    pub fn mount_path(&self) -> &str {
        self.mount
    }

    /// The authenticator for a users file (htpasswd style, with roles),
    /// one per file for the whole stack: a login form in an app and a
    /// `basic_auth` layer on the same file share their throttle and
    /// lockouts.
    #[cfg(feature = "auth")]
    pub fn authenticator(
        &self,
        users: &Path,
    ) -> Result<crate::auth::Authenticator<crate::auth::FileUserStore>, crate::BoxError> {
        self.shared.authenticator(users)
    }

    /// The metrics registry every `metrics` layer and the `metrics` app of
    /// this stack share.
    #[cfg(feature = "metrics")]
    pub fn metrics(&self) -> crate::metrics::MetricsHandle {
        self.shared.metrics()
    }
}

/// What the layers and apps of one stack share.
#[derive(Default)]
pub(crate) struct Shared {
    #[cfg(feature = "auth")]
    authenticators:
        RefCell<HashMap<PathBuf, crate::auth::Authenticator<crate::auth::FileUserStore>>>,
    #[cfg(feature = "auth")]
    tokens: RefCell<HashMap<PathBuf, crate::auth::FileTokenStore>>,
    #[cfg(feature = "metrics")]
    pub(crate) metrics: std::cell::OnceCell<crate::metrics::MetricsHandle>,
    #[cfg(feature = "sessions")]
    pub(crate) stores: std::cell::RefCell<Vec<(crate::sessions::AnyStore, std::time::Duration)>>,
}

impl Shared {
    #[cfg(feature = "auth")]
    pub(crate) fn authenticator(
        &self,
        users: &Path,
    ) -> Result<crate::auth::Authenticator<crate::auth::FileUserStore>, crate::BoxError> {
        if let Some(found) = self.authenticators.borrow().get(users) {
            return Ok(found.clone());
        }
        let store = crate::auth::FileUserStore::open(users)
            .map_err(|error| format!("{}: {error}", users.display()))?;
        let authenticator = crate::auth::Authenticator::new(store);
        self.authenticators
            .borrow_mut()
            .insert(users.to_owned(), authenticator.clone());
        Ok(authenticator)
    }

    #[cfg(feature = "auth")]
    pub(crate) fn tokens(
        &self,
        file: &Path,
    ) -> Result<crate::auth::FileTokenStore, crate::BoxError> {
        if let Some(found) = self.tokens.borrow().get(file) {
            return Ok(found.clone());
        }
        let store = crate::auth::FileTokenStore::open(file)
            .map_err(|error| format!("{}: {error}", file.display()))?;
        self.tokens
            .borrow_mut()
            .insert(file.to_owned(), store.clone());
        Ok(store)
    }

    #[cfg(feature = "metrics")]
    pub(crate) fn metrics(&self) -> crate::metrics::MetricsHandle {
        self.metrics
            .get_or_init(crate::metrics::MetricsHandle::new)
            .clone()
    }
}
