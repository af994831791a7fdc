//! Throttling of failed logins: per user name and client address (a short
//! lockout that grows), and per account across addresses (a rate limit).
//!
//! Records are keyed by a keyed digest of the user name (HMAC-SHA256 under
//! a key drawn at random for each process, truncated to 16 bytes), never by
//! the name itself, so a record costs the same whatever the client sends,
//! and both tables are bounded.

use std::net::{IpAddr, Ipv6Addr};
use std::time::{Duration, Instant};

use dashmap::DashMap;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The longest user name, in bytes, that is looked up at all: longer names
/// fail at once as wrong credentials, before the throttle, the store or
/// argon2 see them.
pub const MAX_NAME_LEN: usize = 256;

/// How many throttle records (per name and address, and per account, each
/// table) are kept by default; past it the oldest are evicted. A record
/// is a fixed ~100 bytes whatever the name, so 100 000 is about 10 MiB.
pub const DEFAULT_THROTTLE_CAPACITY: usize = 100_000;

/// Failed logins allowed per account, from any address, within
/// [`DEFAULT_ACCOUNT_WINDOW`] by default (OWASP ASVS V2.2.1: at most 100
/// an hour).
pub const DEFAULT_ACCOUNT_FAILURES: u32 = 100;

/// The window of [`DEFAULT_ACCOUNT_FAILURES`]: one hour.
pub const DEFAULT_ACCOUNT_WINDOW: Duration = Duration::from_secs(60 * 60);

/// A keyed digest of a user name.
type NameKey = [u8; 16];

#[derive(Clone, Copy, Debug)]
pub(crate) struct ThrottleConfig {
    pub(crate) max_failures: u32,
    pub(crate) lockout: Duration,
    pub(crate) max_lockout: Duration,
    pub(crate) capacity: usize,
    pub(crate) account_failures: u32,
    pub(crate) account_window: Duration,
}

impl Default for ThrottleConfig {
    fn default() -> Self {
        Self {
            max_failures: 5,
            lockout: Duration::from_secs(1),
            max_lockout: Duration::from_secs(15 * 60),
            capacity: DEFAULT_THROTTLE_CAPACITY,
            account_failures: DEFAULT_ACCOUNT_FAILURES,
            account_window: DEFAULT_ACCOUNT_WINDOW,
        }
    }
}

struct Failures {
    count: u32,
    last: Instant,
    locked_until: Option<Instant>,
}

/// The per-account limit as GCRA: `tat` is when the account's failures
/// will have drained; each failure pushes it one emission interval
/// (window / limit) further.
struct Account {
    tat: Instant,
}

/// Why a login is refused before any password check.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// Too many failures in a row for this name from this address.
    Lockout(Duration),
    /// Too many failures for this account from all addresses.
    Account(Duration),
}

impl Refusal {
    pub(crate) fn retry_after(self) -> Duration {
        match self {
            Refusal::Lockout(d) | Refusal::Account(d) => d,
        }
    }
}

/// The address a client is throttled by: IPv4 as is, IPv6 by its /64
/// (one customer's prefix; a client can pick any address inside it).
pub(crate) fn client_group(ip: IpAddr) -> IpAddr {
    match ip.to_canonical() {
        IpAddr::V6(v6) => IpAddr::V6(Ipv6Addr::from(u128::from(v6) & !(u128::MAX >> 64))),
        v4 => v4,
    }
}

pub(crate) struct Throttle {
    config: ThrottleConfig,
    mac: Hmac<Sha256>,
    records: DashMap<(NameKey, Option<IpAddr>), Failures>,
    accounts: DashMap<NameKey, Account>,
}

impl Throttle {
    pub(crate) fn new(config: ThrottleConfig) -> Self {
        let key: [u8; 32] = rand::random();
        let mac = match Hmac::<Sha256>::new_from_slice(&key) {
            Ok(mac) => mac,
            Err(_) => unreachable!("HMAC accepts keys of any length"),
        };
        Self {
            config,
            mac,
            records: DashMap::new(),
            accounts: DashMap::new(),
        }
    }

    fn name_key(&self, name: &str) -> NameKey {
        let mut mac = self.mac.clone();
        mac.update(name.as_bytes());
        let digest = mac.finalize().into_bytes();
        let mut key = [0u8; 16];
        key.copy_from_slice(&digest[..16]);
        key
    }

    fn record_key(&self, name: &str, client: Option<IpAddr>) -> (NameKey, Option<IpAddr>) {
        (self.name_key(name), client.map(client_group))
    }

