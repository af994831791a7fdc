//! [`RateLimitLayer`] and its builder: collects the settings, checks them,
//! and builds the service.

use std::sync::Arc;
#[cfg(feature = "redis")]
use std::time::Duration;

use http::request::Parts;
use pastry_core::Clock;
use tower_layer::Layer;

use crate::config::{Config, Limiter};
use crate::key::KeyBy;
use crate::service::RateLimit;
use crate::store::Store;
use crate::{Policy, RateLimitError};

/// Limits how fast each client may send requests: every request is counted
/// against its key (the client address by default), and one over the
/// [`Policy`] is answered `429 Too Many Requests` with `Retry-After`.
/// Builds [`RateLimit`]; made by [`RateLimitLayer::builder`]. Clones share
/// the counts, so one layer put around two apps limits them together, and
/// two layers (one per mount, say) limit separately.
///
/// ```
/// use pastry_ratelimit::{Policy, RateLimitError, RateLimitLayer};
///
/// let layer = RateLimitLayer::builder(Policy::per_second(10).burst(20)).build().unwrap();
/// # let _ = layer;
/// assert_eq!(
///     RateLimitLayer::builder(Policy::per_second(0)).build().unwrap_err(),
///     RateLimitError::ZeroRate,
/// );
/// ```
#[derive(Clone, Debug)]
pub struct RateLimitLayer {
    limiter: Arc<Limiter>,
}

impl RateLimitLayer {
    /// Starts the settings of a layer enforcing `policy`; finish with
    /// [`RateLimitLayerBuilder::build`].
    ///
    /// ```
    /// use pastry_ratelimit::{Policy, RateLimitLayer};
    ///
    /// let layer = RateLimitLayer::builder(Policy::per_minute(60)).headers(true).build();
    /// assert!(layer.is_ok());
    /// ```
    pub fn builder(policy: Policy) -> RateLimitLayerBuilder {
        RateLimitLayerBuilder {
            config: Config::new(policy),
        }
    }

    /// How many keys the memory store holds now (never more than
    /// [`max_keys`](RateLimitLayerBuilder::max_keys)); 0 with the Redis
    /// store, which keeps nothing in the process.
    ///
    /// ```
    /// use pastry_ratelimit::{Policy, RateLimitLayer};
    ///
    /// let layer = RateLimitLayer::builder(Policy::per_second(1)).build().unwrap();
    /// assert_eq!(layer.tracked_keys(), 0);
    /// ```
    pub fn tracked_keys(&self) -> usize {
        match &self.limiter.store {
            Store::Memory(store) => store.len(),
            #[cfg(feature = "redis")]
            Store::Redis(_) => 0,
        }
    }
}

impl<S> Layer<S> for RateLimitLayer {
    type Service = RateLimit<S>;

    fn layer(&self, inner: S) -> Self::Service {
        RateLimit::new(inner, Arc::clone(&self.limiter))
    }
}

/// The settings of a [`RateLimitLayer`], checked by [`build`](Self::build);
/// made by [`RateLimitLayer::builder`]. Setters never fail; every rule is
/// checked once, by `build`.
#[derive(Clone, Debug)]
pub struct RateLimitLayerBuilder {
    config: Config,
}

impl RateLimitLayerBuilder {
    /// Counts each request against its client address (the default):
    /// [`ClientAddr`](pastry_core::ClientAddr), as the server set it or
    /// the proxy layer resolved it from a trusted proxy's headers; IPv6
    /// addresses by their /64. A request without one is not limited.
    ///
    /// ```
    /// use pastry_ratelimit::{Policy, RateLimitLayer};
    ///
    /// let layer = RateLimitLayer::builder(Policy::per_second(5)).key_by_client_addr().build();
    /// assert!(layer.is_ok());
    /// ```
    pub fn key_by_client_addr(mut self) -> Self {
        self.config.key_by = KeyBy::ClientAddr;
        self
    }

    /// Counts each request against its authenticated user
    /// ([`RemoteUser`](pastry_core::RemoteUser), set by the auth layers,
    /// which must then be outside this one), and an anonymous request
    /// against its client address.
    ///
    /// ```
    /// use pastry_ratelimit::{Policy, RateLimitLayer};
    ///
    /// let layer = RateLimitLayer::builder(Policy::per_hour(1000)).key_by_user().build();
    /// assert!(layer.is_ok());
    /// ```
    pub fn key_by_user(mut self) -> Self {
        self.config.key_by = KeyBy::User;
        self
    }

