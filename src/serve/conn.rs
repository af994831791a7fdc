//! One connection's life: the timers hyper does not keep (from accept to
//! the first request, idle HTTP/2, stalled request bodies, idle upgraded
//! connections), the answer to a stalled body, and closing upgraded
//! connections at their idle limit and at shutdown.

use std::fmt;
use std::future::{Future, poll_fn};
use std::net::SocketAddr;
use std::pin::{Pin, pin};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll};
use std::time::Duration;

use hyper_util::server::graceful::GracefulConnection;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::watch;
use tokio::time::Instant;

use super::io::{IoStats, abort, shutdown_write};

/// How long a connection told to close (GOAWAY, or closing after its
/// response) may take before it is dropped.
const CLOSE_GRACE: Duration = Duration::from_secs(1);

/// How long the `408` answer may take to be written and the client's
/// unread bytes drained before the socket is dropped.
const LINGER: Duration = Duration::from_secs(1);

/// The answer to a request whose body stalled before its response started.
const REQUEST_TIMEOUT: &[u8] = b"HTTP/1.1 408 Request Timeout\r\n\
connection: close\r\n\
content-type: text/plain; charset=utf-8\r\n\
content-length: 16\r\n\
\r\n\
Request Timeout\n";

/// The server's phase, broadcast to every connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Phase {
    Running,
    /// Shutting down: finish in-flight requests, close idle connections.
    Draining,
    /// The shutdown timeout passed: drop what is left.
    Abort,
}

/// The time limits a connection is held to.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Timeouts {
    pub(crate) header_read: Duration,
    pub(crate) idle: Duration,
    pub(crate) body_read: Duration,
    /// No data either way on an upgraded connection for this long closes
    /// it.
    pub(crate) upgraded_idle: Duration,
}

/// What the requests of one connection tell its driver.
#[derive(Debug)]
pub(crate) struct ConnState {
    inner: Mutex<Inner>,
    io: Arc<IoStats>,
}

#[derive(Debug)]
struct Inner {
    /// Requests seen so far.
    requests: u64,
    /// Requests whose response body is not finished.
    in_flight: usize,
    /// When `in_flight` last fell to zero.
    idle_since: Instant,
    /// Requests with a body whose response has not started.
    body_pending: usize,
    /// Upgraded HTTP/2 streams (extended CONNECT) still open.
    upgraded: usize,
}

impl ConnState {
    pub(crate) fn new(io: Arc<IoStats>) -> Arc<Self> {
        Arc::new(Self {
            inner: Mutex::new(Inner {
                requests: 0,
                in_flight: 0,
                idle_since: Instant::now(),
                body_pending: 0,
                upgraded: 0,
            }),
            io,
        })
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A request arrived; the guard marks it finished when dropped (with
    /// its response body).
    pub(crate) fn request_started(self: &Arc<Self>) -> InFlight {
        let mut inner = self.lock();
        inner.requests += 1;
        inner.in_flight += 1;
        InFlight(Arc::clone(self))
    }

    /// A request with a body is being answered; the body-read timeout
    /// applies until the guard is dropped (its response started).
    pub(crate) fn body_pending(self: &Arc<Self>) -> BodyPending {
        self.lock().body_pending += 1;
        BodyPending(Arc::clone(self))
    }
}

/// Spawns the tasks of one connection's hyper server, noting those that
/// carry an upgraded HTTP/2 stream (extended CONNECT: WebSockets over
/// HTTP/2) so that the connection is not idle while one is open, and when
/// its data last moved.
#[derive(Clone)]
pub(crate) struct ConnExec {
    state: Arc<ConnState>,
}

impl ConnExec {
    pub(crate) fn new(state: Arc<ConnState>) -> Self {
        Self { state }
    }
}

impl<F> hyper::rt::Executor<F> for ConnExec
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    fn execute(&self, fut: F) {
        // hyper spawns an upgraded stream's send side as a task of its own
        // type; nothing else names it.
        if std::any::type_name::<F>().contains("UpgradedSendStreamTask") {
            self.state.lock().upgraded += 1;
            tokio::spawn(UpgradedTask {
                fut: Box::pin(fut),
                state: Arc::clone(&self.state),
            });
        } else {
            tokio::spawn(fut);
        }
    }
}

impl fmt::Debug for ConnExec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ConnExec")
    }
}

/// An upgraded HTTP/2 stream's send task: each run is data sent (or the
/// stream ending); counted open until it ends.
struct UpgradedTask<F> {
    fut: Pin<Box<F>>,
    state: Arc<ConnState>,
}

