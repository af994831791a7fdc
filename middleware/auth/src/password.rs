//! Argon2id password hashing with a bounded number of concurrent
//! verifications.

use std::fmt;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use argon2::password_hash::{PasswordHash, PasswordHasher as _, PasswordVerifier as _, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use tokio::sync::Semaphore;

use crate::AuthError;

/// OWASP's recommended argon2id memory cost, in KiB (19 MiB).
pub const OWASP_MEMORY_KIB: u32 = 19_456;
/// OWASP's recommended argon2id iteration count.
pub const OWASP_ITERATIONS: u32 = 2;
/// OWASP's recommended argon2id parallelism.
pub const OWASP_PARALLELISM: u32 = 1;

/// Hashes and verifies passwords with argon2id, storing PHC strings
/// (`$argon2id$v=19$m=19456,t=2,p=1$salt$hash`).
///
/// Cheap to clone: clones share one bound on concurrent verifications.
/// The `*_blocking` methods burn CPU for as long as argon2 takes and belong on
/// a blocking thread; [`verify`](Self::verify) and [`hash`](Self::hash) do
/// that for you, through a semaphore: at most
/// [`max_concurrent`](HasherBuilder::max_concurrent) run at once, at most
/// [`max_queue`](HasherBuilder::max_queue) wait, each for at most
/// [`max_wait`](HasherBuilder::max_wait), and the rest fail at once with
/// [`AuthError::Busy`] (a 503 in the middleware) instead of starving the
/// server.
///
/// ```
/// use pastry_auth::PasswordHasher;
///
/// # fn main() -> Result<(), pastry_auth::AuthError> {
/// // Cheap parameters for the example; `PasswordHasher::new()` uses OWASP's.
/// let hasher = PasswordHasher::builder().memory_kib(64).iterations(1).build()?;
/// let phc = hasher.hash_blocking("correct horse")?;
/// assert!(phc.starts_with("$argon2id$v=19$m=64,t=1,p=1$"));
/// assert!(hasher.verify_blocking("correct horse", &phc));
/// assert!(!hasher.verify_blocking("wrong", &phc));
/// assert!(!hasher.needs_rehash(&phc));
/// assert!(PasswordHasher::new().needs_rehash(&phc));
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct PasswordHasher {
    inner: Arc<Inner>,
}

struct Inner {
    params: Params,
    permits: Arc<Semaphore>,
    max_queue: usize,
    max_wait: Duration,
    waiting: AtomicUsize,
    dummy: OnceLock<String>,
    dummy_count: AtomicU64,
    verify_count: AtomicU64,
}

impl fmt::Debug for PasswordHasher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PasswordHasher")
            .field("memory_kib", &self.inner.params.m_cost())
            .field("iterations", &self.inner.params.t_cost())
            .field("parallelism", &self.inner.params.p_cost())
            .field("max_queue", &self.inner.max_queue)
            .field("max_wait", &self.inner.max_wait)
            .finish_non_exhaustive()
    }
}

impl Default for PasswordHasher {
    fn default() -> Self {
        Self::new()
    }
}

impl PasswordHasher {
    /// A hasher with OWASP's argon2id parameters (m = 19 MiB, t = 2, p = 1)
    /// and the default bounds (one verification per CPU, 64 waiting, 2 s wait).
    pub fn new() -> Self {
        match Self::builder().build() {
            Ok(hasher) => hasher,
            // The OWASP parameters are valid argon2 parameters.
            Err(_) => unreachable!("OWASP argon2 parameters are valid"),
        }
    }

    /// A builder starting from the defaults of [`new`](Self::new).
    pub fn builder() -> HasherBuilder {
        HasherBuilder::default()
    }

