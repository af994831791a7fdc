//! A whole stack described in one file, `pastry.toml`: which apps are
//! mounted where, and which middleware wraps them, in the spirit of Paste
//! Deploy.
//!
//! Rust programs are compiled, so the program registers its apps (and any
//! middleware of its own) by name in a [`Registry`], and the file composes
//! them with Pastry's middleware. [`load`] reads the file and builds the
//! whole service as one [`BoxApp`], plus the [`ServerSettings`] that
//! [`Stack::serve`] runs it with. The `pastry` command (feature `cli`)
//! checks a file (`pastry check pastry.toml` prints the stack as a tree)
//! and serves the built-in apps.
//!
//! ```toml
//! [server]
//! addr = "127.0.0.1:8080"
//! header_read_timeout = "10s"
//!
//! # Around the whole site, outermost first.
//! [[layer]]
//! use = "access_log"
//! format = "detailed"
//!
//! [[layer]]
//! use = "catch"
//!
//! [[layer]]
//! use = "gzip"
//! level = 6
//!
//! [[layer]]
//! use = "sessions"
//! store = { env = "SESSIONS_URL" }   # or "sqlite:sessions.db"
//!
//! [[mount]]
//! path = "/static"
//! app = "static"
//! settings = { dir = "static" }
//!
//! [[mount]]
//! path = "/admin"
//! app = "admin"          # registered by the program
//!
//! [[mount.layer]]        # around this mount only
//! use = "basic_auth"
//! users = "users.txt"
//!
//! [[mount.layer]]
//! use = "require_role"
//! role = "admin"
//!
//! [[mount]]
//! path = "/"             # everything else
//! app = "site"
//! ```
//!
//! ```no_run
//! use pastry::config::Registry;
//! # fn site_app() -> pastry::BoxApp { unimplemented!() }
//! # fn admin_app() -> pastry::BoxApp { unimplemented!() }
//!
//! #[tokio::main]
//! async fn main() -> Result<(), Box<dyn std::error::Error>> {
//!     let registry = Registry::new()
//!         .app("site", |_ctx| Ok(site_app()))
//!         .app("admin", |_ctx| Ok(admin_app()));
//!     // An error prints with its file, line, column and a suggestion.
//!     let stack = pastry::config::load("pastry.toml", &registry)?;
//!     stack.serve().await?;
//!     Ok(())
//! }
//! ```
//!
//! # How the file is read
//!
//! - `[[layer]]` tables wrap the whole site, the first one outermost;
//!   `[[mount.layer]]` tables wrap one mount. Each names its middleware
//!   with `use`; the rest of the table is its settings.
//! - A `[[mount]]` at `path = "/"` with no `host` answers every request no
//!   other mount takes. Without one, such requests get a 404.
//! - Unknown keys and unknown app or layer names are refused, with the
//!   file, line and column and a "did you mean" suggestion. A value of the
//!   wrong type names the type expected.
//! - The environment variables in the table below override their keys
//!   wherever those keys appear, so one file serves every deployment.
//! - Any string may be `{ env = "VAR" }` or `{ file = "PATH" }` instead:
//!   secrets (a client secret, a store URL with a password) stay out of
//!   the file, and `pastry check` never prints them.
//!
//! Which layer order is right is for the operator to choose; the layers
//! that detect a wrong order at run time (a login layer outside the
//! session layer) still do.
//!
#![doc = include_str!("reference.md")]
// Built with few of pastry's features, some getters and helpers serve no
// layer.
#![cfg_attr(
    not(all(
        feature = "proxy",
        feature = "catch",
        feature = "sessions",
        feature = "auth",
        feature = "ratelimit"
    )),
    allow(dead_code, unused_variables)
)]

mod apps;
mod context;
mod error;
mod layers;
mod registry;
mod settings;
mod tree;

use std::collections::HashSet;
use std::io;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::Duration;

use toml::Spanned;
use toml::de::{DeTable, DeValue};

pub use context::{AppLayer, Context};
pub use error::{ConfigError, ConfigErrorKind};
pub use registry::Registry;
pub use settings::Settings;

use crate::urlmap::{Mount, UrlMap};
use crate::{BoxApp, BoxBody, BoxError, Listen, Serve};
use context::Shared;
use settings::{Source, type_name};
use tree::Node;

