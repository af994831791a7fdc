//! The settings: the line format and where the entries go.

use std::fmt;
use std::io::Write;
use std::sync::{Arc, Mutex, PoisonError};

use pastry_core::{Clock, SystemClock};

/// How an entry is written.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum Format {
    /// Common Log Format (Apache `%h %l %u %t "%r" %>s %b`):
    /// `203.0.113.7 - alice [03/Dec/2026:10:09:10 +0000] "GET /a?b HTTP/1.1" 200 1234`.
    Common,
    /// Combined Log Format: Common plus `"%{Referer}i" "%{User-agent}i"`.
    /// The default.
    #[default]
    Combined,
    /// Combined plus the duration in microseconds, to the end of the body,
    /// and the error id `catch` gave the response (`-` if none): Apache's
    /// `%D` and `%{x-error-id}o`.
    Detailed,
}

/// Where entries go.
#[derive(Clone, Default)]
pub(crate) enum Sink {
    /// One line per entry on standard error.
    #[default]
    Stderr,
    /// One line per entry to a writer, behind a mutex.
    Writer(Arc<Mutex<dyn Write + Send>>),
    /// One `tracing` event per entry, target `pastry_accesslog`, level INFO.
    Tracing,
}

impl fmt::Debug for Sink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Sink::Stderr => "Stderr",
            Sink::Writer(_) => "Writer",
            Sink::Tracing => "Tracing",
        })
    }
}

impl Sink {
    pub(crate) fn write_line(&self, line: &str) {
        match self {
            Sink::Stderr => {
                let _ = std::io::stderr().lock().write_all(line.as_bytes());
            }
            Sink::Writer(writer) => {
                let mut writer = writer.lock().unwrap_or_else(PoisonError::into_inner);
                let _ = writer.write_all(line.as_bytes());
                let _ = writer.flush();
            }
            Sink::Tracing => {}
        }
    }
}

#[derive(Clone)]
pub(crate) struct Config {
    pub(crate) format: Format,
    pub(crate) sink: Sink,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) max_field_len: usize,
}

/// The longest request target, user, referer or user agent written, in
/// bytes, by default; longer ones are cut and end in `...`.
pub const DEFAULT_MAX_FIELD_LEN: usize = 2048;

impl Default for Config {
    fn default() -> Self {
        Self {
            format: Format::default(),
            sink: Sink::default(),
            clock: Arc::new(SystemClock),
            max_field_len: DEFAULT_MAX_FIELD_LEN,
        }
    }
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccessLogLayer")
            .field("format", &self.format)
            .field("sink", &self.sink)
            .field("max_field_len", &self.max_field_len)
            .finish_non_exhaustive()
    }
}
