//! Pastry's own middleware, built from a `[[layer]]` table.

use tower::Layer;

use crate::{BoxApp, BoxError};

use super::context::{AppLayer, Context};

/// A layer `use = "…"` takes without registering it.
pub(crate) struct BuiltIn {
    pub(crate) name: &'static str,
    /// The cargo feature of `pastry` it needs.
    pub(crate) feature: &'static str,
    /// Whether this build has that feature.
    pub(crate) available: bool,
}

/// Pastry's own layers.
pub(crate) const BUILT_IN: &[BuiltIn] = &[
    BuiltIn {
        name: "proxy",
        feature: "proxy",
        available: cfg!(feature = "proxy"),
    },
    BuiltIn {
        name: "access_log",
        feature: "accesslog",
        available: cfg!(feature = "accesslog"),
    },
    BuiltIn {
        name: "rate_limit",
        feature: "ratelimit",
        available: cfg!(feature = "ratelimit"),
    },
    BuiltIn {
        name: "cross_origin",
        feature: "origin",
        available: cfg!(feature = "origin"),
    },
    BuiltIn {
        name: "csrf_tokens",
        feature: "origin",
        available: cfg!(feature = "origin"),
    },
    BuiltIn {
        name: "cors",
        feature: "cors",
        available: cfg!(feature = "cors"),
    },
    BuiltIn {
        name: "catch",
        feature: "catch",
        available: cfg!(feature = "catch"),
    },
    BuiltIn {
        name: "gzip",
        feature: "gzip",
        available: cfg!(feature = "gzip"),
    },
    BuiltIn {
        name: "conditional",
        feature: "conditional",
        available: cfg!(feature = "conditional"),
    },
    BuiltIn {
        name: "sessions",
        feature: "sessions",
        available: cfg!(feature = "sessions"),
    },
    BuiltIn {
        name: "session_auth",
        feature: "auth",
        available: cfg!(all(feature = "auth", feature = "sessions")),
    },
    BuiltIn {
        name: "basic_auth",
        feature: "auth",
        available: cfg!(all(feature = "auth", feature = "sessions")),
    },
    BuiltIn {
        name: "bearer_auth",
        feature: "auth",
        available: cfg!(all(feature = "auth", feature = "sessions")),
    },
    BuiltIn {
        name: "require_login",
        feature: "auth",
        available: cfg!(all(feature = "auth", feature = "sessions")),
    },
    BuiltIn {
        name: "require_role",
        feature: "auth",
        available: cfg!(all(feature = "auth", feature = "sessions")),
    },
    BuiltIn {
        name: "oidc",
        feature: "oidc",
        available: cfg!(feature = "oidc"),
    },
    BuiltIn {
        name: "metrics",
        feature: "metrics",
        available: cfg!(feature = "metrics"),
    },
];

/// The built-in layer called `name`.
pub(crate) fn built_in(name: &str) -> Option<&'static BuiltIn> {
    BUILT_IN.iter().find(|layer| layer.name == name)
}

fn boxed<L>(layer: L) -> Result<AppLayer, BoxError>
where
    L: Layer<BoxApp> + Send + Sync + 'static,
    L::Service: crate::App<crate::BoxBody, ResBody: Send + 'static> + Clone + Send + Sync + 'static,
    <L::Service as tower::Service<http::Request<crate::BoxBody>>>::Future: Send + 'static,
{
    Ok(AppLayer::new(layer))
}

