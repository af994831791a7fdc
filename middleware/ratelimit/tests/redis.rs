//! The Redis store against a real server: one limit shared by separate
//! layers (as by separate app servers), one round trip per request, and
//! what happens when Redis is down, answers nothing, or comes back.
//!
//! The server is named by `PASTRY_TEST_REDIS_URL` (unset: each test is
//! skipped with a line saying so; `.ci/run` sets it). Outages are made with
//! a TCP proxy of the test's own in front of the real server, or with the
//! port of a listener the test dropped.

use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use http::{Request, Response, StatusCode};
use pastry_core::{ClientAddr, ManualClock};
use pastry_ratelimit::{Policy, RateLimitBody, RateLimitLayer, RateLimitLayerBuilder};
use pastry_testkit::LogCapture;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;
use tower::util::BoxCloneSyncService;
use tower::{Layer, ServiceExt, service_fn};
use tracing::Level;

type App = BoxCloneSyncService<Request<String>, Response<RateLimitBody<String>>, Infallible>;

/// The test server's URL, or `None` after saying the test is skipped.
fn redis_url() -> Option<String> {
    match std::env::var("PASTRY_TEST_REDIS_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            eprintln!(
                "skipped: the Redis rate-limit tests (PASTRY_TEST_REDIS_URL is not set; e.g. PASTRY_TEST_REDIS_URL=redis://127.0.0.1:6379/0)"
            );
            None
        }
    }
}

/// A key prefix no other test or run uses.
fn unique_prefix(test: &str) -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!(
        "pastry-test:ratelimit:{test}:{}:{nanos}:",
        std::process::id()
    )
}

/// `url` with its host and port replaced by `addr` (user info and database kept).
fn via(url: &str, addr: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap();
    let end = rest.find('/').unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    let userinfo = authority
        .rsplit_once('@')
        .map(|(u, _)| format!("{u}@"))
        .unwrap_or_default();
    format!("{scheme}://{userinfo}{addr}{tail}")
}

/// The `host:port` of `url`.
fn host_port(url: &str) -> String {
    let rest = url.split_once("://").unwrap().1;
    let authority = &rest[..rest.find('/').unwrap_or(rest.len())];
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    if host.contains(':') {
        host.to_owned()
    } else {
        format!("{host}:6379")
    }
}

fn app(builder: RateLimitLayerBuilder) -> App {
    let layer = builder.build().unwrap();
    BoxCloneSyncService::new(layer.layer(service_fn(|_req: Request<String>| async {
        Ok::<_, Infallible>(Response::new(String::from("hello")))
    })))
}

fn from(addr: &str) -> Request<String> {
    let mut req = Request::get("/").body(String::new()).unwrap();
    req.extensions_mut()
        .insert(ClientAddr(addr.parse().unwrap()));
    req
}

async fn status(app: &App, addr: &str) -> StatusCode {
    app.clone().oneshot(from(addr)).await.unwrap().status()
}

/// A TCP proxy to Redis that counts the commands clients send, and can be
/// stopped (every connection cut) and started again on the same port.
struct Proxy {
    port: u16,
    upstream: String,
    commands: Arc<Mutex<Vec<String>>>,
    tasks: Arc<Mutex<Vec<JoinHandle<()>>>>,
}

impl Proxy {
    async fn start(upstream: String) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let mut proxy = Proxy {
            port: listener.local_addr().unwrap().port(),
            upstream,
            commands: Arc::default(),
            tasks: Arc::default(),
        };
        proxy.serve(listener);
        proxy
    }

    fn addr(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    fn serve(&mut self, listener: TcpListener) {
        let (upstream, commands, tasks) = (
            self.upstream.clone(),
            self.commands.clone(),
            self.tasks.clone(),
        );
        let accept = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let (upstream, commands) = (upstream.clone(), commands.clone());
                let task = tokio::spawn(async move {
                    let Ok(server) = TcpStream::connect(&upstream).await else {
                        return;
                    };
                    relay(client, server, commands).await;
                });
                tasks.lock().unwrap().push(task);
            }
        });
        self.tasks.lock().unwrap().push(accept);
    }

    /// Closes the port and cuts every connection.
    fn stop(&self) {
        for task in self.tasks.lock().unwrap().drain(..) {
            task.abort();
        }
    }

    /// Listens again on the same port.
    async fn restart(&mut self) {
        let listener = TcpListener::bind(self.addr()).await.unwrap();
        self.serve(listener);
    }

    fn commands(&self) -> Vec<String> {
        self.commands.lock().unwrap().clone()
    }
}

