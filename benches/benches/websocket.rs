//! WebSockets and server-sent events over real loopback TCP: the same axum
//! handlers served bare by `pastry::serve`, and wrapped in the altdemo's
//! layers as `examples/altdemo/app.rs` composes them (proxy (off, as in
//! the demo's default), access log, cross-origin check, catch, gzip,
//! sessions, session auth, the URL map, and `RequireLogin` in front of the
//! live routes, as in front of the demo's chat), also served by
//! `pastry::serve`. Both servers run on one tokio worker thread; the
//! clients (tokio-tungstenite, hyper) on the bench's own thread.
//!
//! - `websocket/echo_1_socket`: one message out and its echo back, on one
//!   open socket (one message per round trip);
//! - `websocket/echo_8_sockets`: one message on each of 8 open sockets, then
//!   the 8 echoes;
//! - `sse/gzip` and `sse/identity`: events read from an endless
//!   `text/event-stream`, the client accepting gzip (the stack compresses,
//!   flushing every event; bare axum does not compress) or not;
//! - `websocket/handshake`: a new TCP connection, the handshake (with the
//!   session cookie and a same-origin `Origin`), Close and its answer.
//!
//! After the criterion groups, `paired` lines (on stderr) run the two sides
//! in turn, batch after batch (`PAIRED_ROUNDS`, default 100, per case),
//! with each side's median time per item and the stack/bare rate: steadier
//! than two criterion runs one after the other on a shared machine.
//!
//! Before measuring, the stack is checked to refuse the socket without the
//! session cookie, to answer it with the cookie, and to gzip the event
//! stream, so the layers really are in the path.
//!
//! `cargo bench --manifest-path benches/Cargo.toml --bench websocket -- --warm-up-time 1 --measurement-time 3`

use std::convert::Infallible;
use std::io::Write;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use axum::extract::ws::{Message as ServerMessage, WebSocketUpgrade};
use axum::response::sse::{Event, Sse};
use axum::routing::{any, get};
use bytes::Bytes;
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use flate2::write::GzDecoder;
use futures_util::stream::{self, Stream};
use futures_util::{SinkExt, StreamExt};
use http::{Request, Response, StatusCode, header};
use http_body::Body;
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::{BodyExt, Empty, Full};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use pastry::accesslog::{AccessLogLayer, Format};
use pastry::auth::{MemoryUserStore, RequireLoginLayer, SessionAuthLayer, User};
use pastry::catch::CatchLayer;
use pastry::gzip::GzipLayer;
use pastry::origin::CrossOriginLayer;
use pastry::proxy::ProxyLayer;
use pastry::sessions::{MemoryStore, SessionExt, SessionLayer};
use pastry::urlmap::UrlMap;
use pastry::{BoxError, Environ};
use tokio::net::{TcpListener, TcpStream};
use tokio::runtime::Runtime;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::{Message, Utf8Bytes};
use tower::{Service, ServiceBuilder, ServiceExt, service_fn};

/// The longest any one batch of iterations may take before the bench gives
/// up instead of hanging.
const BATCH_LIMIT: Duration = Duration::from_secs(120);

/// The open sockets of `echo_8_sockets`.
const SOCKETS: usize = 8;

/// What the echo client sends: a chat line's size (64 bytes).
const MESSAGE: &str = "alice: a chat message of sixty-four bytes, as people type them..";

// ---------------------------------------------------------------- handlers

/// The handlers both servers run: `/echo`, a WebSocket that sends every
/// message back, and `/events`, an endless event stream as fast as the
/// client reads it.
fn live_routes() -> axum::Router {
    axum::Router::new()
        // `any`, as the demo's chat: over HTTP/2 a handshake is a CONNECT.
        .route("/echo", any(echo))
        .route("/events", get(events))
}

async fn echo(upgrade: WebSocketUpgrade) -> axum::response::Response {
    upgrade.on_upgrade(|mut socket| async move {
        // On Close the loop goes round once more: that read sends the
        // queued Close answer and ends the stream.
        while let Some(Ok(message)) = socket.recv().await {
            if matches!(message, ServerMessage::Text(_) | ServerMessage::Binary(_))
                && socket.send(message).await.is_err()
            {
                return;
            }
        }
    })
}

