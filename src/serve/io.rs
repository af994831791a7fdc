//! The connection's socket as hyper sees it, watched: when the client last
//! sent a byte, whether the server is waiting for one, and on HTTP/2 when
//! the client last sent a frame that carries a request (HEADERS,
//! CONTINUATION, DATA; pings and window updates do not count). The socket
//! is shared so that the server can still answer `408` after it dropped
//! the hyper connection of a stalled request, and close an upgraded
//! connection (whose IO the app holds) at the idle limit or at shutdown.

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::task::{Context, Poll, ready};
use std::time::Instant;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::sync::{Notify, OwnedSemaphorePermit};

/// What the socket wrapper records for the connection's driver.
#[derive(Debug)]
pub(crate) struct IoStats {
    epoch: Instant,
    /// Nanoseconds after `epoch` at which the client last sent bytes.
    last_read: AtomicU64,
    /// The last read found nothing to read: the server waits on the client.
    read_waiting: AtomicBool,
    /// The client sent the HTTP/2 preface.
    h2: AtomicBool,
    /// Nanoseconds after `epoch` of the last HEADERS, CONTINUATION or DATA
    /// frame (HTTP/2 only).
    last_frame: AtomicU64,
    /// Nanoseconds after `epoch` at which the server last wrote bytes.
    last_write: AtomicU64,
    /// Nanoseconds after `epoch` at which an upgraded HTTP/2 stream last
    /// sent data (its send task ran).
    last_upgraded_send: AtomicU64,
    /// The server closed the socket under the app: reads and writes fail.
    aborted: AtomicBool,
    /// The IO was dropped (with the hyper connection, or by the app that
    /// held it after an upgrade).
    dropped: AtomicBool,
    /// Woken when the IO is dropped.
    dropped_notify: Notify,
}

impl IoStats {
    pub(crate) fn new() -> Self {
        Self {
            epoch: Instant::now(),
            last_read: AtomicU64::new(0),
            read_waiting: AtomicBool::new(false),
            h2: AtomicBool::new(false),
            last_frame: AtomicU64::new(0),
            last_write: AtomicU64::new(0),
            last_upgraded_send: AtomicU64::new(0),
            aborted: AtomicBool::new(false),
            dropped: AtomicBool::new(false),
            dropped_notify: Notify::new(),
        }
    }

    /// When bytes last went either way on the socket (the accept time if
    /// never).
    pub(crate) fn last_activity(&self) -> Instant {
        let read = self.last_read.load(Ordering::Relaxed);
        let write = self.last_write.load(Ordering::Relaxed);
        self.at(read.max(write))
    }

    /// When data last moved on the connection's upgraded HTTP/2 streams,
    /// approximately: the client's last request frame (DATA on any
    /// stream) or an upgraded stream's last send.
    pub(crate) fn last_upgraded_activity(&self) -> Instant {
        let frame = self.last_frame.load(Ordering::Relaxed);
        let send = self.last_upgraded_send.load(Ordering::Relaxed);
        self.at(frame.max(send))
    }

    /// An upgraded HTTP/2 stream sent data.
    pub(crate) fn touch_upgraded_send(&self) {
        self.last_upgraded_send
            .store(self.now_nanos(), Ordering::Relaxed);
    }

    /// Whether the IO has been dropped.
    pub(crate) fn is_dropped(&self) -> bool {
        self.dropped.load(Ordering::Acquire)
    }

    /// Completes once the IO has been dropped.
    pub(crate) async fn dropped(&self) {
        while !self.is_dropped() {
            self.dropped_notify.notified().await;
        }
    }

    fn at(&self, nanos: u64) -> Instant {
        self.epoch + std::time::Duration::from_nanos(nanos)
    }

    /// Whether the connection speaks HTTP/2.
    pub(crate) fn is_h2(&self) -> bool {
        self.h2.load(Ordering::Relaxed)
    }

    /// When the client last sent a frame of a request (HTTP/2), the accept
    /// time if never.
    pub(crate) fn last_frame(&self) -> Instant {
        self.epoch + std::time::Duration::from_nanos(self.last_frame.load(Ordering::Relaxed))
    }

    fn now_nanos(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_nanos()).unwrap_or(u64::MAX)
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
        self.last_read.store(self.now_nanos(), Ordering::Relaxed);
    }

    fn touch_write(&self) {
        self.last_write.store(self.now_nanos(), Ordering::Relaxed);
    }

    fn check_aborted(&self) -> io::Result<()> {
        if self.aborted.load(Ordering::Acquire) {
            Err(io::Error::new(
                io::ErrorKind::ConnectionAborted,
                "connection closed by the server",
            ))
        } else {
            Ok(())
        }
    }
}

const H2_PREFACE: &[u8; 24] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

/// Follows the client's HTTP/2 frames through the byte stream, reading
/// only frame headers.
#[derive(Debug)]
enum FrameScan {
    /// This many bytes of the preface seen so far.
    Preface(usize),
    /// A frame header, `have` of its 9 bytes seen.
    Header { buf: [u8; 9], have: usize },
    /// Inside a frame's payload, this many bytes left.
    Payload(usize),
    /// Not HTTP/2.
    Off,
}

