//! Checking a name and password: throttle, cache, store, argon2.

use std::fmt;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use crate::cache::CredentialCache;
use crate::throttle::{MAX_NAME_LEN, Refusal, Throttle, ThrottleConfig};
use crate::{AuthError, Clock, PasswordHasher, SystemClock, User, UserStore};

/// Checks user names and passwords against a [`UserStore`], shared by
/// [`BasicAuthLayer`](crate::BasicAuthLayer) and
/// [`LoginForm`](crate::LoginForm).
///
/// Each check, in order:
/// 1. refuses names longer than [`MAX_NAME_LEN`](crate::MAX_NAME_LEN) bytes
///    as wrong credentials, before any other work;
/// 2. refuses names locked out for the client address after repeated
///    failures, and accounts past their failure rate from all addresses
///    ([`AuthError::LockedOut`]);
/// 3. accepts credentials verified within the cache TTL against the user's
///    current hash (the cache is keyed by an HMAC of name and password under
///    a random per-process key; an entry made for an older hash is dropped);
/// 4. otherwise runs argon2 on a blocking thread within the hasher's bound,
///    against a dummy hash when the user does not exist, so unknown names
///    take as long as known ones;
/// 5. on success rehashes a password stored with outdated parameters and
///    saves it through the store when the store allows.
///
/// Cheap to clone; clones share the cache and the throttle records, so
/// give every login path of an app (a login form, Basic auth on an admin
/// area) clones of one `Authenticator`: a name locked out on one is locked
/// out on all.
///
/// Throttling keeps two tables, both keyed by a keyed digest of the name
/// (fixed size whatever the client sends) and both bounded by
/// [`throttle_capacity`](Self::throttle_capacity) (oldest evicted):
/// failures per name and client address (IPv6 clients grouped by /64) lock
/// that pair out for a growing time; failures per account from any address
/// are limited to [`account_limit`](Self::account_limit) (100 an hour by
/// default, OWASP ASVS V2.2.1). The account limit lets an attacker keep a
/// known name locked for as long as they keep failing; that is the price
/// of stopping a distributed guess.
///
/// ```
/// use pastry_auth::{AuthError, Authenticator, MemoryUserStore, PasswordHasher, User};
///
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// let hasher = PasswordHasher::builder().memory_kib(64).iterations(1).build().unwrap();
/// let users = MemoryUserStore::new();
/// users.insert(User::new("alice", hasher.hash_blocking("secret").unwrap()));
/// let auth = Authenticator::new(users).hasher(hasher);
///
/// assert_eq!(auth.authenticate("alice", "secret", None).await.unwrap().name(), "alice");
/// assert!(matches!(auth.authenticate("alice", "guess", None).await, Err(AuthError::InvalidCredentials)));
/// assert!(matches!(auth.authenticate("mallory", "x", None).await, Err(AuthError::InvalidCredentials)));
/// # });
/// ```
pub struct Authenticator<U> {
    users: Arc<U>,
    hasher: PasswordHasher,
    clock: Arc<dyn Clock>,
    cache: Arc<CredentialCache>,
    cache_ttl: Duration,
    cache_capacity: usize,
    throttle: Arc<Throttle>,
    throttle_config: ThrottleConfig,
    rehash: bool,
}

impl<U> Clone for Authenticator<U> {
    fn clone(&self) -> Self {
        Self {
            users: Arc::clone(&self.users),
            hasher: self.hasher.clone(),
            clock: Arc::clone(&self.clock),
            cache: Arc::clone(&self.cache),
            cache_ttl: self.cache_ttl,
            cache_capacity: self.cache_capacity,
            throttle: Arc::clone(&self.throttle),
            throttle_config: self.throttle_config,
            rehash: self.rehash,
        }
    }
}

impl<U> fmt::Debug for Authenticator<U> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Authenticator")
            .field("hasher", &self.hasher)
            .field("cache_ttl", &self.cache_ttl)
            .field("cache_capacity", &self.cache_capacity)
            .field("throttle", &self.throttle_config)
            .field("rehash", &self.rehash)
            .finish_non_exhaustive()
    }
}

impl<U: UserStore> From<U> for Authenticator<U> {
    fn from(users: U) -> Self {
        Self::new(users)
    }
}