impl<F: Future> Future for UpgradedTask<F> {
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        self.state.io.touch_upgraded_send();
        self.fut.as_mut().poll(cx)
    }
}

impl<F> Drop for UpgradedTask<F> {
    fn drop(&mut self) {
        let mut inner = self.state.lock();
        inner.upgraded = inner.upgraded.saturating_sub(1);
        if inner.upgraded == 0 && inner.in_flight == 0 {
            inner.idle_since = Instant::now();
        }
    }
}

/// A request in flight on its connection.
pub(crate) struct InFlight(Arc<ConnState>);

impl Drop for InFlight {
    fn drop(&mut self) {
        let mut inner = self.0.lock();
        inner.in_flight = inner.in_flight.saturating_sub(1);
        if inner.in_flight == 0 && inner.upgraded == 0 {
            inner.idle_since = Instant::now();
        }
    }
}

impl fmt::Debug for InFlight {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("InFlight")
    }
}

/// A request whose body may still be read and whose response has not
/// started.
pub(crate) struct BodyPending(Arc<ConnState>);

impl Drop for BodyPending {
    fn drop(&mut self) {
        let mut inner = self.0.lock();
        inner.body_pending = inner.body_pending.saturating_sub(1);
    }
}

/// Why a connection's driver returned.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// The connection ended, or was dropped on a timer or at shutdown.
    Closed,
    /// A request body stalled before its response started: answer `408`.
    BodyStalled,
}

#[derive(Clone, Copy, Debug)]
enum Timer {
    FirstRequest,
    Idle,
    BodyStalled,
    UpgradedIdle,
    CloseGrace,
    None,
}

enum Event<E> {
    Done(Result<(), E>),
    /// The phase changed (`false`: the server is gone).
    Phase(bool),
    Timer(Timer),
}

/// Runs `conn` to its end, closing it when no request arrives within the
/// header-read timeout of accept, when it idles past the idle timeout
/// (graceful: GOAWAY on HTTP/2), or when a request body stalls (HTTP/1:
/// returns [`Outcome::BodyStalled`] for the caller to answer `408`;
/// HTTP/2: GOAWAY and close).
pub(crate) async fn drive<C>(
    conn: C,
    state: &ConnState,
    timeouts: Timeouts,
    mut phase: watch::Receiver<Phase>,
    peer: SocketAddr,
) -> Outcome
where
    C: GracefulConnection,
    C::Error: fmt::Display,
{
    let accepted = Instant::now();
    let mut conn = pin!(conn);
    let mut sleep = pin!(tokio::time::sleep_until(accepted + timeouts.header_read));
    let mut closing: Option<Instant> = None;
    loop {
        let current = *phase.borrow_and_update();
        match current {
            Phase::Abort => return Outcome::Closed,
            Phase::Draining if closing.is_none() => {
                conn.as_mut().graceful_shutdown();
                // The shutdown timeout bounds the drain, not CLOSE_GRACE.
                closing = Some(far_future());
            }
            _ => {}
        }
        let mut changed = pin!(phase.changed());
        let event = poll_fn(|cx| {
            if let Poll::Ready(result) = conn.as_mut().poll(cx) {
                return Poll::Ready(Event::Done(result));
            }
            if let Poll::Ready(result) = changed.as_mut().poll(cx) {
                return Poll::Ready(Event::Phase(result.is_ok()));
            }
            let (deadline, timer) = next_deadline(state, accepted, timeouts, closing);
            if sleep.deadline() != deadline {
                sleep.as_mut().reset(deadline);
            }
            if sleep.as_mut().poll(cx).is_ready() {
                return Poll::Ready(Event::Timer(timer));
            }
            Poll::Pending
        })
        .await;
        match event {
            Event::Done(Ok(())) => return Outcome::Closed,
            Event::Done(Err(error)) => {
                tracing::debug!(target: "pastry", %peer, %error, "connection ended with an error");
                return Outcome::Closed;
            }
            // The server is gone.
            Event::Phase(false) => return Outcome::Closed,
            Event::Phase(true) => {}
            Event::Timer(Timer::FirstRequest | Timer::Idle) => {
                tracing::debug!(target: "pastry", %peer, "closing an idle connection");
                conn.as_mut().graceful_shutdown();
                closing = Some(Instant::now() + CLOSE_GRACE);
            }
            Event::Timer(Timer::UpgradedIdle) => {
                tracing::info!(target: "pastry", %peer, timeout = ?timeouts.upgraded_idle, "upgraded HTTP/2 streams idle; closing the connection");
                conn.as_mut().graceful_shutdown();
                closing = Some(Instant::now() + CLOSE_GRACE);
            }
            Event::Timer(Timer::CloseGrace) => {
                tracing::debug!(target: "pastry", %peer, "dropping a connection slow to close");
                return Outcome::Closed;
            }
            Event::Timer(Timer::BodyStalled) if state.io.is_h2() => {
                // No 408 on a stream from outside hyper: GOAWAY, then drop
                // the connection with its stalled streams.
                tracing::info!(target: "pastry", %peer, timeout = ?timeouts.body_read, "HTTP/2 request body stalled; closing the connection");
                conn.as_mut().graceful_shutdown();
                closing = Some(Instant::now() + CLOSE_GRACE);
            }
            Event::Timer(Timer::BodyStalled) => {
                tracing::info!(target: "pastry", %peer, timeout = ?timeouts.body_read, "request body stalled; answering 408");
                return Outcome::BodyStalled;
            }
            Event::Timer(Timer::None) => {}
        }
    }
}

