//! The Redis store: one GCRA step per request as one Lua script, run
//! atomically by the server, so every app server on the same Redis shares
//! one limit per key.

use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{Client, Script};
use tokio::sync::OnceCell;

use crate::RateLimitError;
use crate::gcra::{Gcra, Verdict};
use crate::key::Key;

/// The default per-call timeout.
pub(crate) const DEFAULT_TIMEOUT: Duration = Duration::from_millis(250);
/// The default key prefix.
pub(crate) const DEFAULT_PREFIX: &str = "pastry:ratelimit:";

/// One GCRA step, in microseconds since the Unix epoch.
///
/// KEYS[1] the key's TAT; ARGV: now, emission, tolerance. Returns
/// `{1, remaining, reset}` when the request may pass (and stores the new
/// TAT, expiring when the key is back to a full burst), `{0, retry_after,
/// reset}` when it may not (and changes nothing).
const GCRA: &str = r"
local now = tonumber(ARGV[1])
local emission = tonumber(ARGV[2])
local tolerance = tonumber(ARGV[3])
local tat = tonumber(redis.call('GET', KEYS[1])) or now
if tat < now then tat = now end
local ahead = tat - now
if ahead > tolerance then
  return {0, ahead - tolerance, ahead}
end
local nxt = tat + emission
redis.call('SET', KEYS[1], string.format('%d', nxt), 'PX', math.ceil((nxt - now) / 1000))
return {1, math.floor((tolerance - ahead) / emission), nxt - now}
";

/// The Redis settings a builder collects.
#[derive(Clone, Debug)]
pub(crate) struct RedisConfig {
    pub(crate) url: String,
    pub(crate) prefix: String,
    pub(crate) timeout: Duration,
}

impl RedisConfig {
    pub(crate) fn new(url: String) -> Self {
        Self {
            url,
            prefix: DEFAULT_PREFIX.to_owned(),
            timeout: DEFAULT_TIMEOUT,
        }
    }
}

/// The store: a lazily opened, self-reconnecting multiplexed connection,
/// the script, and whether the server was last seen down.
pub(crate) struct RedisStore {
    client: Client,
    shown: String,
    prefix: String,
    timeout: Duration,
    connection: OnceCell<ConnectionManager>,
    script: Script,
    emission_us: u64,
    tolerance_us: u64,
    down: AtomicBool,
}

impl RedisStore {
    /// Checks the URL and the timeout; connects on first use.
    pub(crate) fn new(config: RedisConfig, name: &str, gcra: Gcra) -> Result<Self, RateLimitError> {
        let shown = redact(&config.url);
        if config.timeout.is_zero() {
            return Err(RateLimitError::ZeroTimeout);
        }
        if config.url.starts_with("rediss:") {
            return Err(RateLimitError::RedisUrl {
                url: shown,
                reason: "TLS (rediss://) is not supported by the rate limiter yet".into(),
            });
        }
        let client = Client::open(config.url.as_str()).map_err(|e| RateLimitError::RedisUrl {
            url: shown.clone(),
            reason: format!("{:?}", e.kind()),
        })?;
        let emission_us = gcra.emission / 1_000;
        if emission_us == 0 {
            return Err(RateLimitError::RateOutOfRange);
        }
        Ok(Self {
            client,
            shown,
            prefix: format!("{}{name}:", config.prefix),
            timeout: config.timeout,
            connection: OnceCell::new(),
            script: Script::new(GCRA),
            emission_us,
            tolerance_us: gcra.tolerance / 1_000,
            down: AtomicBool::new(false),
        })
    }

    /// The shared connection, created (without connecting) on first use.
    async fn connection(&self) -> Result<ConnectionManager, redis::RedisError> {
        self.connection
            .get_or_try_init(|| async {
                let config = ConnectionManagerConfig::new()
                    .set_connection_timeout(Some(self.timeout))
                    .set_response_timeout(Some(self.timeout))
                    .set_number_of_retries(1)
                    .set_max_delay(Duration::from_millis(500));
                ConnectionManager::new_lazy_with_config(self.client.clone(), config)
            })
            .await
            .cloned()
    }

    /// One GCRA step for `key` at `now_us`, within the timeout; `None`
    /// when Redis could not answer (logged once per outage).
    pub(crate) async fn check(&self, key: &Key, now_us: u64) -> Option<Verdict> {
        let redis_key = format!("{}{key}", self.prefix);
        let step = async {
            let mut connection = self.connection().await?;
            self.script
                .key(redis_key)
                .arg(now_us)
                .arg(self.emission_us)
                .arg(self.tolerance_us)
                .invoke_async::<(i64, i64, i64)>(&mut connection)
                .await
        };
        let answer = match tokio::time::timeout(self.timeout, step).await {
            Ok(Ok(answer)) => answer,
            Ok(Err(error)) => {
                self.went_down(&error.to_string());
                return None;
            }
            Err(_) => {
                self.went_down(&format!("no answer within {:?}", self.timeout));
                return None;
            }
        };
        if self.down.swap(false, Ordering::AcqRel) {
            tracing::info!(target: "pastry_ratelimit", redis = %self.shown, "Redis is reachable again: rate limits apply again");
        }
        let micros = |n: i64| u64::try_from(n).unwrap_or(0).saturating_mul(1_000);
        Some(match answer {
            (1, remaining, reset) => Verdict::Allow {
                remaining: u64::try_from(remaining).unwrap_or(0),
                reset: micros(reset),
            },
            (_, retry_after, reset) => Verdict::Deny {
                retry_after: micros(retry_after),
                reset: micros(reset),
            },
        })
    }

    /// Logs the start of an outage, once.
    fn went_down(&self, error: &str) {
        if !self.down.swap(true, Ordering::AcqRel) {
            tracing::warn!(
                target: "pastry_ratelimit",
                redis = %self.shown,
                error,
                "Redis is unreachable: rate limiting fails open or closed as configured until it is back"
            );
        }
    }
}

impl fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisStore")
            .field("url", &self.shown)
            .field("prefix", &self.prefix)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

/// `url` with the password of its user info replaced by `***`.
pub(crate) fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    match authority.rsplit_once('@') {
        Some((userinfo, host)) => {
            let user = userinfo.split_once(':').map_or(userinfo, |(user, _)| user);
            let hidden = if userinfo.contains(':') { ":***" } else { "" };
            format!("{scheme}://{user}{hidden}@{host}{tail}")
        }
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_never_shown() {
        assert_eq!(redact("redis://:hunter2@h:6379/0"), "redis://:***@h:6379/0");
        assert_eq!(redact("redis://u:hunter2@h/"), "redis://u:***@h/");
        assert_eq!(redact("redis://h:6379"), "redis://h:6379");
        assert_eq!(redact("nonsense"), "nonsense");
    }
}
