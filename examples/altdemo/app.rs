//! The altdemo app and its stack, built in-process by the example's `main`
//! and by the tests in `tests/altdemo*.rs`.

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::path::PathBuf;
use std::time::Duration;

use bytes::Bytes;
use http::{Method, Request, Response, StatusCode, header};
use http_body::Body;
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::{BodyExt, Full};
use pastry::accesslog::{AccessLogLayer, Format};
use pastry::auth::{
    Authenticator, BasicAuthLayer, BearerAuthLayer, FileTokenStore, FileUserStore, LoginForm,
    Logout, PasswordHasher, RequireLoginLayer, RequireRoleLayer, RolesExt, SessionAuthLayer,
};
use pastry::catch::CatchLayer;
use pastry::gzip::GzipLayer;
use pastry::origin::{CheckedBody, CrossOriginLayer, CsrfToken, CsrfTokenLayer};
use pastry::proxy::{ProxyLayer, TrustedNet};
use pastry::sessions::{AnyStore, ManualClock, SessionExt, SessionLayer};
use pastry::urlmap::{Mount, UrlMap};
use pastry::{BoxError, Environ, html_escape};
use tower::util::Either;
use tower::{Service, ServiceBuilder, ServiceExt, service_fn};
use tower_http::services::ServeDir;

#[path = "chat.rs"]
pub mod chat;

/// The most paragraphs `/lorem?n=` answers.
pub const MAX_PARAGRAPHS: usize = 200;

/// How often the demo deletes expired sessions from its store (every store
/// kind: memory, file and SQLite).
pub const CLEANUP_EVERY: Duration = Duration::from_secs(5 * 60);

/// Starts the task that deletes expired sessions from `store` every
/// [`CLEANUP_EVERY`], the first time at once; `main` runs it for whatever
/// `--sessions` names. Needs a tokio runtime.
pub fn spawn_cleanup(store: &AnyStore) -> tokio::task::JoinHandle<()> {
    pastry::sessions::spawn_cleanup(store.clone(), CLEANUP_EVERY)
}

/// The demo's idle timeout: the session layer's default, a day.
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(24 * 60 * 60);

/// The demo's absolute session lifetime: the session layer's default, a
/// week.
pub const ABSOLUTE_LIFETIME: Duration = Duration::from_secs(7 * 24 * 60 * 60);

/// The session limits `/counter` shows.
#[derive(Clone, Copy, Debug)]
struct SessionLimits {
    idle_timeout: Duration,
    absolute_lifetime: Duration,
}

/// `90` seconds as "90 seconds", a day as "1 day", 36 hours as "36 hours".
fn span(d: Duration) -> String {
    let secs = d.as_secs();
    let (n, unit) = match secs {
        s if s >= 86_400 && s.is_multiple_of(86_400) => (s / 86_400, "day"),
        s if s >= 3_600 && s.is_multiple_of(3_600) => (s / 3_600, "hour"),
        s if s >= 60 && s.is_multiple_of(60) => (s / 60, "minute"),
        s => (s, "second"),
    };
    format!("{n} {unit}{}", if n == 1 { "" } else { "s" })
}

/// The response body every handler of the demo answers with (not `Sync`:
/// axum's bodies are not).
pub type DemoBody = UnsyncBoxBody<Bytes, BoxError>;

/// The demo's command line, each flag also settable from the environment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Options {
    /// `--addr` / `PASTRY_ADDR`.
    pub addr: String,
    /// `--sessions` / `PASTRY_SESSIONS`.
    pub sessions: String,
    /// `--debug` / `PASTRY_DEBUG=1`.
    pub debug: bool,
    /// `--secure-cookies` / `PASTRY_SECURE_COOKIES=1`.
    pub secure_cookies: bool,
    /// `--csrf-tokens` / `PASTRY_CSRF_TOKENS=1`.
    pub csrf_tokens: bool,
    /// `--trusted-proxy CIDR` (repeatable) / `PASTRY_TRUSTED_PROXIES`
    /// (separated by commas or spaces): the front servers whose
    /// `Forwarded` and `X-Forwarded-*` headers are believed. Empty: none.
    pub trusted_proxies: Vec<TrustedNet>,
    /// `--rate-limit SPEC` / `PASTRY_RATE_LIMIT`: a per-client limit on the
    /// whole site (`10/s,burst=20`); `None`, the default: no limit.
    pub rate_limit: Option<String>,
    /// `--rate-limit-store URL` / `PASTRY_RATE_LIMIT_STORE`: where the
    /// counts live, `memory:` (the default) or `redis://…`.
    pub rate_limit_store: String,
    /// `--rate-limit-prefix PREFIX` / `PASTRY_RATE_LIMIT_PREFIX`: what the
    /// Redis keys start with (default `altdemo:ratelimit:`).
    pub rate_limit_prefix: String,
    /// `--oidc-issuer URL` / `PASTRY_OIDC_ISSUER`: an OpenID provider the
    /// login page offers ("Sign in with the provider"; feature `oidc`).
    pub oidc_issuer: Option<String>,
    /// `--oidc-client-id ID` / `PASTRY_OIDC_CLIENT_ID`: the demo's client
    /// id at that provider.
    pub oidc_client_id: Option<String>,
    /// The client secret: `PASTRY_OIDC_CLIENT_SECRET`, or the first line of
    /// the file named by `--oidc-client-secret-file PATH`.
    pub oidc_client_secret: Option<String>,
    /// `--oidc-redirect-url URL` / `PASTRY_OIDC_REDIRECT_URL`: the callback
    /// as registered at the provider (default
    /// `http://{addr}/auth/oidc/callback`).
    pub oidc_redirect_url: Option<String>,
    /// `--config PATH` / `PASTRY_CONFIG`: build the whole stack from a
    /// `pastry.toml` instead of these flags (feature `config`).
    pub config: Option<PathBuf>,
}