    /// How many records the two tables hold together.
    pub(crate) fn len(&self) -> usize {
        self.records.len() + self.accounts.len()
    }

    fn forgotten(&self, failures: &Failures, now: Instant) -> bool {
        failures.locked_until.is_none_or(|until| until <= now)
            && now.saturating_duration_since(failures.last) >= self.config.max_lockout
    }

    fn account_enabled(&self) -> bool {
        self.config.account_failures > 0 && !self.config.account_window.is_zero()
    }

    /// The emission interval and burst tolerance of the account limit.
    fn account_rate(&self) -> (Duration, Duration) {
        let interval = self.config.account_window / self.config.account_failures.max(1);
        (
            interval,
            self.config.account_window.saturating_sub(interval),
        )
    }

    /// Whether `name` from `client` must be refused now, and why.
    pub(crate) fn locked(
        &self,
        name: &str,
        client: Option<IpAddr>,
        now: Instant,
    ) -> Option<Refusal> {
        if self.records.is_empty() && self.accounts.is_empty() {
            return None;
        }
        let key = self.record_key(name, client);
        if self.config.max_failures > 0
            && let Some(record) = self.records.get(&key)
            && let Some(until) = record.locked_until.filter(|until| *until > now)
        {
            return Some(Refusal::Lockout(until - now));
        }
        if self.account_enabled()
            && let Some(account) = self.accounts.get(&key.0)
        {
            let (_, tolerance) = self.account_rate();
            let ahead = account.tat.saturating_duration_since(now);
            if ahead > tolerance {
                return Some(Refusal::Account(ahead - tolerance));
            }
        }
        None
    }

    /// Records a failure; returns the per-address lockout it starts, if any.
    pub(crate) fn fail(
        &self,
        name: &str,
        client: Option<IpAddr>,
        now: Instant,
    ) -> Option<Duration> {
        self.record_failure(name, client, now, true)
    }

    /// Records a failure against `name` from `client` only, leaving the
    /// per-account table alone (for credentials that name no account).
    pub(crate) fn fail_address(
        &self,
        name: &str,
        client: Option<IpAddr>,
        now: Instant,
    ) -> Option<Duration> {
        self.record_failure(name, client, now, false)
    }

