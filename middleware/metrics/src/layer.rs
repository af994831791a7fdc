//! [`MetricsLayer`]: the settings of a layer, and the service it builds.

use std::sync::Arc;

use pastry_core::{Clock, SystemClock};
use tower_layer::Layer;

use crate::MetricsHandle;
use crate::labels::Mounts;
use crate::record::Shared;
use crate::service::Metrics;

/// The most distinct mounts one layer labels by default; the ones after
/// are counted under `mount="other"`.
pub const DEFAULT_MAX_MOUNTS: usize = 64;

/// Records every request that passes through it in a
/// [`MetricsHandle`]: counted by mount, method and status class, timed to
/// the end of its body, with the bytes of that body and a gauge of the
/// requests in flight. Builds [`Metrics`]. See the [crate docs](crate) for
/// the metrics and their labels.
///
/// The `mount` label is the one given with [`mount`](Self::mount), else
/// the script name (`pastry_core::ScriptName`, set by a URL map) the
/// request reached the layer with, `/` at the root: never the request's
/// path. Put a layer around each mounted app to count per mount, or one
/// outside everything with a name.
///
/// ```
/// use pastry_metrics::{MetricsHandle, MetricsLayer};
///
/// let handle = MetricsHandle::new();
/// let api = MetricsLayer::new(&handle).mount("api");
/// let site = MetricsLayer::new(&handle); // labelled by script name
/// # let _ = (api, site);
/// ```
#[derive(Clone)]
pub struct MetricsLayer {
    handle: MetricsHandle,
    mount: Option<Arc<str>>,
    max_mounts: usize,
    clock: Arc<dyn Clock>,
    shared: Arc<Shared>,
}

impl std::fmt::Debug for MetricsLayer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MetricsLayer")
            .field("mount", &self.mount)
            .field("max_mounts", &self.max_mounts)
            .finish_non_exhaustive()
    }
}

impl MetricsLayer {
    /// A layer recording into `handle`, labelled by script name.
    pub fn new(handle: &MetricsHandle) -> Self {
        let clock: Arc<dyn Clock> = Arc::new(SystemClock);
        Self {
            shared: shared(handle, None, DEFAULT_MAX_MOUNTS, &clock),
            handle: handle.clone(),
            mount: None,
            max_mounts: DEFAULT_MAX_MOUNTS,
            clock,
        }
    }

    /// The `mount` label of every request through this layer, instead of
    /// the script name.
    pub fn mount(mut self, label: impl Into<String>) -> Self {
        self.mount = Some(Arc::from(label.into()));
        self.rebuilt()
    }

    /// The most distinct script names this layer labels (default
    /// [`DEFAULT_MAX_MOUNTS`], at least 1); requests under any other are
    /// counted as `mount="other"`. Script names come from the app's own
    /// mounts (or a trusted proxy's prefix), so the cap only guards
    /// against a configuration that makes them up per request.
    pub fn max_mounts(mut self, max: usize) -> Self {
        self.max_mounts = max.max(1);
        self.rebuilt()
    }

    /// The clock durations are read from (default the system's): tests
    /// move a `pastry_core::ManualClock` instead of sleeping.
    pub fn clock(mut self, clock: impl Clock) -> Self {
        self.clock = Arc::new(clock);
        self.rebuilt()
    }

    /// The shared state anew after a setting changed (the layer is being
    /// configured: no service shares it yet).
    fn rebuilt(mut self) -> Self {
        self.shared = shared(
            &self.handle,
            self.mount.clone(),
            self.max_mounts,
            &self.clock,
        );
        self
    }
}

fn shared(
    handle: &MetricsHandle,
    mount: Option<Arc<str>>,
    max_mounts: usize,
    clock: &Arc<dyn Clock>,
) -> Arc<Shared> {
    Arc::new(Shared {
        handle: handle.clone(),
        mount,
        mounts: Mounts::new(max_mounts),
        clock: Arc::clone(clock),
    })
}

impl<S> Layer<S> for MetricsLayer {
    type Service = Metrics<S>;

    fn layer(&self, inner: S) -> Self::Service {
        Metrics::new(inner, Arc::clone(&self.shared))
    }
}