    fn argon2(&self) -> Argon2<'static> {
        Argon2::new(
            Algorithm::Argon2id,
            Version::V0x13,
            self.inner.params.clone(),
        )
    }

    /// Hashes `password` with a fresh random salt into a PHC string. Blocks
    /// for as long as argon2 takes.
    pub fn hash_blocking(&self, password: &str) -> Result<String, AuthError> {
        let salt_bytes: [u8; 16] = rand::random();
        let salt =
            SaltString::encode_b64(&salt_bytes).map_err(|e| AuthError::Hash(e.to_string()))?;
        self.argon2()
            .hash_password(password.as_bytes(), &salt)
            .map(|hash| hash.to_string())
            .map_err(|e| AuthError::Hash(e.to_string()))
    }

    /// Whether `password` matches the PHC string `phc`, using the parameters
    /// recorded in `phc`. A malformed or non-argon2 string never matches.
    /// Blocks for as long as argon2 takes.
    pub fn verify_blocking(&self, password: &str, phc: &str) -> bool {
        self.inner.verify_count.fetch_add(1, Ordering::Relaxed);
        match PasswordHash::new(phc) {
            Ok(parsed) => Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok(),
            Err(_) => {
                tracing::warn!(target: "pastry_auth", "stored password hash is not a PHC string");
                false
            }
        }
    }

    /// Whether `phc` was made with other parameters than this hasher's (or is
    /// not an argon2id PHC string at all), so it should be hashed again at the
    /// next successful login.
    pub fn needs_rehash(&self, phc: &str) -> bool {
        let Ok(parsed) = PasswordHash::new(phc) else {
            return true;
        };
        if parsed.algorithm != Algorithm::Argon2id.ident()
            || parsed.version != Some(Version::V0x13.into())
        {
            return true;
        }
        let Ok(params) = Params::try_from(&parsed) else {
            return true;
        };
        let mine = &self.inner.params;
        params.m_cost() != mine.m_cost()
            || params.t_cost() != mine.t_cost()
            || params.p_cost() != mine.p_cost()
            || parsed.hash.map(|h| h.len())
                != Some(mine.output_len().unwrap_or(Params::DEFAULT_OUTPUT_LEN))
    }

    /// Hashes `password` on a blocking thread, within the concurrency bound.
    pub async fn hash(&self, password: &str) -> Result<String, AuthError> {
        let permit = self.acquire().await?;
        let this = self.clone();
        let password = password.to_owned();
        let job = tokio::task::spawn_blocking(move || {
            let _permit = permit;
            this.hash_blocking(&password)
        });
        job.await.map_err(|e| AuthError::Hash(e.to_string()))?
    }

    /// Verifies `password` against `phc` on a blocking thread, within the
    /// concurrency bound; [`AuthError::Busy`] when the bound is exhausted.
    pub async fn verify(&self, password: &str, phc: &str) -> Result<bool, AuthError> {
        let permit = self.acquire().await?;
        let this = self.clone();
        let password = password.to_owned();
        let phc = phc.to_owned();
        let job = tokio::task::spawn_blocking(move || {
            let _permit = permit;
            this.verify_blocking(&password, &phc)
        });
        job.await.map_err(|e| AuthError::Hash(e.to_string()))
    }

    /// Runs other CPU-heavy work on a blocking thread within the same bound
    /// as verifications (so it counts against, and waits for, the same
    /// slots); [`AuthError::Busy`] when the bound is exhausted.
    ///
    /// ```
    /// use pastry_auth::PasswordHasher;
    ///
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// let hasher = PasswordHasher::new();
    /// assert_eq!(hasher.run(|| 6 * 7).await.unwrap(), 42);
    /// # });
    /// ```
    pub async fn run<F, T>(&self, job: F) -> Result<T, AuthError>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        let permit = self.acquire().await?;
        let job = tokio::task::spawn_blocking(move || {
            let _permit = permit;
            job()
        });
        job.await.map_err(|e| AuthError::Hash(e.to_string()))
    }

    /// Runs a verification that always fails against a dummy hash made with
    /// this hasher's parameters, so that an unknown user name costs as much
    /// time as a known one. Counted by
    /// [`dummy_verifications`](Self::dummy_verifications).
    pub async fn verify_dummy(&self, password: &str) -> Result<(), AuthError> {
        let permit = self.acquire().await?;
        let this = self.clone();
        let password = password.to_owned();
        let job = tokio::task::spawn_blocking(move || {
            let _permit = permit;
            this.verify_dummy_blocking(&password);
        });
        job.await.map_err(|e| AuthError::Hash(e.to_string()))
    }

    fn verify_dummy_blocking(&self, password: &str) {
        let dummy = self.inner.dummy.get_or_init(|| {
            let random: [u8; 16] = rand::random();
            let text: String = random.iter().map(|b| format!("{b:02x}")).collect();
            self.hash_blocking(&text).unwrap_or_default()
        });
        self.inner.dummy_count.fetch_add(1, Ordering::Relaxed);
        let _ = self.verify_blocking(password, dummy);
    }

    /// How many verifications (real and dummy) this hasher and its clones
    /// have run: a hook for tests that check a cache skips argon2.
    pub fn verifications(&self) -> u64 {
        self.inner.verify_count.load(Ordering::Relaxed)
    }

    /// How many dummy verifications (for unknown users) this hasher and its
    /// clones have run: a hook for tests that check the dummy work happens.
    pub fn dummy_verifications(&self) -> u64 {
        self.inner.dummy_count.load(Ordering::Relaxed)
    }

    async fn acquire(&self) -> Result<tokio::sync::OwnedSemaphorePermit, AuthError> {
        let inner = &self.inner;
        if let Ok(permit) = Arc::clone(&inner.permits).try_acquire_owned() {
            return Ok(permit);
        }
        if inner.waiting.fetch_add(1, Ordering::AcqRel) >= inner.max_queue {
            inner.waiting.fetch_sub(1, Ordering::AcqRel);
            tracing::warn!(target: "pastry_auth", "password verification queue full");
            return Err(AuthError::Busy);
        }
        let waited =
            tokio::time::timeout(inner.max_wait, Arc::clone(&inner.permits).acquire_owned()).await;
        inner.waiting.fetch_sub(1, Ordering::AcqRel);
        match waited {
            Ok(Ok(permit)) => Ok(permit),
            _ => {
                tracing::warn!(target: "pastry_auth", "password verification waited too long");
                Err(AuthError::Busy)
            }
        }
    }
}