/// Reads the `pastry.toml` at `path` and builds its stack with the apps
/// and middleware `registry` offers, taking overrides from the process's
/// environment.
///
/// # Errors
///
/// A [`ConfigError`] that prints with the file, line and column: a file
/// that cannot be read or is not TOML, an unknown key or name, a value of
/// the wrong type, or a layer or app that refuses its settings.
pub fn load(path: impl AsRef<Path>, registry: &Registry) -> Result<Stack, ConfigError> {
    Loader::new(registry).load(path)
}

/// Builds the stack a `pastry.toml`'s text describes; `file` is the name
/// errors give and relative paths start from the working directory.
///
/// ```
/// use pastry::config::{ConfigErrorKind, Registry, load_str};
///
/// let error = load_str(
///     "[[layer]]\nuse = \"gzp\"\n[[mount]]\napp = \"text\"\nsettings = { body = \"hi\" }\n",
///     "pastry.toml",
///     &Registry::new(),
/// )
/// .unwrap_err();
/// assert_eq!(error.kind(), ConfigErrorKind::UnknownName);
/// assert_eq!(
///     error.to_string(),
///     "error: unknown layer `gzp`\n --> pastry.toml:2:7\n  |\n2 | use = \"gzp\"\n  |       ^^^^^\n  = help: did you mean `gzip`?",
/// );
/// ```
///
/// # Errors
///
/// As [`load`].
pub fn load_str(text: &str, file: &str, registry: &Registry) -> Result<Stack, ConfigError> {
    Loader::new(registry).load_str(text, file)
}

type Env = Box<dyn Fn(&str) -> Option<String> + Send + Sync>;

/// [`load`] with its inputs chosen: where overrides come from (the
/// process's environment by default) and the directory relative paths
/// start from.
///
/// ```
/// use pastry::config::{Loader, Registry};
///
/// let registry = Registry::new();
/// let stack = Loader::new(&registry)
///     .env(|name| (name == "PASTRY_ADDR").then(|| "127.0.0.1:0".to_owned()))
///     .load_str("[[mount]]\napp = \"text\"\nsettings = { body = \"hi\" }\n", "pastry.toml")?;
/// assert_eq!(stack.server().addr, "127.0.0.1:0");
/// # Ok::<_, pastry::config::ConfigError>(())
/// ```
pub struct Loader<'r> {
    registry: &'r Registry,
    env: Env,
    dir: Option<PathBuf>,
}

impl std::fmt::Debug for Loader<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Loader")
            .field("registry", self.registry)
            .field("dir", &self.dir)
            .finish_non_exhaustive()
    }
}

impl<'r> Loader<'r> {
    /// A loader for `registry`'s names, with the process's environment.
    pub fn new(registry: &'r Registry) -> Self {
        Loader {
            registry,
            env: Box::new(|name| std::env::var(name).ok()),
            dir: None,
        }
    }

    /// Takes environment variables (overrides and `{ env = … }` values)
    /// from `env` instead of the process's environment.
    pub fn env(mut self, env: impl Fn(&str) -> Option<String> + Send + Sync + 'static) -> Self {
        self.env = Box::new(env);
        self
    }

    /// Resolves relative paths from `dir` (by default the config file's
    /// directory, or the working directory for [`load_str`](Self::load_str)).
    pub fn dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.dir = Some(dir.into());
        self
    }

    /// Reads and builds the file at `path`.
    ///
    /// # Errors
    ///
    /// As [`load`].
    pub fn load(self, path: impl AsRef<Path>) -> Result<Stack, ConfigError> {
        let path = path.as_ref();
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|error| {
            ConfigError::new(
                ConfigErrorKind::Read,
                &file,
                format!("cannot read {file}: {error}"),
            )
        })?;
        let dir = match &self.dir {
            Some(dir) => dir.clone(),
            None => path.parent().map(Path::to_path_buf).unwrap_or_default(),
        };
        self.build(&text, file, dir)
    }

    /// Builds the file whose text is `text`; `file` names it in errors.
    ///
    /// # Errors
    ///
    /// As [`load`].
    pub fn load_str(self, text: &str, file: &str) -> Result<Stack, ConfigError> {
        let dir = self.dir.clone().unwrap_or_default();
        self.build(text, file.to_owned(), dir)
    }

    fn build(self, text: &str, file: String, dir: PathBuf) -> Result<Stack, ConfigError> {
        let source = Source {
            text,
            file,
            dir,
            env: &*self.env,
        };
        let root = DeTable::parse(text).map_err(|error| {
            let message = error.message().trim_end().to_owned();
            let base = ConfigError::new(ConfigErrorKind::Syntax, &source.file, message);
            match error.span() {
                Some(span) => base.at(text, span),
                None => base,
            }
        })?;
        Builder {
            source: &source,
            registry: self.registry,
            shared: Shared::default(),
        }
        .stack(root.get_ref(), root.span())
    }
}

