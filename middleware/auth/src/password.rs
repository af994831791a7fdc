//! Argon2id password hashing with a bounded number of concurrent
//! verifications and a fixed pool of argon2 working memory.

use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use argon2::password_hash::{Output, ParamsString, PasswordHash, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use subtle::ConstantTimeEq;
use tokio::sync::Semaphore;

use crate::AuthError;

/// OWASP's recommended argon2id memory cost, in KiB (19 MiB).
pub const OWASP_MEMORY_KIB: u32 = 19_456;
/// OWASP's recommended argon2id iteration count.
pub const OWASP_ITERATIONS: u32 = 2;
/// OWASP's recommended argon2id parallelism.
pub const OWASP_PARALLELISM: u32 = 1;

/// How long one argon2 run may take in a debug build (`debug_assertions`)
/// before the hasher logs, once per process, a warning naming the fix:
/// `[profile.dev.package.argon2] opt-level = 3` in the workspace
/// `Cargo.toml` (argon2 is about 16 times slower unoptimised).
pub const SLOW_DEBUG_HASH: Duration = Duration::from_millis(200);

/// Length in bytes of the salts this hasher draws.
const SALT_LEN: usize = 16;

/// Hashes and verifies passwords with argon2id, storing PHC strings
/// (`$argon2id$v=19$m=19456,t=2,p=1$salt$hash`).
///
/// Cheap to clone: clones share one bound on concurrent verifications and
/// one pool of argon2 working memory: at most `max_concurrent` buffers of
/// `m_cost` KiB are ever allocated for the async methods, and they are
/// reused, never given back to the allocator (which would otherwise keep
/// every freed buffer of every blocking thread: see
/// [`memory_buffers`](Self::memory_buffers)). The dummy hash used for
/// unknown user names is made when the hasher is built, without running
/// argon2, so the first unknown name costs what every later one costs.
///
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
    dummy: String,
    dummy_count: AtomicU64,
    verify_count: AtomicU64,
    argon2_count: AtomicU64,
    pool: Pool,
}

/// Argon2 working memory, reused: buffers are taken for one run and put
/// back, so the process holds at most `keep` of them for good.
struct Pool {
    free: Mutex<Vec<Vec<Block>>>,
    allocated: AtomicUsize,
    keep: usize,
}

impl Pool {
    fn new(keep: usize) -> Self {
        Self {
            free: Mutex::new(Vec::with_capacity(keep)),
            allocated: AtomicUsize::new(0),
            keep,
        }
    }

    /// Runs `f` with at least `blocks` blocks of working memory: a pooled
    /// buffer (grown if a stored hash asks for more memory than this
    /// hasher's parameters), or a new one when every pooled buffer is in
    /// use. At most `keep` buffers go back to the pool; extra ones (only
    /// possible when `*_blocking` methods run outside the bound) are freed.
    fn with_blocks<T>(&self, blocks: usize, f: impl FnOnce(&mut [Block]) -> T) -> T {
        let pooled = self.free.lock().unwrap_or_else(|e| e.into_inner()).pop();
        let mut buffer = pooled.unwrap_or_else(|| {
            self.allocated.fetch_add(1, Ordering::Relaxed);
            Vec::new()
        });
        if buffer.len() < blocks {
            buffer.resize(blocks, Block::default());
        }
        let out = f(&mut buffer[..blocks]);
        let mut free = self.free.lock().unwrap_or_else(|e| e.into_inner());
        if free.len() < self.keep {
            free.push(buffer);
        } else {
            drop(free);
            drop(buffer);
            self.allocated.fetch_sub(1, Ordering::Relaxed);
        }
        out
    }
}

/// Whether this run is the one that should log the debug-build warning:
/// only in a debug build, only past [`SLOW_DEBUG_HASH`], only once per
/// `warned` flag.
fn slow_debug_run(debug: bool, elapsed: Duration, warned: &AtomicBool) -> bool {
    debug && elapsed >= SLOW_DEBUG_HASH && !warned.swap(true, Ordering::Relaxed)
}

fn warn_if_slow_debug_build(elapsed: Duration) {
    static WARNED: AtomicBool = AtomicBool::new(false);
    if slow_debug_run(cfg!(debug_assertions), elapsed, &WARNED) {
        tracing::warn!(
            target: "pastry_auth",
            elapsed_ms = elapsed.as_millis() as u64,
            fix = "[profile.dev.package.argon2] opt-level = 3",
            "argon2 is slow in this debug build: add `[profile.dev.package.argon2] opt-level = 3` to the workspace Cargo.toml (logged once)"
        );
    }
}