/// `10.0.0.0/8, ::1` as two ranges; the error names `what` and the value.
fn parse_nets(what: &str, list: &str) -> Result<Vec<TrustedNet>, String> {
    list.split(|c: char| c == ',' || c.is_whitespace())
        .filter(|item| !item.is_empty())
        .map(|item| item.parse().map_err(|error| format!("{what}: {error}")))
        .collect()
}

impl Options {
    /// Reads the flags, falling back to the environment, then the defaults.
    /// `Ok(None)` means `--help` was asked for.
    pub fn from_args_and_env(
        args: impl IntoIterator<Item = String>,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Option<Options>, String> {
        let flag_on = |name: &str| {
            env(name).is_some_and(|value| matches!(value.as_str(), "1" | "true" | "yes" | "on"))
        };
        let mut options = Options {
            addr: env("PASTRY_ADDR").unwrap_or_else(|| "127.0.0.1:8080".into()),
            sessions: env("PASTRY_SESSIONS").unwrap_or_else(|| "memory:".into()),
            debug: flag_on("PASTRY_DEBUG"),
            secure_cookies: flag_on("PASTRY_SECURE_COOKIES"),
            csrf_tokens: flag_on("PASTRY_CSRF_TOKENS"),
            trusted_proxies: match env("PASTRY_TRUSTED_PROXIES") {
                Some(list) => parse_nets("PASTRY_TRUSTED_PROXIES", &list)?,
                None => Vec::new(),
            },
            rate_limit: env("PASTRY_RATE_LIMIT"),
            rate_limit_store: env("PASTRY_RATE_LIMIT_STORE").unwrap_or_else(|| "memory:".into()),
            rate_limit_prefix: env("PASTRY_RATE_LIMIT_PREFIX")
                .unwrap_or_else(|| "altdemo:ratelimit:".into()),
            oidc_issuer: env("PASTRY_OIDC_ISSUER"),
            oidc_client_id: env("PASTRY_OIDC_CLIENT_ID"),
            oidc_client_secret: env("PASTRY_OIDC_CLIENT_SECRET"),
            oidc_redirect_url: env("PASTRY_OIDC_REDIRECT_URL"),
            config: env("PASTRY_CONFIG").map(PathBuf::from),
        };
        let mut stack_flag = None::<String>;
        // The flags replace the environment's list rather than add to it.
        let mut flag_proxies = None::<Vec<TrustedNet>>;
        let mut args = args.into_iter();
        while let Some(arg) = args.next() {
            let (flag, inline) = match arg.split_once('=') {
                Some((flag, value)) => (flag.to_owned(), Some(value.to_owned())),
                None => (arg, None),
            };
            let mut value = || {
                inline
                    .clone()
                    .or_else(|| args.next())
                    .ok_or_else(|| format!("{flag} needs a value"))
            };
            if !matches!(flag.as_str(), "-h" | "--help" | "--addr" | "--config") {
                stack_flag.get_or_insert_with(|| flag.clone());
            }
            match flag.as_str() {
                "-h" | "--help" => return Ok(None),
                "--config" => options.config = Some(PathBuf::from(value()?)),
                "--addr" => options.addr = value()?,
                "--sessions" => options.sessions = value()?,
                "--debug" => options.debug = true,
                "--secure-cookies" => options.secure_cookies = true,
                "--csrf-tokens" => options.csrf_tokens = true,
                "--trusted-proxy" => flag_proxies
                    .get_or_insert_default()
                    .extend(parse_nets("--trusted-proxy", &value()?)?),
                "--rate-limit" => options.rate_limit = Some(value()?),
                "--rate-limit-store" => options.rate_limit_store = value()?,
                "--rate-limit-prefix" => options.rate_limit_prefix = value()?,
                "--oidc-issuer" => options.oidc_issuer = Some(value()?),
                "--oidc-client-id" => options.oidc_client_id = Some(value()?),
                "--oidc-redirect-url" => options.oidc_redirect_url = Some(value()?),
                "--oidc-client-secret-file" => {
                    let path = value()?;
                    let text = std::fs::read_to_string(&path)
                        .map_err(|error| format!("--oidc-client-secret-file {path}: {error}"))?;
                    options.oidc_client_secret = text.lines().next().map(str::to_owned);
                }
                other => return Err(format!("unknown option {other}")),
            }
        }
        if let Some(nets) = flag_proxies {
            options.trusted_proxies = nets;
        }
        if let (Some(_), Some(flag)) = (&options.config, stack_flag) {
            return Err(format!(
                "{flag} and --config: the file describes the whole stack; set it there"
            ));
        }
        Ok(Some(options))
    }
}

/// The site-wide rate limit `options` ask for: `--rate-limit` parsed as a
/// [`Policy`](pastry::ratelimit::Policy), its counts in memory or in
/// Redis, and the `RateLimit` fields on every answer.
pub fn rate_limit_layer(options: &Options) -> Result<Option<RateLimitSetting>, String> {
    let Some(spec) = &options.rate_limit else {
        return Ok(None);
    };
    build_rate_limit(spec, &options.rate_limit_store, &options.rate_limit_prefix).map(Some)
}

/// What [`rate_limit_layer`] gives: the layer, with the `ratelimit` feature.
#[cfg(feature = "ratelimit")]
pub type RateLimitSetting = pastry::ratelimit::RateLimitLayer;
/// What [`rate_limit_layer`] gives: nothing without the `ratelimit` feature.
#[cfg(not(feature = "ratelimit"))]
pub type RateLimitSetting = std::convert::Infallible;

#[cfg(feature = "ratelimit")]
fn build_rate_limit(spec: &str, store: &str, prefix: &str) -> Result<RateLimitSetting, String> {
    use pastry::ratelimit::{Policy, RateLimitLayer};
    let policy: Policy = spec.parse().map_err(|e| format!("--rate-limit: {e}"))?;
    let builder = RateLimitLayer::builder(policy).name("site").headers(true);
    let builder = match store {
        "memory:" => builder,
        #[cfg(feature = "redis")]
        url if url.starts_with("redis://") => builder.redis(url).redis_prefix(prefix),
        other => {
            let _ = prefix;
            return Err(format!(
                "--rate-limit-store: {:?} is not memory: or redis://… (Redis needs the `redis` feature)",
                AnyStore::redact(other)
            ));
        }
    };
    builder.build().map_err(|e| format!("--rate-limit: {e}"))
}

#[cfg(not(feature = "ratelimit"))]
fn build_rate_limit(_spec: &str, _store: &str, _prefix: &str) -> Result<RateLimitSetting, String> {
    Err("--rate-limit needs the `ratelimit` feature (cargo run --example altdemo --features ratelimit)".into())
}

/// What the stack is built from.
#[derive(Clone, Debug)]
pub struct Config {
    /// Where sessions live.
    pub store: AnyStore,
    /// Debug error pages.
    pub debug: bool,
    /// `Secure` session cookies.
    pub secure_cookies: bool,
    /// Synchronizer tokens required on every unsafe request
    /// (`CsrfTokenLayer`), besides the Fetch metadata check; off by default.
    pub csrf_tokens: bool,
    /// The htpasswd-style users file.
    pub users_file: PathBuf,
    /// The API tokens `/api` accepts as `Authorization: Bearer`, made with
    /// `pastry-passwd token create`; reloaded when it changes.
    pub tokens_file: PathBuf,
    /// The argon2 parameters for logins (OWASP's by default).
    pub hasher: PasswordHasher,
    /// How long a session lives without a visit (the session layer's
    /// default: a day). `/counter` says so.
    pub idle_timeout: Duration,
    /// How long a session lives at most from its start, however active
    /// (the session layer's default: 7 days). `/counter` says so.
    pub absolute_lifetime: Duration,
    /// The clock the session layer reads, so tests can move it (`None`:
    /// the system clock).
    pub session_clock: Option<ManualClock>,
    /// The front servers believed about the client's address, scheme, host
    /// and prefix (`ProxyLayer`); empty, the default, believes none.
    pub trusted_proxies: Vec<TrustedNet>,
    /// Where each request's access-log entry goes. [`Config::new`] gives
    /// Detailed lines to nowhere; `main` sends them to standard error.
    pub access_log: AccessLogLayer,
    /// The directory served at `/static` (the demo's stylesheet).
    pub static_dir: PathBuf,
    /// A per-client rate limit on the whole site, inside the proxy layer
    /// (so it counts the client a trusted proxy names) and the access log
    /// (so refusals are logged); `None`, the default: no limit.
    #[cfg(feature = "ratelimit")]
    pub rate_limit: Option<pastry::ratelimit::RateLimitLayer>,
    /// What `/chat` and `/events/counter` share.
    pub hub: chat::Hub,
    /// The registry every mount's requests are counted in, shown at
    /// `/metrics` to an admin (Basic auth, role `admin`, as `/admin`);
    /// `main` also makes it the global recorder, so the sessions, logins,
    /// gzip and caught panics are counted there too. Feature `metrics`.
    #[cfg(feature = "metrics")]
    pub metrics: pastry::metrics::MetricsHandle,
    /// Login through an OpenID provider, offered on the login page when
    /// set (see [`oidc_layer`]). Feature `oidc`.
    #[cfg(feature = "oidc")]
    pub oidc: Option<pastry::oidc::OidcLayer>,
}

impl Config {
    /// The demo's configuration with the users file shipped beside it.
    pub fn new(store: AnyStore, debug: bool, secure_cookies: bool) -> Self {
        Config {
            store,
            debug,
            secure_cookies,
            csrf_tokens: false,
            users_file: users_file(),
            tokens_file: tokens_file(),
            hasher: PasswordHasher::default(),
            idle_timeout: IDLE_TIMEOUT,
            absolute_lifetime: ABSOLUTE_LIFETIME,
            session_clock: None,
            trusted_proxies: Vec::new(),
            access_log: AccessLogLayer::new()
                .format(Format::Detailed)
                .writer(std::io::sink()),
            static_dir: static_dir(),
            #[cfg(feature = "ratelimit")]
            rate_limit: None,
            hub: chat::Hub::default(),
            #[cfg(feature = "metrics")]
            metrics: pastry::metrics::MetricsHandle::new(),
            #[cfg(feature = "oidc")]
            oidc: None,
        }
    }
}

/// `examples/altdemo/static`: the stylesheet the pages link to.
pub fn static_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("examples/altdemo/static")
}

