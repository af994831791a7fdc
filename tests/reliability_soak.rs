//! Load soak of the altdemo stack (catch, gzip, sessions, session login,
//! URL map) served by `pastry::serve` on loopback: 64 keep-alive
//! connections for 60 s, each cycling through logging in, the counter,
//! gzipped lorem, a login-only page and the deliberate `/boom` 500, and
//! dropping its cookie every few cycles so sessions churn.
//!
//! Checks: every status is the one its route must give (303, 200, 200
//! gzip, 200, 500) and nothing else goes wrong; resident memory grows
//! less than 10 % from the end of warm-up to the end; the memory store
//! stays within its cap though far more sessions were made.
//!
//! Ignored by `cargo test`: run it by hand, in release, with
//! `tests/soak.sh` (which also sets the duration). Server and load
//! generator share this process, so RSS counts both; the client side is
//! fixed-size (64 connections, no per-request growth).

#[path = "../examples/altdemo/app.rs"]
#[allow(dead_code)]
mod app;

use std::collections::BTreeMap;
use std::future::IntoFuture;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::{Method, Request, StatusCode, header};
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use pastry::sessions::{AnyStore, MemoryStore};
use tokio::net::{TcpListener, TcpStream};

const CONNECTIONS: usize = 64;
/// Sessions the memory store may hold; the soak makes many more.
const MAX_SESSIONS: usize = 2_000;
/// A connection drops its cookie (a new visitor) every this many cycles.
const CHURN_EVERY: u64 = 4;

fn seconds(name: &str, default: u64) -> Duration {
    Duration::from_secs(
        std::env::var(name)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(default),
    )
}

fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

