//! Happy-path cost of catching failures: pastry-catch's `CatchLayer` against
//! tower-http 0.6's `CatchPanicLayer`, with the bare service as a baseline,
//! in one run. Each iteration calls a fresh clone of the stack (as a server
//! does per request), drives the response future and reads the whole body.
//! The apps answer at once, so they are polled with a no-op waker instead of
//! a runtime: the figures are the stacks' own cost, not an executor's.
//!
//! cargo bench --manifest-path benches/Cargo.toml --bench catch -- --warm-up-time 1 --measurement-time 3
//!
//! After criterion's report it prints `catch/paired/...`: the three stacks
//! timed in interleaved rounds (see [`paired`]), the figure to trust when the
//! machine is shared.

use std::convert::Infallible;
use std::future::Future;
use std::hint::black_box;
use std::pin::pin;
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use bytes::Bytes;
use criterion::{Criterion, criterion_group};
use http::{HeaderValue, Request, Response, Uri};
use http_body::Body;
use http_body_util::{Empty, Full};
use pastry_catch::CatchLayer;
use tower::{Service, ServiceBuilder, service_fn};
use tower_http::catch_panic::CatchPanicLayer;

type Req = Request<Empty<Bytes>>;

async fn hello(_req: Req) -> Result<Response<Full<Bytes>>, Infallible> {
    Ok(Response::new(Full::from(Bytes::from_static(
        b"hello, world",
    ))))
}

fn bare_request() -> Req {
    Request::get("/").body(Empty::new()).unwrap()
}

/// A browser's request. Its URI and header values are built on shared
/// (here static) bytes, as hyper builds them on its read buffer, so cloning
/// them is a reference-count bump; builder-made values on fresh `Vec`s would
/// allocate once on their first clone.
fn browser_request() -> Req {
    let value = HeaderValue::from_static;
    Request::get(Uri::from_static("/posts/42?page=2"))
        .header("host", value("example.com"))
        .header(
            "user-agent",
            value("Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0"),
        )
        .header(
            "accept",
            value("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"),
        )
        .header("accept-language", value("en-GB,en;q=0.5"))
        .header("accept-encoding", value("gzip, deflate, br, zstd"))
        .header("cookie", value("session=0123456789abcdef0123456789abcdef"))
        .header("connection", value("keep-alive"))
        .header("upgrade-insecure-requests", value("1"))
        .body(Empty::new())
        .unwrap()
}

fn round_trip<S, B>(svc: &S, req: Req) -> usize
where
    S: Service<Req, Response = Response<B>> + Clone,
    S::Error: std::fmt::Debug,
    B: Body<Data = Bytes>,
    B::Error: std::fmt::Debug,
{
    let mut cx = Context::from_waker(Waker::noop());
    let mut svc = svc.clone();
    assert!(svc.poll_ready(&mut cx).is_ready());
    let Poll::Ready(res) = pin!(svc.call(req)).poll(&mut cx) else {
        unreachable!("the app answers at once");
    };
    let mut body = pin!(res.unwrap().into_body());
    let mut len = 0;
    while let Poll::Ready(Some(frame)) = body.as_mut().poll_frame(&mut cx) {
        len += frame.unwrap().into_data().map_or(0, |data| data.len());
    }
    len
}

fn happy_path(c: &mut Criterion) {
    let bare = service_fn(hello);
    let pastry = ServiceBuilder::new()
        .layer(CatchLayer::new())
        .service_fn(hello);
    let pastry_debug = ServiceBuilder::new()
        .layer(CatchLayer::new().debug(true))
        .service_fn(hello);
    let tower_http = ServiceBuilder::new()
        .layer(CatchPanicLayer::new())
        .service_fn(hello);

    for (input, make) in [
        ("bare_request", bare_request as fn() -> Req),
        ("browser_request", browser_request),
    ] {
        let mut group = c.benchmark_group(format!("catch/happy_path/{input}"));
        group.bench_function("baseline_no_middleware", |b| {
            b.iter(|| black_box(round_trip(&bare, make())))
        });
        group.bench_function("pastry_catch", |b| {
            b.iter(|| black_box(round_trip(&pastry, make())))
        });
        group.bench_function("tower_http_catch_panic", |b| {
            b.iter(|| black_box(round_trip(&tower_http, make())))
        });
        group.bench_function("pastry_catch_debug_mode", |b| {
            b.iter(|| black_box(round_trip(&pastry_debug, make())))
        });
        group.finish();
    }
}

/// The same three stacks measured in turn, round after round, keeping each
/// stack's fastest round: on a busy shared machine, sequential criterion
/// figures drift with the load, while interleaved rounds see the same load
/// and the fastest round is the least disturbed. Printed after criterion's
/// report as `catch/paired/...`.
fn paired() {
    const ROUNDS: usize = 300;
    const PER_ROUND: u32 = 1000;
    let bare = service_fn(hello);
    let pastry = ServiceBuilder::new()
        .layer(CatchLayer::new())
        .service_fn(hello);
    let tower_http = ServiceBuilder::new()
        .layer(CatchPanicLayer::new())
        .service_fn(hello);
    for (input, make) in [
        ("bare_request", bare_request as fn() -> Req),
        ("browser_request", browser_request),
    ] {
        let mut best = [Duration::MAX; 3];
        for _ in 0..ROUNDS {
            for (stack, fastest) in best.iter_mut().enumerate() {
                let start = Instant::now();
                for _ in 0..PER_ROUND {
                    black_box(match stack {
                        0 => round_trip(&bare, make()),
                        1 => round_trip(&pastry, make()),
                        _ => round_trip(&tower_http, make()),
                    });
                }
                *fastest = (*fastest).min(start.elapsed() / PER_ROUND);
            }
        }
        let [base, ours, peer] = best.map(|d| d.as_secs_f64() * 1e9);
        println!(
            "catch/paired/{input}: baseline {base:.1} ns, pastry_catch {ours:.1} ns, tower_http_catch_panic {peer:.1} ns; \
             overhead {:.1} ns vs {:.1} ns; pastry/tower-http per request {:.3}",
            ours - base,
            peer - base,
            ours / peer
        );
    }
}

criterion_group!(benches, happy_path);

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
    let args: Vec<String> = std::env::args().collect();
    let listing_or_testing = args.iter().any(|a| a == "--list" || a == "--test");
    // A filter is a word that is neither a flag nor a flag's number.
    let filtered_out = args.iter().skip(1).any(|a| {
        !a.starts_with('-') && a.parse::<f64>().is_err() && !"catch/paired".contains(a.as_str())
    });
    if !listing_or_testing && !filtered_out {
        paired();
    }
}