/// A built stack: the service, the server settings, and a description.
pub struct Stack {
    app: BoxApp,
    server: ServerSettings,
    tree: String,
    #[cfg(feature = "sessions")]
    cleanups: Vec<(crate::sessions::AnyStore, Duration)>,
    #[cfg(feature = "metrics")]
    metrics: Option<crate::metrics::MetricsHandle>,
}

impl std::fmt::Debug for Stack {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Stack")
            .field("server", &self.server)
            .finish_non_exhaustive()
    }
}

impl Stack {
    /// The whole site as one app (cheap to clone), for [`serve`](crate::serve)
    /// or the test kit.
    pub fn app(&self) -> BoxApp {
        self.app.clone()
    }

    /// The `[server]` settings.
    pub fn server(&self) -> &ServerSettings {
        &self.server
    }

    /// The stack as a tree, as `pastry check` prints it: the layers in
    /// order with their settings, then the mounts. Secrets and passwords
    /// in URLs are not shown.
    pub fn tree(&self) -> &str {
        &self.tree
    }

    /// The metrics registry the file's `metrics` layers and app share, if
    /// it has any; make it the global recorder
    /// ([`MetricsHandle::install`](crate::metrics::MetricsHandle::install))
    /// to count the crates' own series there too.
    #[cfg(feature = "metrics")]
    pub fn metrics(&self) -> Option<&crate::metrics::MetricsHandle> {
        self.metrics.as_ref()
    }

    /// Starts the tasks that delete expired sessions from each `sessions`
    /// layer's store, every `cleanup_every`. Needs a tokio runtime;
    /// [`serve`](Self::serve) starts them itself. Dropping the handles
    /// leaves the tasks running.
    #[cfg(feature = "sessions")]
    pub fn spawn_cleanup(&self) -> Vec<tokio::task::JoinHandle<()>> {
        (self.cleanups.iter())
            .map(|(store, every)| crate::sessions::spawn_cleanup(store.clone(), *every))
            .collect()
    }

    /// Serves the stack at `[server] addr` (or on the socket systemd
    /// passes, see [`Listen::from_env_or`]) with the `[server]` settings,
    /// until ctrl-c or SIGTERM.
    ///
    /// # Errors
    ///
    /// When the address cannot be bound.
    pub async fn serve(self) -> io::Result<()> {
        #[cfg(feature = "sessions")]
        let cleanups = self.spawn_cleanup();
        let listen = Listen::from_env_or(self.server.addr.as_str())?;
        let result = self.server.apply(crate::serve(listen, self.app)).await;
        #[cfg(feature = "sessions")]
        cleanups.iter().for_each(tokio::task::JoinHandle::abort);
        result
    }
}

/// The `[server]` table: where to listen and [`Serve`]'s limits. A setting
/// left out keeps `Serve`'s default.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ServerSettings {
    /// `addr`, or `PASTRY_ADDR`; `127.0.0.1:8080` by default.
    pub addr: String,
    /// `header_read_timeout`.
    pub header_read_timeout: Option<Duration>,
    /// `idle_timeout`.
    pub idle_timeout: Option<Duration>,
    /// `body_read_timeout`.
    pub body_read_timeout: Option<Duration>,
    /// `keep_alive_interval`.
    pub keep_alive_interval: Option<Duration>,
    /// `keep_alive_timeout`.
    pub keep_alive_timeout: Option<Duration>,
    /// `max_connections`, or `PASTRY_MAX_CONNECTIONS`.
    pub max_connections: Option<usize>,
    /// `shutdown_timeout`.
    pub shutdown_timeout: Option<Duration>,
    /// `upgraded_idle_timeout`.
    pub upgraded_idle_timeout: Option<Duration>,
    /// `http2_extended_connect`.
    pub http2_extended_connect: Option<bool>,
    /// `quiet`.
    pub quiet: Option<bool>,
}