/// The script name in front of the whole site (a proxy's prefix, or
/// nothing), put in the request before the URL map so that pages under a
/// mount (`/admin`) still link to the site's own URLs.
#[derive(Clone, Debug, Default)]
struct SiteRoot(String);

/// `path` on this site, below the prefix a trusted proxy gave, escaped for
/// an HTML attribute.
fn site_url<B>(req: &Request<B>, path: &str) -> String {
    let root = req
        .extensions()
        .get::<SiteRoot>()
        .map_or("", |root| &root.0);
    html_escape(&format!("{root}{path}")).into_owned()
}

/// `examples/altdemo/users.txt`: alice (admin) and bob.
pub fn users_file() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("examples/altdemo/users.txt")
}

/// `examples/altdemo/tokens.txt`: the API tokens, none at first.
pub fn tokens_file() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("examples/altdemo/tokens.txt")
}

fn text(
    status: StatusCode,
    content_type: &'static str,
    body: impl Into<Bytes>,
) -> Response<DemoBody> {
    Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, content_type)
        .body(
            Full::new(body.into())
                .map_err(|never| match never {})
                .boxed_unsync(),
        )
        .expect("static response parts")
}

/// A page with the site's stylesheet.
fn html<B>(req: &Request<B>, status: StatusCode, title: &str, body: &str) -> Response<DemoBody> {
    let page = format!(
        "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>{title}</title>\n\
         <link rel=\"stylesheet\" href=\"{stylesheet}\"></head>\n\
         <body><h1>{title}</h1>\n{body}\n</body></html>\n",
        title = html_escape(title),
        stylesheet = site_url(req, "/static/site.css"),
    );
    text(status, "text/html; charset=utf-8", page)
}