async fn events() -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let stream = stream::iter(0u64..).map(|n| {
        Ok(Event::default()
            .event("message")
            .id(n.to_string())
            .data(format!(
                "alice: event number {n} of the bench's endless feed"
            )))
    });
    Sse::new(stream)
}

// ------------------------------------------------------------ demo stack

type LiveBody = UnsyncBoxBody<Bytes, BoxError>;

fn boxed<B>(res: Response<B>) -> Response<LiveBody>
where
    B: Body<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    res.map(|body| body.map_err(Into::into).boxed_unsync())
}

fn text(body: &'static str) -> Response<LiveBody> {
    boxed(Response::new(Full::new(Bytes::from_static(
        body.as_bytes(),
    ))))
}

/// The bench's one user. The hash is never verified (nobody types a
/// password), only fingerprinted by session auth, as after a real login.
fn alice() -> User {
    User::new(
        "alice",
        "$argon2id$v=19$m=19456,t=2,p=1$YmVuY2hzYWx0YmVuY2g$8c0Vx3zVQk2u4Gk3Zg1qf3K5mYQ8m0n5oGQm3cJ7xQE",
    )
}

/// The URL map's fallback, as the demo's app: `/login` logs alice in (as
/// the demo's login form does once the password is checked), everything
/// else goes to the live routes behind `RequireLogin`, as the demo's chat.
fn live_app<B>()
-> impl Service<Request<B>, Response = Response<LiveBody>, Error = BoxError, Future: Send>
+ Clone
+ Send
+ 'static
where
    B: Body<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    let live = ServiceBuilder::new()
        .layer(RequireLoginLayer::new("/login").expect("a local login path"))
        .service(live_routes());
    service_fn(move |req: Request<B>| {
        let live = live.clone();
        async move {
            if req.path_info() == "/login" {
                let session = req.session().ok_or("no session layer")?;
                pastry::auth::login(session, &alice()).await?;
                return Ok::<_, BoxError>(text("logged in\n"));
            }
            Ok(boxed(live.oneshot(req).await?))
        }
    })
}

/// A stand-in for the demo's other mounts (static files, admin, blog,
/// forum, api), so the URL map has the demo's shape.
fn hello<B: Send + 'static>()
-> impl Service<Request<B>, Response = Response<LiveBody>, Error = Infallible, Future: Send>
+ Clone
+ Send
+ 'static {
    service_fn(|_req: Request<B>| async { Ok(text("hello\n")) })
}

/// The live routes inside the altdemo's layers, in `app::stack`'s order
/// and with its settings (no trusted proxy, Detailed access log to
/// nowhere, debug pages off, insecure cookies for plain HTTP, the demo's
/// session lifetimes).
fn demo_stack<B>(
    store: MemoryStore,
) -> impl Service<
    Request<B>,
    Response = Response<impl Body<Data = Bytes, Error: Into<BoxError>> + Send + 'static>,
    Error = Infallible,
    Future: Send + 'static,
