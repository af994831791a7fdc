//! HTTP Basic auth: pastry-auth with its credential cache against the same
//! layer without it (one argon2id verification per request, OWASP
//! parameters m=19 MiB t=2 p=1), with tower-http 0.6's plaintext-compare
//! Basic check and the bare service as baselines; and the throughput of a
//! flood of uncached logins through the bounded verifier.
//!
//! cargo bench --manifest-path benches/Cargo.toml --bench auth -- --warm-up-time 1 --measurement-time 3

#![allow(deprecated)] // tower-http's Basic check is deprecated, and still the peer a user finds.

use std::convert::Infallible;
use std::hint::black_box;
use std::time::Duration;

use bytes::Bytes;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use http::{HeaderValue, Request, Response, StatusCode};
use http_body::Body;
use http_body_util::{BodyExt, Empty, Full};
use pastry_auth::{Authenticator, BasicAuthLayer, MemoryUserStore, PasswordHasher, User};
use tower::{Service, ServiceBuilder, ServiceExt, service_fn};
use tower_http::validate_request::ValidateRequestHeaderLayer;

type Req = Request<Empty<Bytes>>;

async fn hello(_req: Req) -> Result<Response<Full<Bytes>>, Infallible> {
    Ok(Response::new(Full::from(Bytes::from_static(
        b"hello, world",
    ))))
}

/// `alice:wonderland`, on static bytes as hyper would share them.
fn request() -> Req {
    Request::get("/")
        .header(
            "authorization",
            HeaderValue::from_static("Basic YWxpY2U6d29uZGVybGFuZA=="),
        )
        .body(Empty::new())
        .unwrap()
}

async fn round_trip<S, B>(svc: &S, req: Req) -> (StatusCode, Bytes)
where
    S: Service<Req, Response = Response<B>> + Clone,
    S::Error: std::fmt::Debug,
    B: Body<Data = Bytes>,
    B::Error: std::fmt::Debug,
{
    let res = svc.clone().oneshot(req).await.unwrap();
    let status = res.status();
    (status, res.into_body().collect().await.unwrap().to_bytes())
}

fn users(hasher: &PasswordHasher) -> MemoryUserStore {
    let users = MemoryUserStore::new();
    users.insert(
        User::builder("alice", hasher.hash_blocking("wonderland").unwrap())
            .roles(["admin"])
            .build(),
    );
    users
}

fn basic(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let hasher = PasswordHasher::new();
    let users = users(&hasher);

    let bare = service_fn(hello);
    let cached = ServiceBuilder::new()
        .layer(BasicAuthLayer::new(
            Authenticator::new(users.clone()).hasher(hasher.clone()),
        ))
        .service_fn(hello);
    let uncached = ServiceBuilder::new()
        .layer(BasicAuthLayer::new(
            Authenticator::new(users)
                .hasher(hasher)
                .cache_ttl(Duration::ZERO),
        ))
        .service_fn(hello);
    let tower_http = ServiceBuilder::new()
        .layer(ValidateRequestHeaderLayer::basic("alice", "wonderland"))
        .service_fn(hello);
    assert_eq!(
        rt.block_on(round_trip(&cached, request())).0,
        StatusCode::OK
    );
    assert_eq!(
        rt.block_on(round_trip(&uncached, request())).0,
        StatusCode::OK
    );
    assert_eq!(
        rt.block_on(round_trip(&tower_http, request())).0,
        StatusCode::OK
    );

    let mut group = c.benchmark_group("auth/basic");
    group.bench_function("baseline_no_middleware", |b| {
        b.to_async(&rt)
            .iter(|| async { black_box(round_trip(&bare, request()).await) })
    });
    group.bench_function("tower_http_basic_plaintext", |b| {
        b.to_async(&rt)
            .iter(|| async { black_box(round_trip(&tower_http, request()).await) })
    });
    group.bench_function("pastry_basic_cached", |b| {
        b.to_async(&rt)
            .iter(|| async { black_box(round_trip(&cached, request()).await) })
    });
    group.finish();

    let mut group = c.benchmark_group("auth/basic_argon2");
    group.sample_size(10);
    group.bench_function("pastry_basic_uncached_owasp", |b| {
        b.to_async(&rt)
            .iter(|| async { black_box(round_trip(&uncached, request()).await) })
    });
    group.finish();
}

/// `FLOOD` uncached logins at once on a two-worker runtime; the hasher runs
/// at most two verifications at a time. `queue_64`: every login waits its
/// turn (throughput = what the CPUs allow); `queue_8`: logins beyond the
/// queue get an immediate 503 instead of waiting.
const FLOOD: usize = 32;

/// Sends `FLOOD` requests at once; how many were served (the rest got 503).
async fn run<S, B>(svc: S) -> usize
where
    S: Service<Req, Response = Response<B>> + Clone + Send + 'static,
    S::Future: Send,
    S::Error: std::fmt::Debug,
    B: Body<Data = Bytes> + Send + 'static,
    B::Error: std::fmt::Debug,
{
    let tasks: Vec<_> = (0..FLOOD)
        .map(|_| {
            let svc = svc.clone();
            tokio::spawn(async move {
                let res = svc.oneshot(request()).await.unwrap();
                let status = res.status();
                res.into_body().collect().await.unwrap();
                status
            })
        })
        .collect();
    let mut served = 0;
    for task in tasks {
        let status = task.await.unwrap();
        assert!(status == StatusCode::OK || status == StatusCode::SERVICE_UNAVAILABLE);
        served += usize::from(status == StatusCode::OK);
    }
    served
}

fn flood(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let mut group = c.benchmark_group("auth/flood");
    group.sample_size(10);
    group.throughput(Throughput::Elements(FLOOD as u64));
    for queue in [64, 8] {
        let hasher = PasswordHasher::builder()
            .max_concurrent(2)
            .max_queue(queue)
            .max_wait(Duration::from_secs(10))
            .build()
            .unwrap();
        let svc = ServiceBuilder::new()
            .layer(BasicAuthLayer::new(
                Authenticator::new(users(&hasher))
                    .hasher(hasher)
                    .cache_ttl(Duration::ZERO),
            ))
            .service_fn(hello);
        let served = rt.block_on(run(svc.clone()));
        eprintln!("auth/flood/queue_{queue}: {served} of {FLOOD} served, the rest 503");
        group.bench_function(format!("pastry_basic_owasp_queue_{queue}"), |b| {
            b.to_async(&rt).iter(|| black_box(run(svc.clone())))
        });
    }
    group.finish();
}

criterion_group!(benches, basic, flood);
criterion_main!(benches);