/// A response of any body as the demo's one body type.
fn boxed<B>(res: Response<B>) -> Response<DemoBody>
where
    B: Body<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    res.map(|body| body.map_err(Into::into).boxed_unsync())
}

const NAV_LINKS: [(&str, &str); 11] = [
    ("/", "context"),
    ("/counter", "counter"),
    ("/chat", "chat"),
    ("/private", "private"),
    ("/login", "login"),
    ("/lorem?n=20", "lorem"),
    ("/boom", "boom"),
    ("/admin/", "admin"),
    ("/blog/", "blog"),
    ("/forum/", "forum"),
    ("/api/health", "api"),
];

/// The links, and the logout button: a form, with the session's CSRF
/// token when the demo runs with `--csrf-tokens`.
fn nav<B>(req: &Request<B>) -> String {
    let links: Vec<String> = NAV_LINKS
        .iter()
        .map(|(path, name)| format!("<a href=\"{}\">{name}</a>", site_url(req, path)))
        .collect();
    let token = req
        .extensions()
        .get::<CsrfToken>()
        .map(CsrfToken::hidden_input)
        .unwrap_or_default();
    format!(
        "<p>{}</p><form method=\"post\" action=\"{}\">{token}<button>log out</button></form>",
        links.join(" · "),
        site_url(req, "/logout"),
    )
}

/// `/`: the request as the app sees it.
async fn context_page<B>(req: Request<B>) -> Result<Response<DemoBody>, BoxError> {
    let mut rows = vec![
        ("method".to_owned(), req.method().to_string()),
        ("scheme".to_owned(), req.url_scheme().to_string()),
        ("script name".to_owned(), req.script_name().to_owned()),
        ("path info".to_owned(), req.path_info().to_owned()),
        (
            "query".to_owned(),
            req.uri().query().unwrap_or("").to_owned(),
        ),
        (
            "client address".to_owned(),
            req.client_addr().map(|a| a.to_string()).unwrap_or_default(),
        ),
        (
            "remote user".to_owned(),
            req.remote_user().unwrap_or("(anonymous)").to_owned(),
        ),
    ];
    let mut values = BTreeMap::new();
    if let Some(session) = req.session() {
        for key in session.keys().await? {
            let value: Option<serde_json::Value> = session.get(&key).await?;
            values.insert(key, value.unwrap_or_default().to_string());
        }
        let exists = if values.is_empty() { "no" } else { "yes" };
        rows.push(("session".to_owned(), exists.to_owned()));
    }
    for (key, value) in values {
        rows.push((format!("session[{key}]"), value));
    }
    for (name, value) in req.headers() {
        let shown = if name == header::COOKIE || name == header::AUTHORIZATION {
            "(redacted)".to_owned()
        } else {
            String::from_utf8_lossy(value.as_bytes()).into_owned()
        };
        rows.push((format!("header {name}"), shown));
    }
    let mut table = String::from("<table>\n");
    for (name, value) in rows {
        table.push_str(&format!(
            "<tr><th>{}</th><td>{}</td></tr>\n",
            html_escape(&name),
            html_escape(&value)
        ));
    }
    table.push_str("</table>");
    Ok(html(
        &req,
        StatusCode::OK,
        "Request context",
        &format!("{}\n{table}", nav(&req)),
    ))
}

