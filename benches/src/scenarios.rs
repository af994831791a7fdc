//! The per-request scenarios of the `icount` runners: the same requests,
//! apps and drivers for both sides, with the middleware under test given by
//! each side's runner (`benches/src/bin/icount.rs` for Pastry,
//! `benches/peers/src/main.rs` for the peers, built in their own workspace
//! so that their dependencies' features are their own). Nothing here names
//! a Pastry crate or a peer.
//!
//!   RUNNER SCENARIO N     runs SCENARIO N times; prints the wall time
//!   RUNNER list           prints the scenarios
//!
//! `benches/icount.py` runs each scenario twice per side, with two values
//! of N, and divides the difference, so the setup (building the stack,
//! logging in, the first-call allocations) cancels out; once under
//! callgrind for instructions, and natively for time.

use std::convert::Infallible;
use std::future::Future;
use std::hint::black_box;
use std::pin::pin;
use std::process::ExitCode;
use std::task::{Context, Poll, Waker};
use std::time::Instant;

use bytes::Bytes;
use http::{HeaderValue, Request, Response, Uri, header};
use http_body::Body;
use http_body_util::{Empty, Full};
use tower::{Service, service_fn};

use crate::{BoxError, PAGE_PATH, call, get, log_in};

/// The request type of every scenario.
pub type Req = Request<Empty<Bytes>>;

/// What one side runs for each scenario: each function runs it `n` times
/// and gives the body bytes it read (so nothing is optimised away).
pub struct Runner {
    /// A browser's request through the catch layer to a tiny app.
    pub catch: fn(n: u64) -> usize,
    /// A JSON response of the given length through the gzip layer.
    pub gzip: fn(len: usize, n: u64) -> usize,
    /// A 10 MiB JSON response in 16 KiB frames (no size hint) through the
    /// gzip layer.
    pub gzip_streamed: fn(n: u64) -> usize,
    /// A JSON response of the given length compressed with the coding
    /// (`br` or `zstd`) at each side's default level.
    pub other_coding: fn(coding: &'static str, len: usize, n: u64) -> usize,
    /// A logged-in page request through the whole stack, memory store.
    pub stack_memory: fn(n: u64) -> usize,
}

/// The scenarios, in the order the table shows them.
pub const SCENARIOS: &[&str] = &[
    "catch",
    "gzip-1k",
    "gzip-100k",
    "gzip-10m-stream",
    "br-1k",
    "br-100k",
    "zstd-1k",
    "zstd-100k",
    "stack-memory",
];

/// The length of the streamed gzip scenario's body.
pub const STREAMED_LEN: usize = 10 << 20;
/// The frame size of the streamed gzip scenario's body.
pub const STREAMED_FRAME: usize = 16 << 10;

/// A browser's request, as the catch bench sends it.
pub fn browser_request() -> Req {
    let value = HeaderValue::from_static;
    Request::get(Uri::from_static("/posts/42?page=2"))
        .header("host", value("example.com"))
        .header("accept", value("text/html,application/xhtml+xml,*/*;q=0.8"))
        .header("accept-encoding", value("gzip, deflate, br, zstd"))
        .header("cookie", value("session=0123456789abcdef0123456789abcdef"))
        .body(Empty::new())
        .expect("static request parts")
}

/// A GET accepting gzip only.
pub fn gzip_request() -> Req {
    Request::get("/data.json")
        .header(header::ACCEPT_ENCODING, "gzip")
        .body(Empty::new())
        .expect("static request parts")
}

/// A GET accepting only `coding`.
pub fn coding_request(coding: &'static str) -> Req {
    Request::get("/data.json")
        .header(header::ACCEPT_ENCODING, coding)
        .body(Empty::new())
        .expect("static request parts")
}

/// A JSON document of `len` bytes, the same on every run.
pub fn json(len: usize) -> Bytes {
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

/// The app of the catch scenario: twelve bytes, at once.
pub fn hello_app()
-> impl Service<Req, Response = Response<Full<Bytes>>, Error = Infallible, Future = impl Send> + Clone
{
    service_fn(|_req: Req| async {
        Ok::<_, Infallible>(Response::new(Full::new(Bytes::from_static(
            b"hello, world",
        ))))
    })
}

/// The app of the gzip scenarios: [`json`] of `len` bytes, typed JSON.
pub fn json_app(
    len: usize,
) -> impl Service<Req, Response = Response<Full<Bytes>>, Error = Infallible, Future = impl Send> + Clone
{
    let data = json(len);
    service_fn(move |_req: Req| {
        let data = data.clone();
        async move {
            let mut res = Response::new(Full::new(data));
            res.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
            Ok::<_, Infallible>(res)
        }
    })
}

/// A body of `data` in frames of `frame` bytes, with no size hint: a
/// stream, as a template or a proxied upstream sends it.
pub struct FramedBody {
    data: Bytes,
    frame: usize,
}

impl Body for FramedBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, Infallible>>> {
        if self.data.is_empty() {
            return Poll::Ready(None);
        }
        let take = self.frame.min(self.data.len());
        let chunk = self.data.split_to(take);
        Poll::Ready(Some(Ok(http_body::Frame::data(chunk))))
    }
}

/// The app of the streamed gzip scenario: [`json`] of [`STREAMED_LEN`]
/// bytes in [`STREAMED_FRAME`]-byte frames, typed JSON.
pub fn streamed_json_app()
-> impl Service<Req, Response = Response<FramedBody>, Error = Infallible, Future = impl Send> + Clone
{
    let data = json(STREAMED_LEN);
    service_fn(move |_req: Req| {
        let body = FramedBody {
            data: data.clone(),
            frame: STREAMED_FRAME,
        };
        async move {
            let mut res = Response::new(body);
            res.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
            Ok::<_, Infallible>(res)
        }
    })
}

/// Calls a clone of `svc` and reads the body, polling with a no-op waker:
/// the apps here answer at once, so no runtime's instructions are counted.
pub fn round_trip<S, B>(svc: &S, req: Req) -> usize
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

/// [`round_trip`]s `n` requests made by `make`.
pub fn repeat<S, B>(svc: &S, n: u64, make: impl Fn() -> Req) -> usize
where
    S: Service<Req, Response = Response<B>> + Clone,
    S::Error: std::fmt::Debug,
    B: Body<Data = Bytes>,
    B::Error: std::fmt::Debug,
{
    (0..n).map(|_| black_box(round_trip(svc, make()))).sum()
}

/// Logs in to a whole stack, then asks for the page `n` times with the
/// session cookie, on a current-thread runtime.
pub fn drive_stack<S, R>(svc: S, n: u64) -> usize
where
    S: Service<Req, Response = Response<R>> + Clone,
    S::Error: Into<BoxError>,
    R: Body<Data = Bytes>,
    R::Error: Into<BoxError>,
{
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let cookie = log_in(&svc).await.expect("log in");
        let mut total = 0;
        for _ in 0..n {
            let (_, len) = call(&svc, get(PAGE_PATH, Some(&cookie)))
                .await
                .expect("page");
            total += black_box(len);
        }
        total
    })
}