    fn record_failure(
        &self,
        name: &str,
        client: Option<IpAddr>,
        now: Instant,
        per_account: bool,
    ) -> Option<Duration> {
        let key = self.record_key(name, client);
        if per_account && self.account_enabled() {
            if !self.accounts.contains_key(&key.0) {
                bound(
                    &self.accounts,
                    self.config.capacity,
                    |a| a.tat <= now,
                    |a| a.tat,
                );
            }
            let (interval, _) = self.account_rate();
            let mut account = self.accounts.entry(key.0).or_insert(Account { tat: now });
            account.tat = account.tat.max(now) + interval;
        }
        if self.config.max_failures == 0 {
            return None;
        }
        if !self.records.contains_key(&key) {
            bound(
                &self.records,
                self.config.capacity,
                |f| self.forgotten(f, now),
                |f| f.last,
            );
        }
        let mut record = self.records.entry(key).or_insert(Failures {
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

    /// Forgets the failures of `name` from `client` after a success. The
    /// account's count stays: it drains with time only.
    pub(crate) fn succeed(&self, name: &str, client: Option<IpAddr>) {
        if !self.records.is_empty() {
            self.records.remove(&self.record_key(name, client));
        }
    }
}

/// Makes room for one more entry in `map`, kept below `capacity`: first
/// drops forgotten entries, then, if still full, the oldest eighth (so the
/// cost of a full scan is paid once per many insertions).
fn bound<K, V>(
    map: &DashMap<K, V>,
    capacity: usize,
    forgotten: impl Fn(&V) -> bool,
    age: impl Fn(&V) -> Instant,
) where
    K: Eq + std::hash::Hash,
{
    if map.len() < capacity.max(1) {
        return;
    }
    map.retain(|_, v| !forgotten(v));
    let len = map.len();
    if len < capacity.max(1) {
        return;
    }
    let evict = (len + 1 - capacity.max(1)).max(capacity / 8).min(len);
    let mut ages: Vec<Instant> = map.iter().map(|entry| age(entry.value())).collect();
    if evict == 0 || ages.is_empty() {
        return;
    }
    let (_, cutoff, _) = ages.select_nth_unstable(evict - 1);
    let cutoff = *cutoff;
    let mut removed = 0;
    map.retain(|_, v| {
        if removed < evict && age(v) <= cutoff {
            removed += 1;
            false
        } else {
            true
        }
    });
    tracing::warn!(target: "pastry_auth", capacity, removed, "login throttle full: oldest records evicted");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn throttle() -> Throttle {
        Throttle::new(ThrottleConfig {
            max_failures: 3,
            lockout: Duration::from_secs(2),
            max_lockout: Duration::from_secs(60),
            account_failures: 0,
            ..ThrottleConfig::default()
        })
    }

    fn lockout(t: &Throttle, name: &str, ip: Option<IpAddr>, now: Instant) -> Option<Duration> {
        t.locked(name, ip, now).map(Refusal::retry_after)
    }

    #[test]
    fn lockout_grows_and_is_capped() {
        let t = throttle();
        let mut now = Instant::now();
        let ip = Some(IpAddr::from([10, 0, 0, 1]));
        assert_eq!(t.fail("a", ip, now), None);
        assert_eq!(t.fail("a", ip, now), None);
        assert_eq!(lockout(&t, "a", ip, now), None);
        assert_eq!(t.fail("a", ip, now), Some(Duration::from_secs(2)));
        assert_eq!(lockout(&t, "a", ip, now), Some(Duration::from_secs(2)));
        assert_eq!(
            lockout(&t, "a", None, now),
            None,
            "other address unaffected"
        );
        assert_eq!(lockout(&t, "b", ip, now), None, "other name unaffected");
        now += Duration::from_secs(2);
        assert_eq!(lockout(&t, "a", ip, now), None);
        assert_eq!(t.fail("a", ip, now), Some(Duration::from_secs(4)));
        assert_eq!(t.fail("a", ip, now), Some(Duration::from_secs(8)));
        for _ in 0..10 {
            t.fail("a", ip, now);
        }
        assert_eq!(lockout(&t, "a", ip, now), Some(Duration::from_secs(60)));
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
            account_failures: 0,
            ..ThrottleConfig::default()
        });
        let now = Instant::now();
        for _ in 0..10 {
            assert_eq!(t.fail("a", None, now), None);
        }
        assert_eq!(t.locked("a", None, now), None);
        assert_eq!(t.len(), 0);
    }

    #[test]
    fn ipv6_clients_are_grouped_by_64() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:bbbb::2".parse().unwrap();
        let c: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(client_group(a), client_group(b));
        assert_ne!(client_group(a), client_group(c));
        assert_eq!(client_group(a), "2001:db8:1:2::".parse::<IpAddr>().unwrap());
        let mapped: IpAddr = "::ffff:192.0.2.7".parse().unwrap();
        assert_eq!(client_group(mapped), IpAddr::from([192, 0, 2, 7]));
        let t = throttle();
        let now = Instant::now();
        for _ in 0..3 {
            t.fail("a", Some(a), now);
        }
        assert!(t.locked("a", Some(b), now).is_some(), "same /64");
        assert!(t.locked("a", Some(c), now).is_none(), "other /64");
    }

    #[test]
    fn account_limit_counts_across_addresses_and_drains() {
        let t = Throttle::new(ThrottleConfig {
            max_failures: 0,
            account_failures: 10,
            account_window: Duration::from_secs(100),
            ..ThrottleConfig::default()
        });
        let now = Instant::now();
        for i in 0..10u8 {
            assert_eq!(t.locked("a", Some(IpAddr::from([10, 0, 0, i])), now), None);
            t.fail("a", Some(IpAddr::from([10, 0, 0, i])), now);
        }
        let fresh = Some(IpAddr::from([10, 9, 9, 9]));
        assert_eq!(
            t.locked("a", fresh, now),
            Some(Refusal::Account(Duration::from_secs(10)))
        );
        assert_eq!(t.locked("b", fresh, now), None, "other accounts unaffected");
        let later = now + Duration::from_secs(10);
        assert_eq!(
            t.locked("a", fresh, later),
            None,
            "one more after an interval"
        );
        t.fail("a", fresh, later);
        assert!(t.locked("a", fresh, later).is_some());
    }

    #[test]
    fn records_are_fixed_size_and_bounded() {
        let t = Throttle::new(ThrottleConfig {
            capacity: 64,
            ..ThrottleConfig::default()
        });
        let mut now = Instant::now();
        for i in 0..1000 {
            now += Duration::from_millis(1);
            t.fail(&format!("{i:0>200}"), None, now);
            assert!(t.records.len() <= 64 && t.accounts.len() <= 64, "at {i}");
        }
        // The newest records survive eviction.
        assert!(
            t.records
                .contains_key(&t.record_key(&format!("{:0>200}", 999), None))
        );
    }
}