    /// Counts each request against what `key` returns for its head (an
    /// API key header, a tenant), and does not limit a request for which
    /// it returns `None`.
    ///
    /// ```
    /// use pastry_ratelimit::{Policy, RateLimitLayer};
    ///
    /// let layer = RateLimitLayer::builder(Policy::per_second(100))
    ///     .key_fn(|parts| {
    ///         let key = parts.headers.get("x-api-key")?.to_str().ok()?;
    ///         Some(key.to_owned())
    ///     })
    ///     .build();
    /// assert!(layer.is_ok());
    /// ```
    pub fn key_fn<F>(mut self, key: F) -> Self
    where
        F: Fn(&Parts) -> Option<String> + Send + Sync + 'static,
    {
        self.config.key_by = KeyBy::Fn(Arc::new(key));
        self
    }

    /// Whether every response to a limited request (let through or
    /// refused) carries the `RateLimit-Policy` and `RateLimit` fields of
    /// draft-ietf-httpapi-ratelimit-headers (default `false`):
    /// `RateLimit-Policy: "NAME";q=BURST;w=SECONDS` (the burst, and the
    /// time it takes to come back in full) and `RateLimit:
    /// "NAME";r=REMAINING;t=SECONDS` (the requests that could pass right
    /// now, and the seconds until the key is back to a full burst).
    ///
    /// ```
    /// use pastry_ratelimit::{Policy, RateLimitLayer};
    ///
    /// let layer = RateLimitLayer::builder(Policy::per_second(5)).headers(true).build();
    /// assert!(layer.is_ok());
    /// ```
    pub fn headers(mut self, enabled: bool) -> Self {
        self.config.headers = enabled;
        self
    }