/// Copies both ways, parsing the client's side into commands.
async fn relay(client: TcpStream, server: TcpStream, commands: Arc<Mutex<Vec<String>>>) {
    let (mut client_read, mut client_write) = client.into_split();
    let (mut server_read, mut server_write) = server.into_split();
    let up = async move {
        let mut pending = Vec::new();
        let mut buf = [0u8; 8192];
        loop {
            let n = match client_read.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => n,
            };
            pending.extend_from_slice(&buf[..n]);
            while let Some((name, used)) = parse_command(&pending) {
                commands.lock().unwrap().push(name);
                pending.drain(..used);
            }
            if server_write.write_all(&buf[..n]).await.is_err() {
                return;
            }
        }
    };
    let down = async move {
        let _ = tokio::io::copy(&mut server_read, &mut client_write).await;
    };
    tokio::join!(up, down);
}

/// The name of the first whole RESP command in `buf`, and its length.
fn parse_command(buf: &[u8]) -> Option<(String, usize)> {
    fn line(buf: &[u8], at: usize) -> Option<(&[u8], usize)> {
        let end = buf[at..].windows(2).position(|w| w == b"\r\n")? + at;
        Some((&buf[at..end], end + 2))
    }
    let (head, mut at) = line(buf, 0)?;
    let count: usize = std::str::from_utf8(head.strip_prefix(b"*")?)
        .ok()?
        .parse()
        .ok()?;
    let mut name = String::new();
    for i in 0..count {
        let (len, start) = line(buf, at)?;
        let len: usize = std::str::from_utf8(len.strip_prefix(b"$")?)
            .ok()?
            .parse()
            .ok()?;
        if buf.len() < start + len + 2 {
            return None;
        }
        if i == 0 {
            name = String::from_utf8_lossy(&buf[start..start + len]).to_uppercase();
        }
        at = start + len + 2;
    }
    Some((name, at))
}

#[tokio::test]
async fn two_layers_on_one_redis_share_one_limit() {
    let Some(url) = redis_url() else { return };
    let prefix = unique_prefix("shared");
    // Two layers built apart, as two app servers would build them.
    let servers = [0, 1].map(|_| {
        app(RateLimitLayer::builder(Policy::per_hour(3))
            .redis(&url)
            .redis_prefix(&prefix))
    });
    let mut statuses = Vec::new();
    for i in 0..6 {
        statuses.push(status(&servers[i % 2], "192.0.2.1:1").await.as_u16());
    }
    assert_eq!(statuses, [200, 200, 200, 429, 429, 429]);
    assert_eq!(
        status(&servers[0], "192.0.2.2:1").await,
        200,
        "another client"
    );
}

#[tokio::test]
async fn the_redis_store_follows_the_clock_and_sends_the_fields() {
    let Some(url) = redis_url() else { return };
    let clock = ManualClock::new();
    let app = app(RateLimitLayer::builder(Policy::per_second(1).burst(2))
        .name("api")
        .headers(true)
        .clock(clock.clone())
        .redis(&url)
        .redis_prefix(unique_prefix("clock")));
    let res = app.clone().oneshot(from("192.0.2.1:1")).await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["ratelimit-policy"], "\"api\";q=2;w=2");
    assert_eq!(res.headers()["ratelimit"], "\"api\";r=1;t=1");
    assert_eq!(status(&app, "192.0.2.1:1").await, 200);
    let res = app.clone().oneshot(from("192.0.2.1:1")).await.unwrap();
    assert_eq!(res.status(), 429);
    assert_eq!(res.headers()["retry-after"], "1");
    assert_eq!(res.headers()["ratelimit"], "\"api\";r=0;t=2");
    clock.advance(Duration::from_millis(999));
    assert_eq!(status(&app, "192.0.2.1:1").await, 429, "not yet");
    clock.advance(Duration::from_millis(1));
    assert_eq!(status(&app, "192.0.2.1:1").await, 200, "one came back");
    assert_eq!(status(&app, "192.0.2.1:1").await, 429);
}

#[tokio::test]
async fn each_request_is_one_round_trip() {
    let Some(url) = redis_url() else { return };
    let proxy = Proxy::start(host_port(&url)).await;
    let app = app(RateLimitLayer::builder(Policy::per_second(1000))
        .redis(via(&url, &proxy.addr()))
        .redis_prefix(unique_prefix("round-trips")));
    // The first request connects and loads the script.
    assert_eq!(status(&app, "192.0.2.1:1").await, 200);
    let before = proxy.commands().len();
    for i in 0..20 {
        let code = status(&app, &format!("192.0.2.{}:1", i % 3)).await;
        assert_eq!(code, 200);
    }
    let commands = proxy.commands();
    let during = &commands[before..];
    println!("commands for 20 requests: {}", during.len());
    assert_eq!(during.len(), 20, "{during:?}");
    assert!(during.iter().all(|c| c == "EVALSHA"), "{during:?}");
}