> + Clone
+ Send
+ 'static
where
    B: Body<Data = Bytes> + Send + Sync + 'static,
    B::Error: Into<BoxError>,
{
    let users = MemoryUserStore::new();
    users.insert(alice());
    let sessions = SessionLayer::new(store)
        .secure(false)
        .idle_timeout(Duration::from_secs(24 * 60 * 60))
        .absolute_lifetime(Duration::from_secs(7 * 24 * 60 * 60))
        .validate()
        .expect("the demo's session settings");
    let map = UrlMap::builder()
        .mount("/static", hello::<B>())
        .mount("/admin", hello::<B>())
        .mount("/blog", hello::<B>())
        .mount("/forum", hello::<B>())
        .mount("/api", hello::<B>())
        .fallback(live_app::<B>())
        .build()
        .expect("valid mounts");
    #[derive(Clone)]
    struct SiteRoot(#[allow(dead_code)] String);
    let site = ServiceBuilder::new()
        .layer(SessionAuthLayer::new(users))
        .map_request(|mut req: Request<B>| {
            let root = SiteRoot(req.script_name().to_owned());
            req.extensions_mut().insert(root);
            req
        })
        .service(map);
    ServiceBuilder::new()
        .option_layer(None::<ProxyLayer>)
        .layer(
            AccessLogLayer::new()
                .format(Format::Detailed)
                .writer(std::io::sink()),
        )
        .layer(CrossOriginLayer::new())
        .layer(CatchLayer::new().debug(false))
        .layer(GzipLayer::new())
        .layer(sessions)
        .service(site)
        .map_response(boxed)
}

// ----------------------------------------------------------------- servers

/// Serves `app` with `pastry::serve` on `127.0.0.1:0` in `server` (it runs
/// until the runtime is dropped).
fn spawn_server<S, B>(server: &Runtime, app: S) -> SocketAddr
where
    S: Service<Request<Incoming>, Response = Response<B>> + Clone + Send + 'static,
    S::Error: Into<BoxError>,
    S::Future: Send + 'static,
    B: Body<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
    pastry::Serve<S>: std::future::IntoFuture<Output = std::io::Result<()>>,
    <pastry::Serve<S> as std::future::IntoFuture>::IntoFuture: Send + 'static,
{
    let listener = server
        .block_on(TcpListener::bind("127.0.0.1:0"))
        .expect("a loopback port");
    let addr = listener.local_addr().expect("the bound address");
    // Not the default signals: Ctrl-C must stop the bench, not the server.
    let serving = pastry::serve(listener, app)
        .quiet(true)
        .with_graceful_shutdown(std::future::pending());
    server.spawn(std::future::IntoFuture::into_future(serving));
    addr
}

// ----------------------------------------------------------------- clients

type Socket = WebSocketStream<TcpStream>;

/// Opens a WebSocket to `path`, with a same-origin `Origin` (as a browser
/// sends) and the session cookie if any.
async fn open(addr: SocketAddr, path: &str, cookie: Option<&str>) -> Result<Socket, BoxError> {
    let stream = TcpStream::connect(addr).await?;
    stream.set_nodelay(true)?;
    let mut req = format!("ws://{addr}{path}").into_client_request()?;
    req.headers_mut()
        .insert(header::ORIGIN, format!("http://{addr}").parse()?);
    if let Some(cookie) = cookie {
        req.headers_mut().insert(header::COOKIE, cookie.parse()?);
    }
    let (socket, _res) = tokio_tungstenite::client_async(req, stream).await?;
    Ok(socket)
}

/// Sends Close and reads until the server's answer ends the stream.
async fn close(mut socket: Socket) -> Result<(), BoxError> {
    socket.close(None).await?;
    while let Some(message) = socket.next().await {
        match message {
            Ok(_) => {}
            Err(tokio_tungstenite::tungstenite::Error::ConnectionClosed) => break,
            Err(error) => return Err(error.into()),
        }
    }
    Ok(())
}

/// The next text or binary message (pings are answered by tungstenite).
async fn receive(socket: &mut Socket) -> Result<Message, BoxError> {
    loop {
        match socket.next().await.ok_or("the socket closed")?? {
            message @ (Message::Text(_) | Message::Binary(_)) => return Ok(message),
            Message::Close(frame) => return Err(format!("closed by the server: {frame:?}").into()),
            _ => {}
        }
    }
}

/// One HTTP/1.1 GET on a new connection, its response with the body still
/// to read.
async fn http_get(
    addr: SocketAddr,
    path: &str,
    cookie: Option<&str>,
    gzip: bool,
) -> Result<Response<Incoming>, BoxError> {
    let stream = TcpStream::connect(addr).await?;
    stream.set_nodelay(true)?;
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
    tokio::spawn(conn);
    let mut req = Request::get(path)
        .header(header::HOST, addr.to_string())
        .header(header::ACCEPT, "text/event-stream, text/html");
    if gzip {
        req = req.header(header::ACCEPT_ENCODING, "gzip, deflate");
    }
    if let Some(cookie) = cookie {
        req = req.header(header::COOKIE, cookie);
    }
    Ok(sender
        .send_request(req.body(Empty::<Bytes>::new())?)
        .await?)
}

/// Logs in through the stack; the session cookie (`name=value`).
async fn log_in(addr: SocketAddr) -> Result<String, BoxError> {
    let res = http_get(addr, "/login", None, false).await?;
    let cookie = res
        .headers()
        .get(header::SET_COOKIE)
        .ok_or("no session cookie at login")?
        .to_str()?;
    let cookie = cookie.split(';').next().unwrap_or_default().to_owned();
    let status = res.status();
    res.into_body().collect().await?;
    if status != StatusCode::OK {
        return Err(format!("login answered {status}").into());
    }
    Ok(cookie)
}

/// An open event stream and what has been read of it.
struct EventReader {
    body: Incoming,
    /// Inflates the stream when it is gzipped.
    gunzip: Option<GzDecoder<Vec<u8>>>,
    /// Whether the last byte read was a line feed (an event ends with a
    /// blank line, which may straddle two frames).
    after_newline: bool,
    /// Events read beyond what the last batch asked for.
    surplus: u64,
}

impl EventReader {
    async fn open(
        addr: SocketAddr,
        cookie: Option<&str>,
        gzip: bool,
    ) -> Result<EventReader, BoxError> {
        let res = http_get(addr, "/events", cookie, gzip).await?;
        if res.status() != StatusCode::OK {
            return Err(format!("/events answered {}", res.status()).into());
        }
        let gzipped = res
            .headers()
            .get(header::CONTENT_ENCODING)
            .is_some_and(|value| value == "gzip");
        Ok(EventReader {
            body: res.into_body(),
            gunzip: gzipped.then(|| GzDecoder::new(Vec::new())),
            after_newline: false,
            surplus: 0,
        })
    }

    fn gzipped(&self) -> bool {
        self.gunzip.is_some()
    }

    /// Reads until `n` more events have arrived.
    async fn read(&mut self, n: u64) -> Result<(), BoxError> {
        while self.surplus < n {
            let frame = self.body.frame().await.ok_or("the event stream ended")??;
            let Ok(data) = frame.into_data() else {
                continue;
            };
            self.surplus += match &mut self.gunzip {
                Some(gunzip) => {
                    gunzip.write_all(&data)?;
                    gunzip.flush()?;
                    let count = count_events(gunzip.get_ref(), &mut self.after_newline);
                    gunzip.get_mut().clear();
                    count
                }
                None => count_events(&data, &mut self.after_newline),
            };
        }
        self.surplus -= n;
        Ok(())
    }
}

/// The blank lines (event ends) in `bytes`, given whether the byte before
/// them was a line feed.
fn count_events(bytes: &[u8], after_newline: &mut bool) -> u64 {
    let mut count = 0;
    for &byte in bytes {
        if byte == b'\n' {
            if *after_newline {
                count += 1;
            }
            *after_newline = true;
        } else {
            *after_newline = false;
        }
    }
    count
}

// ------------------------------------------------------------------ benches

fn client_runtime() -> Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a current-thread runtime")
}

