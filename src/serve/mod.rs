//! Serving any conforming app over HTTP/1.1 and h2c with hyper, with every
//! resource a client can hold bounded: time (headers, bodies, idle
//! connections, idle upgraded connections) and connections; upgraded
//! connections (WebSockets, over HTTP/1.1 or HTTP/2) are tracked for the
//! limits and for shutdown.

mod conn;
mod io;
mod limits;
mod listen;
mod request;

use std::fmt;
use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{Request, Response};
use http_body::Body;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use pastry_core::{BoxError, ShutdownSignal};
use tokio::sync::{Semaphore, mpsc, watch};
use tower::Service;

pub use limits::{FD_RESERVE, MIN_MAX_CONNECTIONS, default_max_connections};
pub use listen::Listen;

use conn::{ConnExec, ConnState, Outcome, Phase, Timeouts};
use io::{IoStats, WatchedIo};
use limits::AcceptBackoff;
use request::PerRequest;

/// How long a client may take, from accept, to send its first request's
/// headers, and then each further request's headers, before its connection
/// is closed, unless [`Serve::header_read_timeout`] says otherwise. It
/// holds for HTTP/1 and HTTP/2 alike (an HTTP/2 client must open a stream
/// in that time).
pub const DEFAULT_HEADER_READ_TIMEOUT: Duration = Duration::from_secs(30);

/// How long a connection with no request in flight stays open before it is
/// closed gracefully (GOAWAY on HTTP/2), unless [`Serve::idle_timeout`]
/// says otherwise.
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(60);

/// How long the client of a request may leave its body stalled before the
/// response has started, unless [`Serve::body_read_timeout`] says otherwise
/// (nginx's `client_body_timeout`).
pub const DEFAULT_BODY_READ_TIMEOUT: Duration = Duration::from_secs(60);

/// How often an HTTP/2 connection is pinged, unless
/// [`Serve::keep_alive_interval`] says otherwise.
pub const DEFAULT_KEEP_ALIVE_INTERVAL: Duration = Duration::from_secs(30);

/// How long an HTTP/2 ping may go unanswered before the connection is
/// closed, unless [`Serve::keep_alive_timeout`] says otherwise.
pub const DEFAULT_KEEP_ALIVE_TIMEOUT: Duration = Duration::from_secs(20);

/// How long in-flight requests, open streams and upgraded connections get
/// to finish after a shutdown signal, unless [`Serve::shutdown_timeout`]
/// says otherwise.
pub const DEFAULT_SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(30);

/// How long an upgraded connection (a WebSocket) may carry no data either
/// way before it is closed, unless [`Serve::upgraded_idle_timeout`] says
/// otherwise.
pub const DEFAULT_UPGRADED_IDLE_TIMEOUT: Duration = Duration::from_secs(10 * 60);

/// How long, after the shutdown timeout, the connections still open get to
/// be closed before `serve` returns.
const ABORT_GRACE: Duration = Duration::from_secs(1);

type StopSignal = Pin<Box<dyn Future<Output = ()> + Send>>;

