//! The layer: collects the settings and wraps services with them.

use std::any::Any;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use tower_layer::Layer;

use crate::config::{Config, is_attribute_byte, is_token_byte};
use crate::error::ConfigError;
use crate::expiry::Expiry;
use crate::same_site::SameSite;
use crate::service::SessionService;
use crate::session::{AtomicUpdate, Replayer};
use crate::store::{DynStore, SessionStore};
use pastry_core::Clock;

/// Adds a [`Session`](crate::Session) to every request and saves it after
/// the response, with the cookie settings and expiry policy chosen here.
///
/// Defaults, each with the setting that changes or turns it off:
///
/// - cookie `__Host-id`: `__Secure-id` with a `Domain` or another path,
///   `id` when not `Secure` ([`cookie_name`](Self::cookie_name) to choose
///   one, e.g. `.cookie_name("id")` for the unprefixed name);
/// - `Path=/` ([`path`](Self::path)), no `Domain` ([`domain`](Self::domain)),
///   `Secure` ([`secure`](Self::secure)), `HttpOnly`
///   ([`http_only`](Self::http_only)), `SameSite=Lax`
///   ([`same_site`](Self::same_site));
/// - sessions end after a day idle ([`idle_timeout`](Self::idle_timeout))
///   and at the latest a week after they began, however active
///   ([`absolute_lifetime`](Self::absolute_lifetime); `Duration::MAX` for
///   no cap);
/// - a response that sets or removes the cookie is `Cache-Control:
///   private` unless the app set its own
///   ([`cache_control`](Self::cache_control)`(false)` to leave it), and
///   one whose handler loaded the session gets `Vary: Cookie`
///   ([`vary_cookie`](Self::vary_cookie)`(false)`);
/// - concurrent requests on one session never lose each other's changes
///   and, with the bundled stores, never fail for it (other stores:
///   [`max_retries`](Self::max_retries) replays with back-off);
/// - a request whose session another request rotated (a login) or
///   destroyed drops its changes and sends no cookie, for a minute after
///   a rotation even when it arrives late
///   ([`Session::cycle_id`](crate::Session::cycle_id)); this has no
///   switch.
///
/// **WebSockets and other upgrades**: the handshake's answer (a `101`, or
/// the `200` to an HTTP/2 extended `CONNECT`, RFC 8441) is held until the
/// session is saved and carries its `Set-Cookie`, like any response, so a
/// handler may read and change the session in the handshake. What the
/// socket task does to the session afterwards is not saved (no response
/// follows): change it in the handshake, or through the store. A failed
/// save answers 500 (503) in place of the handshake, so the upgrade does
/// not happen. A handshake from another origin is refused first
/// ([`handshake_origin`](Self::handshake_origin)).
///
/// **Plain http during development**: browsers do not send `Secure`
/// cookies over `http://` (except to `localhost` in some browsers), so a
/// development server without TLS needs `.secure(false)`:
///
/// ```
/// use std::time::Duration;
/// use pastry_sessions::{MemoryStore, SameSite, SessionLayer};
///
/// let dev = std::env::var("APP_ENV").as_deref() == Ok("development");
/// let layer = SessionLayer::new(MemoryStore::new())
///     .cookie_name("sid")
///     .secure(!dev)
///     .same_site(SameSite::Strict)
///     .idle_timeout(Duration::from_secs(30 * 60))
///     .absolute_lifetime(Duration::from_secs(12 * 60 * 60))
///     .validate()
///     .expect("valid session settings");
/// # let _ = layer;
/// ```
#[derive(Clone)]
pub struct SessionLayer {
    store: Arc<dyn DynStore>,
    replayer: Arc<Replayer>,
    config: Arc<Config>,
}

impl SessionLayer {
    /// A layer keeping sessions in `store`, with the default settings.
    pub fn new(store: impl SessionStore) -> Self {
        let replayer = Replayer::new(atomic_update(&store));
        #[cfg(feature = "cookie-store")]
        let replayer = replayer.with_cookie(cookie_store(&store));
        Self {
            replayer: Arc::new(replayer),
            store: Arc::new(store),
            config: Arc::new(Config::new()),
        }
    }

    fn update(mut self, f: impl FnOnce(&mut Config) -> Result<(), ConfigError>) -> Self {
        let config = Arc::make_mut(&mut self.config);
        if let Err(e) = f(config) {
            config.error.get_or_insert(e);
        }
        config.refresh_derived();
        self
    }

