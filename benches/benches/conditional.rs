//! pastry-conditional: what a revalidated page costs against sending it.
//!
//! The page is 100 KiB of HTML known up front (a `Full` body), the same on
//! every request. Three ways to answer a `GET` for it:
//! - `bare_200`: the app alone, sending the page (no ETag);
//! - `layer_200`: through `ConditionalLayer`, no `If-None-Match`: the page
//!   is hashed (xxh3-128) and sent with its ETag;
//! - `layer_304`: through `ConditionalLayer` with the matching
//!   `If-None-Match`: the app still renders the page, the layer hashes it,
//!   and answers `304 Not Modified` with no body;
//! - `tagged_304`: the app sets its own `ETag` (a version, say) and the
//!   request matches it: the layer answers 304 without reading the body.
//!
//! Measured twice: in process (`tower::ServiceExt::oneshot`, then the body
//! collected, which for a `Full` body copies nothing), and over loopback
//! TCP (`pastry::serve` on `127.0.0.1:0`, one keep-alive HTTP/1.1
//! connection from a hyper client that reads every body to its end), which
//! is where sending 100 KiB costs what it costs. After the criterion
//! groups, `paired` lines (stderr) run the cases in turn, round after
//! round, and print median times per request and the ratios.
//!
//! Run: cargo bench --manifest-path benches/Cargo.toml --bench conditional -- --warm-up-time 1 --measurement-time 2

use std::convert::Infallible;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bytes::Bytes;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use http::{Request, Response, StatusCode, header};
use http_body_util::{BodyExt, Empty, Full};
use hyper::body::Incoming;
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;
use pastry_conditional::ConditionalLayer;
use tokio::net::{TcpListener, TcpStream};
use tokio::runtime::Runtime;
use tower::{Layer, ServiceExt, service_fn};

const PAGE_SIZE: usize = 100 * 1024;
/// Requests per paired batch, and batches per case.
const BATCH: usize = 50;
const ROUNDS: usize = 40;

fn page() -> Bytes {
    let row = "<tr><td>Leek and potato soup</td><td>4.50</td><td>in stock</td></tr>\n";
    let mut page = String::from("<!doctype html><title>Menu</title><table>\n");
    while page.len() < PAGE_SIZE {
        page.push_str(row);
    }
    page.truncate(PAGE_SIZE);
    Bytes::from(page)
}

type App = tower::util::BoxCloneSyncService<Request<Incoming>, Response<Full<Bytes>>, Infallible>;

/// The app's own tag in the `tagged_304` case.
const APP_ETAG: &str = "\"menu-v42\"";

fn response(page: Bytes, tagged: bool) -> Response<Full<Bytes>> {
    let mut res = Response::builder()
        .header(header::CONTENT_TYPE, "text/html; charset=utf-8")
        .header(header::CACHE_CONTROL, "no-cache");
    if tagged {
        res = res.header(header::ETAG, APP_ETAG);
    }
    res.body(Full::new(page)).expect("a valid response")
}

fn page_app(page: Bytes, tagged: bool) -> App {
    tower::util::BoxCloneSyncService::new(service_fn(move |_req: Request<Incoming>| {
        let page = page.clone();
        async move { Ok::<_, Infallible>(response(page, tagged)) }
    }))
}

// ---------------------------------------------------------------- in process

/// The in-process app for `Request<Empty>` (the server-side body type does
/// not matter to the layer).
fn local_app(
    page: Bytes,
    tagged: bool,
) -> impl tower::Service<Request<Empty<Bytes>>, Response = Response<Full<Bytes>>, Error = Infallible>
+ Clone {
    service_fn(move |_req: Request<Empty<Bytes>>| {
        let page = page.clone();
        async move { Ok::<_, Infallible>(response(page, tagged)) }
    })
}

