//! The layer: collects the settings.

use std::fmt;
use std::io::Write;
use std::sync::{Arc, Mutex};

use pastry_core::Clock;
use tower_layer::Layer;

use crate::config::{Config, Format, Sink};
use crate::service::AccessLog;

/// Writes one entry per request, in Combined Log Format on standard error
/// unless told otherwise.
///
/// ```
/// use pastry_accesslog::{AccessLogLayer, Format};
///
/// let to_stderr = AccessLogLayer::new();
/// let to_a_writer = AccessLogLayer::new().format(Format::Common).writer(std::io::sink());
/// let as_events = AccessLogLayer::new().tracing();
/// # let _ = (to_stderr, to_a_writer, as_events);
/// ```
#[derive(Clone, Default)]
pub struct AccessLogLayer {
    config: Config,
}

impl AccessLogLayer {
    /// Combined Log Format lines on standard error.
    pub fn new() -> Self {
        Self::default()
    }

    /// The line format (default [`Format::Combined`]). Ignored by
    /// [`tracing`](Self::tracing), whose events carry every field.
    pub fn format(mut self, format: Format) -> Self {
        self.config.format = format;
        self
    }

    /// Lines go to standard error (the default).
    pub fn stderr(mut self) -> Self {
        self.config.sink = Sink::Stderr;
        self
    }

    /// Lines go to `writer`, one `write_all` and `flush` per entry behind a
    /// mutex. The write happens where the response body ends, on the
    /// server's task: give a buffered or fast writer (a file, a pipe), not
    /// one that can block for long.
    pub fn writer(mut self, writer: impl Write + Send + 'static) -> Self {
        self.config.sink = Sink::Writer(Arc::new(Mutex::new(writer)));
        self
    }

    /// Each entry is a `tracing` event (target `pastry_accesslog`, level
    /// INFO, message `request`) with fields `client`, `user`, `method`,
    /// `path`, `version`, `status`, `bytes`, `duration_us`, `error_id`,
    /// `referer`, `user_agent` and `completed`.
    pub fn tracing(mut self) -> Self {
        self.config.sink = Sink::Tracing;
        self
    }

    /// The clock the timestamp and the duration are read from (default
    /// the system's): tests move a [`ManualClock`](pastry_core::ManualClock).
    pub fn clock(mut self, clock: impl Clock) -> Self {
        self.config.clock = Arc::new(clock);
        self
    }

    /// The longest request target, user, referer or user agent written, in
    /// bytes (default [`DEFAULT_MAX_FIELD_LEN`](crate::DEFAULT_MAX_FIELD_LEN));
    /// longer ones are cut and end in `...`.
    pub fn max_field_len(mut self, max: usize) -> Self {
        self.config.max_field_len = max;
        self
    }
}

impl fmt::Debug for AccessLogLayer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.config.fmt(f)
    }
}

impl<S> Layer<S> for AccessLogLayer {
    type Service = AccessLog<S>;

    fn layer(&self, inner: S) -> Self::Service {
        AccessLog::with_config(inner, self.config.clone())
    }
}