/// `/counter`: one more each visit, kept in the session, and the two
/// limits on the session's life.
async fn counter<B>(
    req: Request<B>,
    limits: SessionLimits,
    hub: &chat::Hub,
) -> Result<Response<DemoBody>, BoxError> {
    let session = req.session().ok_or("no session layer")?;
    let count = session.get::<u64>("counter").await?.unwrap_or(0) + 1;
    session.insert("counter", &count).await?;
    let everyone = hub.visit();
    Ok(html(
        &req,
        StatusCode::OK,
        "Counter",
        &format!(
            "{}\n<p>You have been here <strong id=\"count\">{count}</strong> times.</p>\n\
             <p>Your session ends after <strong id=\"idle-timeout\">{}</strong> without a \
             visit (idle timeout), and at the latest <strong id=\"absolute-lifetime\">{}</strong> \
             after it began, however often you come back (absolute lifetime). Then the counter \
             starts again.</p>\n\
             <p>Visits by everyone: <strong id=\"everyone\">{everyone}</strong> (live, from \
             <a href=\"{feed}\">a server-sent event feed</a>).</p>\n\
             <script>new EventSource(\"{feed}\").addEventListener(\"visits\", (e) => {{ \
             document.getElementById(\"everyone\").textContent = e.data; }});</script>",
            nav(&req),
            span(limits.idle_timeout),
            span(limits.absolute_lifetime),
            feed = site_url(&req, "/events/counter"),
        ),
    ))
}

/// `/private`, behind `RequireLogin`.
async fn private<B>(req: Request<B>) -> Result<Response<DemoBody>, BoxError> {
    let user = req.remote_user().unwrap_or("(nobody)");
    Ok(html(
        &req,
        StatusCode::OK,
        "Private",
        &format!(
            "{}\n<p>Hello, <strong id=\"user\">{}</strong>.</p>",
            nav(&req),
            html_escape(user)
        ),
    ))
}

/// `/lorem?n=K`: K paragraphs, to show gzip at work.
fn lorem<B>(req: &Request<B>) -> Response<DemoBody> {
    const PARAGRAPH: &str = "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do \
        eiusmod tempor incididunt ut labore et dolore magna aliqua. Ut enim ad minim veniam, \
        quis nostrud exercitation ullamco laboris nisi ut aliquip ex ea commodo consequat.";
    let n = req
        .uri()
        .query()
        .and_then(|query| {
            form_urlencoded::parse(query.as_bytes())
                .find(|(key, _)| key == "n")
                .and_then(|(_, value)| value.parse::<usize>().ok())
        })
        .unwrap_or(5)
        .min(MAX_PARAGRAPHS);
    let body: String = (0..n).map(|_| format!("<p>{PARAGRAPH}</p>\n")).collect();
    html(req, StatusCode::OK, "Lorem ipsum", &body)
}

/// The app mounted at `/`; `authenticator` is the one `/admin` uses too,
/// so a name locked out on one is locked out on both.
fn altdemo_app<B>(
    authenticator: Authenticator<FileUserStore>,
    limits: SessionLimits,
    hub: chat::Hub,
) -> impl Service<Request<B>, Response = Response<DemoBody>, Error = BoxError, Future: Send>
+ Clone
+ Send
+ 'static
where
    B: Body<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    let login = LoginForm::new(authenticator);
    let logout = Logout::new();
    let private = ServiceBuilder::new()
        .layer(RequireLoginLayer::new("/login").expect("a local login path"))
        .service(service_fn(private::<B>));
    let chat = ServiceBuilder::new()
        .layer(RequireLoginLayer::new("/login").expect("a local login path"))
        .service(chat::chat_routes(hub.clone()));
    let events = chat::event_routes(hub.clone());
    service_fn(move |req: Request<B>| {
        let login = login.clone();
        let logout = logout.clone();
        let private = private.clone();
        let chat = chat.clone();
        let events = events.clone();
        let hub = hub.clone();
        async move {
            let res = match (req.method(), req.path_info()) {
                (_, "/login") => {
                    let offer = provider_link(&req);
                    offer_provider(offer, boxed(login.oneshot(req).await?)).await?
                }
                (_, "/private") => boxed(private.oneshot(req).await?),
                (&Method::GET | &Method::HEAD, "" | "/") => context_page(req).await?,
                (_, "/logout") => boxed(logout.oneshot(req).await?),
                (_, "/counter") => counter(req, limits, &hub).await?,
                (_, "/chat" | "/chat/socket") => boxed(chat.oneshot(req).await?),
                (_, "/events/counter") => boxed(events.oneshot(req).await?),
                (_, "/boom") => panic!("boom: the demo's deliberate panic"),
                (&Method::GET | &Method::HEAD, "/lorem") => lorem(&req),
                _ => text(
                    StatusCode::NOT_FOUND,
                    "text/plain; charset=utf-8",
                    "Not found\n",
                ),
            };
            Ok::<_, BoxError>(res)
        }
    })
}

