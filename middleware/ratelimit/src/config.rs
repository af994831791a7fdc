//! The checked settings of a layer and the decision they make per request.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant, UNIX_EPOCH};

use bytes::Bytes;
use http::header::RETRY_AFTER;
use http::request::Parts;
use http::{HeaderMap, HeaderName, HeaderValue, Method, Response, StatusCode};
use pastry_core::{Clock, SystemClock, text_response_for};

use crate::gcra::{Gcra, Verdict};
use crate::key::{Key, KeyBy};
use crate::store::Store;
use crate::{Policy, RateLimitError};

/// The default cap on keys of the memory store.
pub(crate) const DEFAULT_MAX_KEYS: usize = 100_000;

/// `RateLimit-Policy` (draft-ietf-httpapi-ratelimit-headers).
pub(crate) static RATELIMIT_POLICY: HeaderName = HeaderName::from_static("ratelimit-policy");
/// `RateLimit` (draft-ietf-httpapi-ratelimit-headers).
pub(crate) static RATELIMIT: HeaderName = HeaderName::from_static("ratelimit");

/// The settings as the builder collects them.
#[derive(Clone)]
pub(crate) struct Config {
    pub(crate) policy: Policy,
    pub(crate) key_by: KeyBy,
    pub(crate) headers: bool,
    pub(crate) name: String,
    pub(crate) max_keys: usize,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) fail_closed: bool,
    #[cfg(feature = "redis")]
    pub(crate) redis: Option<crate::store::redis::RedisConfig>,
}

impl Config {
    pub(crate) fn new(policy: Policy) -> Self {
        Self {
            policy,
            key_by: KeyBy::default(),
            headers: false,
            name: "default".to_owned(),
            max_keys: DEFAULT_MAX_KEYS,
            clock: Arc::new(SystemClock),
            fail_closed: false,
            #[cfg(feature = "redis")]
            redis: None,
        }
    }

    /// Checks every setting and makes the limiter.
    pub(crate) fn limiter(self) -> Result<Limiter, RateLimitError> {
        let (emission, tolerance) = self.policy.gcra_nanos()?;
        let name_ok = !self.name.is_empty()
            && self
                .name
                .bytes()
                .all(|b| (0x20..0x7f).contains(&b) && b != b'"' && b != b'\\');
        if !name_ok {
            return Err(RateLimitError::InvalidName(self.name));
        }
        if self.max_keys == 0 {
            return Err(RateLimitError::ZeroMaxKeys);
        }
        let gcra = Gcra {
            emission,
            tolerance,
        };
        #[cfg(feature = "redis")]
        let store = match self.redis {
            Some(redis) => Store::Redis(Box::new(crate::store::redis::RedisStore::new(
                redis, &self.name, gcra,
            )?)),
            None => Store::memory(self.max_keys),
        };
        #[cfg(not(feature = "redis"))]
        let store = Store::memory(self.max_keys);
        let policy_header = self.headers.then(|| {
            // The whole burst, and the time it takes to come back in full.
            let window = ceil_secs(emission.saturating_mul(u64::from(self.policy.burst_size())));
            let text = format!(
                "\"{}\";q={};w={}",
                self.name,
                self.policy.burst_size(),
                window.max(1)
            );
            HeaderValue::from_str(&text).unwrap_or_else(|_| HeaderValue::from_static("\"default\""))
        });
        let base = self.clock.instant();
        Ok(Limiter {
            gcra,
            key_by: self.key_by,
            base,
            clock: self.clock,
            store,
            policy_header,
            name: self.name.into_boxed_str(),
            fail_closed: self.fail_closed,
        })
    }
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("policy", &self.policy)
            .field("key_by", &self.key_by)
            .field("headers", &self.headers)
            .field("name", &self.name)
            .field("max_keys", &self.max_keys)
            .field("fail_closed", &self.fail_closed)
            .finish_non_exhaustive()
    }
}

/// Whole seconds, rounded up.
pub(crate) fn ceil_secs(nanos: u64) -> u64 {
    nanos.div_ceil(1_000_000_000)
}

/// What the layer does with a request.
#[derive(Debug)]
pub(crate) enum Outcome {
    /// Pass it to the app, adding the `RateLimit` fields if enabled.
    Pass(Option<Verdict>),
    /// Answer it here (a 429, or a 503 when the store is down and the
    /// layer fails closed).
    Answer(Response<Bytes>),
}

/// A built layer's shared state: the policy, the key rule and the store.
pub(crate) struct Limiter {
    pub(crate) gcra: Gcra,
    key_by: KeyBy,
    clock: Arc<dyn Clock>,
    base: Instant,
    pub(crate) store: Store,
    policy_header: Option<HeaderValue>,
    name: Box<str>,
    pub(crate) fail_closed: bool,
}

impl fmt::Debug for Limiter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Limiter")
            .field("gcra", &self.gcra)
            .field("key_by", &self.key_by)
            .field("name", &self.name)
            .field("store", &self.store)
            .field("fail_closed", &self.fail_closed)
            .finish_non_exhaustive()
    }
}

impl Limiter {
    /// The key of a request, `None` when it has none (no client address,
    /// or the key function said so): such requests are not limited.
    pub(crate) fn key(&self, parts: &Parts) -> Option<Key> {
        self.key_by.key(parts)
    }