/// A PHC string for `params`, `salt` and raw `hash` output.
fn phc_string(
    algorithm: Algorithm,
    params: &Params,
    salt: &[u8],
    hash: &[u8],
) -> Result<String, AuthError> {
    let salt = SaltString::encode_b64(salt).map_err(|e| AuthError::Hash(e.to_string()))?;
    let phc = PasswordHash {
        algorithm: algorithm.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(params).map_err(|e| AuthError::Hash(e.to_string()))?,
        salt: Some(salt.as_salt()),
        hash: Some(Output::new(hash).map_err(|e| AuthError::Hash(e.to_string()))?),
    };
    Ok(phc.to_string())
}

/// A PHC string with this hasher's parameters, a random salt and random
/// output: no password matches it (but checking one costs a full argon2
/// run). Made without running argon2.
fn dummy_phc(params: &Params) -> Result<String, AuthError> {
    let salt: [u8; SALT_LEN] = rand::random();
    let len = params.output_len().unwrap_or(Params::DEFAULT_OUTPUT_LEN);
    let output: Vec<u8> = (0..len).map(|_| rand::random::<u8>()).collect();
    phc_string(Algorithm::Argon2id, params, &salt, &output)
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

    /// One argon2 run over pooled memory, timed for the debug-build warning.
    fn run_argon2(
        &self,
        argon2: &Argon2<'_>,
        blocks: usize,
        password: &[u8],
        salt: &[u8],
        out: &mut [u8],
    ) -> Result<(), argon2::Error> {
        self.inner.argon2_count.fetch_add(1, Ordering::Relaxed);
        let started = Instant::now();
        let result = self.inner.pool.with_blocks(blocks, |memory| {
            argon2.hash_password_into_with_memory(password, salt, out, memory)
        });
        warn_if_slow_debug_build(started.elapsed());
        result
    }

    /// Hashes `password` with a fresh random salt into a PHC string. Blocks
    /// for as long as argon2 takes.
    pub fn hash_blocking(&self, password: &str) -> Result<String, AuthError> {
        let salt: [u8; SALT_LEN] = rand::random();
        let params = &self.inner.params;
        let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone());
        let mut out = vec![0u8; params.output_len().unwrap_or(Params::DEFAULT_OUTPUT_LEN)];
        self.run_argon2(
            &argon2,
            params.block_count(),
            password.as_bytes(),
            &salt,
            &mut out,
        )
        .map_err(|e| AuthError::Hash(e.to_string()))?;
        phc_string(Algorithm::Argon2id, params, &salt, &out)
    }

    /// Whether `password` matches the PHC string `phc`, using the parameters
    /// recorded in `phc`. A malformed or non-argon2 string never matches.
    /// Blocks for as long as argon2 takes. The result is compared in
    /// constant time.
    pub fn verify_blocking(&self, password: &str, phc: &str) -> bool {
        self.inner.verify_count.fetch_add(1, Ordering::Relaxed);
        let Ok(parsed) = PasswordHash::new(phc) else {
            tracing::warn!(target: "pastry_auth", "stored password hash is not a PHC string");
            return false;
        };
        let Ok(algorithm) = Algorithm::try_from(parsed.algorithm) else {
            tracing::warn!(target: "pastry_auth", "stored password hash is not an argon2 hash");
            return false;
        };
        let version = match parsed.version.map(Version::try_from).transpose() {
            Ok(version) => version.unwrap_or_default(),
            Err(_) => return false,
        };
        let (Ok(params), Some(salt), Some(expected)) =
            (Params::try_from(&parsed), parsed.salt, parsed.hash)
        else {
            return false;
        };
        let mut salt_buf = [0u8; 64];
        let Ok(salt) = salt.decode_b64(&mut salt_buf) else {
            return false;
        };
        let mut out = [0u8; Output::MAX_LENGTH];
        let out = &mut out[..expected.len()];
        let argon2 = Argon2::new(algorithm, version, params.clone());
        if self
            .run_argon2(
                &argon2,
                params.block_count(),
                password.as_bytes(),
                salt,
                out,
            )
            .is_err()
        {
            return false;
        }
        bool::from(out.ct_eq(expected.as_bytes()))
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
    /// time as a known one.
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
        self.inner.dummy_count.fetch_add(1, Ordering::Relaxed);
        let _ = self.verify_blocking(password, &self.inner.dummy);
    }

    /// The dummy PHC string unknown names are checked against: made when the
    /// hasher was built (random salt and output, this hasher's parameters).
    pub fn dummy_hash(&self) -> &str {
        &self.inner.dummy
    }

    /// How many argon2 runs (hashes and verifications, dummy ones included)
    /// this hasher and its clones have made: a hook for tests that count
    /// the work a request costs. Hidden from the docs: not part of the API.
    #[doc(hidden)]
    pub fn argon2_runs(&self) -> u64 {
        self.inner.argon2_count.load(Ordering::Relaxed)
    }

    /// How many argon2 working-memory buffers (each `m_cost` KiB) this
    /// hasher and its clones hold: at most
    /// [`max_concurrent`](HasherBuilder::max_concurrent), however many
    /// passwords are checked, while only the async methods are used.
    pub fn memory_buffers(&self) -> usize {
        self.inner.pool.allocated.load(Ordering::Relaxed)
    }

    /// How many verifications (real and dummy) this hasher and its clones
    /// have run: a hook for tests that check a cache skips argon2. Hidden
    /// from the docs: not part of the API.
    #[doc(hidden)]
    pub fn verifications(&self) -> u64 {
        self.inner.verify_count.load(Ordering::Relaxed)
    }

    /// How many dummy verifications (for unknown users) this hasher and its
    /// clones have run: a hook for tests that check the dummy work happens.
    /// Hidden from the docs: not part of the API.
    #[doc(hidden)]
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
        let dummy = dummy_phc(&params)?;
        Ok(PasswordHasher {
            inner: Arc::new(Inner {
                params,
                permits: Arc::new(Semaphore::new(self.max_concurrent)),
                max_queue: self.max_queue,
                max_wait: self.max_wait,
                waiting: AtomicUsize::new(0),
                dummy,
                dummy_count: AtomicU64::new(0),
                verify_count: AtomicU64::new(0),
                argon2_count: AtomicU64::new(0),
                pool: Pool::new(self.max_concurrent),
            }),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use argon2::password_hash::PasswordHasher as _;

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

    #[test]
    fn phc_strings_match_the_argon2_crate() {
        let hasher = cheap();
        let params = hasher.inner.params.clone();
        let salt = [9u8; SALT_LEN];
        let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone());
        let theirs = argon2
            .hash_password(b"pw", &SaltString::encode_b64(&salt).unwrap())
            .unwrap()
            .to_string();
        let mut out = [0u8; 32];
        hasher
            .run_argon2(&argon2, params.block_count(), b"pw", &salt, &mut out)
            .unwrap();
        assert_eq!(
            phc_string(Algorithm::Argon2id, &params, &salt, &out).unwrap(),
            theirs
        );
        assert!(hasher.verify_blocking("pw", &theirs));
    }

    #[test]
    fn dummy_hash_exists_once_built_and_costs_one_run() {
        let hasher = cheap();
        assert_eq!(hasher.argon2_runs(), 0, "building the dummy runs no argon2");
        let dummy = PasswordHash::new(hasher.dummy_hash()).unwrap();
        assert_eq!(dummy.algorithm, Algorithm::Argon2id.ident());
        assert!(
            !hasher.needs_rehash(hasher.dummy_hash()),
            "the hasher's own parameters"
        );
        let before = hasher.dummy_hash().to_owned();
        hasher.verify_dummy_blocking("guess");
        assert_eq!(hasher.argon2_runs(), 1, "one run, like a wrong password");
        assert_eq!(hasher.dummy_hash(), before);
        assert_ne!(cheap().dummy_hash(), before, "random per hasher");
    }

    #[test]
    fn pool_hands_out_at_most_max_concurrent_buffers_and_reuses_them() {
        let pool = Pool::new(2);
        pool.with_blocks(8, |outer| {
            assert_eq!(outer.len(), 8);
            pool.with_blocks(8, |_| {
                assert_eq!(pool.allocated.load(Ordering::Relaxed), 2);
                pool.with_blocks(8, |_| assert_eq!(pool.allocated.load(Ordering::Relaxed), 3));
            });
        });
        assert_eq!(
            pool.allocated.load(Ordering::Relaxed),
            2,
            "the third is freed"
        );
        for _ in 0..100 {
            pool.with_blocks(8, |_| {});
        }
        assert_eq!(pool.allocated.load(Ordering::Relaxed), 2);
        pool.with_blocks(16, |bigger| assert_eq!(bigger.len(), 16));
        assert_eq!(
            pool.allocated.load(Ordering::Relaxed),
            2,
            "grown, not added"
        );
    }

    #[test]
    fn slow_runs_warn_once_and_only_in_debug_builds() {
        let slow = SLOW_DEBUG_HASH + Duration::from_millis(1);
        let warned = AtomicBool::new(false);
        assert!(!slow_debug_run(false, slow, &warned), "never in release");
        assert!(
            !slow_debug_run(true, Duration::from_millis(1), &warned),
            "fast is fine"
        );
        assert!(slow_debug_run(true, slow, &warned));
        assert!(!slow_debug_run(true, slow, &warned), "once");
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
