//! Serving any conforming app over HTTP/1.1 and h2c with hyper.

use std::fmt;
use std::future::{Future, IntoFuture};
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::time::Duration;

use bytes::Bytes;
use http::{Request, Response};
use http_body::Body;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use pastry_core::{BoxError, ClientAddr, UrlScheme};
use tokio::net::TcpListener;
use tower::{Service, ServiceExt};

/// How long a client may take to send a request's headers before its
/// connection is closed, unless [`Serve::header_read_timeout`] says otherwise.
pub const DEFAULT_HEADER_READ_TIMEOUT: Duration = Duration::from_secs(30);

/// How long in-flight requests get to finish after a shutdown signal, unless
/// [`Serve::shutdown_timeout`] says otherwise.
pub const DEFAULT_SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(30);

type ShutdownSignal = Pin<Box<dyn Future<Output = ()> + Send>>;

/// Where [`serve`] listens: a bound [`TcpListener`] or an address to bind.
#[derive(Debug)]
pub enum Listen {
    /// A listener bound by the caller (bind port 0 to let the OS choose).
    Listener(TcpListener),
    /// An address such as `127.0.0.1:8080`, bound when serving starts.
    Addr(String),
}

impl From<TcpListener> for Listen {
    fn from(listener: TcpListener) -> Self {
        Listen::Listener(listener)
    }
}

impl From<SocketAddr> for Listen {
    fn from(addr: SocketAddr) -> Self {
        Listen::Addr(addr.to_string())
    }
}

impl From<&str> for Listen {
    fn from(addr: &str) -> Self {
        Listen::Addr(addr.to_owned())
    }
}

impl From<String> for Listen {
    fn from(addr: String) -> Self {
        Listen::Addr(addr)
    }
}

/// Serves `service` on `listen` until Ctrl-C or SIGTERM, then shuts down
/// gracefully: the listener closes at once, in-flight requests finish, idle
/// keep-alive connections are closed.
///
/// Every request gets the [`ClientAddr`] and [`UrlScheme`] extensions.
/// HTTP/1.1 and HTTP/2 over cleartext (h2c, prior knowledge) are both
/// spoken on the same port. A connection that does not send its request
/// headers within [`DEFAULT_HEADER_READ_TIMEOUT`] is closed.
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
        shutdown_timeout: DEFAULT_SHUTDOWN_TIMEOUT,
        signal: None,
    }
}

/// A server being set up by [`serve`]; `.await` it to run.
#[must_use = "a server does nothing until it is awaited"]
pub struct Serve<S> {
    listen: Listen,
    service: S,
    header_read_timeout: Duration,
    shutdown_timeout: Duration,
    signal: Option<ShutdownSignal>,
}

impl<S> fmt::Debug for Serve<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Serve")
            .field("listen", &self.listen)
            .field("header_read_timeout", &self.header_read_timeout)
            .field("shutdown_timeout", &self.shutdown_timeout)
            .finish_non_exhaustive()
    }
}

impl<S> Serve<S> {
    /// Closes connections whose request headers take longer than `timeout`
    /// to arrive (slow or idle clients).
    pub fn header_read_timeout(mut self, timeout: Duration) -> Self {
        self.header_read_timeout = timeout;
        self
    }

    /// How long in-flight requests may take to finish once shutdown began;
    /// connections still busy after that are dropped.
    pub fn shutdown_timeout(mut self, timeout: Duration) -> Self {
        self.shutdown_timeout = timeout;
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
    type Output = io::Result<()>;
    type IntoFuture = Pin<Box<dyn Future<Output = io::Result<()>> + Send>>;

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
    async fn run(self) -> io::Result<()> {
        let listener = match self.listen {
            Listen::Listener(listener) => listener,
            Listen::Addr(addr) => TcpListener::bind(addr).await?,
        };
        let local_addr = listener.local_addr()?;
        let mut signal = self
            .signal
            .unwrap_or_else(|| Box::pin(termination_signal()));

        let mut builder = auto::Builder::new(TokioExecutor::new());
        builder
            .http1()
            .timer(TokioTimer::new())
            .header_read_timeout(self.header_read_timeout);
        builder.http2().timer(TokioTimer::new());

        let graceful = GracefulShutdown::new();
        tracing::info!(target: "pastry", %local_addr, "listening");

        loop {
            let (stream, peer) = tokio::select! {
                accepted = listener.accept() => match accepted {
                    Ok(accepted) => accepted,
                    Err(error) => {
                        back_off_after_accept_error(&error).await;
                        continue;
                    }
                },
                () = &mut signal => break,
            };
            if let Err(error) = stream.set_nodelay(true) {
                tracing::debug!(target: "pastry", %peer, %error, "could not set TCP_NODELAY");
            }
            let service = self.service.clone();
            let per_request = hyper::service::service_fn(move |mut req: Request<Incoming>| {
                let extensions = req.extensions_mut();
                extensions.insert(ClientAddr(peer));
                extensions.insert(UrlScheme::Http);
                service.clone().oneshot(req)
            });
            let connection = builder
                .serve_connection_with_upgrades(TokioIo::new(stream), per_request)
                .into_owned();
            let connection = graceful.watch(connection);
            tokio::spawn(async move {
                if let Err(error) = connection.await {
                    tracing::debug!(target: "pastry", %peer, %error, "connection ended with an error");
                }
            });
        }

        drop(listener);
        tracing::info!(target: "pastry", %local_addr, "shutting down: finishing in-flight requests");
        if tokio::time::timeout(self.shutdown_timeout, graceful.shutdown())
            .await
            .is_err()
        {
            tracing::warn!(target: "pastry", timeout = ?self.shutdown_timeout, "connections still open after the shutdown timeout were dropped");
        }
        Ok(())
    }
}

/// Accept errors are mostly per-connection (the peer reset before we
/// accepted) and can be skipped; running out of file descriptors needs a
/// pause or the loop would spin.
async fn back_off_after_accept_error(error: &io::Error) {
    use io::ErrorKind::{ConnectionAborted, ConnectionRefused, ConnectionReset};
    if matches!(
        error.kind(),
        ConnectionAborted | ConnectionRefused | ConnectionReset
    ) {
        return;
    }
    tracing::error!(target: "pastry", %error, "accept failed; retrying in 100 ms");
    tokio::time::sleep(Duration::from_millis(100)).await;
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