/// The port of a listener that was bound and dropped: nothing answers.
async fn closed_port() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    drop(listener);
    addr
}

#[tokio::test]
async fn redis_down_fails_open_by_default_with_one_warning() {
    let Some(url) = redis_url() else { return };
    let logs = LogCapture::start();
    let app = app(RateLimitLayer::builder(Policy::per_hour(1))
        .headers(true)
        .redis(via(&url, &closed_port().await))
        .redis_prefix(unique_prefix("open")));
    for _ in 0..5 {
        let res = app.clone().oneshot(from("192.0.2.1:1")).await.unwrap();
        assert_eq!(res.status(), 200, "let through while Redis is down");
        assert!(
            !res.headers().contains_key("ratelimit"),
            "no fields without a verdict"
        );
    }
    let warnings = logs.lines_at(Level::WARN);
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(warnings[0].contains("Redis is unreachable"), "{warnings:?}");
}

#[tokio::test]
async fn redis_down_fails_closed_with_503_when_configured() {
    let Some(url) = redis_url() else { return };
    let logs = LogCapture::start();
    let app = app(RateLimitLayer::builder(Policy::per_hour(100))
        .fail_closed(true)
        .redis(via(&url, &closed_port().await))
        .redis_prefix(unique_prefix("closed")));
    for _ in 0..5 {
        let res = app.clone().oneshot(from("192.0.2.1:1")).await.unwrap();
        assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(res.headers()["retry-after"], "1");
    }
    assert_eq!(logs.lines_at(Level::WARN).len(), 1);
}

#[tokio::test(start_paused = true)]
async fn a_redis_that_answers_nothing_costs_one_timeout_not_a_hang() {
    let Some(url) = redis_url() else { return };
    // Accepts connections and never answers.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let silent = listener.local_addr().unwrap().to_string();
    let _held = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((stream, _)) = listener.accept().await {
            held.push(stream);
        }
    });
    let app = app(RateLimitLayer::builder(Policy::per_hour(1))
        .redis(via(&url, &silent))
        .redis_timeout(Duration::from_millis(250))
        .redis_prefix(unique_prefix("silent")));
    let start = tokio::time::Instant::now();
    assert_eq!(status(&app, "192.0.2.1:1").await, 200, "failed open");
    // Paused time only moves when everything waits: what passed is what
    // the layer waited for, and it stopped at its timeout.
    assert!(
        start.elapsed() <= Duration::from_millis(250),
        "{:?}",
        start.elapsed()
    );
}

#[tokio::test]
async fn after_an_outage_limits_apply_again_by_themselves_with_one_line_each_way() {
    let Some(url) = redis_url() else { return };
    let logs = LogCapture::start();
    let mut proxy = Proxy::start(host_port(&url)).await;
    let app = app(RateLimitLayer::builder(Policy::per_hour(2))
        .fail_closed(true)
        .redis(via(&url, &proxy.addr()))
        .redis_prefix(unique_prefix("recovery")));
    assert_eq!(status(&app, "192.0.2.1:1").await, 200);
    proxy.stop();
    for _ in 0..5 {
        assert_eq!(status(&app, "192.0.2.1:1").await, 503, "Redis is gone");
    }
    proxy.restart().await;
    // The connection comes back by itself; a request or two may still
    // meet the old one.
    let mut refused_after_restart = 0;
    let mut recovered = false;
    for _ in 0..50 {
        match status(&app, "192.0.2.1:1").await.as_u16() {
            200 => {
                recovered = true;
                break;
            }
            503 => {
                refused_after_restart += 1;
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            other => panic!("unexpected {other}"),
        }
    }
    assert!(recovered, "the limiter never saw Redis again");
    println!(
        "requests refused after Redis came back, before the reconnection: {refused_after_restart}"
    );
    assert_eq!(
        status(&app, "192.0.2.1:1").await,
        429,
        "the count survived the outage"
    );
    assert_eq!(logs.lines_at(Level::WARN).len(), 1, "{}", logs.text());
    let infos: Vec<String> = logs
        .lines_at(Level::INFO)
        .into_iter()
        .filter(|l| l.contains("pastry_ratelimit"))
        .collect();
    assert_eq!(infos.len(), 1, "{infos:?}");
    assert!(infos[0].contains("reachable again"));
}