#[derive(Default)]
struct Tally {
    /// (route, status) -> count
    statuses: BTreeMap<(&'static str, u16), u64>,
    unexpected: Vec<String>,
    errors: Vec<String>,
    cycles: u64,
    sessions_started: u64,
    shed: u64,
}

impl Tally {
    fn merge(&mut self, other: Tally) {
        for (k, v) in other.statuses {
            *self.statuses.entry(k).or_default() += v;
        }
        self.unexpected.extend(other.unexpected);
        self.errors.extend(other.errors);
        self.cycles += other.cycles;
        self.sessions_started += other.sessions_started;
        self.shed += other.shed;
    }
}

struct Step {
    route: &'static str,
    method: Method,
    path: &'static str,
    form: Option<&'static str>,
    expect: StatusCode,
    /// Also allowed: a login shed by the argon2 bound (503 with
    /// Retry-After, documented by pastry-auth) and, after one, the
    /// login-only page redirecting to the login form.
    shed: Option<StatusCode>,
    gzip: bool,
}

fn steps() -> Vec<Step> {
    let get = |route, path, expect, gzip| Step {
        route,
        method: Method::GET,
        path,
        form: None,
        expect,
        shed: None,
        gzip,
    };
    vec![
        get("counter", "/counter", StatusCode::OK, false),
        Step {
            route: "login",
            method: Method::POST,
            path: "/login",
            form: Some("username=alice&password=wonderland&next=%2Fprivate"),
            expect: StatusCode::SEE_OTHER,
            shed: Some(StatusCode::SERVICE_UNAVAILABLE),
            gzip: false,
        },
        get("counter", "/counter", StatusCode::OK, false),
        get("lorem", "/lorem?n=20", StatusCode::OK, true),
        Step {
            shed: Some(StatusCode::SEE_OTHER),
            ..get("private", "/private", StatusCode::OK, false)
        },
        get("counter", "/counter", StatusCode::OK, false),
        get("boom", "/boom", StatusCode::INTERNAL_SERVER_ERROR, false),
    ]
}

async fn connection(addr: SocketAddr, stop: Arc<AtomicBool>) -> Tally {
    let mut tally = Tally::default();
    let stream = match TcpStream::connect(addr).await {
        Ok(stream) => stream,
        Err(e) => {
            tally.errors.push(format!("connect: {e}"));
            return tally;
        }
    };
    let (mut sender, conn) = match hyper::client::conn::http1::handshake(TokioIo::new(stream)).await
    {
        Ok(pair) => pair,
        Err(e) => {
            tally.errors.push(format!("handshake: {e}"));
            return tally;
        }
    };
    tokio::spawn(conn);
    let steps = steps();
    let mut cookie: Option<String> = None;
    while !stop.load(Ordering::Relaxed) {
        tally.cycles += 1;
        if tally.cycles % CHURN_EVERY == 0 {
            cookie = None;
        }
        for step in &steps {
            let mut req = Request::builder()
                .method(step.method.clone())
                .uri(step.path)
                .header(header::HOST, "localhost")
                .header(header::ACCEPT_ENCODING, "gzip");
            if let Some(c) = &cookie {
                req = req.header(header::COOKIE, c);
            }
            let body = match step.form {
                Some(form) => {
                    req = req.header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
                    Full::new(Bytes::from_static(form.as_bytes()))
                }
                None => Full::new(Bytes::new()),
            };
            let req = req.body(body).expect("a request");
            if let Err(e) = sender.ready().await {
                tally.errors.push(format!("{}: not ready: {e}", step.route));
                return tally;
            }
            let res = match sender.send_request(req).await {
                Ok(res) => res,
                Err(e) => {
                    tally.errors.push(format!("{}: {e}", step.route));
                    return tally;
                }
            };
            let status = res.status();
            *tally
                .statuses
                .entry((step.route, status.as_u16()))
                .or_default() += 1;
            if step.shed == Some(status) {
                tally.shed += 1;
                if status == StatusCode::SERVICE_UNAVAILABLE
                    && !res.headers().contains_key(header::RETRY_AFTER)
                {
                    tally
                        .unexpected
                        .push(format!("{} 503 without Retry-After", step.path));
                }
            } else if status != step.expect {
                tally
                    .unexpected
                    .push(format!("{} {} -> {status}", step.method, step.path));
            }
            if step.gzip
                && res
                    .headers()
                    .get(header::CONTENT_ENCODING)
                    .is_none_or(|v| v != "gzip")
            {
                tally.unexpected.push(format!("{} not gzipped", step.path));
            }
            if let Some(set) = res.headers().get(header::SET_COOKIE)
                && let Some(pair) = set.to_str().ok().and_then(|s| s.split(';').next())
            {
                if cookie.as_deref() != Some(pair) {
                    tally.sessions_started += 1;
                }
                cookie = Some(pair.to_owned());
            }
            if let Err(e) = res.into_body().collect().await {
                tally.errors.push(format!("{} body: {e}", step.route));
                return tally;
            }
        }
    }
    tally
}

#[test]
#[ignore = "a minute-long load soak: run tests/soak.sh"]
fn soak_altdemo_stack() {
    // `/boom` panics on purpose thousands of times: keep those quiet (and
    // free of backtrace capture), report any other panic as usual.
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let deliberate = info
            .payload()
            .downcast_ref::<&str>()
            .is_some_and(|m| m.starts_with("boom:"));
        if !deliberate {
            default_hook(info);
        }
    }));
    let duration = seconds("PASTRY_SOAK_SECONDS", 60);
    let warm_up = seconds("PASTRY_SOAK_WARMUP_SECONDS", 10).min(duration / 2);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async move {
        let memory = MemoryStore::new().max_entries(MAX_SESSIONS);
        let stack = app::stack(app::Config::new(
            AnyStore::Memory(memory.clone()),
            false,
            false,
        ))
        .expect("the altdemo stack");
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let (shutdown, signal) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(
            pastry::serve(listener, stack)
                .with_graceful_shutdown(async move {
                    let _ = signal.await;
                })
                .into_future(),
        );
        let rss_start = rss_kib();
        let stop = Arc::new(AtomicBool::new(false));
        let started = Instant::now();
        let clients: Vec<_> = (0..CONNECTIONS)
            .map(|_| tokio::spawn(connection(addr, Arc::clone(&stop))))
            .collect();
        tokio::time::sleep(warm_up).await;
        let rss_warm = rss_kib();
        let store_warm = memory.len();
        let mut rss_samples = vec![rss_warm];
        while started.elapsed() < duration {
            tokio::time::sleep(Duration::from_secs(5).min(duration - started.elapsed())).await;
            rss_samples.push(rss_kib());
        }
        stop.store(true, Ordering::Relaxed);
        let mut tally = Tally::default();
        for client in clients {
            tally.merge(client.await.expect("a client task"));
        }
        let elapsed = started.elapsed();
        let rss_end = rss_kib();
        let store_end = memory.len();
        let _ = shutdown.send(());
        let _ = server.await;

        let requests: u64 = tally.statuses.values().sum();
        let growth = (rss_end as f64 - rss_warm as f64) / rss_warm as f64 * 100.0;
        println!(
            "soak: {CONNECTIONS} connections, {:.1} s",
            elapsed.as_secs_f64()
        );
        println!(
            "requests: {requests} ({:.0}/s), cycles {}, session ids issued {}",
            requests as f64 / elapsed.as_secs_f64(),
            tally.cycles,
            tally.sessions_started
        );
        for ((route, status), count) in &tally.statuses {
            println!("  {route:8} {status}: {count}");
        }
        println!(
            "shed logins and their redirects (503 + Retry-After, then 303): {}",
            tally.shed
        );
        println!("unexpected statuses: {}", tally.unexpected.len());
        println!("errors: {}", tally.errors.len());
        println!(
            "RSS KiB: start {rss_start}, after warm-up {rss_warm}, end {rss_end} \
             ({growth:+.1} % after warm-up); samples {rss_samples:?}"
        );
        println!(
            "memory store: {store_warm} after warm-up, {store_end} at end (cap {MAX_SESSIONS})"
        );

        assert!(
            tally.unexpected.is_empty(),
            "{:?}",
            &tally.unexpected[..tally.unexpected.len().min(10)]
        );
        assert!(
            tally.errors.is_empty(),
            "{:?}",
            &tally.errors[..tally.errors.len().min(10)]
        );
        assert!(growth < 10.0, "RSS grew {growth:.1} % after warm-up");
        assert!(store_end <= MAX_SESSIONS);
        assert!(
            tally.sessions_started > MAX_SESSIONS as u64,
            "not enough churn to test the cap"
        );
    });
}