/// `app` with its requests counted under its mount (feature `metrics`;
/// without it, `app` itself).
#[cfg(feature = "metrics")]
fn metered<S>(config: &Config, app: S) -> pastry::metrics::Metrics<S> {
    tower::Layer::layer(&pastry::metrics::MetricsLayer::new(&config.metrics), app)
}

#[cfg(not(feature = "metrics"))]
fn metered<S>(_config: &Config, app: S) -> S {
    app
}

/// A hello app from CherryPy's "several WSGI apps in one server" example.
fn hello_app<B>(
    name: &'static str,
) -> impl Service<Request<B>, Response = Response<DemoBody>, Error = Infallible, Future: Send>
+ Clone
+ Send
+ 'static
where
    B: Send + 'static,
{
    service_fn(move |req: Request<B>| async move {
        let body = format!(
            "Hello from the {name}!\nSCRIPT_NAME = {:?}\nPATH_INFO = {:?}\n",
            req.script_name(),
            req.path_info()
        );
        Ok(text(StatusCode::OK, "text/plain; charset=utf-8", body))
    })
}

/// `/admin`: Basic auth, role `admin`.
async fn admin_page<B>(req: Request<B>) -> Result<Response<DemoBody>, Infallible> {
    let user = req.remote_user().unwrap_or("(nobody)");
    Ok(html(
        &req,
        StatusCode::OK,
        "Admin",
        &format!(
            "<p>Welcome to the admin area, <strong id=\"user\">{}</strong>.</p>",
            html_escape(user)
        ),
    ))
}

/// `/api`: an axum router, to show that any conforming app mounts. `/api`
/// and `/api/` list its routes; `/api/me` names the token's user and roles
/// (401 without a token).
fn api() -> axum::Router {
    use axum::routing::get;
    axum::Router::new()
        .route(
            "/",
            get(|| async {
                axum::Json(
                    serde_json::json!({"routes": ["/api/health", "/api/echo/{word}", "/api/me"]}),
                )
            }),
        )
        .route(
            "/me",
            get(|req: Request<axum::body::Body>| async move {
                let Some(user) = req.remote_user() else {
                    let body = serde_json::json!({"error": "send Authorization: Bearer <token>"});
                    return (StatusCode::UNAUTHORIZED, axum::Json(body));
                };
                let roles: Vec<String> = req.roles().iter().map(String::from).collect();
                let body = serde_json::json!({"user": user, "roles": roles});
                (StatusCode::OK, axum::Json(body))
            }),
        )
        .route(
            "/health",
            get(|| async { axum::Json(serde_json::json!({"status": "ok"})) }),
        )
        .route(
            "/echo/{word}",
            get(|axum::extract::Path(word): axum::extract::Path<String>| async move { word }),
        )
}

/// Marks requests of a demo that offers login through an OpenID provider.
#[derive(Clone, Copy)]
struct ProviderLogin;

/// The "Sign in with the provider" link for the login page `req` asks
/// for (keeping its `next`), when the demo offers one.
fn provider_link<B>(req: &Request<B>) -> Option<String> {
    req.extensions().get::<ProviderLogin>()?;
    let next = form_urlencoded::parse(req.uri().query().unwrap_or("").as_bytes())
        .find(|(key, _)| key == "next")
        .map(|(_, value)| value.into_owned())
        .unwrap_or_else(|| "/".to_owned());
    let next: String = form_urlencoded::byte_serialize(next.as_bytes()).collect();
    Some(format!(
        "<p><a id=\"provider-login\" href=\"{}?next={next}\">Sign in with the provider</a></p>\n",
        site_url(req, "/auth/oidc/login")
    ))
}

/// The login page with `link` added after its form.
async fn offer_provider(
    link: Option<String>,
    page: Response<DemoBody>,
) -> Result<Response<DemoBody>, BoxError> {
    let Some(link) = link else {
        return Ok(page);
    };
    let (mut parts, body) = page.into_parts();
    let html = String::from_utf8_lossy(&body.collect().await?.to_bytes()).into_owned();
    let html = match html.find("</main>") {
        Some(at) => format!("{}{link}{}", &html[..at], &html[at..]),
        None => html + &link,
    };
    parts.headers.remove(header::CONTENT_LENGTH);
    Ok(boxed(Response::from_parts(
        parts,
        Full::new(Bytes::from(html)),
    )))
}

/// The login through an OpenID provider that `options` ask for, or `None`:
/// a provider user logs in as the demo user of the same name (their
/// `preferred_username`, else the part of a verified email before the
/// `@`) found in `users_file`, with that user's roles.
#[cfg(feature = "oidc")]
pub fn oidc_layer(
    options: &Options,
    users_file: &std::path::Path,
) -> Result<Option<pastry::oidc::OidcLayer>, String> {
    let Some(issuer) = options.oidc_issuer.clone() else {
        return Ok(None);
    };
    let client_id = (options.oidc_client_id.clone())
        .ok_or("--oidc-issuer needs --oidc-client-id (or PASTRY_OIDC_CLIENT_ID)")?;
    let text = std::fs::read_to_string(users_file)
        .map_err(|error| format!("{}: {error}", users_file.display()))?;
    let (users, _) = pastry::auth::parse_users(&text);
    let redirect = (options.oidc_redirect_url.clone())
        .unwrap_or_else(|| format!("http://{}/auth/oidc/callback", options.addr));
    let mut builder = pastry::oidc::OidcLayer::builder()
        .issuer(issuer)
        .client_id(client_id)
        .redirect_url(redirect)
        .map_user(move |claims| {
            let name = match claims.preferred_username() {
                Some(name) => name.to_owned(),
                None if claims.email_verified() => claims.email()?.split('@').next()?.to_owned(),
                None => return None,
            };
            users.iter().find(|user| user.name() == name).cloned()
        });
    if let Some(secret) = options.oidc_client_secret.clone() {
        builder = builder.client_secret(secret);
    }
    builder.build().map(Some).map_err(|error| error.to_string())
}