    /// Nanoseconds on the monotonic clock since the layer was built, plus
    /// one so that 0 is never a time (it means "never seen").
    pub(crate) fn monotonic_now(&self) -> u64 {
        let since = self.clock.instant().saturating_duration_since(self.base);
        u64::try_from(since.as_nanos()).unwrap_or(u64::MAX - 1) + 1
    }

    /// Microseconds since the Unix epoch on the wall clock (the Redis
    /// store's time, the same on every app server).
    #[cfg_attr(not(feature = "redis"), allow(dead_code))]
    pub(crate) fn wall_micros(&self) -> u64 {
        let since = self
            .clock
            .now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or(Duration::ZERO);
        u64::try_from(since.as_micros()).unwrap_or(u64::MAX)
    }

    /// The outcome of a verdict: pass, or the 429.
    pub(crate) fn outcome(&self, verdict: Verdict, method: &Method, path: &str) -> Outcome {
        match verdict {
            Verdict::Allow { .. } => Outcome::Pass(Some(verdict)),
            Verdict::Deny { retry_after, .. } => {
                tracing::debug!(
                    target: "pastry_ratelimit",
                    method = %method,
                    path = %path,
                    policy = %self.name,
                    retry_after_ms = retry_after / 1_000_000,
                    "rate limited"
                );
                #[cfg(feature = "metrics")]
                metrics::counter!("pastry_ratelimit_limited_total", "backend" => self.backend())
                    .increment(1);
                let mut response = text_response_for(
                    method,
                    StatusCode::TOO_MANY_REQUESTS,
                    "429 Too Many Requests: slow down and retry after the Retry-After seconds\n",
                );
                let secs = ceil_secs(retry_after).max(1);
                response
                    .headers_mut()
                    .insert(RETRY_AFTER, HeaderValue::from(secs));
                self.decorate(response.headers_mut(), Some(verdict));
                Outcome::Answer(response)
            }
        }
    }

    /// The answer when the store cannot be asked: pass (fail open, the
    /// default) or a 503 (fail closed).
    #[cfg_attr(not(feature = "redis"), allow(dead_code))]
    pub(crate) fn unavailable(&self, method: &Method) -> Outcome {
        if !self.fail_closed {
            return Outcome::Pass(None);
        }
        let mut response = text_response_for(
            method,
            StatusCode::SERVICE_UNAVAILABLE,
            "503 Service Unavailable: the rate limiter cannot reach its store\n",
        );
        response
            .headers_mut()
            .insert(RETRY_AFTER, HeaderValue::from_static("1"));
        Outcome::Answer(response)
    }

    /// The store's kind, as the metrics label it.
    #[cfg(feature = "metrics")]
    fn backend(&self) -> &'static str {
        match self.store {
            crate::store::Store::Memory(_) => "memory",
            #[cfg(feature = "redis")]
            crate::store::Store::Redis(_) => "redis",
        }
    }

    /// Whether answers carry the `RateLimit` fields.
    pub(crate) fn sends_fields(&self) -> bool {
        self.policy_header.is_some()
    }

    /// Adds `RateLimit-Policy` and `RateLimit` when they are enabled and
    /// the verdict is known.
    pub(crate) fn decorate(&self, headers: &mut HeaderMap, verdict: Option<Verdict>) {
        let (Some(policy), Some(verdict)) = (&self.policy_header, verdict) else {
            return;
        };
        let (remaining, reset) = match verdict {
            Verdict::Allow { remaining, reset } => (remaining, reset),
            Verdict::Deny { reset, .. } => (0, reset),
        };
        let text = format!("\"{}\";r={remaining};t={}", self.name, ceil_secs(reset));
        if let Ok(value) = HeaderValue::from_str(&text) {
            headers.insert(RATELIMIT_POLICY.clone(), policy.clone());
            headers.insert(RATELIMIT.clone(), value);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEC: u64 = 1_000_000_000;

    #[test]
    fn a_quiet_key_gets_its_burst_then_one_per_emission() {
        // 10/s, burst 3.
        let gcra = Gcra {
            emission: SEC / 10,
            tolerance: 2 * SEC / 10,
        };
        let now = 5 * SEC;
        let mut tat = 0;
        let mut remaining = Vec::new();
        for _ in 0..3 {
            let (verdict, next) = gcra.decide(tat, now);
            let Verdict::Allow { remaining: r, .. } = verdict else {
                panic!("{verdict:?}")
            };
            remaining.push(r);
            tat = next;
        }
        assert_eq!(remaining, [2, 1, 0]);
        let (verdict, same) = gcra.decide(tat, now);
        assert_eq!(
            verdict,
            Verdict::Deny {
                retry_after: SEC / 10,
                reset: 3 * SEC / 10
            }
        );
        assert_eq!(same, tat, "a refusal costs nothing");
        let (verdict, _) = gcra.decide(tat, now + SEC / 10);
        assert!(matches!(verdict, Verdict::Allow { remaining: 0, .. }));
    }

    #[test]
    fn seconds_round_up() {
        assert_eq!(ceil_secs(0), 0);
        assert_eq!(ceil_secs(1), 1);
        assert_eq!(ceil_secs(SEC), 1);
        assert_eq!(ceil_secs(SEC + 1), 2);
    }
}