impl ServerSettings {
    fn read(s: &Settings<'_>) -> Result<Self, ConfigError> {
        let max_connections = match (s.source().env)("PASTRY_MAX_CONNECTIONS") {
            Some(value) => Some(value.trim().parse().map_err(|_| {
                ConfigError::new(
                    ConfigErrorKind::Invalid,
                    &s.source().file,
                    format!("$PASTRY_MAX_CONNECTIONS should be a whole number, not {value:?}"),
                )
            })?)
            .inspect(|n| {
                let _ = s.value("max_connections");
                s.show(
                    "max_connections",
                    format!("{n} (from $PASTRY_MAX_CONNECTIONS)"),
                );
            }),
            None => s.usize("max_connections")?,
        };
        Ok(ServerSettings {
            addr: s
                .string_or_env("addr", "PASTRY_ADDR")?
                .unwrap_or_else(|| "127.0.0.1:8080".to_owned()),
            header_read_timeout: s.duration("header_read_timeout")?,
            idle_timeout: s.duration("idle_timeout")?,
            body_read_timeout: s.duration("body_read_timeout")?,
            keep_alive_interval: s.duration("keep_alive_interval")?,
            keep_alive_timeout: s.duration("keep_alive_timeout")?,
            max_connections,
            shutdown_timeout: s.duration("shutdown_timeout")?,
            upgraded_idle_timeout: s.duration("upgraded_idle_timeout")?,
            http2_extended_connect: s.bool("http2_extended_connect")?,
            quiet: s.bool("quiet")?,
        })
    }

    /// `serve` with these settings.
    pub fn apply<S>(&self, mut serve: Serve<S>) -> Serve<S> {
        if let Some(t) = self.header_read_timeout {
            serve = serve.header_read_timeout(t);
        }
        if let Some(t) = self.idle_timeout {
            serve = serve.idle_timeout(t);
        }
        if let Some(t) = self.body_read_timeout {
            serve = serve.body_read_timeout(t);
        }
        if let Some(t) = self.keep_alive_interval {
            serve = serve.keep_alive_interval(t);
        }
        if let Some(t) = self.keep_alive_timeout {
            serve = serve.keep_alive_timeout(t);
        }
        if let Some(n) = self.max_connections {
            serve = serve.max_connections(n);
        }
        if let Some(t) = self.shutdown_timeout {
            serve = serve.shutdown_timeout(t);
        }
        if let Some(t) = self.upgraded_idle_timeout {
            serve = serve.upgraded_idle_timeout(t);
        }
        if let Some(on) = self.http2_extended_connect {
            serve = serve.http2_extended_connect(on);
        }
        if let Some(on) = self.quiet {
            serve = serve.quiet(on);
        }
        serve
    }
}

/// Builds one file's stack.
struct Builder<'a> {
    source: &'a Source<'a>,
    registry: &'a Registry,
    shared: Shared,
}