/// Settings for a [`PasswordHasher`], checked by [`build`](Self::build).
///
/// ```
/// use std::time::Duration;
/// use pastry_auth::PasswordHasher;
///
/// let hasher = PasswordHasher::builder()
///     .memory_kib(64)
///     .iterations(1)
///     .parallelism(1)
///     .max_concurrent(2)
///     .max_queue(16)
///     .max_wait(Duration::from_millis(500))
///     .build()
///     .unwrap();
/// # let _ = hasher;
/// assert!(PasswordHasher::builder().memory_kib(1).build().is_err());
/// assert!(PasswordHasher::builder().max_concurrent(0).build().is_err());
/// ```
#[derive(Clone, Debug)]
pub struct HasherBuilder {
    memory_kib: u32,
    iterations: u32,
    parallelism: u32,
    max_concurrent: usize,
    max_queue: usize,
    max_wait: Duration,
}

impl Default for HasherBuilder {
    fn default() -> Self {
        Self {
            memory_kib: OWASP_MEMORY_KIB,
            iterations: OWASP_ITERATIONS,
            parallelism: OWASP_PARALLELISM,
            max_concurrent: std::thread::available_parallelism().map_or(1, usize::from),
            max_queue: 64,
            max_wait: Duration::from_secs(2),
        }
    }
}

impl HasherBuilder {
    /// Argon2 memory cost in KiB (default 19456).
    pub fn memory_kib(mut self, kib: u32) -> Self {
        self.memory_kib = kib;
        self
    }

    /// Argon2 iterations (default 2).
    pub fn iterations(mut self, iterations: u32) -> Self {
        self.iterations = iterations;
        self
    }

    /// Argon2 lanes (default 1).
    pub fn parallelism(mut self, lanes: u32) -> Self {
        self.parallelism = lanes;
        self
    }

    /// How many hashes or verifications may run at once (default: one per
    /// CPU). Must be at least 1.
    pub fn max_concurrent(mut self, n: usize) -> Self {
        self.max_concurrent = n;
        self
    }

    /// How many may wait for a slot (default 64); beyond that, requests fail
    /// at once with [`AuthError::Busy`].
    pub fn max_queue(mut self, n: usize) -> Self {
        self.max_queue = n;
        self
    }

    /// How long one may wait for a slot (default 2 s) before failing with
    /// [`AuthError::Busy`].
    pub fn max_wait(mut self, wait: Duration) -> Self {
        self.max_wait = wait;
        self
    }