fn far_future() -> Instant {
    Instant::now() + Duration::from_secs(86_400 * 365)
}

/// The next deadline the connection is held to, and what it is for.
fn next_deadline(
    state: &ConnState,
    accepted: Instant,
    timeouts: Timeouts,
    closing: Option<Instant>,
) -> (Instant, Timer) {
    if let Some(deadline) = closing {
        return (deadline, Timer::CloseGrace);
    }
    let inner = state.lock();
    if inner.requests == 0 {
        (accepted + timeouts.header_read, Timer::FirstRequest)
    } else if inner.in_flight == 0 && inner.upgraded > 0 {
        let last = Instant::from_std(state.io.last_upgraded_activity());
        (last + timeouts.upgraded_idle, Timer::UpgradedIdle)
    } else if inner.in_flight == 0 {
        (inner.idle_since + timeouts.idle, Timer::Idle)
    } else if inner.body_pending > 0 && state.io.is_h2() {
        let last_frame = Instant::from_std(state.io.last_frame());
        (last_frame + timeouts.body_read, Timer::BodyStalled)
    } else if inner.body_pending > 0 && state.io.read_waiting() {
        let last_read = Instant::from_std(state.io.last_read());
        (last_read + timeouts.body_read, Timer::BodyStalled)
    } else {
        (far_future(), Timer::None)
    }
}

/// Watches an HTTP/1 connection whose IO the app took over (an upgrade,
/// such as a WebSocket) until the app drops it: closes it when no data has
/// moved either way for the upgraded idle limit, when the shutdown timeout
/// has passed, or when the server is gone.
pub(crate) async fn watch_upgraded(
    stream: Arc<TcpStream>,
    stats: Arc<IoStats>,
    idle: Duration,
    mut phase: watch::Receiver<Phase>,
    peer: SocketAddr,
) {
    loop {
        if stats.is_dropped() {
            return;
        }
        if *phase.borrow_and_update() == Phase::Abort {
            tracing::debug!(target: "pastry", %peer, "closing an upgraded connection still open after the shutdown timeout");
            abort(&stream, &stats);
            return;
        }
        let deadline = Instant::from_std(stats.last_activity()) + idle;
        tokio::select! {
            () = stats.dropped() => return,
            () = tokio::time::sleep_until(deadline) => {
                if Instant::from_std(stats.last_activity()) + idle <= Instant::now() {
                    tracing::info!(target: "pastry", %peer, timeout = ?idle, "upgraded connection idle; closing it");
                    abort(&stream, &stats);
                    return;
                }
            }
            changed = phase.changed() => {
                if changed.is_err() {
                    // The server has returned: nothing may outlive it.
                    abort(&stream, &stats);
                    return;
                }
            }
        }
    }
}

/// Answers `408 Request Timeout` with `connection: close` on a socket whose
/// hyper connection was dropped, then closes it without resetting the
/// answer away (half-close, drain what the client still sends, briefly).
pub(crate) async fn answer_request_timeout(stream: Arc<TcpStream>) {
    let Ok(mut stream) = Arc::try_unwrap(stream) else {
        return;
    };
    let _ = tokio::time::timeout(LINGER, async {
        stream.write_all(REQUEST_TIMEOUT).await?;
        shutdown_write(&stream)?;
        let mut sink = [0_u8; 4096];
        while stream.read(&mut sink).await? > 0 {}
        Ok::<(), std::io::Error>(())
    })
    .await;
}