/// Runs one batch on the client runtime, bounded by [`BATCH_LIMIT`].
fn batch<F: Future<Output = Result<(), BoxError>>>(client: &Runtime, work: F) -> Duration {
    client.block_on(async {
        let start = Instant::now();
        tokio::time::timeout(BATCH_LIMIT, work)
            .await
            .expect("a batch within the time limit")
            .expect("a batch without errors");
        start.elapsed()
    })
}

/// The two servers and the stack's session cookie, checked before any
/// measurement.
struct Servers {
    server: Runtime,
    bare: SocketAddr,
    stack: SocketAddr,
    cookie: String,
}

impl Servers {
    fn start(client: &Runtime) -> Servers {
        let server = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("the servers' runtime");
        let bare = spawn_server(&server, live_routes());
        let stack = spawn_server(&server, demo_stack::<Incoming>(MemoryStore::new()));
        let cookie = client
            .block_on(check(bare, stack))
            .expect("both servers answer as expected");
        Servers {
            server,
            bare,
            stack,
            cookie,
        }
    }
}

/// Checks that the layers are in the stack's path (no socket without the
/// session cookie, gzip on the event stream) and that both sides echo;
/// the stack's session cookie.
async fn check(bare: SocketAddr, stack: SocketAddr) -> Result<String, BoxError> {
    if open(stack, "/echo", None).await.is_ok() {
        return Err("the stack opened a socket without a session".into());
    }
    let cookie = log_in(stack).await?;
    for (addr, cookie) in [(bare, None), (stack, Some(cookie.as_str()))] {
        let mut socket = open(addr, "/echo", cookie).await?;
        socket.send(Message::text(MESSAGE)).await?;
        match receive(&mut socket).await? {
            Message::Text(text) if text.as_str() == MESSAGE => {}
            other => return Err(format!("echo answered {other:?}").into()),
        }
        close(socket).await?;
    }
    let mut events = EventReader::open(stack, Some(&cookie), true).await?;
    if !events.gzipped() {
        return Err("the stack did not gzip the event stream".into());
    }
    events.read(3).await?;
    let mut events = EventReader::open(bare, None, true).await?;
    if events.gzipped() {
        return Err("bare axum gzipped the event stream".into());
    }
    events.read(3).await?;
    Ok(cookie)
}

