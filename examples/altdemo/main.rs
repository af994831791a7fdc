//! Altdemo: logging in, sessions and the request context, with every Pastry
//! crate in one stack. A port of Quixote's classic demo.
//!
//! ```text
//! cargo run --example altdemo                 # http://127.0.0.1:8080/
//! cargo run --example altdemo -- --help
//! ```

mod app;

use std::process::ExitCode;

use pastry::accesslog::{AccessLogLayer, Format};
use pastry::sessions::AnyStore;
use tokio::net::TcpListener;

const HELP: &str = "\
altdemo: the Pastry demo server

USAGE:
    cargo run --example altdemo -- [OPTIONS]

OPTIONS:
    --addr HOST:PORT    where to listen [env PASTRY_ADDR] (default 127.0.0.1:8080)
    --sessions URL      session store [env PASTRY_SESSIONS] (default memory:)
                        memory:            in this process, gone on restart
                        file:DIR           one file per session in DIR
                        sqlite:PATH        an SQLite database at PATH
    --debug             debug error pages: panic message, backtrace, request
                        [env PASTRY_DEBUG=1]
    --secure-cookies    mark the session cookie Secure [env PASTRY_SECURE_COOKIES=1].
                        The demo speaks plain http, so by default the cookie is
                        not Secure and any client (a browser, curl, a script)
                        keeps the session; turn this on when serving behind TLS.
    --csrf-tokens       also require the session's CSRF token on every POST
                        (forms carry it) [env PASTRY_CSRF_TOKENS=1]. Off by
                        default: the cross-origin check (Sec-Fetch-Site,
                        Origin) refuses other sites' forms and WebSocket
                        handshakes with a 403 either way.
    --trusted-proxy CIDR
                        a front server (address or range, repeatable) whose
                        X-Forwarded-For, -Proto and -Prefix headers give the
                        client's address, the scheme and the URL prefix
                        [env PASTRY_TRUSTED_PROXIES, comma-separated].
                        Default: none, the headers are ignored.
    --rate-limit SPEC   limit each client (by address, IPv6 by /64) on the
                        whole site to SPEC = COUNT/UNIT[,burst=N], UNIT s,
                        min or h (e.g. 5/s,burst=10): over it, 429 with
                        Retry-After; every answer carries RateLimit-Policy
                        and RateLimit [env PASTRY_RATE_LIMIT]. Needs the
                        `ratelimit` feature. Default: no limit.
    --rate-limit-store URL
                        where the counts live [env PASTRY_RATE_LIMIT_STORE]:
                        memory: (default, this process) or redis://HOST/DB
                        (shared by every process on it; `redis` feature)
    --rate-limit-prefix PREFIX
                        the Redis keys' prefix [env PASTRY_RATE_LIMIT_PREFIX]
                        (default altdemo:ratelimit:)
    --oidc-issuer URL   offer 'Sign in with the provider' on the login page:
                        an OpenID provider (plain http://, feature oidc)
                        [env PASTRY_OIDC_ISSUER]; with --oidc-client-id ID
                        [env PASTRY_OIDC_CLIENT_ID], the secret from env
                        PASTRY_OIDC_CLIENT_SECRET or --oidc-client-secret-file
                        PATH, and --oidc-redirect-url URL [env
                        PASTRY_OIDC_REDIRECT_URL] (default
                        http://ADDR/auth/oidc/callback). A provider user
                        logs in as the demo user of the same name.
    --config PATH       build the whole stack from a pastry.toml instead of
                        these flags (feature config) [env PASTRY_CONFIG]:
                        examples/altdemo/pastry.toml is the stack of the
                        default flags. Only --addr may go with it; the
                        PASTRY_* variables above override the file's keys.
    -h, --help          this text

/api accepts API tokens from examples/altdemo/tokens.txt (Authorization:
Bearer; make one with `pastry-passwd token create`); /api/me names the
token's user and roles.

Every request is logged to standard error, one line each (Combined Log
Format plus the duration in microseconds and the error id). Files under
examples/altdemo/static are served at /static.

Demo users: alice / wonderland (role admin), bob / builder.
Try: /  /login  /counter  /chat  /events/counter  /private  /boom  /lorem?n=20  /admin  /blog  /forum  /api/health
";

fn main() -> ExitCode {
    let options = match app::Options::from_args_and_env(std::env::args().skip(1), |name| {
        std::env::var(name).ok()
    }) {
        Ok(Some(options)) => options,
        Ok(None) => {
            print!("{HELP}");
            return ExitCode::SUCCESS;
        }
        Err(message) => {
            eprintln!("altdemo: {message}\n\n{HELP}");
            return ExitCode::from(2);
        }
    };
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("altdemo: cannot start the runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(options)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("altdemo: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn run(options: app::Options) -> Result<(), String> {
    if let Some(path) = &options.config {
        return run_from_file(path, &options).await;
    }
    // The error names the URL with its password redacted.
    let store =
        AnyStore::from_url(&options.sessions).map_err(|error| format!("--sessions: {error}"))?;
    // Expired sessions are deleted in the background, whatever the store.
    let _cleanup = app::spawn_cleanup(&store);
    let mut config = app::Config::new(store, options.debug, options.secure_cookies);
    config.csrf_tokens = options.csrf_tokens;
    config.trusted_proxies = options.trusted_proxies.clone();
    let rate_limit = app::rate_limit_layer(&options)?;
    #[cfg(feature = "ratelimit")]
    {
        config.rate_limit = rate_limit;
    }
    #[cfg(not(feature = "ratelimit"))]
    let _ = rate_limit;
    config.access_log = AccessLogLayer::new().format(Format::Detailed).stderr();
    let oidc = app::oidc_layer(&options, &config.users_file)?;
    #[cfg(feature = "oidc")]
    {
        config.oidc = oidc;
    }
    #[cfg(not(feature = "oidc"))]
    let _ = oidc;
    // Sessions, logins, gzip and caught panics count into the registry
    // `/metrics` shows, beside each mount's requests.
    #[cfg(feature = "metrics")]
    config
        .metrics
        .install()
        .map_err(|error| error.to_string())?;
    let stack = app::stack(config).map_err(|error| format!("building the app: {error}"))?;
    let listener = TcpListener::bind(&options.addr)
        .await
        .map_err(|error| format!("cannot listen on {}: {error}", options.addr))?;
    let addr = listener.local_addr().map_err(|error| error.to_string())?;
    println!(
        "Pastry altdemo on http://{addr}/ (sessions: {})",
        AnyStore::redact(&options.sessions)
    );
    pastry::serve(listener, stack)
        .await
        .map_err(|error| error.to_string())
}

/// The stack `path` describes, with the demo's apps and layers.
#[cfg(feature = "config")]
async fn run_from_file(path: &std::path::Path, options: &app::Options) -> Result<(), String> {
    // `--addr` wins over the file, as PASTRY_ADDR does.
    let addr = options.addr.clone();
    let flag_addr = std::env::args().any(|arg| arg == "--addr" || arg.starts_with("--addr="));
    let stack = pastry::config::Loader::new(&app::registry(app::chat::Hub::default()))
        .env(move |name| match name {
            "PASTRY_ADDR" if flag_addr => Some(addr.clone()),
            _ => std::env::var(name).ok(),
        })
        .load(path)
        .map_err(|error| format!("{}\n{error}", path.display()))?;
    #[cfg(feature = "metrics")]
    if let Some(metrics) = stack.metrics() {
        metrics.install().map_err(|error| error.to_string())?;
    }
    let _cleanup = stack.spawn_cleanup();
    let listener = TcpListener::bind(&stack.server().addr)
        .await
        .map_err(|error| format!("cannot listen on {}: {error}", stack.server().addr))?;
    let addr = listener.local_addr().map_err(|error| error.to_string())?;
    println!("Pastry altdemo on http://{addr}/ (from {})", path.display());
    stack
        .server()
        .apply(pastry::serve(listener, stack.app()))
        .await
        .map_err(|error| error.to_string())
}

/// Without feature `config`, `--config` is an error.
#[cfg(not(feature = "config"))]
async fn run_from_file(_path: &std::path::Path, _options: &app::Options) -> Result<(), String> {
    Err("--config needs the demo built with --features config".to_owned())
}
