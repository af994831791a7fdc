//! The connection cap (derived from `RLIMIT_NOFILE`) and the back-off after
//! a failed `accept()`.

use std::io;
use std::time::Duration;

use tokio::sync::Semaphore;

/// Descriptors the default connection cap leaves to the app (files, SQLite,
/// outbound connections, the listener itself): the default cap is the soft
/// `RLIMIT_NOFILE` minus this.
pub const FD_RESERVE: usize = 32;

/// The smallest default connection cap, whatever `RLIMIT_NOFILE` says.
pub const MIN_MAX_CONNECTIONS: usize = 32;

/// The cap where the descriptor limit cannot be read (not Unix).
const FALLBACK_MAX_CONNECTIONS: usize = 1024;

/// The first pause after `accept()` failed for lack of a resource; it
/// doubles with each further failure up to [`ACCEPT_BACKOFF_MAX`].
const ACCEPT_BACKOFF_START: Duration = Duration::from_millis(5);
const ACCEPT_BACKOFF_MAX: Duration = Duration::from_secs(1);

/// The connection cap [`Serve`](crate::Serve) uses unless
/// [`Serve::max_connections`](crate::Serve::max_connections) says
/// otherwise: the soft `RLIMIT_NOFILE` minus [`FD_RESERVE`], at least
/// [`MIN_MAX_CONNECTIONS`]. With the common limit of 1024 that is 992.
pub fn default_max_connections() -> usize {
    match nofile_soft_limit() {
        Some(soft) => soft.saturating_sub(FD_RESERVE).max(MIN_MAX_CONNECTIONS),
        None => FALLBACK_MAX_CONNECTIONS,
    }
    .min(max_permits())
}

/// The most connections a cap can name (the semaphore's and `u32`'s limit).
pub(crate) fn max_permits() -> usize {
    Semaphore::MAX_PERMITS.min(u32::MAX as usize)
}

#[cfg(unix)]
fn nofile_soft_limit() -> Option<usize> {
    use rustix::process::{Resource, getrlimit};
    match getrlimit(Resource::Nofile).current {
        Some(soft) => Some(usize::try_from(soft).unwrap_or(usize::MAX)),
        // Unlimited.
        None => Some(usize::MAX),
    }
}

#[cfg(not(unix))]
fn nofile_soft_limit() -> Option<usize> {
    None
}

/// Pauses after `accept()` errors, logging once per burst of failures.
#[derive(Debug, Default)]
pub(crate) struct AcceptBackoff {
    failures: u32,
}

impl AcceptBackoff {
    /// Call after a failed `accept()`. Errors that concern only the one
    /// connection (the peer reset before it was accepted) return at once;
    /// running out of descriptors or memory pauses, longer each time, so
    /// the loop neither spins nor floods the log.
    pub(crate) async fn failed(&mut self, error: &io::Error, quiet: bool) {
        use io::ErrorKind::{ConnectionAborted, ConnectionRefused, ConnectionReset};
        if matches!(
            error.kind(),
            ConnectionAborted | ConnectionRefused | ConnectionReset
        ) {
            return;
        }
        if self.failures == 0 {
            tracing::error!(
                target: "pastry",
                %error,
                "accept failed; pausing new connections until it succeeds again"
            );
            super::say(quiet, format_args!("accept failed: {error}; pausing"));
        }
        let delay = ACCEPT_BACKOFF_START
            .saturating_mul(1 << self.failures.min(10))
            .min(ACCEPT_BACKOFF_MAX);
        self.failures = self.failures.saturating_add(1);
        tokio::time::sleep(delay).await;
    }

    /// Call after a successful `accept()`: ends a burst of failures.
    pub(crate) fn succeeded(&mut self) {
        if self.failures > 0 {
            tracing::warn!(
                target: "pastry",
                failures = self.failures,
                "accepting connections again"
            );
            self.failures = 0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_cap_is_within_bounds() {
        let cap = default_max_connections();
        assert!(cap >= MIN_MAX_CONNECTIONS);
        assert!(cap <= max_permits());
    }
}
