//! Time as the middleware sees it, so tests can move it by hand.

use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime};

/// Where a middleware reads the time: the wall clock for what is stored
/// (session expiry), the monotonic clock for what lives in memory (caches,
/// throttles). [`SystemClock`] in production, [`ManualClock`] in tests.
pub trait Clock: Send + Sync + 'static {
    /// The current wall-clock time.
    fn now(&self) -> SystemTime;
    /// The current monotonic instant.
    fn instant(&self) -> Instant;
}

/// The operating system's clocks, the default everywhere.
///
/// ```
/// use pastry_core::{Clock, SystemClock};
///
/// assert!(SystemClock.now() > std::time::UNIX_EPOCH);
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> SystemTime {
        SystemTime::now()
    }

    fn instant(&self) -> Instant {
        Instant::now()
    }
}

/// A clock that moves only when told to: expiry tests without sleeping.
/// Clones share the same time.
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// use pastry_core::{Clock, ManualClock};
///
/// let clock = ManualClock::at(UNIX_EPOCH + Duration::from_secs(1_000));
/// let start = clock.instant();
/// clock.clone().advance(Duration::from_secs(60));
/// assert_eq!(clock.now(), UNIX_EPOCH + Duration::from_secs(1_060));
/// assert_eq!(clock.instant() - start, Duration::from_secs(60));
/// ```
#[derive(Clone)]
pub struct ManualClock {
    wall_start: SystemTime,
    instant_start: Instant,
    elapsed: Arc<Mutex<Duration>>,
}

impl ManualClock {
    /// A clock stopped at the current time.
    pub fn new() -> Self {
        Self::at(SystemTime::now())
    }

    /// A clock stopped at wall-clock time `start`.
    pub fn at(start: SystemTime) -> Self {
        Self {
            wall_start: start,
            instant_start: Instant::now(),
            elapsed: Arc::new(Mutex::new(Duration::ZERO)),
        }
    }

    /// Moves the clock, and every clone of it, forward by `by`.
    pub fn advance(&self, by: Duration) {
        *self.elapsed.lock().unwrap_or_else(PoisonError::into_inner) += by;
    }

    fn elapsed(&self) -> Duration {
        *self.elapsed.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Default for ManualClock {
    fn default() -> Self {
        Self::new()
    }
}

impl Clock for ManualClock {
    fn now(&self) -> SystemTime {
        self.wall_start + self.elapsed()
    }

    fn instant(&self) -> Instant {
        self.instant_start + self.elapsed()
    }
}

impl fmt::Debug for ManualClock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ManualClock")
            .field("now", &self.now())
            .finish()
    }
}
