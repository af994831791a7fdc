//! pastry-urlmap's dispatch side by side with axum 0.8's
//! `Router::nest_service`, each holding the same 1, 100 and 10 000 mounts
//! (`/app0` … `/appN`), in one run.
//!
//! Every mounted app is the same `service_fn` answering `Full<Bytes>`
//! (`ok`), a body neither side can hold without boxing; the
//! request goes to the last mount (`/app{N-1}/posts/42?page=2`), so a
//! linear scan would show. Both sides receive `Request<axum::body::Body>`,
//! strip the prefix, box the app's response body once and run on a
//! current-thread tokio runtime. Each iteration does what hyper does per
//! request: `poll_ready` on the one service (both are always ready), then
//! `call` and await the response. A second pastry case sends a path that
//! needs normalising (`//app{N-1}/./posts/%34%32`), and `app_alone` is the
//! mounted app called directly: the floor under both.
//!
//! Run: cargo bench --manifest-path benches/Cargo.toml --bench urlmap -- --warm-up-time 1 --measurement-time 3
//!
//! On a shared, loaded machine criterion's sequential runs drift with the
//! load. `URLMAP_INTERLEAVED=1 cargo bench --manifest-path benches/Cargo.toml
//! --bench urlmap` instead alternates batches of 2 000 requests between
//! pastry, axum and the bare app, 200 rounds per size, and prints the
//! fastest batch of each (ns per request) and the pastry/axum ratio.

use std::convert::Infallible;
use std::task::{Context, Waker};
use std::time::Instant;

use axum::Router;
use axum::body::Body;
use bytes::Bytes;
use criterion::{BenchmarkId, Criterion, criterion_group};
use http::{Request, Response, Uri};
use http_body_util::Full;
use pastry_urlmap::UrlMap;
use tower::{Service, ServiceExt, service_fn};

const SIZES: [usize; 3] = [1, 100, 10_000];

fn app() -> impl Service<
    Request<Body>,
    Response = Response<Full<Bytes>>,
    Error = Infallible,
    Future = impl Future<Output = Result<Response<Full<Bytes>>, Infallible>> + Send,
> + Clone
+ Send
+ Sync
+ 'static {
    service_fn(|_req: Request<Body>| async {
        Ok::<_, Infallible>(Response::new(Full::new(Bytes::from_static(b"ok"))))
    })
}

fn pastry_map(mounts: usize) -> UrlMap<Body> {
    let mut builder = UrlMap::builder();
    for i in 0..mounts {
        builder = builder.mount(format!("/app{i}"), app());
    }
    builder.build().expect("distinct mounts")
}

fn axum_router(mounts: usize) -> Router {
    let mut router = Router::new();
    for i in 0..mounts {
        router = router.nest_service(&format!("/app{i}"), app());
    }
    router
}

fn request(uri: &Uri) -> Request<Body> {
    let mut req = Request::new(Body::empty());
    *req.uri_mut() = uri.clone();
    req
}

/// One request the way a server sends it: `poll_ready`, then `call`.
fn serve<S>(svc: &mut S, uri: &Uri) -> S::Future
where
    S: Service<Request<Body>>,
    S::Error: std::fmt::Debug,
{
    let mut cx = Context::from_waker(Waker::noop());
    assert!(svc.poll_ready(&mut cx).is_ready(), "always ready");
    svc.call(request(uri))
}

fn dispatch(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    let mut group = c.benchmark_group("urlmap_dispatch");
    let floor: Uri = "/posts/42?page=2".parse().expect("uri");
    let mut alone = app();
    group.bench_function("app_alone", |b| {
        b.to_async(&rt).iter(|| serve(&mut alone, &floor));
    });
    for mounts in SIZES {
        let uri: Uri = format!("/app{}/posts/42?page=2", mounts - 1)
            .parse()
            .expect("uri");
        let messy: Uri = format!("//app{}/./posts/%34%32?page=2", mounts - 1)
            .parse()
            .expect("uri");

        let mut map = pastry_map(mounts);
        for uri in [&uri, &messy] {
            let res = rt
                .block_on(map.clone().oneshot(request(uri)))
                .expect("pastry");
            assert_eq!(res.status(), 200);
        }
        group.bench_with_input(BenchmarkId::new("pastry", mounts), &uri, |b, uri| {
            b.to_async(&rt).iter(|| serve(&mut map, uri));
        });
        group.bench_with_input(
            BenchmarkId::new("pastry_normalise", mounts),
            &messy,
            |b, uri| {
                b.to_async(&rt).iter(|| serve(&mut map, uri));
            },
        );

        let mut router = axum_router(mounts);
        let res = rt
            .block_on(router.clone().oneshot(request(&uri)))
            .expect("axum");
        assert_eq!(res.status(), 200);
        group.bench_with_input(
            BenchmarkId::new("axum_nest_service", mounts),
            &uri,
            |b, uri| {
                b.to_async(&rt).iter(|| serve(&mut router, uri));
            },
        );
    }
    group.finish();
}

/// Nanoseconds per request over one batch of `n` requests.
fn batch<S>(svc: &mut S, uri: &Uri, n: u32, rt: &tokio::runtime::Runtime) -> f64
where
    S: Service<Request<Body>>,
    S::Error: std::fmt::Debug,
{
    let start = Instant::now();
    rt.block_on(async {
        for _ in 0..n {
            std::hint::black_box(serve(svc, uri).await.expect("response"));
        }
    });
    start.elapsed().as_nanos() as f64 / f64::from(n)
}

fn interleaved() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    let floor: Uri = "/posts/42?page=2".parse().expect("uri");
    let mut alone = app();
    for mounts in SIZES {
        let uri: Uri = format!("/app{}/posts/42?page=2", mounts - 1)
            .parse()
            .expect("uri");
        let mut map = pastry_map(mounts);
        let mut router = axum_router(mounts);
        let (mut pastry, mut axum, mut bare) = (f64::MAX, f64::MAX, f64::MAX);
        for _ in 0..200 {
            pastry = pastry.min(batch(&mut map, &uri, 2000, &rt));
            axum = axum.min(batch(&mut router, &uri, 2000, &rt));
            bare = bare.min(batch(&mut alone, &floor, 2000, &rt));
        }
        println!(
            "urlmap interleaved mounts={mounts}: pastry {pastry:.0} ns, axum_nest_service {axum:.0} ns, \
             app_alone {bare:.0} ns, pastry/axum {:.2}",
            pastry / axum
        );
    }
}

criterion_group!(benches, dispatch);

fn main() {
    if std::env::var_os("URLMAP_INTERLEAVED").is_some() {
        interleaved();
        return;
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}
