//! The connection's socket as hyper sees it, watched: when the client last
//! sent a byte and whether the server is waiting for one. The socket is
//! shared so that the server can still answer `408` after it dropped the
//! hyper connection of a stalled request.

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::task::{Context, Poll, ready};
use std::time::Instant;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::sync::OwnedSemaphorePermit;

/// What the socket wrapper records for the connection's driver.
#[derive(Debug)]
pub(crate) struct IoStats {
    epoch: Instant,
    /// Nanoseconds after `epoch` at which the client last sent bytes.
    last_read: AtomicU64,
    /// The last read found nothing to read: the server waits on the client.
    read_waiting: AtomicBool,
}

impl IoStats {
    pub(crate) fn new() -> Self {
        Self {
            epoch: Instant::now(),
            last_read: AtomicU64::new(0),
            read_waiting: AtomicBool::new(false),
        }
    }

    /// When the client last sent bytes (the accept time if never).
    pub(crate) fn last_read(&self) -> Instant {
        self.epoch + std::time::Duration::from_nanos(self.last_read.load(Ordering::Relaxed))
    }

    /// Whether the server is waiting for bytes from the client.
    pub(crate) fn read_waiting(&self) -> bool {
        self.read_waiting.load(Ordering::Relaxed)
    }

    fn touch(&self) {
        let nanos = u64::try_from(self.epoch.elapsed().as_nanos()).unwrap_or(u64::MAX);
        self.last_read.store(nanos, Ordering::Relaxed);
    }
}

/// A shared [`TcpStream`] that records read activity in [`IoStats`] and
/// holds the connection's place under the cap until it is dropped (an
/// upgraded connection keeps it).
pub(crate) struct WatchedIo {
    stream: Arc<TcpStream>,
    stats: Arc<IoStats>,
    _permit: OwnedSemaphorePermit,
}

impl WatchedIo {
    pub(crate) fn new(
        stream: Arc<TcpStream>,
        stats: Arc<IoStats>,
        permit: OwnedSemaphorePermit,
    ) -> Self {
        Self {
            stream,
            stats,
            _permit: permit,
        }
    }
}

impl AsyncRead for WatchedIo {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        loop {
            match self.stream.poll_read_ready(cx) {
                Poll::Pending => {
                    self.stats.read_waiting.store(true, Ordering::Relaxed);
                    return Poll::Pending;
                }
                Poll::Ready(Err(error)) => return Poll::Ready(Err(error)),
                Poll::Ready(Ok(())) => {}
            }
            match self.stream.try_read_buf(buf) {
                Ok(read) => {
                    self.stats.read_waiting.store(false, Ordering::Relaxed);
                    if read > 0 {
                        self.stats.touch();
                    }
                    return Poll::Ready(Ok(()));
                }
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => {}
                Err(error) => return Poll::Ready(Err(error)),
            }
        }
    }
}

impl AsyncWrite for WatchedIo {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        loop {
            ready!(self.stream.poll_write_ready(cx))?;
            match self.stream.try_write(buf) {
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => {}
                result => return Poll::Ready(result),
            }
        }
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        loop {
            ready!(self.stream.poll_write_ready(cx))?;
            match self.stream.try_write_vectored(bufs) {
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => {}
                result => return Poll::Ready(result),
            }
        }
    }

    fn is_write_vectored(&self) -> bool {
        true
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(shutdown_write(&self.stream))
    }
}

/// Half-closes the socket: the peer reads EOF after what was written.
pub(crate) fn shutdown_write(stream: &TcpStream) -> io::Result<()> {
    #[cfg(unix)]
    {
        match rustix::net::shutdown(stream, rustix::net::Shutdown::Write) {
            Ok(()) => Ok(()),
            // Already closed by the peer: nothing left to half-close.
            Err(rustix::io::Errno::NOTCONN) => Ok(()),
            Err(errno) => Err(errno.into()),
        }
    }
    #[cfg(not(unix))]
    {
        let _ = stream;
        Ok(())
    }
}