/// Serves `service` on `listen` until Ctrl-C or SIGTERM, then shuts down
/// gracefully: the listener closes at once, in-flight requests finish, idle
/// keep-alive connections are closed.
///
/// Every request gets the [`ClientAddr`](crate::ClientAddr) and
/// [`UrlScheme`](crate::UrlScheme) extensions. HTTP/1.1 and HTTP/2 over
/// cleartext (h2c, prior knowledge) are both spoken on the same port.
///
/// What a client can hold is bounded, each limit a builder method on
/// [`Serve`]:
///
/// | limit | default | past it |
/// |---|---|---|
/// | [headers](Serve::header_read_timeout), from accept | [`DEFAULT_HEADER_READ_TIMEOUT`] (30 s) | connection closed |
/// | [idle connection](Serve::idle_timeout) | [`DEFAULT_IDLE_TIMEOUT`] (60 s) | closed (GOAWAY on HTTP/2) |
/// | [stalled request body](Serve::body_read_timeout) | [`DEFAULT_BODY_READ_TIMEOUT`] (60 s) | `408` and close (HTTP/1), GOAWAY and close (HTTP/2) |
/// | [HTTP/2 ping unanswered](Serve::keep_alive_timeout) | [`DEFAULT_KEEP_ALIVE_TIMEOUT`] (20 s) | connection closed |
/// | [idle upgraded connection](Serve::upgraded_idle_timeout) (WebSocket) | [`DEFAULT_UPGRADED_IDLE_TIMEOUT`] (10 min) | closed |
/// | [connections](Serve::max_connections), upgraded ones included | [`default_max_connections`] (`RLIMIT_NOFILE` − 32) | wait in the listen backlog |
/// | [shutdown](Serve::shutdown_timeout), upgraded connections included | [`DEFAULT_SHUTDOWN_TIMEOUT`] (30 s) | closed, then `serve` returns |
///
/// The request-body limits end with the upgrade: an upgraded connection is
/// held to the upgraded idle limit only.
///
/// # WebSockets and shutdown
///
/// WebSockets work over HTTP/1.1 (`Upgrade: websocket`) and over HTTP/2
/// (RFC 8441 extended `CONNECT`, see [`Serve::http2_extended_connect`]).
/// Every request carries a [`ShutdownSignal`](crate::ShutdownSignal)
/// extension. When shutdown begins, the listener closes, the signal fires,
/// idle connections close, and `serve` waits up to the
/// [shutdown timeout](Serve::shutdown_timeout) for in-flight requests,
/// open response streams (server-sent events) and upgraded connections
/// to end; then it closes those still open (the peer reads EOF, the app's
/// reads and writes fail) and returns. A handler says goodbye by awaiting
/// the signal beside its socket and sending Close `1001` ("going away"):
///
/// ```no_run
/// use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade, close_code};
/// use axum::{Extension, Router, response::Response, routing::any};
/// use pastry::ShutdownSignal;
///
/// async fn chat(ws: WebSocketUpgrade, Extension(shutdown): Extension<ShutdownSignal>) -> Response {
///     ws.on_upgrade(move |mut socket: WebSocket| async move {
///         loop {
///             tokio::select! {
///                 () = shutdown.wait() => {
///                     let close = CloseFrame { code: close_code::AWAY, reason: "server shutting down".into() };
///                     let _ = socket.send(Message::Close(Some(close))).await;
///                     // Read until the client's Close answers ours.
///                     while let Some(Ok(_)) = socket.recv().await {}
///                     return;
///                 }
///                 message = socket.recv() => match message {
///                     Some(Ok(Message::Text(text))) => {
///                         if socket.send(Message::Text(text)).await.is_err() {
///                             return;
///                         }
///                     }
///                     Some(Ok(_)) => {}
///                     _ => return,
///                 },
///             }
///         }
///     })
/// }
///
/// # async fn run() -> std::io::Result<()> {
/// // `any`: over HTTP/2 the handshake is a CONNECT, over HTTP/1.1 a GET.
/// let app = Router::new().route("/chat", any(chat));
/// pastry::serve("127.0.0.1:8080", app).await
/// # }
/// ```
///
/// An HTTP/1.1 request without exactly one `Host` header of the form
/// `host[:port]` is answered `400 Bad Request` (RFC 9112 §3.2), as is any
/// request with several `Host` headers or a malformed one.
///
/// The listening address is logged through `tracing`, and also printed to
/// stderr (`pastry: listening on http://…`) when no `tracing` subscriber is
/// installed, as are startup errors; [`Serve::quiet`] turns the printing
/// off.
///
/// ```no_run
/// use std::convert::Infallible;
/// use http::{Request, Response};
/// use pastry::Environ;
///
/// # async fn run() -> std::io::Result<()> {
/// let app = tower::service_fn(|req: Request<hyper::body::Incoming>| async move {
///     let who = req.client_addr().map(|addr| addr.to_string()).unwrap_or_default();
///     Ok::<_, Infallible>(Response::new(format!("hello, {who}\n")))
/// });
/// pastry::serve("127.0.0.1:8080", app).await
/// # }
/// ```
pub fn serve<S>(listen: impl Into<Listen>, service: S) -> Serve<S> {
    Serve {
        listen: listen.into(),
        service,
        header_read_timeout: DEFAULT_HEADER_READ_TIMEOUT,
        idle_timeout: DEFAULT_IDLE_TIMEOUT,
        body_read_timeout: DEFAULT_BODY_READ_TIMEOUT,
        keep_alive_interval: Some(DEFAULT_KEEP_ALIVE_INTERVAL),
        keep_alive_timeout: DEFAULT_KEEP_ALIVE_TIMEOUT,
        max_connections: None,
        shutdown_timeout: DEFAULT_SHUTDOWN_TIMEOUT,
        upgraded_idle_timeout: DEFAULT_UPGRADED_IDLE_TIMEOUT,
        http2_extended_connect: true,
        quiet: false,
        signal: None,
    }
}

