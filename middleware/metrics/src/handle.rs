//! [`MetricsHandle`]: the registry the layers record into and the text a
//! scrape reads.

use std::fmt;
use std::sync::Arc;

use metrics::{Counter, Gauge, Histogram, Key, Label, Level, Metadata, Recorder, Unit};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle, PrometheusRecorder};

use crate::MetricsError;
use crate::names;

/// The histogram buckets (seconds) of request and store durations: from a
/// millisecond to ten seconds.
pub const DEFAULT_BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

static METADATA: Metadata<'static> =
    Metadata::new("pastry_metrics", Level::INFO, Some(module_path!()));

/// One Prometheus registry: [`MetricsLayer`](crate::MetricsLayer)s record
/// into it, [`render`](Self::render) writes it out in the Prometheus text
/// format, and [`endpoint`](Self::endpoint) serves that at `/metrics`.
/// Clones share the registry.
///
/// The layers record straight into their handle, whatever recorder the
/// process has; the other Pastry crates (and your own code) record through
/// the `metrics` facade's macros, which reach this registry once it is
/// [`install`](Self::install)ed as the global recorder (or, in a test,
/// set as the thread's recorder with `metrics::set_default_local_recorder`
/// and [`recorder`](Self::recorder)).
///
/// ```
/// use pastry_metrics::MetricsHandle;
///
/// let handle = MetricsHandle::new();
/// metrics::with_local_recorder(handle.recorder(), || {
///     metrics::counter!("jobs_done_total", "queue" => "mail").increment(2);
/// });
/// assert!(handle.render().contains("jobs_done_total{queue=\"mail\"} 2"));
/// ```
#[derive(Clone)]
pub struct MetricsHandle {
    recorder: Arc<PrometheusRecorder>,
    handle: PrometheusHandle,
}

impl fmt::Debug for MetricsHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MetricsHandle").finish_non_exhaustive()
    }
}

impl Default for MetricsHandle {
    fn default() -> Self {
        Self::new()
    }
}

impl MetricsHandle {
    /// A new, empty registry with [`DEFAULT_BUCKETS`].
    pub fn new() -> Self {
        Self::builder()
            .build()
            .unwrap_or_else(|_| unreachable!("the default buckets are valid"))
    }

    /// Starts the settings of a registry; finish with
    /// [`MetricsHandleBuilder::build`].
    ///
    /// ```
    /// use pastry_metrics::{MetricsError, MetricsHandle};
    ///
    /// assert!(MetricsHandle::builder().buckets([0.1, 1.0]).build().is_ok());
    /// assert_eq!(
    ///     MetricsHandle::builder().buckets([1.0, 0.1]).build().unwrap_err(),
    ///     MetricsError::InvalidBuckets,
    /// );
    /// ```
    pub fn builder() -> MetricsHandleBuilder {
        MetricsHandleBuilder {
            buckets: DEFAULT_BUCKETS.to_vec(),
        }
    }

    /// The registry in the Prometheus text exposition format (version
    /// 0.0.4), as [`endpoint`](Self::endpoint) answers it.
    pub fn render(&self) -> String {
        self.handle.render()
    }

    /// The registry as a `metrics` recorder, to record into it from this
    /// thread only (`metrics::with_local_recorder`,
    /// `metrics::set_default_local_recorder`): what tests do, so that each
    /// has its own registry.
    pub fn recorder(&self) -> &dyn Recorder {
        &*self.recorder
    }

    /// Makes this registry the `metrics` recorder of the current thread
    /// until the guard drops (`metrics::set_default_local_recorder`): the
    /// other crates' counters recorded on this thread land here. For
    /// tests on a current-thread runtime, so each has its own registry.
    ///
    /// ```
    /// use pastry_metrics::MetricsHandle;
    ///
    /// let handle = MetricsHandle::new();
    /// {
    ///     let _here = handle.install_local();
    ///     metrics::counter!("pastry_catch_panics_total").increment(1);
    /// }
    /// metrics::counter!("pastry_catch_panics_total").increment(1); // elsewhere
    /// assert!(handle.render().contains("pastry_catch_panics_total 1"));
    /// ```
    pub fn install_local(&self) -> metrics::LocalRecorderGuard<'_> {
        metrics::set_default_local_recorder(&*self.recorder)
    }

    /// Makes this registry the process's global `metrics` recorder, so
    /// that every `metrics::counter!` (the Pastry crates' own, with their
    /// `metrics` feature, and yours) lands in it. Once per process: a
    /// second call is [`MetricsError::AlreadyInstalled`].
    pub fn install(&self) -> Result<(), MetricsError> {
        metrics::set_global_recorder(Arc::clone(&self.recorder))
            .map_err(|_| MetricsError::AlreadyInstalled)
    }

    pub(crate) fn counter(&self, name: &'static str, labels: Vec<Label>) -> Counter {
        self.recorder
            .register_counter(&Key::from_parts(name, labels), &METADATA)
    }

    pub(crate) fn gauge(&self, name: &'static str, labels: Vec<Label>) -> Gauge {
        self.recorder
            .register_gauge(&Key::from_parts(name, labels), &METADATA)
    }

    pub(crate) fn histogram(&self, name: &'static str, labels: Vec<Label>) -> Histogram {
        self.recorder
            .register_histogram(&Key::from_parts(name, labels), &METADATA)
    }
}