impl<'a> Builder<'a> {
    fn stack(self, root: &'a DeTable<'a>, span: Range<usize>) -> Result<Stack, ConfigError> {
        let top = Settings::from_table(self.source, root, span.clone(), "the file");
        let server = Settings::new(self.source, top.value("server"), span.clone(), "`[server]`")?;
        let layers = self.tables(&top, "layer")?;
        let mounts = self.tables(&top, "mount")?;
        top.finish()?;
        if mounts.is_empty() {
            return Err(self.source.error(
                ConfigErrorKind::MissingKey,
                0..0,
                "the file mounts no app: add a [[mount]] with `app = \"…\"`",
            ));
        }
        let server_settings = ServerSettings::read(&server)?;
        server.finish()?;
        let mut root_node = Node::new(self.source.file.clone());
        root_node.push(Node::with_settings("server", &server.shown()));

        let (site_layers, layer_nodes) = self.layers(&layers, "")?;
        let mut map = UrlMap::<BoxBody>::builder();
        let mut map_node = Node::new("url map".to_owned());
        let mut seen = HashSet::new();
        for (table, span) in mounts {
            let (mount, app, node) = self.mount(table, span.clone(), &mut seen)?;
            map_node.push(node);
            map = match mount {
                None => map.fallback(app),
                Some(mount) => map.mount(mount, app),
            };
        }
        let map = map.build().map_err(|error| {
            ConfigError::new(ConfigErrorKind::Build, &self.source.file, error.to_string())
        })?;
        let app = wrap(site_layers, BoxApp::new(map));
        layer_nodes
            .into_iter()
            .for_each(|node| root_node.push(node));
        root_node.push(map_node);

        Ok(Stack {
            app,
            server: server_settings,
            tree: root_node.render(),
            #[cfg(feature = "sessions")]
            cleanups: self.shared.stores.take(),
            #[cfg(feature = "metrics")]
            metrics: self.shared.metrics.get().cloned(),
        })
    }

