//! Sealed cookie sessions: load + modify + save per request through the
//! session layer, pastry-sessions' `CookieStore` (the record sealed with
//! XChaCha20-Poly1305 into the cookie) against Pastry's `MemoryStore` and
//! tower-sessions 0.14's `MemoryStore`, in one run. tower-sessions has no
//! cookie-backed store, so its in-memory store is the nearest peer. Every
//! request sends the cookie of an existing session, reads a counter and
//! writes it back incremented: for the cookie store that is opening the
//! sealed cookie and sealing a new one. "threads/1" runs one request at a
//! time; "threads/2" runs two request loops (each on its own session) on a
//! two-worker runtime, and the reported throughput counts both.
//!
//! cargo bench --manifest-path benches/Cargo.toml --bench cookie_sessions -- --warm-up-time 1 --measurement-time 3

use std::convert::Infallible;
use std::hint::black_box;
use std::time::{Duration, Instant};

use bytes::Bytes;
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use http::header::{COOKIE, SET_COOKIE};
use http::{HeaderValue, Request, Response};
use http_body::Body;
use http_body_util::{BodyExt, Empty, Full};
use pastry_sessions::{
    CookieKeys, CookieStore, MemoryStore, SessionError, SessionExt, SessionLayer,
};
use tower::{Service, ServiceBuilder, ServiceExt};
use tower_sessions::SessionManagerLayer;

type Req = Request<Empty<Bytes>>;

async fn pastry_handler(req: Req) -> Result<Response<Full<Bytes>>, SessionError> {
    let session = req.session().expect("SessionLayer");
    let count: u64 = session.get("count").await?.unwrap_or(0);
    session.insert("count", &(count + 1)).await?;
    Ok(Response::new(Full::from(count.to_string())))
}

async fn peer_handler(req: Req) -> Result<Response<Full<Bytes>>, Infallible> {
    let session = req
        .extensions()
        .get::<tower_sessions::Session>()
        .cloned()
        .expect("SessionManagerLayer");
    let count: u64 = session.get("count").await.expect("peer load").unwrap_or(0);
    session.insert("count", count + 1).await.expect("peer save");
    Ok(Response::new(Full::from(count.to_string())))
}

fn request(cookie: Option<&HeaderValue>) -> Req {
    let mut req = Request::get("/").body(Empty::new()).expect("request");
    if let Some(cookie) = cookie {
        req.headers_mut().insert(COOKIE, cookie.clone());
    }
    req
}

/// Sends one request; returns the `name=value` of any cookie it set.
async fn call<S, B>(svc: &S, cookie: Option<&HeaderValue>) -> Option<HeaderValue>
where
    S: Service<Req, Response = Response<B>> + Clone,
    S::Error: std::fmt::Debug,
    B: Body<Data = Bytes>,
    B::Error: std::fmt::Debug,
{
    let res = svc
        .clone()
        .oneshot(request(cookie))
        .await
        .expect("response");
    assert!(res.status().is_success(), "status {}", res.status());
    let set = res.headers().get(SET_COOKIE).map(|v| {
        let text = v.to_str().expect("ascii cookie");
        HeaderValue::from_str(text.split(';').next().unwrap_or("")).expect("cookie pair")
    });
    black_box(res.into_body().collect().await.expect("body").to_bytes());
    set
}

/// Runs `threads` request loops of `iters` requests each, every loop on a
/// session of its own, and returns the wall time.
fn run<S, B>(rt: &tokio::runtime::Runtime, svc: &S, threads: usize, iters: u64) -> Duration
where
    S: Service<Req, Response = Response<B>> + Clone + Send + Sync + 'static,
    S::Future: Send,
    S::Error: std::fmt::Debug,
    B: Body<Data = Bytes> + Send,
    B::Error: std::fmt::Debug,
{
    rt.block_on(async {
        let mut cookies = Vec::new();
        for _ in 0..threads {
            cookies.push(call(svc, None).await.expect("first request sets a cookie"));
        }
        let start = Instant::now();
        let loops: Vec<_> = cookies
            .into_iter()
            .map(|cookie| {
                let svc = svc.clone();
                tokio::spawn(async move {
                    for _ in 0..iters {
                        call(&svc, Some(&cookie)).await;
                    }
                })
            })
            .collect();
        for task in loops {
            task.await.expect("request loop");
        }
        start.elapsed()
    })
}

fn load_modify_save(c: &mut Criterion) {
    let keys = CookieKeys::parse(&CookieKeys::generate()).expect("cookie key");
    for threads in [1usize, 2] {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(threads)
            .enable_all()
            .build()
            .expect("runtime");
        let mut group = c.benchmark_group("cookie_sessions/load_modify_save");
        group.throughput(Throughput::Elements(threads as u64));
        let id = |name: &str| BenchmarkId::new(name, format!("threads/{threads}"));

        let peer = ServiceBuilder::new()
            .layer(
                SessionManagerLayer::new(tower_sessions::MemoryStore::default()).with_secure(false),
            )
            .service_fn(peer_handler);
        group.bench_function(id("tower_sessions_memory"), |b| {
            b.iter_custom(|n| run(&rt, &peer, threads, n))
        });
        let memory = ServiceBuilder::new()
            .layer(SessionLayer::new(MemoryStore::new()).secure(false))
            .service_fn(pastry_handler);
        group.bench_function(id("pastry_memory"), |b| {
            b.iter_custom(|n| run(&rt, &memory, threads, n))
        });
        let cookie = ServiceBuilder::new()
            .layer(SessionLayer::new(CookieStore::new(keys.clone())).secure(false))
            .service_fn(pastry_handler);
        group.bench_function(id("pastry_cookie"), |b| {
            b.iter_custom(|n| run(&rt, &cookie, threads, n))
        });

        group.finish();
    }
}

criterion_group!(benches, load_modify_save);
criterion_main!(benches);
