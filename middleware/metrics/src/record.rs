//! One request's recording: opened when the request reaches the layer,
//! given its status with the response head, closed when the body ends or
//! is dropped.

use std::sync::Arc;
use std::time::Instant;

use http::Request;
use metrics::{Gauge, Label};
use pastry_core::{Clock, Environ};

use crate::MetricsHandle;
use crate::labels::{Mounts, method_label};
use crate::names;

/// What every request of one layer shares.
pub(crate) struct Shared {
    pub(crate) handle: MetricsHandle,
    /// The label given to the layer, instead of the script name.
    pub(crate) mount: Option<Arc<str>>,
    pub(crate) mounts: Mounts,
    pub(crate) clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for Shared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shared")
            .field("mount", &self.mount)
            .finish_non_exhaustive()
    }
}

/// The status class written for a request whose app failed (an `Err`, no
/// response): the access log's 500.
pub(crate) const FAILED: &str = "5xx";
/// The status class written for a request dropped before the app answered
/// (the client went away): the access log's 499.
const ABANDONED: &str = "4xx";

pub(crate) struct Recording {
    shared: Arc<Shared>,
    mount: Arc<str>,
    method: &'static str,
    started: Instant,
    status: Option<&'static str>,
    pub(crate) bytes: u64,
    in_flight: Gauge,
}

impl Recording {
    pub(crate) fn new<B>(shared: &Arc<Shared>, req: &Request<B>) -> Self {
        let mount = match &shared.mount {
            Some(mount) => Arc::clone(mount),
            None => shared.mounts.label(req.script_name()),
        };
        let in_flight = shared.handle.gauge(
            names::HTTP_IN_FLIGHT,
            vec![Label::new("mount", Arc::clone(&mount))],
        );
        in_flight.increment(1.0);
        Self {
            shared: Arc::clone(shared),
            mount,
            method: method_label(req.method()),
            started: shared.clock.instant(),
            status: None,
            bytes: 0,
            in_flight,
        }
    }

    fn labels(&self, status: &'static str) -> Vec<Label> {
        vec![
            Label::new("mount", Arc::clone(&self.mount)),
            Label::new("method", self.method),
            Label::new("status", status),
        ]
    }

    /// Counts the request with the class of its answer.
    pub(crate) fn answered(&mut self, status: &'static str) {
        if self.status.is_none() {
            self.status = Some(status);
            let labels = self.labels(status);
            self.shared
                .handle
                .counter(names::HTTP_REQUESTS, labels)
                .increment(1);
        }
    }
}

impl Drop for Recording {
    /// The end of the response: its duration, its bytes, one request less
    /// in flight.
    fn drop(&mut self) {
        self.answered(ABANDONED);
        let status = self.status.unwrap_or(ABANDONED);
        let handle = &self.shared.handle;
        let elapsed = self
            .shared
            .clock
            .instant()
            .saturating_duration_since(self.started);
        handle
            .histogram(names::HTTP_DURATION, self.labels(status))
            .record(elapsed.as_secs_f64());
        handle
            .counter(names::HTTP_RESPONSE_BYTES, self.labels(status))
            .increment(self.bytes);
        self.in_flight.decrement(1.0);
    }
}