    /// The tables of an array of tables (`[[layer]]`, `[[mount]]`).
    fn tables(
        &self,
        within: &Settings<'a>,
        key: &'static str,
    ) -> Result<Vec<(&'a DeTable<'a>, Range<usize>)>, ConfigError> {
        let Some(value) = within.value(key) else {
            return Ok(Vec::new());
        };
        let expected = |found: &Spanned<DeValue<'_>>| {
            self.source.error(
                ConfigErrorKind::Type,
                found.span(),
                format!(
                    "`{key}` in {} should be a list of tables ([[{key}]]), found {}",
                    within.what(),
                    type_name(found.get_ref())
                ),
            )
        };
        let DeValue::Array(items) = value.get_ref() else {
            return Err(expected(value));
        };
        items
            .iter()
            .map(|item| match item.get_ref() {
                DeValue::Table(table) => Ok((table, item.span())),
                _ => Err(expected(item)),
            })
            .collect()
    }

    /// One `[[mount]]`: where (`None` for the fallback), the app with its
    /// layers, and its branch of the tree.
    fn mount(
        &self,
        table: &'a DeTable<'a>,
        span: Range<usize>,
        seen: &mut HashSet<(Option<String>, String)>,
    ) -> Result<(Option<Mount>, BoxApp, Node), ConfigError> {
        let m = Settings::from_table(self.source, table, span, "[[mount]]");
        let path = m.string("path")?.unwrap_or_else(|| "/".to_owned());
        let host = m.string("host")?;
        let rewrite = m.bool("rewrite_location")?;
        let app_name_value = m.value("app");
        let settings_value = m.value("settings");
        let layers = self.tables(&m, "layer")?;
        m.finish()?;
        let Some(app_name_value) = app_name_value else {
            return Err(self.source.error(
                ConfigErrorKind::MissingKey,
                m.span(),
                format!("the mount at `{path}` needs `app`"),
            ));
        };
        let Some(app_name) = app_name_value.get_ref().as_str() else {
            return Err(self.source.error(
                ConfigErrorKind::Type,
                app_name_value.span(),
                format!(
                    "`app` should be a string, found {}",
                    type_name(app_name_value.get_ref())
                ),
            ));
        };
        if !seen.insert((host.clone(), path.clone())) {
            return Err(self.source.error(
                ConfigErrorKind::Invalid,
                m.span(),
                format!(
                    "two mounts at `{path}`{}",
                    host.as_ref().map_or(String::new(), |h| format!(" on {h}"))
                ),
            ));
        }
        let settings = Settings::new(
            self.source,
            settings_value,
            app_name_value.span(),
            format!("the settings of app `{app_name}`"),
        )?;
        let ctx = Context {
            settings,
            mount: &path,
            shared: &self.shared,
        };
        let app = if let Some(factory) = self.registry.apps.get(app_name) {
            factory(&ctx)
        } else if apps::BUILT_IN.contains(&app_name) {
            apps::build(app_name, &ctx)
        } else {
            return Err(self
                .source
                .error(
                    ConfigErrorKind::UnknownName,
                    app_name_value.span(),
                    format!("unknown app `{app_name}`"),
                )
                .help_maybe(error::closest(app_name, self.registry.app_names())));
        };
        let app = self.built(
            app,
            &ctx,
            app_name_value.span(),
            &format!("app `{app_name}`"),
        )?;
        let (mount_layers, layer_nodes) = self.layers(&layers, &path)?;
        let app = wrap(mount_layers, app);

        let place = match &host {
            Some(host) => format!("{host}{path}"),
            None => path.clone(),
        };
        let mut shown = m.shown();
        shown.retain(|(key, _)| key == "rewrite_location");
        shown.extend(ctx.settings.shown());
        let mut node = Node::with_settings(&format!("{place} → {app_name}"), &shown);
        layer_nodes.into_iter().for_each(|layer| node.push(layer));
        let mount = if path == "/" && host.is_none() {
            None
        } else {
            let mut mount = Mount::at(path);
            if let Some(host) = host {
                mount = mount.host(host);
            }
            if let Some(rewrite) = rewrite {
                mount = mount.rewrite_location(rewrite);
            }
            Some(mount)
        };
        Ok((mount, app, node))
    }

    /// The middleware `layers` describe, the first outermost, each built
    /// (and its errors reported) in the file's order, with their branches.
    fn layers(
        &self,
        layers: &[(&'a DeTable<'a>, Range<usize>)],
        mount: &str,
    ) -> Result<(Vec<AppLayer>, Vec<Node>), ConfigError> {
        let mut built = Vec::with_capacity(layers.len());
        let mut nodes = Vec::with_capacity(layers.len());
        for (table, span) in layers {
            let settings = Settings::from_table(self.source, table, span.clone(), "[[layer]]");
            let Some(name_value) = settings.value("use") else {
                return Err(self.source.error(
                    ConfigErrorKind::MissingKey,
                    span.clone(),
                    "a [[layer]] needs `use = \"…\"`, the middleware's name",
                ));
            };
            let Some(name) = name_value.get_ref().as_str() else {
                return Err(self.source.error(
                    ConfigErrorKind::Type,
                    name_value.span(),
                    format!(
                        "`use` should be a string, found {}",
                        type_name(name_value.get_ref())
                    ),
                ));
            };
            let ctx = Context {
                settings: settings.renamed(format!("layer `{name}`")),
                mount,
                shared: &self.shared,
            };
            let layer = if let Some(factory) = self.registry.layers.get(name) {
                factory(&ctx)
            } else if let Some(built_in) = layers::built_in(name) {
                if !built_in.available {
                    return Err(self.source.error(
                        ConfigErrorKind::Feature,
                        name_value.span(),
                        format!(
                            "layer `{name}` needs pastry's `{}` feature, which this program was built without",
                            built_in.feature
                        ),
                    ));
                }
                layers::build(name, &ctx)
            } else {
                return Err(self
                    .source
                    .error(
                        ConfigErrorKind::UnknownName,
                        name_value.span(),
                        format!("unknown layer `{name}`"),
                    )
                    .help_maybe(error::closest(name, self.registry.layer_names())));
            };
            built.push(self.built(layer, &ctx, name_value.span(), &format!("layer `{name}`"))?);
            nodes.push(Node::with_settings(name, &ctx.settings.shown()));
        }
        Ok((built, nodes))
    }

    /// A factory's result, with its settings checked for unknown keys and
    /// a build error pointed at the name.
    fn built<T>(
        &self,
        result: Result<T, BoxError>,
        ctx: &Context<'_>,
        name_span: Range<usize>,
        what: &str,
    ) -> Result<T, ConfigError> {
        match result {
            Ok(built) => {
                ctx.settings.finish()?;
                Ok(built)
            }
            Err(error) => match error.downcast::<ConfigError>() {
                Ok(config_error) => Err(*config_error),
                Err(other) => {
                    ctx.settings.finish()?;
                    Err(self.source.error(
                        ConfigErrorKind::Build,
                        name_span,
                        format!("{what}: {other}"),
                    ))
                }
            },
        }
    }
}

/// `app` inside `layers`, the first outermost.
fn wrap(layers: Vec<AppLayer>, app: BoxApp) -> BoxApp {
    layers
        .into_iter()
        .rev()
        .fold(app, |inner, layer| tower::Layer::layer(&layer, inner))
}