fn get(etag: Option<&str>) -> Request<Empty<Bytes>> {
    let mut req = Request::get("/menu");
    if let Some(etag) = etag {
        req = req.header(header::IF_NONE_MATCH, etag);
    }
    req.body(Empty::new()).expect("a valid request")
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Case {
    Bare200,
    Layer200,
    Layer304,
    Tagged304,
}

impl Case {
    const ALL: [Case; 4] = [
        Case::Bare200,
        Case::Layer200,
        Case::Layer304,
        Case::Tagged304,
    ];

    fn name(self) -> &'static str {
        match self {
            Case::Bare200 => "bare_200",
            Case::Layer200 => "layer_200",
            Case::Layer304 => "layer_304",
            Case::Tagged304 => "tagged_304",
        }
    }

    fn status(self) -> StatusCode {
        match self {
            Case::Layer304 | Case::Tagged304 => StatusCode::NOT_MODIFIED,
            _ => StatusCode::OK,
        }
    }

    /// The `If-None-Match` this case sends, if any.
    fn if_none_match(self, etag: &str) -> Option<&str> {
        match self {
            Case::Layer304 => Some(etag),
            Case::Tagged304 => Some(APP_ETAG),
            _ => None,
        }
    }
}

/// One request in process, body collected; the bytes received.
async fn in_process(page: &Bytes, case: Case, etag: &str) -> usize {
    let req = get(case.if_none_match(etag));
    let app = local_app(page.clone(), case == Case::Tagged304);
    let bytes = if case == Case::Bare200 {
        let res = app.oneshot(req).await.expect("infallible");
        res.into_body().collect().await.expect("a body").to_bytes()
    } else {
        let res = ConditionalLayer::new()
            .layer(app)
            .oneshot(req)
            .await
            .expect("infallible");
        assert_eq!(res.status(), case.status());
        res.into_body().collect().await.expect("a body").to_bytes()
    };
    bytes.len()
}

// ---------------------------------------------------------------- loopback

/// Serves `app` on `127.0.0.1:0` in `server`, until the runtime is dropped.
fn spawn_server<S>(server: &Runtime, app: S) -> SocketAddr
where
    S: tower::Service<Request<Incoming>> + Clone + Send + 'static,
    pastry::Serve<S>: std::future::IntoFuture<Output = std::io::Result<()>>,
    <pastry::Serve<S> as std::future::IntoFuture>::IntoFuture: Send + 'static,
{
    let listener = server
        .block_on(TcpListener::bind("127.0.0.1:0"))
        .expect("a loopback port");
    let addr = listener.local_addr().expect("the bound address");
    let serving = pastry::serve(listener, app)
        .quiet(true)
        .with_graceful_shutdown(std::future::pending());
    server.spawn(std::future::IntoFuture::into_future(serving));
    addr
}

/// A keep-alive HTTP/1.1 connection to `addr`.
async fn connect(addr: SocketAddr) -> SendRequest<Empty<Bytes>> {
    let stream = TcpStream::connect(addr).await.expect("a connection");
    stream.set_nodelay(true).expect("nodelay");
    let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .expect("a handshake");
    tokio::spawn(conn);
    sender
}

/// One request over `sender`, body read to its end; the bytes received.
async fn over_loopback(
    sender: &mut SendRequest<Empty<Bytes>>,
    addr: SocketAddr,
    case: Case,
    etag: &str,
) -> usize {
    sender.ready().await.expect("a ready connection");
    let mut req = get(case.if_none_match(etag));
    req.headers_mut()
        .insert(header::HOST, addr.to_string().parse().expect("a host"));
    let res = sender.send_request(req).await.expect("an answer");
    assert_eq!(res.status(), case.status());
    res.into_body()
        .collect()
        .await
        .expect("a body")
        .to_bytes()
        .len()
}

struct Loopback {
    server: Runtime,
    bare: (SocketAddr, SendRequest<Empty<Bytes>>),
    layer: (SocketAddr, SendRequest<Empty<Bytes>>),
    tagged: (SocketAddr, SendRequest<Empty<Bytes>>),
}

impl Loopback {
    fn start(client: &Runtime, page: &Bytes) -> Self {
        let server = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("the server's runtime");
        let bare = spawn_server(&server, page_app(page.clone(), false));
        let layer = spawn_server(
            &server,
            ConditionalLayer::new().layer(page_app(page.clone(), false)),
        );
        let tagged = spawn_server(
            &server,
            ConditionalLayer::new().layer(page_app(page.clone(), true)),
        );
        let (bare, layer, tagged) = client.block_on(async {
            (
                (bare, connect(bare).await),
                (layer, connect(layer).await),
                (tagged, connect(tagged).await),
            )
        });
        Loopback {
            server,
            bare,
            layer,
            tagged,
        }
    }

