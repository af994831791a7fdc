//! Where `serve` listens: a listener, an address, or a socket inherited
//! from systemd or `systemfd`.

use std::io;
use std::net::SocketAddr;

use tokio::net::TcpListener;

/// Where [`serve`](crate::serve()) listens: a bound [`TcpListener`], an
/// address to bind, or a listening socket inherited from the parent process
/// (see [`Listen::from_env_or`]).
#[derive(Debug)]
pub enum Listen {
    /// A listener bound by the caller (bind port 0 to let the OS choose).
    Listener(TcpListener),
    /// An address such as `127.0.0.1:8080`, bound when serving starts.
    Addr(String),
    /// A listening socket from the standard library, for instance one
    /// inherited through `LISTEN_FDS`; made non-blocking when serving
    /// starts.
    Std(std::net::TcpListener),
}

impl Listen {
    /// The first listening socket passed by systemd socket activation or
    /// `systemfd` (the `LISTEN_FDS` protocol, through the `listenfd`
    /// crate), or else `fallback`.
    ///
    /// An inherited socket survives restarts of the process: connections
    /// wait in its backlog while the next process starts, so nothing is
    /// refused. For an edit loop that rebuilds on every save:
    ///
    /// ```text
    /// systemfd --no-pid -s http::8080 -- cargo watch -x run
    /// ```
    ///
    /// The variables are read once and removed from the environment (so
    /// child processes do not inherit them): call this early, before
    /// other threads read the environment.
    ///
    /// # Errors
    ///
    /// When `LISTEN_FDS` names a descriptor that is not a TCP listener.
    ///
    /// ```no_run
    /// # use std::convert::Infallible;
    /// # use http::{Request, Response};
    /// # async fn run() -> std::io::Result<()> {
    /// let app = tower::service_fn(|_: Request<hyper::body::Incoming>| async {
    ///     Ok::<_, Infallible>(Response::new(String::from("hello\n")))
    /// });
    /// let listen = pastry::Listen::from_env_or("127.0.0.1:8080")?;
    /// pastry::serve(listen, app).await
    /// # }
    /// ```
    pub fn from_env_or(fallback: impl Into<Listen>) -> io::Result<Listen> {
        let mut fds = listenfd::ListenFd::from_env();
        match fds.take_tcp_listener(0)? {
            Some(listener) => Ok(Listen::Std(listener)),
            None => Ok(fallback.into()),
        }
    }

    /// Binds (or adopts) the listener; must run inside the runtime.
    pub(crate) async fn bind(self) -> io::Result<TcpListener> {
        match self {
            Listen::Listener(listener) => Ok(listener),
            Listen::Addr(addr) => TcpListener::bind(addr).await,
            Listen::Std(listener) => {
                listener.set_nonblocking(true)?;
                TcpListener::from_std(listener)
            }
        }
    }

    /// How the listener is named in a startup error.
    pub(crate) fn describe(&self) -> String {
        match self {
            Listen::Listener(listener) => listener
                .local_addr()
                .map_or_else(|_| "a listener".to_owned(), |addr| addr.to_string()),
            Listen::Addr(addr) => addr.clone(),
            Listen::Std(listener) => listener.local_addr().map_or_else(
                |_| "an inherited socket".to_owned(),
                |addr| addr.to_string(),
            ),
        }
    }
}

impl From<TcpListener> for Listen {
    fn from(listener: TcpListener) -> Self {
        Listen::Listener(listener)
    }
}

impl From<std::net::TcpListener> for Listen {
    fn from(listener: std::net::TcpListener) -> Self {
        Listen::Std(listener)
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