    /// The hasher, or [`AuthError::InvalidParams`] for parameters argon2
    /// rejects or a zero concurrency bound.
    pub fn build(self) -> Result<PasswordHasher, AuthError> {
        if self.max_concurrent == 0 {
            return Err(AuthError::InvalidParams(
                "max_concurrent must be at least 1".into(),
            ));
        }
        let params = Params::new(self.memory_kib, self.iterations, self.parallelism, None)
            .map_err(|e| AuthError::InvalidParams(e.to_string()))?;
        Ok(PasswordHasher {
            inner: Arc::new(Inner {
                params,
                permits: Arc::new(Semaphore::new(self.max_concurrent)),
                max_queue: self.max_queue,
                max_wait: self.max_wait,
                waiting: AtomicUsize::new(0),
                dummy: OnceLock::new(),
                dummy_count: AtomicU64::new(0),
                verify_count: AtomicU64::new(0),
            }),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cheap() -> PasswordHasher {
        PasswordHasher::builder()
            .memory_kib(64)
            .iterations(1)
            .build()
            .unwrap()
    }

    #[test]
    fn owasp_defaults() {
        let hasher = PasswordHasher::new();
        assert_eq!(hasher.inner.params.m_cost(), 19_456);
        assert_eq!(hasher.inner.params.t_cost(), 2);
        assert_eq!(hasher.inner.params.p_cost(), 1);
    }

    #[test]
    fn hashes_are_salted_phc_strings() {
        let hasher = cheap();
        let a = hasher.hash_blocking("pw").unwrap();
        let b = hasher.hash_blocking("pw").unwrap();
        assert_ne!(a, b);
        assert!(a.starts_with("$argon2id$v=19$m=64,t=1,p=1$"));
        assert!(hasher.verify_blocking("pw", &b));
    }

    #[test]
    fn malformed_hashes_never_verify_and_need_rehash() {
        let hasher = cheap();
        for bad in ["", "plain", "$argon2id$", "$2b$10$abcdefghijklmnopqrstuv"] {
            assert!(!hasher.verify_blocking("pw", bad), "{bad}");
            assert!(hasher.needs_rehash(bad), "{bad}");
        }
    }

    #[test]
    fn argon2i_hash_needs_rehash() {
        let params = Params::new(64, 1, 1, None).unwrap();
        let salt = SaltString::encode_b64(&[7; 16]).unwrap();
        let phc = Argon2::new(Algorithm::Argon2i, Version::V0x13, params)
            .hash_password(b"pw", &salt)
            .unwrap()
            .to_string();
        let hasher = cheap();
        assert!(hasher.verify_blocking("pw", &phc));
        assert!(hasher.needs_rehash(&phc));
    }

    #[tokio::test]
    async fn async_verify_and_dummy_count() {
        let hasher = cheap();
        let phc = hasher.hash("pw").await.unwrap();
        assert!(hasher.verify("pw", &phc).await.unwrap());
        assert!(!hasher.verify("nope", &phc).await.unwrap());
        assert_eq!(hasher.dummy_verifications(), 0);
        hasher.verify_dummy("x").await.unwrap();
        hasher.clone().verify_dummy("y").await.unwrap();
        assert_eq!(hasher.dummy_verifications(), 2);
    }

    #[tokio::test]
    async fn full_queue_is_busy() {
        let hasher = PasswordHasher::builder()
            .memory_kib(64)
            .iterations(1)
            .max_concurrent(1)
            .max_queue(0)
            .build()
            .unwrap();
        let held = Arc::clone(&hasher.inner.permits)
            .try_acquire_owned()
            .unwrap();
        assert!(matches!(
            hasher.verify("pw", "x").await,
            Err(AuthError::Busy)
        ));
        drop(held);
        assert!(!hasher.verify("pw", "x").await.unwrap());
    }

    #[tokio::test(start_paused = true)]
    async fn waiting_too_long_is_busy() {
        let hasher = PasswordHasher::builder()
            .memory_kib(64)
            .iterations(1)
            .max_concurrent(1)
            .max_wait(Duration::from_millis(50))
            .build()
            .unwrap();
        let held = Arc::clone(&hasher.inner.permits)
            .try_acquire_owned()
            .unwrap();
        assert!(matches!(hasher.hash("pw").await, Err(AuthError::Busy)));
        assert_eq!(hasher.inner.waiting.load(Ordering::Relaxed), 0);
        drop(held);
    }
}