    async fn request(&mut self, case: Case, etag: &str) -> usize {
        let (addr, sender) = match case {
            Case::Bare200 => (&self.bare.0, &mut self.bare.1),
            Case::Tagged304 => (&self.tagged.0, &mut self.tagged.1),
            _ => (&self.layer.0, &mut self.layer.1),
        };
        over_loopback(sender, *addr, case, etag).await
    }
}

// ---------------------------------------------------------------- benches

fn etag_of(client: &Runtime, page: &Bytes) -> String {
    client.block_on(async {
        let res = ConditionalLayer::new()
            .layer(local_app(page.clone(), false))
            .oneshot(get(None))
            .await
            .expect("infallible");
        res.headers()[header::ETAG]
            .to_str()
            .expect("an ASCII ETag")
            .to_owned()
    })
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

fn report(kind: &str, medians: &[(Case, Duration)]) {
    let time = |case| {
        medians
            .iter()
            .find(|(c, _)| *c == case)
            .map_or(Duration::ZERO, |(_, t)| *t)
    };
    let us = |d: Duration| d.as_secs_f64() * 1e6;
    let (bare, l200, l304, t304) = (
        time(Case::Bare200),
        time(Case::Layer200),
        time(Case::Layer304),
        time(Case::Tagged304),
    );
    let ratio = |a: Duration, b: Duration| a.as_secs_f64() / b.as_secs_f64();
    eprintln!(
        "paired {kind:<11} bare_200 {:.2}us layer_200 {:.2}us layer_304 {:.2}us tagged_304 {:.2}us | layer_200/layer_304 {:.2}x bare_200/layer_304 {:.2}x layer_200/tagged_304 {:.2}x layer_200/bare_200 {:.3}x",
        us(bare),
        us(l200),
        us(l304),
        us(t304),
        ratio(l200, l304),
        ratio(bare, l304),
        ratio(l200, t304),
        ratio(l200, bare),
    );
}

fn bench(c: &mut Criterion) {
    let client = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("the client's runtime");
    let page = page();
    let etag = etag_of(&client, &page);

    let mut group = c.benchmark_group("conditional/in_process");
    group.throughput(Throughput::Elements(1));
    for case in Case::ALL {
        group.bench_function(case.name(), |b| {
            b.to_async(&client).iter(|| in_process(&page, case, &etag));
        });
    }
    group.finish();

    let mut loopback = Loopback::start(&client, &page);
    let mut group = c.benchmark_group("conditional/loopback");
    group.throughput(Throughput::Elements(1));
    for case in Case::ALL {
        group.bench_function(case.name(), |b| {
            b.iter(|| client.block_on(loopback.request(case, &etag)));
        });
    }
    group.finish();

    // Paired rounds: each case in turn, so drift on a shared machine hits
    // all of them alike.
    let mut local: Vec<(Case, Vec<Duration>)> =
        Case::ALL.iter().map(|&c| (c, Vec::new())).collect();
    let mut remote = local.clone();
    for _ in 0..ROUNDS {
        for (case, times) in &mut local {
            let start = Instant::now();
            for _ in 0..BATCH {
                std::hint::black_box(client.block_on(in_process(&page, *case, &etag)));
            }
            times.push(start.elapsed() / BATCH as u32);
        }
        for (case, times) in &mut remote {
            let start = Instant::now();
            for _ in 0..BATCH {
                std::hint::black_box(client.block_on(loopback.request(*case, &etag)));
            }
            times.push(start.elapsed() / BATCH as u32);
        }
    }
    let medians = |v: Vec<(Case, Vec<Duration>)>| -> Vec<(Case, Duration)> {
        v.into_iter().map(|(c, t)| (c, median(t))).collect()
    };
    report("in_process", &medians(local));
    report("loopback", &medians(remote));
    let bytes = client.block_on(loopback.request(Case::Layer200, &etag));
    let not_modified = client.block_on(loopback.request(Case::Layer304, &etag));
    eprintln!("paired body bytes: 200 {bytes}, 304 {not_modified}");
    loopback.server.shutdown_background();
}

criterion_group! {
    name = benches;
    config = Criterion::default();
    targets = bench
}
criterion_main!(benches);