/// One server's open connections: a socket, [`SOCKETS`] sockets, and the
/// event stream of the case being measured. An unread event stream makes
/// the server fill the socket buffers (megabytes, gzipped event by event
/// on the stack) while other cases run, so each is open only for its case.
struct Side {
    name: &'static str,
    addr: SocketAddr,
    cookie: Option<String>,
    socket: Socket,
    sockets: Vec<Socket>,
    events: Option<EventReader>,
}

impl Side {
    async fn open(
        name: &'static str,
        addr: SocketAddr,
        cookie: Option<String>,
    ) -> Result<Side, BoxError> {
        let c = cookie.as_deref();
        let socket = open(addr, "/echo", c).await?;
        let mut sockets = Vec::with_capacity(SOCKETS);
        for _ in 0..SOCKETS {
            sockets.push(open(addr, "/echo", c).await?);
        }
        Ok(Side {
            name,
            addr,
            socket,
            sockets,
            events: None,
            cookie,
        })
    }
}

/// One measured workload; `n` iterations, each of [`Case::items`] items.
#[derive(Clone, Copy, Debug)]
enum Case {
    Echo1,
    Echo8,
    SseGzip,
    SseIdentity,
    Handshake,
}

impl Case {
    const ALL: [Case; 5] = [
        Case::Echo1,
        Case::Echo8,
        Case::SseGzip,
        Case::SseIdentity,
        Case::Handshake,
    ];

    fn group(self) -> &'static str {
        match self {
            Case::Echo1 => "websocket/echo_1_socket",
            Case::Echo8 => "websocket/echo_8_sockets",
            Case::SseGzip => "sse/gzip",
            Case::SseIdentity => "sse/identity",
            Case::Handshake => "websocket/handshake",
        }
    }

    /// Messages, events or handshakes per iteration.
    fn items(self) -> u64 {
        match self {
            Case::Echo8 => SOCKETS as u64,
            _ => 1,
        }
    }

    /// Iterations per batch of the interleaved rounds (a few milliseconds;
    /// for the event streams, far more events than the socket buffers
    /// hold).
    fn batch(self) -> u64 {
        match self {
            Case::Echo1 => 200,
            Case::Echo8 => 25,
            Case::SseGzip | Case::SseIdentity => 10_000,
            Case::Handshake => 20,
        }
    }

    /// One batch of the interleaved rounds. An event stream left unread
    /// while the other side runs fills the socket buffers, which the next
    /// batch would then read at the client's speed alone; so each batch
    /// reads a fresh stream, timed from its response headers.
    async fn paired_batch(self, side: &mut Side) -> Result<Duration, BoxError> {
        let Some(gzip) = self.gzip() else {
            let start = Instant::now();
            self.run(side, self.batch()).await?;
            return Ok(start.elapsed());
        };
        let mut events = EventReader::open(side.addr, side.cookie.as_deref(), gzip).await?;
        let start = Instant::now();
        events.read(self.batch()).await?;
        Ok(start.elapsed())
    }

    async fn run(self, side: &mut Side, n: u64) -> Result<(), BoxError> {
        let message = Message::Text(Utf8Bytes::from_static(MESSAGE));
        match self {
            Case::Echo1 => {
                for _ in 0..n {
                    side.socket.send(message.clone()).await?;
                    receive(&mut side.socket).await?;
                }
            }
            Case::Echo8 => {
                for _ in 0..n {
                    for socket in &mut side.sockets {
                        socket.send(message.clone()).await?;
                    }
                    for socket in &mut side.sockets {
                        receive(socket).await?;
                    }
                }
            }
            Case::SseGzip | Case::SseIdentity => {
                let events = side.events.as_mut().ok_or("no event stream open")?;
                events.read(n).await?;
            }
            Case::Handshake => {
                for _ in 0..n {
                    close(open(side.addr, "/echo", side.cookie.as_deref()).await?).await?;
                }
            }
        }
        Ok(())
    }

    /// For an event stream case, whether the client accepts gzip.
    fn gzip(self) -> Option<bool> {
        match self {
            Case::SseGzip => Some(true),
            Case::SseIdentity => Some(false),
            _ => None,
        }
    }
}