/// The runner's `main`: parses `SCENARIO N` (or `list`), runs the scenario
/// and prints `SCENARIO N requests, B body bytes, T ns`.
pub fn main(side: &str, runner: &Runner) -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("list") {
        for scenario in SCENARIOS {
            println!("{scenario}");
        }
        return ExitCode::SUCCESS;
    }
    let (Some(scenario), Some(Ok(n))) = (args.first(), args.get(1).map(|n| n.parse::<u64>()))
    else {
        eprintln!("usage: {side} SCENARIO N   ({side} list: the scenarios)");
        return ExitCode::from(2);
    };
    let started = Instant::now();
    let bytes = match scenario.as_str() {
        "catch" => (runner.catch)(n),
        "gzip-1k" => (runner.gzip)(1024, n),
        "gzip-100k" => (runner.gzip)(100 * 1024, n),
        "gzip-10m-stream" => (runner.gzip_streamed)(n),
        "br-1k" => (runner.other_coding)("br", 1024, n),
        "br-100k" => (runner.other_coding)("br", 100 * 1024, n),
        "zstd-1k" => (runner.other_coding)("zstd", 1024, n),
        "zstd-100k" => (runner.other_coding)("zstd", 100 * 1024, n),
        "stack-memory" => (runner.stack_memory)(n),
        _ => {
            eprintln!("{side}: unknown scenario {scenario}");
            return ExitCode::from(2);
        }
    };
    let nanos = started.elapsed().as_nanos();
    println!("{scenario} {n} requests, {bytes} body bytes, {nanos} ns");
    ExitCode::SUCCESS
}