/// Without feature `oidc`, asking for a provider is an error.
#[cfg(not(feature = "oidc"))]
pub fn oidc_layer(options: &Options, _users_file: &std::path::Path) -> Result<Option<()>, String> {
    match options.oidc_issuer {
        Some(_) => Err("--oidc-issuer needs the demo built with --features oidc".to_owned()),
        None => Ok(None),
    }
}

/// `app` behind the demo's OpenID login when one is configured.
#[cfg(feature = "oidc")]
fn with_oidc<S, B, R>(
    config: &Config,
    app: S,
) -> impl Service<Request<B>, Response = Response<DemoBody>, Error = BoxError, Future: Send>
+ Clone
+ Send
+ 'static
+ use<S, B, R>
where
    S: Service<Request<B>, Response = Response<R>> + Clone + Send + 'static,
    S::Future: Send,
    S::Error: Into<BoxError>,
    R: Body<Data = Bytes> + Send + 'static,
    R::Error: Into<BoxError>,
    B: Send + 'static,
{
    match config.oidc.clone() {
        Some(oidc) => Either::Left(
            ServiceBuilder::new()
                .layer(oidc)
                .map_request(|mut req: Request<B>| {
                    req.extensions_mut().insert(ProviderLogin);
                    req
                })
                .service(app)
                .map_response(boxed)
                .map_err(Into::<BoxError>::into),
        ),
        None => Either::Right(app.map_response(boxed).map_err(Into::<BoxError>::into)),
    }
}

/// Without feature `oidc`: `app` itself.
#[cfg(not(feature = "oidc"))]
fn with_oidc<S>(_config: &Config, app: S) -> S {
    app
}

/// The whole demo: cross-origin protection, catch, gzip, sessions, session
/// auth and the URL map, from the outside in. The cross-origin layer comes
/// first, so a form posted by another site (login or logout CSRF) or a
/// WebSocket handshake from another origin is a 403 before any session is
/// read or a cookie set. With [`Config::csrf_tokens`], a `CsrfTokenLayer`
/// inside the session layer requires the session's token on every unsafe
/// request too (the login form and the logout button carry it). One `Authenticator` serves the login form and `/admin`'s
/// Basic auth. Expired sessions are swept by [`spawn_cleanup`], which
/// `main` starts beside it. A rate limit (`Config::rate_limit`, with the
/// `ratelimit` feature) sits just inside the access log, so its 429s are
/// logged and it counts the client the proxy layer resolved.
pub fn stack<B>(
    config: Config,
) -> Result<
    impl Service<
        Request<B>,
        Response = Response<impl Body<Data = Bytes, Error: Into<BoxError>> + Send + 'static>,
        Error = Infallible,
        Future: Send + 'static,
    > + Clone
    + Send
    + 'static,
    BoxError,