    /// The cookie's name; must be an HTTP token. Used exactly as given.
    ///
    /// Without it the name follows the other settings, taking the strongest
    /// prefix they allow: `__Host-id` for the default `Secure` cookie with
    /// `Path=/` and no `Domain`; `__Secure-id` for a `Secure` cookie with a
    /// [`domain`](Self::domain) or another [`path`](Self::path) (browsers
    /// refuse `__Host-` there); plain `id` when not
    /// [`secure`](Self::secure). A `__Host-` cookie can only be set by the
    /// host itself over HTTPS, so a sibling subdomain (or a plain-http page)
    /// cannot plant a session cookie beside it ("cookie tossing"). Name it
    /// `"id"` (or anything) here to keep an unprefixed name.
    ///
    /// A name with a prefix the settings break (`__Host-` without `Secure`,
    /// with a `Domain` or a path other than `/`; `__Secure-` without
    /// `Secure`) is a [`ConfigError::CookieName`] when the layer is
    /// [validated](Self::validate).
    ///
    /// **Several cookies of the name**: a request may carry more than one
    /// (a cookie set with a longer `Path`, or planted by a sibling domain
    /// when the name has no `__Host-` prefix). The layer tries the first
    /// four well-formed ids in the order the `Cookie` headers list them,
    /// which browsers sort by longest `Path` first, then oldest, and uses
    /// the first that names a live session. Malformed values are skipped.
    pub fn cookie_name(self, name: impl Into<String>) -> Self {
        let name = name.into();
        self.update(|c| {
            if name.is_empty() || !name.bytes().all(is_token_byte) {
                return Err(ConfigError::CookieName(name));
            }
            c.chosen_name = Some(name);
            Ok(())
        })
    }

    /// The cookie's `Path` (default `/`).
    pub fn path(self, path: impl Into<String>) -> Self {
        let path = path.into();
        self.update(|c| {
            if !path.starts_with('/') || !path.bytes().all(is_attribute_byte) {
                return Err(ConfigError::Path(path));
            }
            c.path = path;
            Ok(())
        })
    }

    /// The cookie's `Domain` (default none: only the host that set it).
    pub fn domain(self, domain: impl Into<String>) -> Self {
        let domain = domain.into();
        self.update(|c| {
            let ok = !domain.is_empty()
                && domain
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.');
            if !ok {
                return Err(ConfigError::Domain(domain));
            }
            c.domain = Some(domain);
            Ok(())
        })
    }

    /// Whether the cookie is `Secure` (default on): sent over HTTPS only.
    pub fn secure(self, secure: bool) -> Self {
        self.update(|c| {
            c.secure = secure;
            Ok(())
        })
    }

    /// Whether the cookie is `HttpOnly` (default on): hidden from scripts.
    pub fn http_only(self, http_only: bool) -> Self {
        self.update(|c| {
            c.http_only = http_only;
            Ok(())
        })
    }

    /// The cookie's `SameSite` (default `Lax`). `None` requires `Secure`.
    pub fn same_site(self, same_site: SameSite) -> Self {
        self.update(|c| {
            c.same_site = same_site;
            Ok(())
        })
    }

    /// How long a session lives without a request that uses it (default a
    /// day). Also how long the store keeps [`Expiry::BrowserSession`]
    /// sessions.
    pub fn idle_timeout(self, timeout: Duration) -> Self {
        self.update(|c| {
            if timeout.is_zero() {
                return Err(ConfigError::ZeroDuration("idle timeout"));
            }
            c.idle_timeout = timeout;
            Ok(())
        })
    }

    /// The longest any session may live from its first save, however
    /// active (default 7 days; `Duration::MAX` for no cap).
    ///
    /// The idle timeout alone lets a session that is used every day live
    /// for ever, and with it an id stolen once. OWASP's Session Management
    /// Cheat Sheet asks for an absolute timeout beside the idle one. A
    /// session older than this is treated as expired when it is loaded (the
    /// request gets a fresh session and id, as with an unknown cookie), and
    /// no cookie or stored record outlives it. The default week suits a
    /// site whose users expect to stay logged in across days. For an app
    /// used through a working day OWASP suggests 4 to 8 hours (with an idle
    /// timeout of 15 to 30 minutes, or 2 to 5 for high-value apps).
    pub fn absolute_lifetime(self, lifetime: Duration) -> Self {
        self.update(|c| {
            if lifetime.is_zero() {
                return Err(ConfigError::ZeroDuration("absolute lifetime"));
            }
            c.absolute_lifetime = Some(lifetime);
            Ok(())
        })
    }