/// A server being set up by [`serve`]; `.await` it to run.
#[must_use = "a server does nothing until it is awaited"]
pub struct Serve<S> {
    listen: Listen,
    service: S,
    header_read_timeout: Duration,
    idle_timeout: Duration,
    body_read_timeout: Duration,
    keep_alive_interval: Option<Duration>,
    keep_alive_timeout: Duration,
    max_connections: Option<usize>,
    shutdown_timeout: Duration,
    upgraded_idle_timeout: Duration,
    http2_extended_connect: bool,
    quiet: bool,
    signal: Option<StopSignal>,
}

impl<S> fmt::Debug for Serve<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Serve")
            .field("listen", &self.listen)
            .field("header_read_timeout", &self.header_read_timeout)
            .field("idle_timeout", &self.idle_timeout)
            .field("body_read_timeout", &self.body_read_timeout)
            .field("keep_alive_interval", &self.keep_alive_interval)
            .field("keep_alive_timeout", &self.keep_alive_timeout)
            .field("max_connections", &self.max_connections)
            .field("shutdown_timeout", &self.shutdown_timeout)
            .field("upgraded_idle_timeout", &self.upgraded_idle_timeout)
            .field("http2_extended_connect", &self.http2_extended_connect)
            .field("quiet", &self.quiet)
            .finish_non_exhaustive()
    }
}

impl<S> Serve<S> {
    /// Closes connections whose request headers take longer than `timeout`
    /// to arrive (slow or idle clients). The first request's time runs from
    /// accept, whatever the protocol: a client that sends nothing, or only
    /// the HTTP/2 preface, is closed after `timeout`.
    pub fn header_read_timeout(mut self, timeout: Duration) -> Self {
        self.header_read_timeout = timeout;
        self
    }

    /// Closes connections that have had no request in flight for
    /// `timeout`, gracefully: HTTP/2 clients get a GOAWAY. A connection
    /// that has not closed a second after being told to is dropped.
    pub fn idle_timeout(mut self, timeout: Duration) -> Self {
        self.idle_timeout = timeout;
        self
    }

    /// Closes the connection of a request with a body whose client stalls
    /// for `timeout` before the response has started: on HTTP/1 when the
    /// server waits for bytes and none come (answered `408 Request
    /// Timeout` with `connection: close`), on HTTP/2 when no HEADERS or
    /// DATA frame comes (GOAWAY; pings do not count).
    ///
    /// `serve` sees the socket, not the app, so this also holds when the
    /// app has read the whole body and then takes longer than `timeout` to
    /// start its response: raise the timeout for such apps.
    pub fn body_read_timeout(mut self, timeout: Duration) -> Self {
        self.body_read_timeout = timeout;
        self
    }

    /// Pings HTTP/2 clients every `interval` (`None`: never), closing
    /// connections whose pings go unanswered for
    /// [`keep_alive_timeout`](Serve::keep_alive_timeout).
    pub fn keep_alive_interval(mut self, interval: impl Into<Option<Duration>>) -> Self {
        self.keep_alive_interval = interval.into();
        self
    }

    /// How long an HTTP/2 ping may go unanswered before the connection is
    /// closed.
    pub fn keep_alive_timeout(mut self, timeout: Duration) -> Self {
        self.keep_alive_timeout = timeout;
        self
    }

    /// Serves at most `max` connections at once (at least 1; by default
    /// [`default_max_connections`]). At the cap the server stops accepting:
    /// new connections wait in the kernel's listen backlog until one
    /// closes, instead of being accepted and dropped. An upgraded
    /// connection holds its place until it is closed: a WebSocket over
    /// HTTP/1.1 holds one, and the HTTP/2 connection that carries
    /// WebSockets (any number of them) holds one.
    pub fn max_connections(mut self, max: usize) -> Self {
        self.max_connections = Some(max);
        self
    }

    /// How long in-flight requests, open response streams and upgraded
    /// connections (WebSockets) may take to finish once shutdown began
    /// (and the [`ShutdownSignal`](crate::ShutdownSignal) of every
    /// request fired); connections still open after that are closed, and
    /// then `serve` returns.
    pub fn shutdown_timeout(mut self, timeout: Duration) -> Self {
        self.shutdown_timeout = timeout;
        self
    }