>
where
    B: Body<Data = Bytes> + Send + Sync + 'static,
    B::Error: Into<BoxError>,
{
    let users = FileUserStore::open(&config.users_file)?;
    let authenticator = Authenticator::new(users.clone()).hasher(config.hasher.clone());
    let tokens = FileTokenStore::open(&config.tokens_file)?;
    let limits = SessionLimits {
        idle_timeout: config.idle_timeout,
        absolute_lifetime: config.absolute_lifetime,
    };
    let mut sessions = SessionLayer::new(config.store.clone())
        .secure(config.secure_cookies)
        .idle_timeout(limits.idle_timeout)
        .absolute_lifetime(limits.absolute_lifetime);
    if let Some(clock) = config.session_clock.clone() {
        sessions = sessions.clock(clock);
    }
    let sessions = sessions.validate()?;
    // The apps behind the session layer, for requests with body `$body`:
    // `B`, or `CheckedBody<B>` behind the token layer.
    macro_rules! site {
        ($body:ty) => {{
            let admin = ServiceBuilder::new()
                .layer(
                    BasicAuthLayer::builder(authenticator.clone())
                        .realm("pastry admin")
                        .build()?,
                )
                .layer(RequireRoleLayer::new("admin"))
                .service(service_fn(admin_page::<$body>));
            let map = UrlMap::builder()
                .mount(
                    Mount::at("/static").rewrite_location(true),
                    metered(
                        &config,
                        ServeDir::new(&config.static_dir)
                            .precompressed_gzip()
                            .precompressed_br()
                            .precompressed_zstd(),
                    ),
                )
                .mount("/admin", metered(&config, admin))
                .mount("/blog", metered(&config, hello_app::<$body>("blog")))
                .mount("/forum", metered(&config, hello_app::<$body>("forum")))
                .mount(
                    "/api",
                    metered(
                        &config,
                        ServiceBuilder::new()
                            .layer(
                                BearerAuthLayer::new(tokens.clone()).share_throttle(&authenticator),
                            )
                            .service(api()),
                    ),
                )
                .fallback(metered(
                    &config,
                    altdemo_app::<$body>(authenticator.clone(), limits, config.hub.clone()),
                ));
            // `/metrics`: the registry, to an admin only (Basic auth, as a
            // Prometheus scrape config sends it), like `/admin`.
            #[cfg(feature = "metrics")]
            let map = map.mount(
                "/metrics",
                ServiceBuilder::new()
                    .layer(
                        BasicAuthLayer::builder(authenticator.clone())
                            .realm("pastry metrics")
                            .build()?,
                    )
                    .layer(RequireRoleLayer::new("admin"))
                    .service(config.metrics.endpoint()),
            );
            let map = map.build()?;
            ServiceBuilder::new()
                .layer(SessionAuthLayer::new(users.clone()))
                .map_request(|mut req: Request<$body>| {
                    let root = SiteRoot(req.script_name().to_owned());
                    req.extensions_mut().insert(root);
                    req
                })
                .service(map)
        }};
    }
    let proxy = if config.trusted_proxies.is_empty() {
        None
    } else {
        // The README's nginx lines set X-Forwarded-Prefix on every request
        // (empty at the root), so a client's own value never passes.
        let builder = (config.trusted_proxies.iter())
            .fold(ProxyLayer::builder().x_prefix(1), |builder, net| {
                builder.trust_net(*net)
            });
        Some(builder.build()?)
    };
    // Without a limit, a rate-limit layer that counts nobody keeps the
    // stack one type (a 429 changes the body type, so `option_layer`
    // cannot choose between the two).
    #[cfg(feature = "ratelimit")]
    let rate_limit = match config.rate_limit.clone() {
        Some(layer) => layer,
        None => {
            pastry::ratelimit::RateLimitLayer::builder(pastry::ratelimit::Policy::per_second(1))
                .key_fn(|_| None)
                .build()?
        }
    };
    #[cfg(not(feature = "ratelimit"))]
    let rate_limit = tower::layer::util::Identity::new();
    let outside = ServiceBuilder::new()
        .option_layer(proxy)
        .layer(config.access_log.clone())
        .layer(rate_limit)
        .layer(CrossOriginLayer::new())
        .layer(CatchLayer::new().debug(config.debug))
        .layer(GzipLayer::new())
        .layer(sessions);
    Ok(if config.csrf_tokens {
        Either::Right(
            outside
                .layer(CsrfTokenLayer::new())
                .service(with_oidc(&config, site!(CheckedBody<B>)))
                .map_response(boxed),
        )
    } else {
        Either::Left(
            outside
                .service(with_oidc(&config, site!(B)))
                .map_response(boxed),
        )
    })
}

/// The demo's apps and middleware by name, for a `pastry.toml`
/// (`--config`, feature `config`): the file composes them with Pastry's
/// layers. `examples/altdemo/pastry.toml` builds the same stack as
/// [`stack`] with the default flags.
///
/// Apps: `altdemo` (the pages at `/`, with the login form; settings:
/// `users`, the users file), `admin`, `blog`, `forum` and `api`. Layers:
/// `site_root` (remembers the prefix a trusted proxy gave, so pages under
/// a mount link to the site's own URLs) and `provider_login` (offers "Sign
/// in with the provider" on the login page; put it inside an `oidc`
/// layer).
#[cfg(feature = "config")]
pub fn registry(hub: chat::Hub) -> pastry::config::Registry {
    use pastry::config::{AppLayer, Registry};
    use pastry::{BoxApp, BoxBody};
    use tower::util::MapRequestLayer;
    let limits = SessionLimits {
        idle_timeout: IDLE_TIMEOUT,
        absolute_lifetime: ABSOLUTE_LIFETIME,
    };
    Registry::new()
        .app("altdemo", move |ctx| {
            let users = ctx.settings().required("users", |s, key| s.path(key))?;
            let authenticator = ctx.authenticator(&users)?;
            Ok(BoxApp::new(altdemo_app::<BoxBody>(
                authenticator,
                limits,
                hub.clone(),
            )))
        })
        .app("admin", |_| {
            Ok(BoxApp::new(service_fn(admin_page::<BoxBody>)))
        })
        .app("blog", |_| Ok(BoxApp::new(hello_app::<BoxBody>("blog"))))
        .app("forum", |_| Ok(BoxApp::new(hello_app::<BoxBody>("forum"))))
        .app("api", |_| Ok(BoxApp::new(api())))
        .layer("site_root", |_| {
            Ok(AppLayer::new(MapRequestLayer::new(
                |mut req: Request<BoxBody>| {
                    let root = SiteRoot(req.script_name().to_owned());
                    req.extensions_mut().insert(root);
                    req
                },
            )))
        })
        .layer("provider_login", |_| {
            Ok(AppLayer::new(MapRequestLayer::new(
                |mut req: Request<BoxBody>| {
                    req.extensions_mut().insert(ProviderLogin);
                    req
                },
            )))
        })
}