/// The built-in layer `name`, configured from `ctx`. Only called for
/// names available in this build.
pub(crate) fn build(name: &str, ctx: &Context<'_>) -> Result<AppLayer, BoxError> {
    let s = ctx.settings();
    match name {
        #[cfg(feature = "proxy")]
        "proxy" => {
            use crate::proxy::{ProxyLayer, ProxyLayerBuilder, Source};
            let mut builder = ProxyLayer::builder();
            for net in s
                .strings_or_env("trust", "PASTRY_TRUSTED_PROXIES")?
                .unwrap_or_default()
            {
                builder = builder.trust(net);
            }
            if let Some(n) = s.usize("hops")? {
                builder = builder.hops(n);
            }
            if let Some(source) = s.string("source")? {
                builder = builder.source(match source.as_str() {
                    "x-forwarded" => Source::XForwarded,
                    "forwarded" => Source::Forwarded,
                    _ => {
                        return Err(s
                            .error(
                                "source",
                                "`source` should be \"x-forwarded\" or \"forwarded\"",
                            )
                            .into());
                    }
                });
            }
            type Set = fn(ProxyLayerBuilder, usize) -> ProxyLayerBuilder;
            let headers: [(&'static str, Set); 5] = [
                ("x_for", ProxyLayerBuilder::x_for),
                ("x_proto", ProxyLayerBuilder::x_proto),
                ("x_host", ProxyLayerBuilder::x_host),
                ("x_port", ProxyLayerBuilder::x_port),
                ("x_prefix", ProxyLayerBuilder::x_prefix),
            ];
            for (key, set) in headers {
                if let Some(n) = s.usize(key)? {
                    builder = set(builder, n);
                }
            }
            if let Some(n) = s.usize("max_entries")? {
                builder = builder.max_entries(n);
            }
            if let Some(n) = s.usize("max_header_len")? {
                builder = builder.max_header_len(n);
            }
            boxed(builder.build()?)
        }
        #[cfg(feature = "accesslog")]
        "access_log" => {
            use crate::accesslog::{AccessLogLayer, Format};
            let mut layer = AccessLogLayer::new();
            if let Some(format) = s.string("format")? {
                layer = layer.format(match format.as_str() {
                    "common" => Format::Common,
                    "combined" => Format::Combined,
                    "detailed" => Format::Detailed,
                    _ => {
                        return Err(s
                            .error(
                                "format",
                                "`format` should be \"common\", \"combined\" or \"detailed\"",
                            )
                            .into());
                    }
                });
            }
            layer = match s.string("to")?.as_deref() {
                None | Some("stderr") => layer.stderr(),
                Some("stdout") => layer.writer(std::io::stdout()),
                Some("tracing") => layer.tracing(),
                Some(file) => {
                    let path = s.dir().join(file);
                    let file = std::fs::OpenOptions::new()
                        .create(true)
                        .append(true)
                        .open(&path)
                        .map_err(|error| {
                            s.error("to", format!("cannot open {}: {error}", path.display()))
                        })?;
                    layer.writer(file)
                }
            };
            if let Some(n) = s.usize("max_field_len")? {
                layer = layer.max_field_len(n);
            }
            boxed(layer)
        }
        #[cfg(feature = "ratelimit")]
        "rate_limit" => {
            use crate::ratelimit::{Policy, RateLimitLayer};
            let rate = s.required("rate", |s, k| s.string_or_env(k, "PASTRY_RATE_LIMIT"))?;
            let policy: Policy = rate
                .parse()
                .map_err(|error| s.error("rate", format!("`rate`: {error}")))?;
            let mut builder = RateLimitLayer::builder(policy);
            builder = match s.string("key")?.as_deref() {
                None | Some("client") => builder.key_by_client_addr(),
                Some("user") => builder.key_by_user(),
                Some(_) => {
                    return Err(s
                        .error("key", "`key` should be \"client\" or \"user\"")
                        .into());
                }
            };
            if let Some(on) = s.bool("headers")? {
                builder = builder.headers(on);
            }
            builder = builder.name(s.string("name")?.unwrap_or_else(|| match ctx.mount_path() {
                "" => "site".to_owned(),
                path => path.to_owned(),
            }));
            if let Some(n) = s.usize("max_keys")? {
                builder = builder.max_keys(n);
            }
            if let Some(on) = s.bool("fail_closed")? {
                builder = builder.fail_closed(on);
            }
            let store = s.string_or_env_redacted("store", "PASTRY_RATE_LIMIT_STORE", redact_url)?;
            let prefix = s.string("redis_prefix")?;
            let timeout = s.duration("redis_timeout")?;
            match store.as_deref() {
                None | Some("memory:") => {}
                #[cfg(feature = "redis")]
                Some(url) if url.starts_with("redis://") => {
                    builder = builder.redis(url);
                    if let Some(prefix) = prefix {
                        builder = builder.redis_prefix(prefix);
                    }
                    if let Some(timeout) = timeout {
                        builder = builder.redis_timeout(timeout);
                    }
                }
                Some(_) => {
                    let _ = (prefix, timeout);
                    return Err(s
                        .error(
                            "store",
                            "`store` should be \"memory:\" or \"redis://…\" (Redis needs pastry's `redis` feature)",
                        )
                        .into());
                }
            }
            boxed(builder.build()?)
        }
        #[cfg(feature = "origin")]
        "cross_origin" => {
            use crate::origin::CrossOriginLayer;
            let mut builder = CrossOriginLayer::builder();
            for origin in s.strings("trusted_origins")?.unwrap_or_default() {
                builder = builder.trusted_origin(origin);
            }
            for path in s.strings("exempt_paths")?.unwrap_or_default() {
                builder = builder.exempt_path(path);
            }
            for prefix in s.strings("exempt_prefixes")?.unwrap_or_default() {
                builder = builder.exempt_prefix(prefix);
            }
            if let Some(on) = s.bool("allow_same_site")? {
                builder = builder.allow_same_site(on);
            }
            boxed(builder.build()?)
        }
        #[cfg(feature = "origin")]
        "csrf_tokens" => boxed(crate::origin::CsrfTokenLayer::new()),
        #[cfg(feature = "cors")]
        "cors" => {
            use crate::cors::CorsLayer;
            let mut builder = CorsLayer::builder();
            let origins = s.required("allow_origins", |s, k| s.strings(k))?;
            builder = if origins.iter().any(|origin| origin == "*") {
                builder.allow_any_origin()
            } else {
                builder.allow_origins(origins)
            };
            if let Some(methods) = s.strings("allow_methods")? {
                builder = builder.allow_methods(methods);
            }
            if let Some(headers) = s.strings("allow_headers")? {
                builder = builder.allow_headers(headers);
            }
            if let Some(headers) = s.strings("expose_headers")? {
                builder = builder.expose_headers(headers);
            }
            if let Some(max_age) = s.duration("max_age")? {
                builder = builder.max_age(max_age);
            }
            if let Some(on) = s.bool("allow_credentials")? {
                builder = builder.allow_credentials(on);
            }
            if let Some(on) = s.bool("allow_private_network")? {
                builder = builder.allow_private_network(on);
            }
            if let Some(on) = s.bool("mirror_request_headers")? {
                builder = builder.mirror_request_headers(on);
            }
            boxed(builder.build()?)
        }
        #[cfg(feature = "catch")]
        "catch" => {
            let debug = s.bool_or_env("debug", "PASTRY_DEBUG")?.unwrap_or(false);
            boxed(crate::catch::CatchLayer::new().debug(debug))
        }
        #[cfg(feature = "gzip")]
        "gzip" => gzip(ctx),
        #[cfg(feature = "conditional")]
        "conditional" => {
            let mut builder = crate::conditional::ConditionalLayer::builder();
            if let Some(n) = s.u64("buffer_limit")? {
                builder = builder.buffer_limit(n);
            }
            if let Some(on) = s.bool("compute_etags")? {
                builder = builder.compute_etags(on);
            }
            boxed(builder.build()?)
        }
        #[cfg(feature = "sessions")]
        "sessions" => sessions(ctx),
        #[cfg(all(feature = "auth", feature = "sessions"))]
        "session_auth" => {
            let users = s.required("users", |s, k| s.path(k))?;
            let auth = ctx.authenticator(&users)?;
            boxed(crate::auth::SessionAuthLayer::new(auth.users().clone()))
        }
        #[cfg(all(feature = "auth", feature = "sessions"))]
        "basic_auth" => {
            let users = s.required("users", |s, k| s.path(k))?;
            let mut builder = crate::auth::BasicAuthLayer::builder(ctx.authenticator(&users)?);
            if let Some(realm) = s.string("realm")? {
                builder = builder.realm(realm);
            }
            boxed(builder.build()?)
        }
        #[cfg(all(feature = "auth", feature = "sessions"))]
        "bearer_auth" => {
            let tokens = s.required("tokens", |s, k| s.path(k))?;
            let mut layer = crate::auth::BearerAuthLayer::new(ctx.shared.tokens(&tokens)?);
            if let Some(users) = s.path("users")? {
                layer = layer.share_throttle(&ctx.authenticator(&users)?);
            }
            boxed(layer)
        }
        #[cfg(all(feature = "auth", feature = "sessions"))]
        "require_login" => {
            let login = s
                .string("login_path")?
                .unwrap_or_else(|| "/login".to_owned());
            boxed(crate::auth::RequireLoginLayer::new(&login)?)
        }
        #[cfg(all(feature = "auth", feature = "sessions"))]
        "require_role" => {
            let role = s.required("role", |s, k| s.string(k))?;
            boxed(crate::auth::RequireRoleLayer::new(role))
        }
        #[cfg(feature = "oidc")]
        "oidc" => oidc(ctx),
        #[cfg(feature = "metrics")]
        "metrics" => {
            let name = s.string("name")?.unwrap_or_else(|| match ctx.mount_path() {
                "" => "site".to_owned(),
                path => path.to_owned(),
            });
            boxed(crate::metrics::MetricsLayer::new(&ctx.metrics()).mount(name))
        }
        other => unreachable!("layer `{other}` is not available in this build"),
    }
}

/// `redis://:secret@host` as `redis://:***@host`, for the printed tree.
pub(crate) fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let userinfo = &url[scheme_end + 3..at];
            match userinfo.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme_end + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

#[cfg(feature = "gzip")]
fn gzip(ctx: &Context<'_>) -> Result<AppLayer, BoxError> {
    use crate::gzip::{CompressionCache, GzipLayer, Level};
    let s = ctx.settings();
    let mut layer = GzipLayer::new();
    if let Some(level) = s.u32("level")? {
        layer =
            layer.level(Level::new(level).map_err(|error| s.error("level", error.to_string()))?);
    }
    if let Some(on) = s.bool("gzip")? {
        layer = layer.gzip(on);
    }
    if let Some(n) = s.u64("min_size")? {
        layer = layer.min_size(n);
    }
    if let Some(n) = s.u64("buffer_limit")? {
        layer = layer.buffer_limit(n);
    }
    if let Some(bytes) = s.usize("cache_bytes")? {
        layer = layer.cache(CompressionCache::new(bytes));
    }
    let br = s.bool("br")?.unwrap_or(false);
    let br_level = s.u32("br_level")?;
    let zstd = s.bool("zstd")?.unwrap_or(false);
    let zstd_level = s.u32("zstd_level")?;
    #[cfg(feature = "br")]
    {
        layer = layer.br(br);
        if let Some(level) = br_level {
            let level = crate::gzip::BrLevel::new(level)
                .map_err(|error| s.error("br_level", error.to_string()))?;
            layer = layer.br_level(level);
        }
    }
    #[cfg(not(feature = "br"))]
    if br || br_level.is_some() {
        return Err(s.error("br", "brotli needs pastry's `br` feature").into());
    }
    #[cfg(feature = "zstd")]
    {
        layer = layer.zstd(zstd);
        if let Some(level) = zstd_level {
            let level = crate::gzip::ZstdLevel::new(level)
                .map_err(|error| s.error("zstd_level", error.to_string()))?;
            layer = layer.zstd_level(level);
        }
    }
    #[cfg(not(feature = "zstd"))]
    if zstd || zstd_level.is_some() {
        return Err(s.error("zstd", "zstd needs pastry's `zstd` feature").into());
    }
    boxed(layer)
}

/// How often a `sessions` layer's store is swept of expired sessions
/// unless `cleanup_every` says otherwise.
#[cfg(feature = "sessions")]
pub(crate) const DEFAULT_CLEANUP_EVERY: std::time::Duration =
    std::time::Duration::from_secs(5 * 60);

#[cfg(feature = "sessions")]
fn sessions(ctx: &Context<'_>) -> Result<AppLayer, BoxError> {
    use crate::sessions::{AnyStore, SameSite, SessionLayer};
    let s = ctx.settings();
    let url = (s.string_or_env_redacted("store", "PASTRY_SESSIONS", AnyStore::redact)?)
        .unwrap_or_else(|| "memory:".to_owned());
    let store =
        AnyStore::from_url(&url).map_err(|error| s.error("store", format!("`store`: {error}")))?;
    let mut layer = SessionLayer::new(store.clone());
    if let Some(name) = s.string("cookie_name")? {
        layer = layer.cookie_name(name);
    }
    if let Some(path) = s.string("path")? {
        layer = layer.path(path);
    }
    if let Some(domain) = s.string("domain")? {
        layer = layer.domain(domain);
    }
    if let Some(on) = s.bool_or_env("secure", "PASTRY_SECURE_COOKIES")? {
        layer = layer.secure(on);
    }
    if let Some(on) = s.bool("http_only")? {
        layer = layer.http_only(on);
    }
    if let Some(same_site) = s.string("same_site")? {
        layer = layer.same_site(match same_site.as_str() {
            "strict" => SameSite::Strict,
            "lax" => SameSite::Lax,
            "none" => SameSite::None,
            _ => {
                return Err(s
                    .error(
                        "same_site",
                        "`same_site` should be \"strict\", \"lax\" or \"none\"",
                    )
                    .into());
            }
        });
    }
    if let Some(timeout) = s.duration("idle_timeout")? {
        layer = layer.idle_timeout(timeout);
    }
    if let Some(lifetime) = s.duration("absolute_lifetime")? {
        layer = layer.absolute_lifetime(lifetime);
    }
    if let Some(interval) = s.duration("refresh_interval")? {
        layer = layer.refresh_interval(interval);
    }
    if let Some(n) = s.u32("max_retries")? {
        layer = layer.max_retries(n);
    }
    if let Some(on) = s.bool("cache_control")? {
        layer = layer.cache_control(on);
    }
    if let Some(on) = s.bool("vary_cookie")? {
        layer = layer.vary_cookie(on);
    }
    if let Some(on) = s.bool("handshake_origin")? {
        layer = layer.handshake_origin(on);
    }
    let cleanup = s
        .duration("cleanup_every")?
        .unwrap_or(DEFAULT_CLEANUP_EVERY);
    let layer = layer.validate()?;
    if !cleanup.is_zero() {
        ctx.shared.stores.borrow_mut().push((store, cleanup));
    }
    boxed(layer)
}

#[cfg(feature = "oidc")]
fn oidc(ctx: &Context<'_>) -> Result<AppLayer, BoxError> {
    let s = ctx.settings();
    let mut builder = crate::oidc::OidcLayer::builder()
        .issuer(s.required("issuer", |s, k| s.string(k))?)
        .client_id(s.required("client_id", |s, k| s.string(k))?)
        .redirect_url(s.required("redirect_url", |s, k| s.string(k))?);
    if let Some(secret) = s.string_redacted("client_secret", |_| "***".to_owned())? {
        builder = builder.client_secret(secret);
    }
    // A provider's user logs in as the user of the same name in the users
    // file: its `preferred_username`, or the local part of a verified
    // email. The file is read once, here.
    let users_path = s.required("users", |s, k| s.path(k))?;
    let text = std::fs::read_to_string(&users_path).map_err(|error| {
        s.error(
            "users",
            format!("cannot read {}: {error}", users_path.display()),
        )
    })?;
    let (users, _) = crate::auth::parse_users(&text);
    builder = builder.map_user(move |claims| {
        let name = match claims.preferred_username() {
            Some(name) => name.to_owned(),
            None if claims.email_verified() => claims.email()?.split('@').next()?.to_owned(),
            None => return None,
        };
        users.iter().find(|user| user.name() == name).cloned()
    });
    if let Some(scopes) = s.strings("scopes")? {
        builder = builder.scopes(scopes);
    }
    if let Some(path) = s.string("login_path")? {
        builder = builder.login_path(path);
    }
    if let Some(path) = s.string("callback_path")? {
        builder = builder.callback_path(path);
    }
    if let Some(path) = s.string("default_next")? {
        builder = builder.default_next(path);
    }
    if let Some(timeout) = s.duration("provider_timeout")? {
        builder = builder.provider_timeout(timeout);
    }
    if let Some(n) = s.usize("max_response_bytes")? {
        builder = builder.max_response_bytes(n);
    }
    if let Some(n) = s.usize("max_pending")? {
        builder = builder.max_pending(n);
    }
    if let Some(ttl) = s.duration("pending_ttl")? {
        builder = builder.pending_ttl(ttl);
    }
    if let Some(skew) = s.duration("clock_skew")? {
        builder = builder.clock_skew(skew);
    }
    if let Some(interval) = s.duration("key_refresh_interval")? {
        builder = builder.key_refresh_interval(interval);
    }
    if let Some(ttl) = s.duration("metadata_ttl")? {
        builder = builder.metadata_ttl(ttl);
    }
    if let Some(path) = s.path("root_certificate")? {
        let pem = std::fs::read(&path).map_err(|error| {
            s.error(
                "root_certificate",
                format!("cannot read {}: {error}", path.display()),
            )
        })?;
        builder = builder.root_certificate_pem(pem);
    }
    boxed(builder.build()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_in_urls_are_hidden() {
        assert_eq!(redact_url("redis://:pw@host/0"), "redis://:***@host/0");
        assert_eq!(redact_url("redis://user:pw@host"), "redis://user:***@host");
        assert_eq!(redact_url("redis://host"), "redis://host");
        assert_eq!(redact_url("memory:"), "memory:");
    }
}
