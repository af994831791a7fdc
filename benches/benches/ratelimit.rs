//! Rate limiting per client: pastry-ratelimit's `RateLimitLayer` against
//! tower_governor 0.8 (its default features; governor 0.10 underneath) in
//! one run, both keyed by the client's IP address, both around the same
//! handler. Each request carries the address both ways (`ClientAddr` for
//! ours, axum's `ConnectInfo` for the peer).
//!
//! - `allowed/clients/N`: a policy no client reaches (one a nanosecond,
//!   burst a million): the cost of counting a request that passes.
//!   "clients/1" is one request loop; "clients/64" is 64 loops, each its
//!   own address, on a two-worker runtime; the throughput counts them all,
//!   so the time per element is the time per request.
//! - `refused/clients/1`: one client over its limit (one an hour), every
//!   request answered 429 by the layer.
//! - `redis/clients/N` (ours only; `PASTRY_TEST_REDIS_URL` set): the same
//!   with the counts in Redis, one `EVALSHA` round trip per request (the
//!   Redis test `each_request_is_one_round_trip` counts them).
//!
//! PASTRY_TEST_REDIS_URL=redis://127.0.0.1:6379 \
//!   cargo bench --manifest-path benches/Cargo.toml --bench ratelimit -- --warm-up-time 1 --measurement-time 2

use std::convert::Infallible;
use std::hint::black_box;
use std::net::SocketAddr;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::body::Body as AxumBody;
use axum::extract::ConnectInfo;
use bytes::Bytes;
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use http::{Request, Response};
use http_body_util::Empty;
use pastry_core::ClientAddr;
use pastry_ratelimit::{Policy, RateLimitBody, RateLimitLayer};
use tower::{Layer, Service, ServiceExt, service_fn};
use tower_governor::GovernorLayer;
use tower_governor::governor::GovernorConfigBuilder;

type Req = Request<Empty<Bytes>>;

async fn handler(_req: Req) -> Result<Response<AxumBody>, Infallible> {
    Ok(Response::new(AxumBody::from("ok")))
}

/// A request from `addr`, as either layer finds it.
fn request(addr: SocketAddr) -> Req {
    let mut req = Request::get("/api/items")
        .body(Empty::new())
        .expect("request");
    req.extensions_mut().insert(ClientAddr(addr));
    req.extensions_mut().insert(ConnectInfo(addr));
    req
}

fn client(i: usize) -> SocketAddr {
    SocketAddr::from(([10, 0, (i / 250) as u8, (i % 250) as u8 + 1], 40_000))
}

/// Runs `clients` loops of `iters` requests each, every loop from its own
/// address, expecting `status`; returns the wall time.
fn run<S, B>(
    rt: &tokio::runtime::Runtime,
    svc: &S,
    clients: usize,
    iters: u64,
    status: u16,
) -> Duration
where
    S: Service<Req, Response = Response<B>, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send,
    B: Send + 'static,
{
    rt.block_on(async {
        let start = Instant::now();
        let loops: Vec<_> = (0..clients)
            .map(|i| {
                let svc = svc.clone();
                let addr = client(i);
                tokio::spawn(async move {
                    for _ in 0..iters {
                        let res = svc.clone().oneshot(request(addr)).await.expect("response");
                        assert_eq!(res.status(), status);
                        black_box(res);
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

/// Ours around the same handler; its answers are the handler's body or
/// the layer's own (`LayerBody<AxumBody>`), never re-boxed.
fn ours(
    policy: Policy,
) -> impl Service<Req, Response = Response<RateLimitBody<AxumBody>>, Error = Infallible, Future: Send>
+ Clone
+ Send
+ 'static {
    let layer = RateLimitLayer::builder(policy).build().expect("layer");
    layer.layer(service_fn(handler))
}

fn peer(
    per_nanos: u64,
    burst: u32,
) -> impl Service<Req, Response = Response<AxumBody>, Error = Infallible, Future: Send>
+ Clone
+ Send
+ 'static {
    let config = GovernorConfigBuilder::default()
        .const_per_nanosecond(per_nanos)
        .const_burst_size(burst)
        .finish()
        .expect("governor config");
    GovernorLayer::new(config).layer(service_fn(handler))
}

fn ratelimit(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let mut group = c.benchmark_group("ratelimit");

    // One a nanosecond, burst a million: never reached.
    let (ours_allow, peer_allow) = (
        ours(Policy::new(1_000_000_000, Duration::from_secs(1)).burst(1_000_000)),
        peer(1, 1_000_000),
    );
    for clients in [1usize, 64] {
        group.throughput(Throughput::Elements(clients as u64));
        group.bench_with_input(
            BenchmarkId::new("allowed/tower_governor", clients),
            &clients,
            |b, &clients| b.iter_custom(|n| run(&rt, &peer_allow, clients, n, 200)),
        );
        group.bench_with_input(
            BenchmarkId::new("allowed/pastry", clients),
            &clients,
            |b, &clients| b.iter_custom(|n| run(&rt, &ours_allow, clients, n, 200)),
        );
    }

    // One an hour, burst 1: after the first request, every one is a 429.
    let (ours_refuse, peer_refuse) = (
        ours(Policy::per_hour(1).burst(1)),
        peer(3_600_000_000_000, 1),
    );
    run(&rt, &ours_refuse, 1, 1, 200);
    run(&rt, &peer_refuse, 1, 1, 200);
    group.throughput(Throughput::Elements(1));
    group.bench_function(BenchmarkId::new("refused/tower_governor", 1), |b| {
        b.iter_custom(|n| run(&rt, &peer_refuse, 1, n, 429))
    });
    group.bench_function(BenchmarkId::new("refused/pastry", 1), |b| {
        b.iter_custom(|n| run(&rt, &ours_refuse, 1, n, 429))
    });

    match std::env::var("PASTRY_TEST_REDIS_URL") {
        Ok(url) if !url.is_empty() => {
            let nanos = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap_or_default()
                .as_nanos();
            let layer = RateLimitLayer::builder(Policy::per_second(1_000_000).burst(100_000_000))
                .redis(url)
                .redis_prefix(format!(
                    "pastry-bench:ratelimit:{}:{nanos}:",
                    std::process::id()
                ))
                .redis_timeout(Duration::from_secs(2))
                .build()
                .expect("layer");
            let svc = layer.layer(service_fn(handler));
            for clients in [1usize, 64] {
                group.throughput(Throughput::Elements(clients as u64));
                group.bench_with_input(
                    BenchmarkId::new("redis/pastry", clients),
                    &clients,
                    |b, &clients| b.iter_custom(|n| run(&rt, &svc, clients, n, 200)),
                );
            }
        }
        _ => eprintln!("ratelimit: PASTRY_TEST_REDIS_URL is not set; skipping the Redis store"),
    }
    group.finish();
}

criterion_group!(benches, ratelimit);
criterion_main!(benches);
