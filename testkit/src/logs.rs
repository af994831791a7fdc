//! Captures the `tracing` events a test's own thread emits.
//!
//! A scoped subscriber (`tracing::subscriber::with_default`) looks like the
//! obvious tool, but `tracing` caches per call site whether anyone listens:
//! when another test in the same binary hits the call site on a thread with
//! no subscriber, at the wrong moment, the cache says "nobody" and the
//! capturing test sees nothing. [`LogCapture`] avoids the cache altogether:
//! the first capture installs one process-wide subscriber that is interested
//! in every call site and writes each event to the buffer of the thread that
//! emitted it, if that thread is capturing, and nowhere otherwise.

use std::cell::RefCell;
use std::io;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, Once};

use tracing::subscriber::Interest;
use tracing::{Level, Metadata};
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::{Context, Filter, SubscriberExt};
use tracing_subscriber::{Layer, Registry};

type Buffer = Arc<Mutex<Vec<u8>>>;

/// One live capture on a thread: where its lines go, and the least severe
/// level it keeps.
struct Capture {
    buffer: Buffer,
    level: Level,
}

thread_local! {
    /// The buffers of the live captures on this thread, innermost last.
    static CAPTURES: RefCell<Vec<Capture>> = const { RefCell::new(Vec::new()) };
}

static INSTALL: Once = Once::new();
/// Whether [`INSTALL`] made the capturing subscriber the global default.
static GLOBAL_IS_OURS: AtomicBool = AtomicBool::new(false);

/// Collects the `tracing` events emitted on the current thread while it
/// lives (debug level and above, or from the level given to
/// [`at`](Self::at)), formatted as `tracing_subscriber::fmt`
/// writes them without colours: one line per event, with the level, the
/// target, the message and the fields.
///
/// Events on other threads are not captured, so run the code under test on
/// the test's thread: `#[tokio::test]` (a current-thread runtime) does, and
/// so does [`TestClient`](crate::TestClient). Captures nest; an event goes
/// to the innermost one.
///
/// The first capture in a process installs a global default subscriber,
/// and every capture asks the call sites again whether anyone listens. One
/// race is left that no subscriber can close: a call site used for the
/// first time by another thread at the very moment the first capture
/// starts may keep "nobody listens". A test binary whose log-reading test
/// is its only test, or whose tests all capture, never meets it. If the
/// program installed its own global subscriber already, the capture falls
/// back to a scoped one for its thread.
///
/// ```
/// use pastry_testkit::LogCapture;
///
/// let logs = LogCapture::start();
/// tracing::warn!(target: "shop", order = 42, "payment declined");
/// tracing::trace!("below the captured level");
/// assert!(logs.contains("payment declined"));
/// assert_eq!(logs.lines_at(tracing::Level::WARN).len(), 1);
/// assert!(logs.lines_at(tracing::Level::WARN)[0].contains("order=42"));
/// assert!(!logs.contains("below the captured level"));
/// ```
#[must_use = "the capture ends when this value is dropped"]
pub struct LogCapture {
    buffer: Buffer,
    _scoped: Option<tracing::subscriber::DefaultGuard>,
}

impl LogCapture {
    /// Starts capturing this thread's events at debug level and above; it
    /// ends when the value drops.
    pub fn start() -> Self {
        Self::at(Level::DEBUG)
    }

    /// Starts capturing this thread's events at `level` and above (more
    /// severe): `LogCapture::at(Level::INFO)` leaves debug and trace out.
    ///
    /// ```
    /// use pastry_testkit::LogCapture;
    /// use tracing::Level;
    ///
    /// let logs = LogCapture::at(Level::INFO);
    /// tracing::debug!("left out");
    /// tracing::info!("kept");
    /// assert_eq!(logs.text().lines().count(), 1);
    /// ```
    pub fn at(level: Level) -> Self {
        INSTALL.call_once(|| {
            let installed = tracing::subscriber::set_global_default(capturing_subscriber()).is_ok();
            GLOBAL_IS_OURS.store(installed, Ordering::Release);
        });
        // Call sites first used before the subscriber was installed may have
        // cached "nobody listens"; ask them again now that somebody does.
        tracing::callsite::rebuild_interest_cache();
        let global_is_ours = GLOBAL_IS_OURS.load(Ordering::Acquire);
        let buffer = Buffer::default();
        CAPTURES.with(|captures| {
            captures.borrow_mut().push(Capture {
                buffer: buffer.clone(),
                level,
            })
        });
        let scoped =
            (!global_is_ours).then(|| tracing::subscriber::set_default(capturing_subscriber()));
        LogCapture {
            buffer,
            _scoped: scoped,
        }
    }

    /// Everything captured so far.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.buffer.lock().unwrap_or_else(|e| e.into_inner())).into_owned()
    }

    /// Whether any captured line contains `needle`.
    pub fn contains(&self, needle: &str) -> bool {
        self.text().contains(needle)
    }

    /// The captured lines of events at exactly `level`.
    pub fn lines_at(&self, level: Level) -> Vec<String> {
        let label = level.as_str();
        self.text()
            .lines()
            .filter(|line| line.split_whitespace().any(|word| word == label))
            .map(str::to_owned)
            .collect()
    }
}

impl Drop for LogCapture {
    fn drop(&mut self) {
        let _ = CAPTURES.try_with(|captures| {
            let mut captures = captures.borrow_mut();
            if let Some(at) = captures
                .iter()
                .rposition(|capture| Arc::ptr_eq(&capture.buffer, &self.buffer))
            {
                captures.remove(at);
            }
        });
    }
}

impl std::fmt::Debug for LogCapture {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LogCapture")
            .field("text", &self.text())
            .finish()
    }
}

fn capturing_subscriber() -> impl tracing::Subscriber + Send + Sync {
    let layer = tracing_subscriber::fmt::layer()
        .with_ansi(false)
        .with_writer(ThreadSink)
        .with_filter(ThisThreadsCapture);
    Registry::default().with(layer)
}

/// Lets an event through when the thread that emits it is capturing at
/// its level. Whether a thread captures changes all the time, so no call
/// site may cache the answer.
struct ThisThreadsCapture;

impl<S: tracing::Subscriber> Filter<S> for ThisThreadsCapture {
    fn enabled(&self, meta: &Metadata<'_>, _: &Context<'_, S>) -> bool {
        innermost_level().is_some_and(|level| *meta.level() <= level)
    }

    fn callsite_enabled(&self, _: &'static Metadata<'static>) -> Interest {
        Interest::sometimes()
    }
}

/// The level of this thread's innermost capture, if it is capturing.
fn innermost_level() -> Option<Level> {
    CAPTURES
        .try_with(|captures| captures.borrow().last().map(|capture| capture.level))
        .ok()
        .flatten()
}

/// Writes to the innermost capture of the thread that formats the event.
struct ThreadSink;

impl<'a> MakeWriter<'a> for ThreadSink {
    type Writer = ThreadSink;

    fn make_writer(&'a self) -> Self::Writer {
        ThreadSink
    }
}

impl io::Write for ThreadSink {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        let _ = CAPTURES.try_with(|captures| {
            if let Some(capture) = captures.borrow().last() {
                capture
                    .buffer
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .extend_from_slice(bytes);
            }
        });
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}