    /// The expiry of sessions that did not choose one with
    /// [`Session::set_expiry`](crate::Session::set_expiry) (default
    /// `Expiry::Idle(idle_timeout)`).
    pub fn expiry(self, expiry: Expiry) -> Self {
        self.update(|c| {
            if expiry == Expiry::Idle(Duration::ZERO) {
                return Err(ConfigError::ZeroDuration("idle expiry"));
            }
            c.default_expiry = Some(expiry);
            Ok(())
        })
    }

    /// The least time between two saves that only extend an idle expiry
    /// (default a minute, and at most half the idle timeout). A request
    /// that changes nothing writes to the store only when its session's
    /// expiry would move by at least this much.
    pub fn refresh_interval(self, interval: Duration) -> Self {
        self.update(|c| {
            c.refresh_interval = Some(interval);
            Ok(())
        })
    }

    /// How many times a save is replayed after a save from elsewhere came
    /// in between (default 8); after that the request fails with a logged
    /// error and a 500.
    ///
    /// Only stores other than the bundled ones use it. The bundled stores
    /// (memory, file, SQLite, also inside [`AnyStore`](crate::AnyStore))
    /// replay a conflicting save atomically, once, and never fail for a
    /// conflict. With any other store, the requests of one layer take turns
    /// per session to reload, replay and save, so they never conflict with
    /// each other there; a save from another process or layer in between
    /// makes the request wait a random, growing back-off (2 ms doubling to
    /// 100 ms, full jitter) and replay again, up to this many times.
    pub fn max_retries(self, retries: u32) -> Self {
        self.update(|c| {
            c.max_retries = retries;
            Ok(())
        })
    }

    /// Whether a response that sets or removes the session cookie gets
    /// `Cache-Control: private` when the app set no `Cache-Control` of its
    /// own (default on).
    ///
    /// A shared cache (a CDN, a proxy) must never store a `Set-Cookie`
    /// carrying a session id and hand it to the next visitor (OWASP Session
    /// Management, "Web Content Caching"). `private` keeps such responses
    /// out of shared caches while the browser's own cache still works; it
    /// is chosen over `no-cache="Set-Cookie"` because a cache that honours
    /// the qualified form may still store the body, which was made for the
    /// session's owner. An app that sets its own `Cache-Control` is left
    /// alone. Turn this off only when no shared cache can see the responses.
    pub fn cache_control(self, on: bool) -> Self {
        self.update(|c| {
            c.cache_control = on;
            Ok(())
        })
    }

    /// Whether a response whose handler loaded the session gets `Cookie`
    /// added to its `Vary` (default on; merged with the app's own `Vary`,
    /// never added to `Vary: *`), so a cache never answers one visitor with
    /// a response made from another's session. Responses whose handler did
    /// not use the session are left alone.
    pub fn vary_cookie(self, on: bool) -> Self {
        self.update(|c| {
            c.vary_cookie = on;
            Ok(())
        })
    }

    /// Whether an upgrade request (a WebSocket handshake, over HTTP/1.1 or
    /// HTTP/2's extended `CONNECT`) from another origin is refused with an
    /// empty 403 before the app runs (default on): a handshake is a `GET`
    /// that carries the session cookie, so without this check any site's
    /// page could open a socket as the logged-in user (cross-site WebSocket
    /// hijacking). The rule is pastry-core's `check_cross_origin` (the
    /// `Origin` against `Host`, and `Sec-Fetch-Site`). A request that a
    /// cross-origin layer outside already passed (it carries
    /// `CrossOriginChecked`, as `pastry_origin::CrossOriginLayer` marks
    /// them, with its trusted origins) is not judged again. Turn it off
    /// only for sockets that must accept any origin.
    pub fn handshake_origin(self, on: bool) -> Self {
        self.update(|c| {
            c.handshake_origin = on;
            Ok(())
        })
    }

