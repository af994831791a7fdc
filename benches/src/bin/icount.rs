//! Runs one bench scenario a given number of times, for `benches/icount.py`
//! to count its instructions under callgrind. The script runs each scenario
//! twice with different counts and divides the difference, so the setup
//! (building the stack, logging in, the first-call allocations) cancels out
//! and what is left is the cost of one request.
//!
//!   icount SCENARIO N
//!
//! Scenarios come in pairs (`…/pastry`, `…/peer`); `icount list` prints them.

use std::convert::Infallible;
use std::future::Future;
use std::hint::black_box;
use std::pin::pin;
use std::process::ExitCode;
use std::task::{Context, Poll, Waker};

use bytes::Bytes;
use http::{HeaderValue, Request, Response, Uri, header};
use http_body::Body;
use http_body_util::{Empty, Full};
use pastry_benches::{PAGE_PATH, call, get, log_in, ours, peer};
use pastry_catch::CatchLayer;
use pastry_gzip::GzipLayer;
use tower::{Layer, Service, ServiceBuilder, service_fn};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::{CompressionLayer, CompressionLevel};

const SCENARIOS: &[&str] = &[
    "catch/pastry",
    "catch/peer",
    "gzip-1k/pastry",
    "gzip-1k/peer",
    "gzip-100k/pastry",
    "gzip-100k/peer",
    "stack-memory/pastry",
    "stack-memory/peer",
];

type Req = Request<Empty<Bytes>>;

/// A browser's request, as the catch bench sends it.
fn browser_request() -> Req {
    let value = HeaderValue::from_static;
    Request::get(Uri::from_static("/posts/42?page=2"))
        .header("host", value("example.com"))
        .header("accept", value("text/html,application/xhtml+xml,*/*;q=0.8"))
        .header("accept-encoding", value("gzip, deflate, br, zstd"))
        .header("cookie", value("session=0123456789abcdef0123456789abcdef"))
        .body(Empty::new())
        .expect("static request parts")
}

/// A JSON document of `len` bytes, the same on every run.
fn json(len: usize) -> Bytes {
    let mut text = String::from("[");
    let mut i = 0u64;
    while text.len() < len {
        text.push_str(&format!(
            "{{\"id\":{i},\"name\":\"item {}\",\"price\":{}.{:02},\"tags\":[\"a{}\",\"b{}\"]}},",
            i * 7919 % 1000,
            i % 97,
            i % 100,
            i % 13,
            i % 5
        ));
        i += 1;
    }
    text.truncate(len - 1);
    text.push(']');
    Bytes::from(text)
}

/// Calls a clone of `svc` and reads the body, polling with a no-op waker:
/// the apps here answer at once, so no runtime's instructions are counted.
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
        panic!("the app answers at once");
    };
    let mut body = pin!(res.expect("the app answers").into_body());
    let mut len = 0;
    while let Poll::Ready(Some(frame)) = body.as_mut().poll_frame(&mut cx) {
        len += frame
            .expect("body frame")
            .into_data()
            .map_or(0, |d| d.len());
    }
    len
}

fn repeat<S, B>(svc: &S, n: u64, make: impl Fn() -> Req) -> usize
where
    S: Service<Req, Response = Response<B>> + Clone,
    S::Error: std::fmt::Debug,
    B: Body<Data = Bytes>,
    B::Error: std::fmt::Debug,
{
    (0..n).map(|_| black_box(round_trip(svc, make()))).sum()
}

fn gzip_request() -> Req {
    Request::get("/data.json")
        .header(header::ACCEPT_ENCODING, "gzip")
        .body(Empty::new())
        .expect("static request parts")
}

fn gzip(side: &str, len: usize, n: u64) -> usize {
    let data = json(len);
    let app = service_fn(move |_req: Req| {
        let data = data.clone();
        async move {
            let mut res = Response::new(Full::new(data));
            res.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
            Ok::<_, Infallible>(res)
        }
    });
    match side {
        "pastry" => repeat(&GzipLayer::new().layer(app), n, gzip_request),
        _ => {
            let peer = ServiceBuilder::new()
                .layer(CompressionLayer::new().quality(CompressionLevel::Precise(6)))
                .service(app);
            repeat(&peer, n, gzip_request)
        }
    }
}

fn catch(side: &str, n: u64) -> usize {
    let hello = |_req: Req| async {
        Ok::<_, Infallible>(Response::new(Full::new(Bytes::from_static(
            b"hello, world",
        ))))
    };
    match side {
        "pastry" => repeat(
            &ServiceBuilder::new()
                .layer(CatchLayer::new())
                .service_fn(hello),
            n,
            browser_request,
        ),
        _ => repeat(
            &ServiceBuilder::new()
                .layer(CatchPanicLayer::new())
                .service_fn(hello),
            n,
            browser_request,
        ),
    }
}

async fn stack_memory(side: &str, n: u64) -> usize {
    async fn drive<S, R>(svc: S, n: u64) -> usize
    where
        S: Service<Req, Response = Response<R>> + Clone,
        S::Error: Into<pastry_core::BoxError>,
        R: Body<Data = Bytes>,
        R::Error: Into<pastry_core::BoxError>,
    {
        let cookie = log_in(&svc).await.expect("log in");
        let mut total = 0;
        for _ in 0..n {
            let (_, len) = call(&svc, get(PAGE_PATH, Some(&cookie)))
                .await
                .expect("page");
            total += black_box(len);
        }
        total
    }
    match side {
        "pastry" => drive(ours::stack(pastry_sessions::MemoryStore::new()), n).await,
        _ => drive(peer::memory_stack(), n).await,
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("list") {
        for scenario in SCENARIOS {
            println!("{scenario}");
        }
        return ExitCode::SUCCESS;
    }
    let (Some(scenario), Some(Ok(n))) = (args.first(), args.get(1).map(|n| n.parse::<u64>()))
    else {
        eprintln!("usage: icount SCENARIO N   (icount list: the scenarios)");
        return ExitCode::from(2);
    };
    let Some((name, side)) = scenario
        .split_once('/')
        .filter(|(_, side)| matches!(*side, "pastry" | "peer"))
    else {
        eprintln!("icount: unknown scenario {scenario}");
        return ExitCode::from(2);
    };
    let bytes = match name {
        "catch" => catch(side, n),
        "gzip-1k" => gzip(side, 1024, n),
        "gzip-100k" => gzip(side, 100 * 1024, n),
        "stack-memory" => tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("runtime")
            .block_on(stack_memory(side, n)),
        _ => {
            eprintln!("icount: unknown scenario {scenario}");
            return ExitCode::from(2);
        }
    };
    println!("{scenario} {n} requests, {bytes} body bytes");
    ExitCode::SUCCESS
}