const DEFAULT_CACHE_TTL: Duration = Duration::from_secs(30);
const DEFAULT_CACHE_CAPACITY: usize = 4096;

impl<U: UserStore> Authenticator<U> {
    /// Checks against `users` with the defaults: OWASP argon2 parameters, a
    /// 30 s credential cache of up to 4096 entries, lockout after 5 failures
    /// per name and address for 1 s doubling up to 15 min, at most 100
    /// failures an hour per account, 100 000 throttle records, and
    /// rehashing on.
    pub fn new(users: U) -> Self {
        let throttle_config = ThrottleConfig::default();
        Self {
            users: Arc::new(users),
            hasher: PasswordHasher::new(),
            clock: Arc::new(SystemClock),
            cache: Arc::new(CredentialCache::new(
                DEFAULT_CACHE_TTL,
                DEFAULT_CACHE_CAPACITY,
            )),
            cache_ttl: DEFAULT_CACHE_TTL,
            cache_capacity: DEFAULT_CACHE_CAPACITY,
            throttle: Arc::new(Throttle::new(throttle_config)),
            throttle_config,
            rehash: true,
        }
    }

    /// The hasher that verifies passwords and decides about rehashing.
    pub fn hasher(mut self, hasher: PasswordHasher) -> Self {
        self.hasher = hasher;
        self
    }

    /// The clock for cache expiry and lockouts (tests use
    /// [`ManualClock`](crate::ManualClock)).
    pub fn clock(mut self, clock: impl Clock) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// How long verified credentials are remembered (default 30 s; zero
    /// turns the cache off).
    pub fn cache_ttl(mut self, ttl: Duration) -> Self {
        self.cache_ttl = ttl;
        self.cache = Arc::new(CredentialCache::new(ttl, self.cache_capacity));
        self
    }

    /// How many verified credentials are remembered at most (default 4096).
    pub fn cache_capacity(mut self, capacity: usize) -> Self {
        self.cache_capacity = capacity;
        self.cache = Arc::new(CredentialCache::new(self.cache_ttl, capacity));
        self
    }

    /// Failures in a row, per name and client address (IPv6 addresses by
    /// /64), before a lockout (default 5; zero turns this lockout off; the
    /// per-account limit is [`account_limit`](Self::account_limit)'s).
    pub fn max_failures(mut self, failures: u32) -> Self {
        self.throttle_config.max_failures = failures;
        self.throttle = Arc::new(Throttle::new(self.throttle_config));
        self
    }

    /// The first lockout (default 1 s), doubled by each further failure up
    /// to `max` (default 15 min); failures older than `max` are forgotten.
    pub fn lockout(mut self, first: Duration, max: Duration) -> Self {
        self.throttle_config.lockout = first;
        self.throttle_config.max_lockout = max.max(first);
        self.throttle = Arc::new(Throttle::new(self.throttle_config));
        self
    }

    /// How many throttle records each table keeps at most (default
    /// [`DEFAULT_THROTTLE_CAPACITY`](crate::DEFAULT_THROTTLE_CAPACITY));
    /// past it forgotten records are swept and then the oldest evicted.
    pub fn throttle_capacity(mut self, records: usize) -> Self {
        self.throttle_config.capacity = records.max(1);
        self.throttle = Arc::new(Throttle::new(self.throttle_config));
        self
    }

    /// At most `failures` failed logins per account, from all client
    /// addresses together, within `window` (default 100 an hour); further
    /// attempts are [`AuthError::LockedOut`] until the count drains (one
    /// more every `window / failures`). Zero turns the limit off.
    pub fn account_limit(mut self, failures: u32, window: Duration) -> Self {
        self.throttle_config.account_failures = failures;
        self.throttle_config.account_window = window;
        self.throttle = Arc::new(Throttle::new(self.throttle_config));
        self
    }

    /// How many throttle records are held (both tables): for monitoring
    /// and tests of the bound.
    pub fn throttle_len(&self) -> usize {
        self.throttle.len()
    }

    /// Whether a password stored with outdated parameters is rehashed and
    /// saved at a successful login (default true).
    pub fn rehash(mut self, rehash: bool) -> Self {
        self.rehash = rehash;
        self
    }

    /// The throttle and clock, for another login path to share.
    pub(crate) fn throttle_and_clock(&self) -> (Arc<Throttle>, Arc<dyn Clock>) {
        (Arc::clone(&self.throttle), Arc::clone(&self.clock))
    }