    /// The policy's name (default `default`): its identifier in the
    /// `RateLimit` fields, and part of its Redis keys, so give each layer
    /// that shares a Redis server its own. Printable ASCII without `"` or
    /// `\`, checked by [`build`](Self::build).
    ///
    /// ```
    /// use pastry_ratelimit::{Policy, RateLimitError, RateLimitLayer};
    ///
    /// assert!(RateLimitLayer::builder(Policy::per_second(5)).name("login").build().is_ok());
    /// assert_eq!(
    ///     RateLimitLayer::builder(Policy::per_second(5)).name("a\"b").build().unwrap_err(),
    ///     RateLimitError::InvalidName("a\"b".into()),
    /// );
    /// ```
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.config.name = name.into();
        self
    }

    /// The most keys the memory store holds (default 100 000); a new key
    /// beyond it evicts the key idle the longest (per shard: the map is
    /// split in 32 shards, each with its share of the cap). An evicted key
    /// starts again with a full burst, so the cap bounds memory, and the
    /// clients that keep sending stay counted. About 100 bytes per key.
    ///
    /// ```
    /// use pastry_ratelimit::{Policy, RateLimitLayer};
    ///
    /// let layer = RateLimitLayer::builder(Policy::per_second(5)).max_keys(10_000).build();
    /// assert!(layer.is_ok());
    /// ```
    pub fn max_keys(mut self, max_keys: usize) -> Self {
        self.config.max_keys = max_keys;
        self
    }

    /// The clock (default [`SystemClock`](pastry_core::SystemClock)): the
    /// memory store reads its monotonic instant, the Redis store its wall
    /// time. Tests give a [`ManualClock`](pastry_core::ManualClock).
    ///
    /// ```
    /// use pastry_core::ManualClock;
    /// use pastry_ratelimit::{Policy, RateLimitLayer};
    ///
    /// let layer = RateLimitLayer::builder(Policy::per_second(5)).clock(ManualClock::new()).build();
    /// assert!(layer.is_ok());
    /// ```
    pub fn clock(mut self, clock: impl Clock) -> Self {
        self.config.clock = Arc::new(clock);
        self
    }

    /// Whether a request is refused with `503 Service Unavailable` when the
    /// store cannot answer (Redis down or slower than its timeout), rather
    /// than let through unlimited (default `false`: fail open, so an
    /// outage of the limiter's store is not an outage of the site). Either
    /// way one warning is logged when the outage starts and one info line
    /// when it ends.
    ///
    /// ```
    /// use pastry_ratelimit::{Policy, RateLimitLayer};
    ///
    /// let layer = RateLimitLayer::builder(Policy::per_second(5)).fail_closed(true).build();
    /// assert!(layer.is_ok());
    /// ```
    pub fn fail_closed(mut self, closed: bool) -> Self {
        self.config.fail_closed = closed;
        self
    }

    /// Keeps the counts in Redis at `url` (`redis://[user:password@]host[:port][/db]`)
    /// instead of in memory, so every app server using it shares one limit
    /// per key: each request is one round trip (a Lua script, `EVALSHA`).
    /// The connection opens on first use (the server may be down at start)
    /// and reopens by itself. Time is the [`clock`](Self::clock)'s wall
    /// time, so the app servers' clocks should agree (NTP).
    ///
    /// ```
    /// use pastry_ratelimit::{Policy, RateLimitLayer};
    ///
    /// let layer = RateLimitLayer::builder(Policy::per_second(5))
    ///     .redis("redis://127.0.0.1:6379/0")
    ///     .build();
    /// assert!(layer.is_ok());
    /// ```
    #[cfg(feature = "redis")]
    pub fn redis(mut self, url: impl Into<String>) -> Self {
        let previous = self.config.redis.take();
        let mut redis = crate::store::redis::RedisConfig::new(url.into());
        if let Some(previous) = previous {
            redis.prefix = previous.prefix;
            redis.timeout = previous.timeout;
        }
        self.config.redis = Some(redis);
        self
    }

    /// What the Redis keys start with (default `pastry:ratelimit:`),
    /// followed by the [`name`](Self::name) and the key. Only used with
    /// [`redis`](Self::redis).
    ///
    /// ```
    /// use pastry_ratelimit::{Policy, RateLimitLayer};
    ///
    /// let layer = RateLimitLayer::builder(Policy::per_second(5))
    ///     .redis("redis://127.0.0.1/")
    ///     .redis_prefix("myapp:rl:")
    ///     .build();
    /// assert!(layer.is_ok());
    /// ```
    #[cfg(feature = "redis")]
    pub fn redis_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.redis_config().prefix = prefix.into();
        self
    }

    /// How long one Redis call (connecting included) may take before the
    /// request is let through or refused as configured by
    /// [`fail_closed`](Self::fail_closed) (default 250 ms). Only used with
    /// [`redis`](Self::redis).
    ///
    /// ```
    /// use std::time::Duration;
    /// use pastry_ratelimit::{Policy, RateLimitLayer};
    ///
    /// let layer = RateLimitLayer::builder(Policy::per_second(5))
    ///     .redis("redis://127.0.0.1/")
    ///     .redis_timeout(Duration::from_millis(100))
    ///     .build();
    /// assert!(layer.is_ok());
    /// ```
    #[cfg(feature = "redis")]
    pub fn redis_timeout(mut self, timeout: Duration) -> Self {
        self.redis_config().timeout = timeout;
        self
    }

    /// The Redis settings, made with an empty URL if `redis` was not
    /// called yet (so the order of the setters does not matter).
    #[cfg(feature = "redis")]
    fn redis_config(&mut self) -> &mut crate::store::redis::RedisConfig {
        self.config
            .redis
            .get_or_insert_with(|| crate::store::redis::RedisConfig::new(String::new()))
    }

    /// The layer.
    ///
    /// # Errors
    ///
    /// A [`RateLimitError`] for a policy that allows nothing or is out of
    /// range, a bad name, a zero key cap, and with Redis a bad URL or a
    /// zero timeout.
    ///
    /// ```
    /// use pastry_ratelimit::{Policy, RateLimitError, RateLimitLayer};
    ///
    /// let err = RateLimitLayer::builder(Policy::per_second(5).burst(0)).build().unwrap_err();
    /// assert_eq!(err, RateLimitError::ZeroBurst);
    /// ```
    pub fn build(self) -> Result<RateLimitLayer, RateLimitError> {
        Ok(RateLimitLayer {
            limiter: Arc::new(self.config.limiter()?),
        })
    }
}