/// The settings of a [`MetricsHandle`], checked by [`build`](Self::build);
/// made by [`MetricsHandle::builder`].
#[derive(Clone, Debug)]
pub struct MetricsHandleBuilder {
    buckets: Vec<f64>,
}

impl MetricsHandleBuilder {
    /// The upper bounds (seconds) of the buckets of every histogram
    /// (default [`DEFAULT_BUCKETS`]): finite, positive, strictly
    /// increasing; `+Inf` is always added.
    pub fn buckets(mut self, bounds: impl IntoIterator<Item = f64>) -> Self {
        self.buckets = bounds.into_iter().collect();
        self
    }

    /// The registry, or [`MetricsError::InvalidBuckets`].
    pub fn build(self) -> Result<MetricsHandle, MetricsError> {
        let valid = !self.buckets.is_empty()
            && self.buckets.iter().all(|b| b.is_finite() && *b > 0.0)
            && self.buckets.windows(2).all(|w| w[0] < w[1]);
        if !valid {
            return Err(MetricsError::InvalidBuckets);
        }
        let recorder = PrometheusBuilder::new()
            .set_buckets(&self.buckets)
            .map_err(|_| MetricsError::InvalidBuckets)?
            .build_recorder();
        describe(&recorder);
        let handle = recorder.handle();
        Ok(MetricsHandle {
            recorder: Arc::new(recorder),
            handle,
        })
    }
}

/// The help line and unit of each of Pastry's metrics.
fn describe(recorder: &PrometheusRecorder) {
    let counters: [(&'static str, Option<Unit>, &'static str); 12] = [
        (
            names::HTTP_REQUESTS,
            None,
            "Requests answered, by mount, method and status class.",
        ),
        (
            names::HTTP_RESPONSE_BYTES,
            Some(Unit::Bytes),
            "Response body bytes sent.",
        ),
        (names::SESSIONS_LOADED, None, "Sessions found in the store."),
        (
            names::SESSIONS_SAVED,
            None,
            "Sessions written to the store.",
        ),
        (
            names::SESSIONS_CAS_REPLAYS,
            None,
            "Replays of a request's session changes after a compare-and-swap conflict.",
        ),
        (
            names::SESSIONS_CAS_CONFLICTS,
            None,
            "Session saves whose compare-and-swap found the session changed by a concurrent request.",
        ),
        (
            names::AUTH_FAILED_LOGINS,
            None,
            "Logins refused for a wrong name or password.",
        ),
        (
            names::AUTH_LOCKOUTS,
            None,
            "Login attempts refused during a lockout.",
        ),
        (
            names::GZIP_BYTES_IN,
            Some(Unit::Bytes),
            "Response bytes before compression.",
        ),
        (
            names::GZIP_BYTES_OUT,
            Some(Unit::Bytes),
            "Response bytes after compression.",
        ),
        (
            names::CATCH_PANICS,
            None,
            "Panics caught and answered with a 500.",
        ),
        (
            names::RATELIMIT_LIMITED,
            None,
            "Requests refused by the rate limiter.",
        ),
    ];
    for (name, unit, help) in counters {
        recorder.describe_counter(name.into(), unit, help.into());
    }
    recorder.describe_gauge(
        names::HTTP_IN_FLIGHT.into(),
        None,
        "Requests whose response has not ended.".into(),
    );
    recorder.describe_histogram(
        names::HTTP_DURATION.into(),
        Some(Unit::Seconds),
        "Time from the request to the end of its response body.".into(),
    );
    recorder.describe_histogram(
        names::SESSIONS_STORE_DURATION.into(),
        Some(Unit::Seconds),
        "Time of one session store operation.".into(),
    );
}