    /// The clock expiry decisions use (default the system clock); tests
    /// pass a [`ManualClock`](crate::ManualClock).
    pub fn clock(self, clock: impl Clock) -> Self {
        self.update(|c| {
            c.clock = Arc::new(clock);
            Ok(())
        })
    }

    /// Checks the settings as a whole: `Ok(self)` if they can work, else the
    /// first problem found. Call it where the app starts, so a bad setting
    /// stops start-up with a typed error.
    pub fn validate(self) -> Result<Self, ConfigError> {
        self.config.check().map(|()| self)
    }
}

impl<S> Layer<S> for SessionLayer {
    type Service = SessionService<S>;

    /// Never panics. Settings that [`SessionLayer::validate`] rejects make a
    /// service that logs the [`ConfigError`] and answers every request with
    /// an empty 500, without calling the wrapped service or the store.
    fn layer(&self, inner: S) -> Self::Service {
        let config = match self.config.check() {
            Ok(()) => Arc::clone(&self.config),
            Err(error) => {
                tracing::error!(
                    target: "pastry_sessions",
                    error = %error,
                    "invalid SessionLayer settings; every request will be answered with 500"
                );
                let mut config = Config::clone(&self.config);
                config.error = Some(error);
                Arc::new(config)
            }
        };
        SessionService::new(
            inner,
            Arc::clone(&self.store),
            Arc::clone(&self.replayer),
            config,
        )
    }
}

/// The atomic replay of a bundled store, also inside an
/// [`AnyStore`](crate::AnyStore); `None` for any other store, whose
/// conflicts are replayed with compare-and-swap and back-off.
fn atomic_update(store: &dyn Any) -> Option<Arc<dyn AtomicUpdate>> {
    #[cfg(feature = "memory")]
    if let Some(store) = store.downcast_ref::<crate::MemoryStore>() {
        return Some(Arc::new(store.clone()));
    }
    #[cfg(feature = "file")]
    if let Some(store) = store.downcast_ref::<crate::FileStore>() {
        return Some(Arc::new(store.clone()));
    }
    #[cfg(feature = "sqlite")]
    if let Some(store) = store.downcast_ref::<crate::SqliteStore>() {
        return Some(Arc::new(store.clone()));
    }
    let any = store.downcast_ref::<crate::AnyStore>()?;
    #[allow(unreachable_patterns, unreachable_code, clippy::match_single_binding)]
    match any {
        #[cfg(feature = "memory")]
        crate::AnyStore::Memory(store) => atomic_update(store),
        #[cfg(feature = "file")]
        crate::AnyStore::File(store) => atomic_update(store),
        #[cfg(feature = "sqlite")]
        crate::AnyStore::Sqlite(store) => atomic_update(store),
        _ => None,
    }
}

/// The [`CookieStore`](crate::CookieStore) the layer was given, directly
/// or inside an [`AnyStore`](crate::AnyStore): its sessions travel sealed
/// in the cookie.
#[cfg(feature = "cookie-store")]
fn cookie_store(store: &dyn Any) -> Option<crate::CookieStore> {
    if let Some(store) = store.downcast_ref::<crate::CookieStore>() {
        return Some(store.clone());
    }
    #[allow(unreachable_patterns)]
    match store.downcast_ref::<crate::AnyStore>()? {
        crate::AnyStore::Cookie(store) => Some(store.clone()),
        _ => None,
    }
}

impl fmt::Debug for SessionLayer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionLayer")
            .field("cookie_name", &self.config.cookie_name)
            .field("path", &self.config.path)
            .field("domain", &self.config.domain)
            .field("secure", &self.config.secure)
            .field("http_only", &self.config.http_only)
            .field("same_site", &self.config.same_site)
            .field("idle_timeout", &self.config.idle_timeout)
            .field("absolute_lifetime", &self.config.absolute_lifetime)
            .field("cache_control", &self.config.cache_control)
            .field("vary_cookie", &self.config.vary_cookie)
            .finish_non_exhaustive()
    }
}

#[cfg(all(test, feature = "memory"))]
mod tests {
    use super::*;
    use crate::MemoryStore;