    /// The user store.
    pub fn users(&self) -> &U {
        &self.users
    }

    /// The password hasher.
    pub fn password_hasher(&self) -> &PasswordHasher {
        &self.hasher
    }

    /// Checks `name` and `password` from `client`; the user on success.
    ///
    /// Errors: [`AuthError::InvalidCredentials`] for an unknown name, a name
    /// over [`MAX_NAME_LEN`](crate::MAX_NAME_LEN) bytes or a wrong password
    /// alike, [`AuthError::LockedOut`], [`AuthError::Busy`]
    /// when the hasher's bound is exhausted, [`AuthError::Store`] when the
    /// store fails.
    pub async fn authenticate(
        &self,
        name: &str,
        password: &str,
        client: Option<IpAddr>,
    ) -> Result<User, AuthError> {
        if name.len() > MAX_NAME_LEN {
            tracing::info!(target: "pastry_auth", name_len = name.len(), ?client, "login refused: user name too long");
            return Err(AuthError::InvalidCredentials);
        }
        let now = self.clock.instant();
        if let Some(refusal) = self.throttle.locked(name, client, now) {
            let reason = match refusal {
                Refusal::Lockout(_) => "too many failures from this address",
                Refusal::Account(_) => "too many failures for this account",
            };
            tracing::info!(target: "pastry_auth", user = name, ?client, reason, "login refused: locked out");
            #[cfg(feature = "metrics")]
            metrics::counter!("pastry_auth_lockouts_total", "reason" => match refusal {
                Refusal::Lockout(_) => "address",
                Refusal::Account(_) => "account",
            })
            .increment(1);
            return Err(AuthError::LockedOut {
                retry_after: refusal.retry_after(),
            });
        }
        let found = self.users.find(name).await?;
        let key = self.cache.enabled().then(|| self.cache.key(name, password));
        if let (Some(user), Some(key)) = (&found, &key)
            && self.cache.check(key, user.password_hash(), now)
        {
            return Ok(user.clone());
        }
        // The argon2 path is boxed so the cached path's future stays small.
        Box::pin(self.verify_password(found, key, name, password, client)).await
    }

    async fn verify_password(
        &self,
        found: Option<User>,
        key: Option<crate::cache::CacheKey>,
        name: &str,
        password: &str,
        client: Option<IpAddr>,
    ) -> Result<User, AuthError> {
        let Some(user) = found else {
            self.hasher.verify_dummy(password).await?;
            return Err(self.failed(name, client));
        };
        if !self.hasher.verify(password, user.password_hash()).await? {
            return Err(self.failed(name, client));
        }
        self.throttle.succeed(name, client);
        let user = self.maybe_rehash(user, password).await;
        if let Some(key) = key {
            self.cache
                .insert(key, Arc::from(user.password_hash()), self.clock.instant());
        }
        tracing::debug!(target: "pastry_auth", user = name, "password verified");
        Ok(user)
    }

    fn failed(&self, name: &str, client: Option<IpAddr>) -> AuthError {
        let lockout = self.throttle.fail(name, client, self.clock.instant());
        tracing::info!(target: "pastry_auth", user = name, ?client, ?lockout, "login failed");
        #[cfg(feature = "metrics")]
        metrics::counter!("pastry_auth_failed_logins_total").increment(1);
        AuthError::InvalidCredentials
    }

    async fn maybe_rehash(&self, user: User, password: &str) -> User {
        if !self.rehash || !self.hasher.needs_rehash(user.password_hash()) {
            return user;
        }
        let fresh = match self.hasher.hash(password).await {
            Ok(fresh) => fresh,
            Err(e) => {
                tracing::warn!(target: "pastry_auth", user = user.name(), error = %e, "rehash failed");
                return user;
            }
        };
        match self.users.update_password_hash(user.name(), &fresh).await {
            Ok(true) => {
                tracing::info!(target: "pastry_auth", user = user.name(), "password rehashed with current parameters");
                user.with_password_hash(fresh)
            }
            Ok(false) => user,
            Err(e) => {
                tracing::warn!(target: "pastry_auth", user = user.name(), error = %e, "saving rehashed password failed");
                user
            }
        }
    }
}
