//! Throttling of failed logins per user name and client address.

use std::net::IpAddr;
use std::time::{Duration, Instant};

use dashmap::DashMap;

/// How many throttle records are kept before old ones are swept.
const SWEEP_AT: usize = 10_000;

#[derive(Clone, Copy, Debug)]
pub(crate) struct ThrottleConfig {
    pub(crate) max_failures: u32,
    pub(crate) lockout: Duration,
    pub(crate) max_lockout: Duration,
}

impl Default for ThrottleConfig {
    fn default() -> Self {
        Self {
            max_failures: 5,
            lockout: Duration::from_secs(1),
            max_lockout: Duration::from_secs(15 * 60),
        }
    }
}

struct Failures {
    count: u32,
    last: Instant,
    locked_until: Option<Instant>,
}

pub(crate) struct Throttle {
    config: ThrottleConfig,
    records: DashMap<(Box<str>, Option<IpAddr>), Failures>,
}

impl Throttle {
    pub(crate) fn new(config: ThrottleConfig) -> Self {
        Self {
            config,
            records: DashMap::new(),
        }
    }

    fn forgotten(&self, failures: &Failures, now: Instant) -> bool {
        failures.locked_until.is_none_or(|until| until <= now)
            && now.saturating_duration_since(failures.last) >= self.config.max_lockout
    }

    /// How long `name` from `client` stays locked out, if it is.
    pub(crate) fn locked(
        &self,
        name: &str,
        client: Option<IpAddr>,
        now: Instant,
    ) -> Option<Duration> {
        if self.config.max_failures == 0 || self.records.is_empty() {
            return None;
        }
        let record = self.records.get(&(Box::from(name), client))?;
        record
            .locked_until
            .filter(|until| *until > now)
            .map(|until| until - now)
    }

    /// Records a failure; returns the lockout it starts, if any.
    pub(crate) fn fail(
        &self,
        name: &str,
        client: Option<IpAddr>,
        now: Instant,
    ) -> Option<Duration> {
        if self.config.max_failures == 0 {
            return None;
        }
        if self.records.len() >= SWEEP_AT {
            self.records
                .retain(|_, failures| !self.forgotten(failures, now));
        }
        let mut record = self
            .records
            .entry((Box::from(name), client))
            .or_insert(Failures {
                count: 0,
                last: now,
                locked_until: None,
            });
        if self.forgotten(&record, now) {
            record.count = 0;
        }
        record.count = record.count.saturating_add(1);
        record.last = now;
        if record.count < self.config.max_failures {
            return None;
        }
        let doublings = (record.count - self.config.max_failures).min(20);
        let lockout = self
            .config
            .lockout
            .saturating_mul(1 << doublings)
            .min(self.config.max_lockout);
        record.locked_until = Some(now + lockout);
        Some(lockout)
    }

    /// Forgets the failures of `name` from `client` after a success.
    pub(crate) fn succeed(&self, name: &str, client: Option<IpAddr>) {
        if !self.records.is_empty() {
            self.records.remove(&(Box::from(name), client));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn throttle() -> Throttle {
        Throttle::new(ThrottleConfig {
            max_failures: 3,
            lockout: Duration::from_secs(2),
            max_lockout: Duration::from_secs(60),
        })
    }

    #[test]
    fn lockout_grows_and_is_capped() {
        let t = throttle();
        let mut now = Instant::now();
        let ip = Some(IpAddr::from([10, 0, 0, 1]));
        assert_eq!(t.fail("a", ip, now), None);
        assert_eq!(t.fail("a", ip, now), None);
        assert_eq!(t.locked("a", ip, now), None);
        assert_eq!(t.fail("a", ip, now), Some(Duration::from_secs(2)));
        assert_eq!(t.locked("a", ip, now), Some(Duration::from_secs(2)));
        assert_eq!(t.locked("a", None, now), None, "other address unaffected");
        assert_eq!(t.locked("b", ip, now), None, "other name unaffected");
        now += Duration::from_secs(2);
        assert_eq!(t.locked("a", ip, now), None);
        assert_eq!(t.fail("a", ip, now), Some(Duration::from_secs(4)));
        assert_eq!(t.fail("a", ip, now), Some(Duration::from_secs(8)));
        for _ in 0..10 {
            t.fail("a", ip, now);
        }
        assert_eq!(t.locked("a", ip, now), Some(Duration::from_secs(60)));
    }

    #[test]
    fn success_and_time_forget_failures() {
        let t = throttle();
        let now = Instant::now();
        t.fail("a", None, now);
        t.fail("a", None, now);
        t.succeed("a", None);
        assert_eq!(t.fail("a", None, now), None);
        t.fail("a", None, now);
        let later = now + Duration::from_secs(61);
        assert_eq!(t.fail("a", None, later), None, "old failures forgotten");
    }

    #[test]
    fn zero_max_failures_disables() {
        let t = Throttle::new(ThrottleConfig {
            max_failures: 0,
            ..ThrottleConfig::default()
        });
        let now = Instant::now();
        for _ in 0..10 {
            assert_eq!(t.fail("a", None, now), None);
        }
        assert_eq!(t.locked("a", None, now), None);
    }
}