    #[test]
    fn bad_settings_are_typed_errors() {
        let layer = || SessionLayer::new(MemoryStore::new());
        assert!(matches!(
            layer().cookie_name("").validate(),
            Err(ConfigError::CookieName(_))
        ));
        assert!(matches!(
            layer().cookie_name("a;b").validate(),
            Err(ConfigError::CookieName(_))
        ));
        assert!(matches!(
            layer().path("x").validate(),
            Err(ConfigError::Path(_))
        ));
        assert!(matches!(
            layer().path("/a;b").validate(),
            Err(ConfigError::Path(_))
        ));
        assert!(matches!(
            layer().domain("a b").validate(),
            Err(ConfigError::Domain(_))
        ));
        assert!(matches!(
            layer().same_site(SameSite::None).secure(false).validate(),
            Err(ConfigError::SameSiteNoneWithoutSecure)
        ));
        assert!(matches!(
            layer().idle_timeout(Duration::ZERO).validate(),
            Err(ConfigError::ZeroDuration(_))
        ));
        assert!(matches!(
            layer()
                .idle_timeout(Duration::from_secs(30))
                .refresh_interval(Duration::from_secs(30))
                .validate(),
            Err(ConfigError::RefreshInterval { .. })
        ));
        assert!(
            layer()
                .cookie_name("sid")
                .path("/app")
                .domain("example.com")
                .validate()
                .is_ok()
        );
    }

    #[test]
    fn attributes_follow_the_settings() {
        let layer = SessionLayer::new(MemoryStore::new())
            .path("/app")
            .domain("example.com")
            .secure(false)
            .http_only(false)
            .same_site(SameSite::Strict);
        assert_eq!(
            layer.config.attributes,
            "; Path=/app; Domain=example.com; SameSite=Strict"
        );
        let default = SessionLayer::new(MemoryStore::new());
        assert_eq!(
            default.config.attributes,
            "; Path=/; Secure; HttpOnly; SameSite=Lax"
        );
    }

    #[test]
    fn the_default_name_takes_the_strongest_prefix_the_settings_allow() {
        let layer = || SessionLayer::new(MemoryStore::new());
        assert_eq!(layer().config.cookie_name, "__Host-id");
        assert_eq!(
            layer().domain("example.com").config.cookie_name,
            "__Secure-id"
        );
        assert_eq!(layer().path("/app").config.cookie_name, "__Secure-id");
        assert_eq!(layer().secure(false).config.cookie_name, "id");
        assert_eq!(layer().secure(false).path("/app").config.cookie_name, "id");
        // Settings given after the name still follow it.
        assert_eq!(
            layer().secure(false).secure(true).config.cookie_name,
            "__Host-id"
        );
        // A chosen name is used as given.
        assert_eq!(layer().cookie_name("id").config.cookie_name, "id");
        assert_eq!(
            layer().cookie_name("sid").secure(false).config.cookie_name,
            "sid"
        );
        for layer in [
            layer(),
            layer().domain("example.com"),
            layer().secure(false),
        ] {
            assert!(layer.validate().is_ok());
        }
    }

    #[test]
    fn a_chosen_prefix_the_settings_break_is_a_typed_error() {
        let layer = || SessionLayer::new(MemoryStore::new());
        for broken in [
            layer().cookie_name("__Host-sid").secure(false),
            layer().cookie_name("__Host-sid").domain("example.com"),
            layer().cookie_name("__host-sid").path("/app"),
            layer().cookie_name("__Secure-sid").secure(false),
            layer().secure(false).cookie_name("__SECURE-sid"),
        ] {
            let shown = format!("{broken:?}");
            assert!(
                matches!(broken.validate(), Err(ConfigError::CookieName(_))),
                "{shown}"
            );
        }
        assert!(layer().cookie_name("__Host-sid").validate().is_ok());
        assert!(
            layer()
                .cookie_name("__Secure-sid")
                .domain("example.com")
                .path("/app")
                .validate()
                .is_ok()
        );
    }

    #[test]
    fn applying_an_invalid_layer_does_not_panic_and_keeps_the_error() {
        let layer = SessionLayer::new(MemoryStore::new()).cookie_name("");
        let service = layer.layer(());
        assert!(matches!(
            service.config.error,
            Some(ConfigError::CookieName(_))
        ));
        let cross = SessionLayer::new(MemoryStore::new())
            .same_site(SameSite::None)
            .secure(false)
            .layer(());
        assert_eq!(
            cross.config.error,
            Some(ConfigError::SameSiteNoneWithoutSecure)
        );
        let valid = SessionLayer::new(MemoryStore::new()).layer(());
        assert_eq!(valid.config.error, None);
    }
}