impl FrameScan {
    fn feed(&mut self, mut bytes: &[u8], stats: &IoStats) {
        while !bytes.is_empty() {
            match self {
                FrameScan::Preface(seen) => {
                    let take = bytes.len().min(H2_PREFACE.len() - *seen);
                    if bytes[..take] != H2_PREFACE[*seen..*seen + take] {
                        *self = FrameScan::Off;
                        return;
                    }
                    *seen += take;
                    bytes = &bytes[take..];
                    if *seen == H2_PREFACE.len() {
                        stats.h2.store(true, Ordering::Relaxed);
                        *self = FrameScan::Header {
                            buf: [0; 9],
                            have: 0,
                        };
                    }
                }
                FrameScan::Header { buf, have } => {
                    let take = bytes.len().min(9 - *have);
                    buf[*have..*have + take].copy_from_slice(&bytes[..take]);
                    *have += take;
                    bytes = &bytes[take..];
                    if *have == 9 {
                        let len = usize::from(buf[0]) << 16
                            | usize::from(buf[1]) << 8
                            | usize::from(buf[2]);
                        // DATA, HEADERS, CONTINUATION.
                        if matches!(buf[3], 0x0 | 0x1 | 0x9) {
                            stats.last_frame.store(stats.now_nanos(), Ordering::Relaxed);
                        }
                        *self = if len > 0 {
                            FrameScan::Payload(len)
                        } else {
                            FrameScan::Header {
                                buf: [0; 9],
                                have: 0,
                            }
                        };
                    }
                }
                FrameScan::Payload(left) => {
                    let take = bytes.len().min(*left);
                    *left -= take;
                    bytes = &bytes[take..];
                    if *left == 0 {
                        *self = FrameScan::Header {
                            buf: [0; 9],
                            have: 0,
                        };
                    }
                }
                FrameScan::Off => return,
            }
        }
    }
}

/// A shared [`TcpStream`] that records read activity in [`IoStats`] and
/// holds the connection's place under the cap until it is dropped (an
/// upgraded connection keeps it).
pub(crate) struct WatchedIo {
    stream: Arc<TcpStream>,
    stats: Arc<IoStats>,
    scan: FrameScan,
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
            scan: FrameScan::Preface(0),
            _permit: permit,
        }
    }
}

impl Drop for WatchedIo {
    fn drop(&mut self) {
        self.stats.dropped.store(true, Ordering::Release);
        self.stats.dropped_notify.notify_one();
    }
}

/// Closes a connection whose IO the app may still hold (an upgraded one):
/// its reads and writes fail from now on, and the socket is shut down both
/// ways, so the peer reads EOF and the app's pending reads wake.
pub(crate) fn abort(stream: &TcpStream, stats: &IoStats) {
    stats.aborted.store(true, Ordering::Release);
    #[cfg(unix)]
    {
        let _ = rustix::net::shutdown(stream, rustix::net::Shutdown::Both);
    }
    #[cfg(not(unix))]
    {
        let _ = stream;
    }
}

impl AsyncRead for WatchedIo {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        this.stats.check_aborted()?;
        loop {
            match this.stream.poll_read_ready(cx) {
                Poll::Pending => {
                    this.stats.read_waiting.store(true, Ordering::Relaxed);
                    return Poll::Pending;
                }
                Poll::Ready(Err(error)) => return Poll::Ready(Err(error)),
                Poll::Ready(Ok(())) => {}
            }
            let before = buf.filled().len();
            match this.stream.try_read_buf(buf) {
                Ok(read) => {
                    this.stats.read_waiting.store(false, Ordering::Relaxed);
                    if read > 0 {
                        this.stats.touch();
                        if !matches!(this.scan, FrameScan::Off) {
                            this.scan.feed(&buf.filled()[before..], &this.stats);
                        }
                    }
                    return Poll::Ready(Ok(()));
                }
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => {}
                Err(error) => return Poll::Ready(Err(error)),
            }
        }
    }
}

impl WatchedIo {
    fn wrote(&self, result: io::Result<usize>) -> io::Result<usize> {
        if matches!(result, Ok(written) if written > 0) {
            self.stats.touch_write();
        }
        result
    }
}

impl AsyncWrite for WatchedIo {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.stats.check_aborted()?;
        loop {
            ready!(self.stream.poll_write_ready(cx))?;
            match self.stream.try_write(buf) {
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => {}
                result => return Poll::Ready(self.wrote(result)),
            }
        }
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.stats.check_aborted()?;
        loop {
            ready!(self.stream.poll_write_ready(cx))?;
            match self.stream.try_write_vectored(bufs) {
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => {}
                result => return Poll::Ready(self.wrote(result)),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frame_scan_counts_request_frames_only() {
        let stats = IoStats::new();
        let mut scan = FrameScan::Preface(0);
        std::thread::sleep(std::time::Duration::from_millis(2));
        // The preface split across reads, then SETTINGS and PING: no
        // request frame yet.
        scan.feed(&H2_PREFACE[..10], &stats);
        scan.feed(&H2_PREFACE[10..], &stats);
        assert!(stats.is_h2());
        scan.feed(&[0, 0, 0, 4, 0, 0, 0, 0, 0], &stats);
        scan.feed(&[0, 0, 8, 6, 0, 0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8], &stats);
        assert_eq!(stats.last_frame.load(Ordering::Relaxed), 0);
        // A DATA frame, its header split in two.
        scan.feed(&[0, 0, 2, 0], &stats);
        scan.feed(&[0, 0, 0, 0, 1, b'h', b'i'], &stats);
        assert!(stats.last_frame.load(Ordering::Relaxed) > 0);
        assert!(matches!(scan, FrameScan::Header { have: 0, .. }));
    }

    #[test]
    fn frame_scan_turns_off_for_http1() {
        let stats = IoStats::new();
        let mut scan = FrameScan::Preface(0);
        scan.feed(b"POST / HTTP/1.1\r\n", &stats);
        assert!(matches!(scan, FrameScan::Off));
        assert!(!stats.is_h2());
    }
}