    /// Closes an upgraded connection (a WebSocket) on which no data has
    /// moved either way for `timeout` (by default
    /// [`DEFAULT_UPGRADED_IDLE_TIMEOUT`], 10 minutes). A handler that keeps
    /// a quiet socket open sends pings more often than that.
    ///
    /// Over HTTP/1.1 the socket is closed (the peer reads EOF, the app's
    /// reads and writes fail). Over HTTP/2 the limit holds for the
    /// connection's upgraded streams together, when no other request is
    /// in flight: the connection gets a GOAWAY and is closed.
    ///
    /// ```no_run
    /// # use std::convert::Infallible;
    /// # use std::time::Duration;
    /// # use http::{Request, Response};
    /// # async fn run() -> std::io::Result<()> {
    /// # let app = tower::service_fn(|_: Request<hyper::body::Incoming>| async {
    /// #     Ok::<_, Infallible>(Response::new(String::new()))
    /// # });
    /// pastry::serve("127.0.0.1:8080", app)
    ///     .upgraded_idle_timeout(Duration::from_secs(120))
    ///     .await
    /// # }
    /// ```
    pub fn upgraded_idle_timeout(mut self, timeout: Duration) -> Self {
        self.upgraded_idle_timeout = timeout;
        self
    }

    /// With `true` (the default), HTTP/2 clients may open WebSockets (RFC
    /// 8441): the server announces `SETTINGS_ENABLE_CONNECT_PROTOCOL` and
    /// hands the app `CONNECT` requests with a `:protocol` (the
    /// [`hyper::ext::Protocol`] extension), whose stream becomes the
    /// upgraded connection (`hyper::upgrade::on`, axum's
    /// `WebSocketUpgrade` on a route taking any method). With `false`,
    /// HTTP/2 clients open WebSockets over HTTP/1.1 instead.
    ///
    /// ```no_run
    /// # use std::convert::Infallible;
    /// # use http::{Request, Response};
    /// # async fn run() -> std::io::Result<()> {
    /// # let app = tower::service_fn(|_: Request<hyper::body::Incoming>| async {
    /// #     Ok::<_, Infallible>(Response::new(String::new()))
    /// # });
    /// // WebSockets over HTTP/1.1 only.
    /// pastry::serve("127.0.0.1:8080", app)
    ///     .http2_extended_connect(false)
    ///     .await
    /// # }
    /// ```
    pub fn http2_extended_connect(mut self, enabled: bool) -> Self {
        self.http2_extended_connect = enabled;
        self
    }

    /// With `true`, prints nothing to stderr even when no `tracing`
    /// subscriber is installed (the listening line and startup errors are
    /// then only `tracing` events).
    pub fn quiet(mut self, quiet: bool) -> Self {
        self.quiet = quiet;
        self
    }

    /// Shuts down gracefully when `signal` completes, instead of on Ctrl-C or
    /// SIGTERM. Tests use it to stop a server they started.
    ///
    /// ```no_run
    /// # use std::convert::Infallible;
    /// # use http::{Request, Response};
    /// # async fn run() -> std::io::Result<()> {
    /// let app = tower::service_fn(|_: Request<hyper::body::Incoming>| async {
    ///     Ok::<_, Infallible>(Response::new(String::from("bye")))
    /// });
    /// let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    /// let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    /// let server = tokio::spawn(
    ///     pastry::serve(listener, app)
    ///         .with_graceful_shutdown(async { stopped.await.ok(); })
    ///         .into_future(),
    /// );
    /// stop.send(()).ok();
    /// server.await.unwrap()
    /// # }
    /// # use std::future::IntoFuture;
    /// ```
    pub fn with_graceful_shutdown<F>(mut self, signal: F) -> Self
    where
        F: Future<Output = ()> + Send + 'static,
    {
        self.signal = Some(Box::pin(signal));
        self
    }
}

impl<S, B> IntoFuture for Serve<S>
where
    S: Service<Request<Incoming>, Response = Response<B>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Into<BoxError>,
    B: Body<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    type Output = std::io::Result<()>;
    type IntoFuture = Pin<Box<dyn Future<Output = std::io::Result<()>> + Send>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.run())
    }
}

