//! The names a `pastry.toml` can use: the program's apps and middleware,
//! beside Pastry's own.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use crate::{BoxApp, BoxError};

use super::context::{AppLayer, Context};

type AppFactory = Arc<dyn Fn(&Context<'_>) -> Result<BoxApp, BoxError> + Send + Sync>;
type LayerFactory = Arc<dyn Fn(&Context<'_>) -> Result<AppLayer, BoxError> + Send + Sync>;

/// The apps and custom middleware a program offers to its `pastry.toml`,
/// each under a name.
///
/// Rust programs are compiled, so a config file cannot name code that is
/// not in the binary: the program registers a factory for each app (and
/// any middleware of its own), and the file picks, mounts and wraps them.
/// Pastry's own middleware (`gzip`, `sessions`, …) and the built-in apps
/// (`static`, `text`, `redirect`, `metrics`) are always there; a program's
/// name may not shadow them.
///
/// ```
/// use std::convert::Infallible;
/// use http::Request;
/// use pastry::config::{Registry, load_str};
/// use pastry::{BoxApp, BoxBody, Environ};
/// use tower::ServiceExt;
///
/// let registry = Registry::new()
///     .app("hello", |_ctx| {
///         Ok(BoxApp::new(tower::service_fn(|req: Request<BoxBody>| async move {
///             let body = format!("hello from {}\n", req.script_name());
///             Ok::<_, Infallible>(http::Response::new(body))
///         })))
///     });
/// let stack = load_str(
///     r#"
///     [[layer]]
///     use = "catch"
///
///     [[mount]]
///     path = "/hello"
///     app = "hello"
///     "#,
///     "pastry.toml",
///     &registry,
/// )?;
/// # tokio::runtime::Builder::new_current_thread().build()?.block_on(async {
/// let res = stack.app().oneshot(Request::get("/hello/x").body(String::new())?).await?;
/// assert_eq!(res.status(), 200);
/// # Ok::<_, pastry::BoxError>(())
/// # })?;
/// # Ok::<_, pastry::BoxError>(())
/// ```
#[derive(Clone, Default)]
pub struct Registry {
    pub(crate) apps: BTreeMap<String, AppFactory>,
    pub(crate) layers: BTreeMap<String, LayerFactory>,
}

impl fmt::Debug for Registry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Registry")
            .field("apps", &self.apps.keys().collect::<Vec<_>>())
            .field("layers", &self.layers.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl Registry {
    /// A registry with only Pastry's own layers and apps.
    pub fn new() -> Self {
        Registry::default()
    }

    /// Registers an app under `name`: `factory` builds it from its
    /// mount's `settings` table (read through [`Context::settings`]).
    /// A later registration of the same name replaces the earlier one.
    ///
    /// # Panics
    ///
    /// When `name` is a built-in app's (`static`, `text`, `redirect`,
    /// `metrics`): a mistake in the program, found on its first run.
    pub fn app<F>(mut self, name: impl Into<String>, factory: F) -> Self
    where
        F: Fn(&Context<'_>) -> Result<BoxApp, BoxError> + Send + Sync + 'static,
    {
        let name = name.into();
        assert!(
            !super::apps::BUILT_IN.contains(&name.as_str()),
            "`{name}` is a built-in app of pastry::config; register yours under another name"
        );
        self.apps.insert(name, Arc::new(factory));
        self
    }

    /// Registers a middleware under `name`: `factory` reads the rest of
    /// its `[[layer]]` table through [`Context::settings`] and returns the
    /// layer, which the stack then puts around the app below it.
    ///
    /// ```
    /// use http::{HeaderValue, Response};
    /// use pastry::BoxBody;
    /// use pastry::config::{AppLayer, Registry};
    /// use tower::util::MapResponseLayer;
    ///
    /// // `use = "server_header"` with `value = "…"`.
    /// let registry = Registry::new().layer("server_header", |ctx| {
    ///     let value = ctx.settings().required("value", |s, key| s.string(key))?;
    ///     let value = HeaderValue::try_from(value)
    ///         .map_err(|_| ctx.settings().error("value", "`value` is not a header value"))?;
    ///     Ok(AppLayer::new(MapResponseLayer::new(move |mut res: Response<BoxBody>| {
    ///         res.headers_mut().insert(http::header::SERVER, value.clone());
    ///         res
    ///     })))
    /// });
    /// # let _ = registry;
    /// ```
    ///
    /// # Panics
    ///
    /// When `name` is one of Pastry's own layers.
    pub fn layer<F>(mut self, name: impl Into<String>, factory: F) -> Self
    where
        F: Fn(&Context<'_>) -> Result<AppLayer, BoxError> + Send + Sync + 'static,
    {
        let name = name.into();
        assert!(
            super::layers::built_in(&name).is_none(),
            "`{name}` is one of Pastry's layers; register yours under another name"
        );
        self.layers.insert(name, Arc::new(factory));
        self
    }

    pub(crate) fn app_names(&self) -> impl Iterator<Item = &str> {
        (super::apps::BUILT_IN.iter().copied()).chain(self.apps.keys().map(String::as_str))
    }

    pub(crate) fn layer_names(&self) -> impl Iterator<Item = &str> {
        (super::layers::BUILT_IN.iter().map(|layer| layer.name))
            .chain(self.layers.keys().map(String::as_str))
    }
}