/// Runs bare and stack in turn, batch after batch, and prints each one's
/// median time per item and the stack/bare rate: on a shared machine the
/// load changes during a criterion run, and interleaving exposes both
/// sides to the same load, so these ratios are the steadier ones.
fn paired(client: &Runtime, sides: &mut [Side; 2], case: Case, rounds: usize) {
    let mut samples = [Vec::with_capacity(rounds), Vec::with_capacity(rounds)];
    let items = (case.batch() * case.items()) as f64;
    for _ in 0..rounds {
        for (side, samples) in sides.iter_mut().zip(&mut samples) {
            let took = client
                .block_on(async {
                    tokio::time::timeout(BATCH_LIMIT, case.paired_batch(side)).await
                })
                .expect("a batch within the time limit")
                .expect("a batch without errors");
            samples.push(took.as_secs_f64() * 1e6 / items);
        }
    }
    let [bare, stack] = samples.map(|mut s| {
        s.sort_by(f64::total_cmp);
        s[s.len() / 2]
    });
    eprintln!(
        "paired {:<26} bare {bare:.2}us ({:.0}/s) stack {stack:.2}us ({:.0}/s) | stack/bare rate {:.3}x",
        case.group(),
        1e6 / bare,
        1e6 / stack,
        bare / stack,
    );
}

fn websocket(c: &mut Criterion) {
    let client = client_runtime();
    let servers = Servers::start(&client);
    let mut sides = client
        .block_on(async {
            Ok::<_, BoxError>([
                Side::open("bare", servers.bare, None).await?,
                Side::open("stack", servers.stack, Some(servers.cookie.clone())).await?,
            ])
        })
        .expect("open sockets and event streams on both sides");

    for case in Case::ALL {
        let mut group = c.benchmark_group(case.group());
        group.throughput(Throughput::Elements(case.items()));
        for side in &mut sides {
            if let Some(gzip) = case.gzip() {
                let events = EventReader::open(side.addr, side.cookie.as_deref(), gzip);
                side.events = Some(client.block_on(events).expect("an open event stream"));
            }
            group.bench_function(BenchmarkId::from_parameter(side.name), |b| {
                b.iter_custom(|iters| batch(&client, case.run(side, iters)));
            });
            side.events = None;
        }
        group.finish();
    }

    // Not under `cargo test --benches`, which runs each bench once.
    if !std::env::args().any(|arg| arg == "--bench") {
        drop(sides);
        servers.server.shutdown_background();
        return;
    }
    let rounds = std::env::var("PAIRED_ROUNDS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(100);
    for case in Case::ALL {
        paired(&client, &mut sides, case, rounds);
    }

    // The servers and the sockets still open go with their runtime.
    drop(sides);
    servers.server.shutdown_background();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    targets = websocket
}
criterion_main!(benches);