impl<S, B> Serve<S>
where
    S: Service<Request<Incoming>, Response = Response<B>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Into<BoxError>,
    B: Body<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    async fn run(self) -> std::io::Result<()> {
        let quiet = self.quiet;
        let described = self.listen.describe();
        let listener = match self.listen.bind().await {
            Ok(listener) => listener,
            Err(error) => {
                tracing::error!(target: "pastry", listen = %described, %error, "cannot listen");
                say(quiet, format_args!("cannot listen on {described}: {error}"));
                return Err(error);
            }
        };
        let local_addr = listener.local_addr()?;
        let mut signal = self
            .signal
            .unwrap_or_else(|| Box::pin(termination_signal()));
        let max_connections = self
            .max_connections
            .unwrap_or_else(default_max_connections)
            .clamp(1, limits::max_permits());
        let timeouts = Timeouts {
            header_read: self.header_read_timeout,
            idle: self.idle_timeout,
            body_read: self.body_read_timeout,
            upgraded_idle: self.upgraded_idle_timeout,
        };
        // One builder per connection: its executor tracks the connection's
        // upgraded HTTP/2 streams.
        let builder = |state: &Arc<ConnState>| {
            let mut builder = auto::Builder::new(ConnExec::new(Arc::clone(state)));
            builder
                .http1()
                .timer(TokioTimer::new())
                .header_read_timeout(self.header_read_timeout);
            let mut http2 = builder.http2();
            http2
                .timer(TokioTimer::new())
                .keep_alive_interval(self.keep_alive_interval)
                .keep_alive_timeout(self.keep_alive_timeout);
            if self.http2_extended_connect {
                http2.enable_connect_protocol();
            }
            builder
        };
        let (shutdown, app_shutdown) = ShutdownSignal::channel();
        // Each connection's task holds a sender: all are gone once every
        // connection has closed.
        let (tasks, mut tasks_done) = mpsc::channel::<()>(1);

        tracing::info!(target: "pastry", %local_addr, max_connections, "listening");
        say(quiet, format_args!("listening on http://{local_addr}"));

        let permits = Arc::new(Semaphore::new(max_connections));
        let (phase, phase_rx) = watch::channel(Phase::Running);
        let mut backoff = AcceptBackoff::default();
        let mut at_cap = false;
        loop {
            if permits.available_permits() == 0 && !at_cap {
                tracing::warn!(
                    target: "pastry",
                    max_connections,
                    "connection cap reached; new connections wait in the listen backlog"
                );
            }
            at_cap = permits.available_permits() == 0;
            let permit = tokio::select! {
                permit = Arc::clone(&permits).acquire_owned() => match permit {
                    Ok(permit) => permit,
                    Err(_) => break,
                },
                () = &mut signal => break,
            };
            let (stream, peer) = tokio::select! {
                accepted = listener.accept() => match accepted {
                    Ok(accepted) => {
                        backoff.succeeded();
                        accepted
                    }
                    Err(error) => {
                        drop(permit);
                        backoff.failed(&error, quiet).await;
                        continue;
                    }
                },
                () = &mut signal => break,
            };
            if let Err(error) = stream.set_nodelay(true) {
                tracing::debug!(target: "pastry", %peer, %error, "could not set TCP_NODELAY");
            }
            let stream = Arc::new(stream);
            let stats = Arc::new(IoStats::new());
            let state = ConnState::new(Arc::clone(&stats));
            let io = WatchedIo::new(Arc::clone(&stream), Arc::clone(&stats), permit);
            let per_request = PerRequest::new(
                self.service.clone(),
                peer,
                Arc::clone(&state),
                app_shutdown.clone(),
            );
            let connection = builder(&state)
                .serve_connection_with_upgrades(TokioIo::new(io), per_request)
                .into_owned();
            let phase_rx = phase_rx.clone();
            let task = tasks.clone();
            tokio::spawn(async move {
                let outcome =
                    conn::drive(connection, &state, timeouts, phase_rx.clone(), peer).await;
                if outcome == Outcome::BodyStalled {
                    conn::answer_request_timeout(stream).await;
                } else if !stats.is_dropped() {
                    // An HTTP/1 upgrade: the app holds the IO now.
                    conn::watch_upgraded(stream, stats, timeouts.upgraded_idle, phase_rx, peer)
                        .await;
                }
                drop(task);
            });
        }

        drop(listener);
        tracing::info!(target: "pastry", %local_addr, "shutting down: finishing in-flight requests and upgraded connections");
        let _ = phase.send(Phase::Draining);
        shutdown.fire();
        let all = u32::try_from(max_connections).unwrap_or(u32::MAX);
        if tokio::time::timeout(self.shutdown_timeout, permits.acquire_many(all))
            .await
            .is_err()
        {
            let _ = phase.send(Phase::Abort);
            tracing::warn!(target: "pastry", timeout = ?self.shutdown_timeout, "closing connections still open after the shutdown timeout");
            drop(tasks);
            // Every connection closes at once on `Abort`.
            let _ = tokio::time::timeout(ABORT_GRACE, tasks_done.recv()).await;
        }
        Ok(())
    }
}

/// Prints `pastry: {message}` to stderr when no `tracing` subscriber is
/// installed (so a bare `main` still says where it listens), unless quiet.
fn say(quiet: bool, message: fmt::Arguments<'_>) {
    if !quiet && !tracing::dispatcher::has_been_set() {
        eprintln!("pastry: {message}");
    }
}

/// Completes on Ctrl-C, or on SIGTERM on Unix.
async fn termination_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut stream) => {
                stream.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}
