use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::hash::{BuildHasher, Hasher};
use std::mem;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime};

use http::HeaderValue;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use tokio::sync::OnceCell;

use crate::config::Config;
use crate::id::SessionId;
use crate::store::{BoxFuture, DynStore, SaveOutcome};
use crate::{Expiry, Record, SessionError, SessionKey};

/// The session of the current request: a cheap-to-clone handle that
/// [`SessionLayer`](crate::SessionLayer) puts in the request extensions.
///
/// Reach it with [`SessionExt::session`](crate::SessionExt::session). The
/// first method that needs the values loads the record from the store
/// (which is why they are `async`); a request that never calls them costs
/// no store I/O. Changes are saved once, after the handler has answered,
/// and only if the answer is not a 5xx.
///
/// Each request remembers its own changes (which keys it set, removed or
/// cleared). If another request saved the same session in the meantime,
/// the save replays them onto the record as it is now, so concurrent
/// requests that change different keys all keep their changes, and on the
/// same key the later save wins. The bundled stores (memory, file, SQLite,
/// and the same through [`AnyStore`](crate::AnyStore)) replay atomically
/// (under the store's lock, or in one SQLite `BEGIN IMMEDIATE`
/// transaction), so a replay always succeeds: concurrent requests on one
/// session never answer a 500. With any other store the layer reloads,
/// replays and saves again, waiting a growing, random back-off between
/// tries; only after
/// [`max_retries`](crate::SessionLayer::max_retries) failed replays does
/// the request fail with a logged error and a 500.
///
/// ```
/// use http::{Request, Response};
/// use pastry_sessions::{MemoryStore, SessionExt, SessionLayer};
/// use tower::{ServiceBuilder, ServiceExt, service_fn};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
/// let app = ServiceBuilder::new()
///     .layer(SessionLayer::new(MemoryStore::new()))
///     .service(service_fn(|req: Request<String>| async move {
///         let session = req.session().expect("SessionLayer is installed");
///         let visits = session.get::<u32>("visits").await?.unwrap_or(0) + 1;
///         session.insert("visits", &visits).await?;
///         Ok::<_, pastry_sessions::SessionError>(Response::new(visits.to_string()))
///     }));
///
/// let res = app.oneshot(Request::new(String::new())).await?;
/// assert_eq!(res.headers()["set-cookie"].to_str()?.starts_with("__Host-id="), true);
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct Session {
    inner: Arc<Inner>,
}

struct Inner {
    store: Arc<dyn DynStore>,
    /// How this layer replays a save that conflicted.
    replayer: Arc<Replayer>,
    config: Arc<Config>,
    /// Well-formed ids from the request's cookies, in the order sent.
    candidates: Vec<SessionId>,
    /// With a cookie store: the request's cookie values of our name, in
    /// the order sent, still sealed.
    #[cfg_attr(not(feature = "cookie-store"), allow(dead_code))]
    sealed: Vec<String>,
    /// Whether the request carried a cookie of our name at all.
    had_cookie: bool,
    loaded: OnceCell<()>,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    current: Option<Current>,
    changes: Changes,
    /// Set by anything that must be written: a value, the expiry, a new id.
    dirty: bool,
    /// Loaded or changed: the layer has work to do after the handler.
    touched: bool,
    /// Keys to delete once this request's outcome is committed (old ids
    /// after `cycle_id`, destroyed sessions).
    retire: Vec<SessionKey>,
    /// The retired keys that `cycle_id` rotated away (not destroyed).
    rotated: Vec<SessionKey>,
    destroyed: bool,
    /// The request's cookie named a session this layer rotated away moments
    /// ago: its fresh session is never saved and sends no cookie.
    stale: bool,
}

struct Current {
    id: SessionId,
    key: SessionKey,
    record: Record,
}

/// This request's own changes, replayed onto a fresh copy of the record
/// when a concurrent request saved first.
#[derive(Clone, Default)]
pub(crate) struct Changes {
    cleared: bool,
    keys: BTreeMap<String, Option<Value>>,
    expiry: Option<Option<Expiry>>,
}

impl Changes {
    pub(crate) fn apply(&self, mut record: Record) -> Record {
        if self.cleared {
            record.data.clear();
        }
        for (key, value) in &self.keys {
            match value {
                Some(v) => {
                    record.data.insert(key.clone(), v.clone());
                }
                None => {
                    record.data.remove(key);
                }
            }
        }
        if let Some(expiry) = self.expiry {
            record.expiry = expiry;
        }
        record
    }
}

/// Replays a request's changes onto the latest stored record.
pub(crate) type Replay = Box<dyn FnOnce(Record) -> Record + Send>;

/// A store that can replay a request's changes atomically: load the live
/// record, apply the changes, save it, with no other save or delete of that
/// key in between (in this process or any other sharing the store).
pub(crate) trait AtomicUpdate: Send + Sync + 'static {
    /// The saved record (its version already the stored one), or `None`
    /// when no live record is stored under `key` at `now` (destroyed or
    /// expired): then nothing is written.
    fn update<'a>(
        &'a self,
        key: &'a SessionKey,
        now: SystemTime,
        replay: Replay,
    ) -> BoxFuture<'a, Result<Option<Record>, SessionError>>;
}

/// How one layer replays a save that conflicted: shared by the layer's
/// clones and every session they make.
/// What the sessions of one layer share: how a save that conflicted is
/// replayed, and the ids rotated away moments ago.
pub(crate) struct Replayer {
    kind: ReplayKind,
    /// Keys rotated away by `cycle_id`, until when they count as rotated.
    rotated: Mutex<HashMap<SessionKey, SystemTime>>,
    /// The layer's store is a cookie store: the record travels sealed in
    /// the cookie, and the store is never called.
    #[cfg(feature = "cookie-store")]
    pub(crate) cookie: Option<crate::CookieStore>,
}

/// How a save that conflicted is replayed.
enum ReplayKind {
    /// The store replays atomically (the bundled stores).
    Atomic(Arc<dyn AtomicUpdate>),
    /// Any other store: the layer's requests take turns per session key
    /// (one of [`TURNS`] stripes) to reload, replay and save, so they never
    /// conflict with each other there; only a save from elsewhere (another
    /// process, another layer) in between makes them back off and try
    /// again.
    Turns(Box<[tokio::sync::Mutex<()>]>),
}

/// How many stripes [`ReplayKind::Turns`] has.
const TURNS: usize = 64;

/// How long after a `cycle_id` a request still carrying the old id is
/// taken for one sent before the new cookie arrived: its changes are
/// dropped and it sends no cookie, so it cannot replace the new one.
const ROTATION_GRACE: Duration = Duration::from_secs(60);

/// At most this many rotated ids are remembered per layer (a login flood
/// cannot grow the map past it; beyond it the grace is best effort).
const MAX_ROTATED: usize = 4096;

impl Replayer {
    pub(crate) fn new(atomic: Option<Arc<dyn AtomicUpdate>>) -> Self {
        let kind = match atomic {
            Some(atomic) => ReplayKind::Atomic(atomic),
            None => ReplayKind::Turns((0..TURNS).map(|_| tokio::sync::Mutex::new(())).collect()),
        };
        Self {
            kind,
            rotated: Mutex::default(),
            #[cfg(feature = "cookie-store")]
            cookie: None,
        }
    }

    /// The same, sealing records into the cookie with `cookie` when set.
    #[cfg(feature = "cookie-store")]
    pub(crate) fn with_cookie(mut self, cookie: Option<crate::CookieStore>) -> Self {
        self.cookie = cookie;
        self
    }

    fn rotated(&self) -> MutexGuard<'_, HashMap<SessionKey, SystemTime>> {
        self.rotated.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Remembers that `keys` were rotated away at `now`.
    fn remember_rotated(&self, keys: &[SessionKey], now: SystemTime) {
        if keys.is_empty() {
            return;
        }
        let mut rotated = self.rotated();
        if rotated.len() + keys.len() > MAX_ROTATED {
            rotated.retain(|_, until| *until > now);
        }
        for key in keys {
            if rotated.len() < MAX_ROTATED {
                rotated.insert(*key, now + ROTATION_GRACE);
            }
        }
    }

    /// Whether `key` was rotated away less than [`ROTATION_GRACE`] ago.
    fn recently_rotated(&self, key: &SessionKey, now: SystemTime) -> bool {
        self.rotated().get(key).is_some_and(|until| *until > now)
    }
}

/// The first back-off after a conflict; each later one doubles, up to
/// [`MAX_BACKOFF`]. The wait is random in `[0, that]` ("full jitter"), so
/// requests that conflicted together do not retry together.
const FIRST_BACKOFF: Duration = Duration::from_millis(2);
const MAX_BACKOFF: Duration = Duration::from_millis(100);

/// A random wait before replay number `attempt` (from 1).
fn backoff(attempt: u32) -> Duration {
    let ceiling = FIRST_BACKOFF
        .saturating_mul(1 << attempt.saturating_sub(1).min(16))
        .min(MAX_BACKOFF);
    // RandomState is seeded from the OS once per thread and stepped per
    // call: enough to spread retries, no extra dependency.
    let random = std::collections::hash_map::RandomState::new()
        .build_hasher()
        .finish();
    let nanos = u64::try_from(ceiling.as_nanos()).unwrap_or(u64::MAX);
    Duration::from_nanos(random % nanos.max(1))
}

impl Session {
    /// A session without an atomic replay (unit tests elsewhere).
    #[cfg(all(test, feature = "memory"))]
    pub(crate) fn new(
        store: Arc<dyn DynStore>,
        config: Arc<Config>,
        candidates: Vec<SessionId>,
        had_cookie: bool,
    ) -> Self {
        Self::create(
            store,
            Arc::new(Replayer::new(None)),
            config,
            candidates,
            Vec::new(),
            had_cookie,
        )
    }

    pub(crate) fn create(
        store: Arc<dyn DynStore>,
        replayer: Arc<Replayer>,
        config: Arc<Config>,
        candidates: Vec<SessionId>,
        sealed: Vec<String>,
        had_cookie: bool,
    ) -> Self {
        Self {
            inner: Arc::new(Inner {
                store,
                replayer,
                config,
                candidates,
                sealed,
                had_cookie,
                loaded: OnceCell::new(),
                state: Mutex::new(State::default()),
            }),
        }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.inner
            .state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Loads the record on first use; later calls return at once.
    async fn load(&self) -> Result<(), SessionError> {
        self.inner
            .loaded
            .get_or_try_init(|| self.load_from_store())
            .await
            .map(|_| ())
    }

    async fn load_from_store(&self) -> Result<(), SessionError> {
        #[cfg(feature = "cookie-store")]
        if let Some(cookie) = &self.inner.replayer.cookie {
            self.open_sealed(cookie);
            return Ok(());
        }
        let config = &self.inner.config;
        let now = config.clock.now();
        let mut found = None;
        let mut rotated = false;
        for id in &self.inner.candidates {
            let key = id.key();
            let loaded = self.inner.store.load_dyn(&key, now).await?;
            rotated |= loaded.is_none() && self.inner.replayer.recently_rotated(&key, now);
            if let Some(record) = loaded {
                if config.outlived(&record, now) {
                    tracing::debug!(target: "pastry_sessions", session = %key.short(), "session past its absolute lifetime");
                    continue;
                }
                found = Some(Current {
                    id: *id,
                    key,
                    record,
                });
                break;
            }
        }
        let stale = found.is_none() && rotated;
        self.install(found, stale, now);
        Ok(())
    }

    /// Makes `found` (or a fresh session) the request's current session.
    fn install(&self, found: Option<Current>, stale: bool, now: SystemTime) {
        #[cfg(feature = "metrics")]
        if found.is_some() {
            crate::telemetry::count("pastry_sessions_loaded_total", self.inner.store.kind());
        }
        let current = found.unwrap_or_else(|| {
            if self.inner.had_cookie {
                tracing::debug!(target: "pastry_sessions", "unknown, malformed or expired session cookie; starting a fresh session");
            }
            fresh(now)
        });
        let mut state = self.state();
        state.touched = true;
        state.stale = stale;
        let mut current = current;
        if let Some(expiry) = state.changes.expiry {
            current.record.expiry = expiry;
        }
        state.current = Some(current);
    }

    /// Opens the first of the request's sealed cookies that opens and is
    /// neither expired nor past the absolute lifetime (both sealed inside).
    /// One opened with an older key is sealed again under the first.
    #[cfg(feature = "cookie-store")]
    fn open_sealed(&self, cookie: &crate::CookieStore) {
        let config = &self.inner.config;
        let now = config.clock.now();
        let mut old_key = false;
        let found = self.inner.sealed.iter().find_map(|value| {
            let (id, record, opened_by_old_key) = cookie.open(value, &config.cookie_name)?;
            if record.is_expired(now) || config.outlived(&record, now) {
                tracing::debug!(target: "pastry_sessions", session = %id.key().short(), "sealed session cookie expired or past its absolute lifetime");
                return None;
            }
            old_key = opened_by_old_key;
            Some(Current {
                id,
                key: id.key(),
                record,
            })
        });
        self.install(found, false, now);
        if old_key {
            self.state().dirty = true;
        }
    }

    /// Runs `f` on the loaded state.
    async fn with<R>(
        &self,
        f: impl FnOnce(&mut State, &mut Current) -> R,
    ) -> Result<R, SessionError> {
        self.load().await?;
        let mut guard = self.state();
        let state = &mut *guard;
        let mut current = state.current.take().ok_or(SessionError::Finished)?;
        let out = f(state, &mut current);
        state.current = Some(current);
        Ok(out)
    }

    /// The value stored under `key`, or `None` if there is none.
    ///
    /// A value of another type than `T` is [`SessionError::Value`].
    pub async fn get<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>, SessionError> {
        self.with(|_, current| match current.record.data.get(key) {
            Some(value) => T::deserialize(value)
                .map(Some)
                .map_err(|source| SessionError::Value {
                    key: key.to_owned(),
                    source: Box::new(source),
                }),
            None => Ok(None),
        })
        .await?
    }

    /// Stores `value` under `key`, replacing any previous value.
    pub async fn insert<T: Serialize + ?Sized>(
        &self,
        key: &str,
        value: &T,
    ) -> Result<(), SessionError> {
        let value = serde_json::to_value(value).map_err(|source| SessionError::Value {
            key: key.to_owned(),
            source: Box::new(source),
        })?;
        self.with(|state, current| {
            current.record.data.insert(key.to_owned(), value.clone());
            state.changes.keys.insert(key.to_owned(), Some(value));
            state.dirty = true;
        })
        .await
    }

    /// Removes the value under `key`, if any.
    pub async fn remove(&self, key: &str) -> Result<(), SessionError> {
        self.take::<Value>(key).await.map(|_| ())
    }

    /// Removes the value under `key` and returns it.
    pub async fn take<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>, SessionError> {
        let old = self
            .with(|state, current| {
                let old = current.record.data.remove(key);
                state.changes.keys.insert(key.to_owned(), None);
                state.dirty = true;
                old
            })
            .await?;
        old.map(|value| {
            T::deserialize(value).map_err(|source| SessionError::Value {
                key: key.to_owned(),
                source: Box::new(source),
            })
        })
        .transpose()
    }

    /// Removes every value; the session (and its id) lives on.
    pub async fn clear(&self) -> Result<(), SessionError> {
        self.with(|state, current| {
            current.record.data.clear();
            state.changes.cleared = true;
            state.changes.keys.clear();
            state.dirty = true;
        })
        .await
    }

    /// Whether a value is stored under `key`.
    pub async fn contains(&self, key: &str) -> Result<bool, SessionError> {
        self.with(|_, current| current.record.data.contains_key(key))
            .await
    }

    /// The keys of every stored value, sorted.
    pub async fn keys(&self) -> Result<Vec<String>, SessionError> {
        self.with(|_, current| current.record.data.keys().cloned().collect())
            .await
    }

    /// The session's id, once the session has been loaded (by any of the
    /// `async` methods); `None` before. A new session's id reaches the client
    /// only if the session is saved (it holds a value when the request ends).
    ///
    /// Treat it as a secret: never log it or put it in a URL.
    pub fn id(&self) -> Option<String> {
        self.state().current.as_ref().map(|c| c.id.encode())
    }

    /// Gives the session a new id, keeping its values: call it when a user
    /// logs in, so an id learned before login is worth nothing after.
    ///
    /// The old id stops loading anything once this request is answered; if
    /// the answer is a 5xx, nothing changes and the old id stays valid.
    /// For a minute afterwards, a request that still carries the old id
    /// (one the browser sent before the new cookie arrived) gets an empty
    /// session whose changes are dropped, and no `Set-Cookie`, so it cannot
    /// replace the new cookie and log the user out; the layer remembers
    /// the last 4 096 such ids, in this process.
    pub async fn cycle_id(&self) -> Result<(), SessionError> {
        self.with(|state, current| {
            if current.record.version > 0 {
                state.retire.push(current.key);
                state.rotated.push(current.key);
            }
            current.id = SessionId::random();
            current.key = current.id.key();
            current.record.version = 0;
            state.dirty = true;
        })
        .await
    }

    /// Ends the session: its record is deleted and the cookie expired when
    /// the request is answered (unless the answer is a 5xx: then nothing
    /// changes). Values inserted afterwards go into a new, empty session
    /// with a new id. A request that changed the session concurrently loses
    /// its changes: the destroy wins.
    pub async fn destroy(&self) -> Result<(), SessionError> {
        let now = self.inner.config.clock.now();
        self.with(|state, current| {
            if current.record.version > 0 {
                state.retire.push(current.key);
            }
            *current = fresh(now);
            state.changes = Changes::default();
            state.dirty = false;
            state.destroyed = true;
            state.rotated.clear();
        })
        .await
    }

    /// Chooses when this session ends; stored with the session, so it holds
    /// on later requests too.
    pub fn set_expiry(&self, expiry: Expiry) {
        let mut state = self.state();
        state.changes.expiry = Some(Some(expiry));
        state.dirty = true;
        state.touched = true;
        if let Some(current) = state.current.as_mut() {
            current.record.expiry = Some(expiry);
        }
    }

    /// Whether the layer has anything to do after the handler answered.
    pub(crate) fn touched(&self) -> bool {
        self.state().touched
    }

    /// Whether the session has been loaded from the store (or found absent):
    /// the response may depend on the request's cookie.
    pub(crate) fn loaded(&self) -> bool {
        self.inner.loaded.initialized()
    }

    /// The layer's settings.
    pub(crate) fn config(&self) -> &Config {
        &self.inner.config
    }

    /// Commits this request's session work: saves (with compare-and-swap
    /// and replay on conflict), deletes retired keys, and returns the
    /// `Set-Cookie` value to send, if any.
    pub(crate) async fn commit(
        self,
        server_error: bool,
    ) -> Result<Option<HeaderValue>, SessionError> {
        if server_error {
            if self.state().dirty {
                tracing::debug!(target: "pastry_sessions", "handler answered 5xx; session changes not saved");
            }
            return Ok(None);
        }
        self.load().await?;
        let now = self.inner.config.clock.now();
        let Some(pending) = self.take_pending() else {
            return Ok(None);
        };
        #[cfg(feature = "cookie-store")]
        if let Some(cookie) = &self.inner.replayer.cookie {
            return self.commit_sealed(cookie, pending, now);
        }
        let Pending {
            current:
                Current {
                    id,
                    key,
                    mut record,
                },
            changes,
            dirty,
            retire,
            rotated,
            destroyed,
            stale,
        } = pending;
        if stale && record.version == 0 {
            if dirty || destroyed {
                tracing::info!(target: "pastry_sessions", "request with an id rotated away moments ago (sent before the new cookie arrived); its session changes dropped");
            }
            return Ok(None);
        }
        // A session never stored that holds nothing is not worth creating
        // (an anonymous visitor's logout removing a key it never had).
        let empty_new = record.version == 0 && record.data.is_empty();
        let outcome = if dirty && !empty_new {
            self.save_with_replay(&key, &mut record, &changes, now)
                .await?
        } else {
            self.refresh_expiry(&key, &mut record, now).await?
        };
        if outcome == Outcome::Saved {
            #[cfg(feature = "metrics")]
            crate::telemetry::count("pastry_sessions_saved_total", self.inner.store.kind());
            // Before the old keys go, so no request finds them gone and
            // not yet remembered.
            self.inner.replayer.remember_rotated(&rotated, now);
        }
        self.delete_retired(&retire).await?;
        Ok(self.cookie_after(outcome, destroyed, &id, &record, now))
    }

    /// Commits with a cookie store: the record, when it changed or its idle
    /// expiry is due, sealed into a new cookie (too large a cookie is
    /// [`CookieError::TooLarge`](crate::CookieError::TooLarge) and nothing
    /// is sent); a removal cookie when this request destroyed the session
    /// the client had. Nothing to merge: the last response's cookie wins.
    #[cfg(feature = "cookie-store")]
    fn commit_sealed(
        &self,
        cookie: &crate::CookieStore,
        pending: Pending,
        now: SystemTime,
    ) -> Result<Option<HeaderValue>, SessionError> {
        let config = &self.inner.config;
        let Pending {
            current: Current { id, mut record, .. },
            dirty,
            destroyed,
            ..
        } = pending;
        let empty_new = record.version == 0 && record.data.is_empty();
        if dirty && !empty_new {
            record.expires_at = config.expires_at(&record, now);
        } else if let Some(expires_at) = (record.version > 0)
            .then(|| config.refresh_due(&record, now))
            .flatten()
        {
            record.expires_at = expires_at;
        } else {
            return Ok((destroyed && self.inner.had_cookie).then(|| config.removal_cookie()));
        }
        record.version = record.next_version()?;
        let value = cookie.seal(&id, &record, &config.cookie_name)?;
        let text = config.cookie_text(&value, &record, now);
        if text.len() > crate::MAX_COOKIE_BYTES {
            return Err(crate::CookieError::TooLarge {
                size: text.len(),
                limit: crate::MAX_COOKIE_BYTES,
            }
            .into());
        }
        #[cfg(feature = "metrics")]
        crate::telemetry::count("pastry_sessions_saved_total", self.inner.store.kind());
        // Base64url and validated settings only.
        Ok(HeaderValue::try_from(text).ok())
    }

    /// Takes this request's work out of the shared state; `None` when the
    /// session was already committed.
    fn take_pending(&self) -> Option<Pending> {
        let mut state = self.state();
        let current = state.current.take()?;
        Some(Pending {
            current,
            changes: mem::take(&mut state.changes),
            dirty: state.dirty,
            retire: mem::take(&mut state.retire),
            rotated: mem::take(&mut state.rotated),
            destroyed: state.destroyed,
            stale: state.stale,
        })
    }

    /// Saves `record` with compare-and-swap; when a concurrent request saved
    /// first, replays `changes` onto the record as it is now: atomically in
    /// the store when it can, else in this layer's turn for the key,
    /// reloading and saving again (after a random back-off when a save
    /// from elsewhere came in between), up to the retry budget.
    async fn save_with_replay(
        &self,
        key: &SessionKey,
        record: &mut Record,
        changes: &Changes,
        now: SystemTime,
    ) -> Result<Outcome, SessionError> {
        let config = &self.inner.config;
        let store = &*self.inner.store;
        record.expires_at = config.expires_at(record, now);
        match store.save_dyn(key, record).await? {
            SaveOutcome::Saved => return Ok(Outcome::Saved),
            // A new id's key already stored: not a concurrent request's
            // doing, and replaying onto another session is never right.
            SaveOutcome::Conflict if record.version == 0 => {
                tracing::error!(target: "pastry_sessions", session = %key.short(), "a new session's key is already stored; changes not saved");
                return Err(SessionError::Conflict { retries: 0 });
            }
            SaveOutcome::Conflict => {}
        }
        #[cfg(feature = "metrics")]
        crate::telemetry::count("pastry_sessions_cas_conflicts_total", store.kind());
        tracing::debug!(target: "pastry_sessions", session = %key.short(), "concurrent session update; replaying this request's changes");
        let turns = match &self.inner.replayer.kind {
            ReplayKind::Atomic(atomic) => {
                let changes = changes.clone();
                let config = Arc::clone(config);
                #[cfg(feature = "metrics")]
                crate::telemetry::count("pastry_sessions_cas_replays_total", store.kind());
                let replay: Replay = Box::new(move |latest| {
                    let mut record = changes.apply(latest);
                    record.expires_at = config.expires_at(&record, now);
                    record
                });
                return match atomic.update(key, now, replay).await? {
                    Some(saved) => {
                        *record = saved;
                        Ok(Outcome::Saved)
                    }
                    None => Ok(lost(key)),
                };
            }
            ReplayKind::Turns(turns) => turns,
        };
        let _turn = turns[usize::from(key.as_bytes()[0]) % turns.len()]
            .lock()
            .await;
        let mut replays = 0;
        loop {
            if replays >= config.max_retries {
                tracing::error!(target: "pastry_sessions", session = %key.short(), retries = replays, "session save kept conflicting; changes not saved");
                return Err(SessionError::Conflict { retries: replays });
            }
            if replays > 0 {
                tracing::debug!(target: "pastry_sessions", session = %key.short(), replays, "session saved elsewhere meanwhile; backing off");
                tokio::time::sleep(backoff(replays)).await;
            }
            replays += 1;
            #[cfg(feature = "metrics")]
            crate::telemetry::count("pastry_sessions_cas_replays_total", store.kind());
            match store.load_dyn(key, now).await? {
                Some(latest) => *record = changes.apply(latest),
                None => return Ok(lost(key)),
            }
            record.expires_at = config.expires_at(record, now);
            if store.save_dyn(key, record).await? == SaveOutcome::Saved {
                return Ok(Outcome::Saved);
            }
        }
    }

    /// Extends the idle expiry of an unchanged stored session when it is
    /// due; a conflict (a concurrent save) leaves it as it is.
    async fn refresh_expiry(
        &self,
        key: &SessionKey,
        record: &mut Record,
        now: SystemTime,
    ) -> Result<Outcome, SessionError> {
        if record.version == 0 {
            return Ok(Outcome::Unchanged);
        }
        let Some(expires_at) = self.inner.config.refresh_due(record, now) else {
            return Ok(Outcome::Unchanged);
        };
        let mut touched = record.clone();
        touched.expires_at = expires_at;
        if self.inner.store.save_dyn(key, &touched).await? == SaveOutcome::Saved {
            *record = touched;
            return Ok(Outcome::Saved);
        }
        Ok(Outcome::Unchanged)
    }

    /// Deletes the keys this request retired (old ids, destroyed sessions).
    async fn delete_retired(&self, retire: &[SessionKey]) -> Result<(), SessionError> {
        for old in retire {
            self.inner.store.delete_dyn(old).await?;
        }
        Ok(())
    }

    /// The `Set-Cookie` to send: the saved session's cookie, a removal when
    /// this request destroyed the session the client had, else none.
    ///
    /// A session that a concurrent request destroyed or rotated (a login's
    /// [`cycle_id`](Self::cycle_id)) gets no `Set-Cookie` at all: that
    /// request's answer carries the cookie the client should keep, and a
    /// removal sent here, arriving after it, would erase it.
    fn cookie_after(
        &self,
        outcome: Outcome,
        destroyed: bool,
        id: &SessionId,
        record: &Record,
        now: SystemTime,
    ) -> Option<HeaderValue> {
        let config = &self.inner.config;
        match outcome {
            Outcome::Saved => Some(config.cookie(id, record, now)),
            Outcome::Lost => None,
            Outcome::Unchanged => {
                (destroyed && self.inner.had_cookie).then(|| config.removal_cookie())
            }
        }
    }
}

/// One request's session work, taken out of the shared state to commit.
struct Pending {
    current: Current,
    changes: Changes,
    dirty: bool,
    retire: Vec<SessionKey>,
    rotated: Vec<SessionKey>,
    destroyed: bool,
    stale: bool,
}

/// What committing did to the stored record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Outcome {
    /// The record was written; the client gets its cookie.
    Saved,
    /// Nothing was written.
    Unchanged,
    /// A concurrent request destroyed the session (or it expired) before
    /// this request's changes could be replayed; they are dropped.
    Lost,
}

/// A concurrent request destroyed the session (or it expired) before this
/// request's changes could be replayed: they are dropped.
fn lost(key: &SessionKey) -> Outcome {
    tracing::info!(target: "pastry_sessions", session = %key.short(), "session destroyed, rotated or expired by a concurrent request; this request's changes dropped");
    Outcome::Lost
}

fn fresh(now: SystemTime) -> Current {
    let id = SessionId::random();
    Current {
        id,
        key: id.key(),
        record: Record::new(now, now),
    }
}

impl fmt::Debug for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.state();
        f.debug_struct("Session")
            .field("key", &state.current.as_ref().map(|c| c.key))
            .field("dirty", &state.dirty)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_is_random_within_a_doubling_ceiling() {
        for attempt in 1..40 {
            let ceiling = FIRST_BACKOFF
                .saturating_mul(1 << (attempt - 1).min(16))
                .min(MAX_BACKOFF);
            let waits: Vec<Duration> = (0..50).map(|_| backoff(attempt)).collect();
            assert!(waits.iter().all(|w| *w < ceiling), "{attempt}: {waits:?}");
            assert!(
                waits.iter().any(|w| *w != waits[0]),
                "{attempt}: jittered, not fixed"
            );
        }
        assert_eq!(
            FIRST_BACKOFF.saturating_mul(1 << 16).min(MAX_BACKOFF),
            MAX_BACKOFF
        );
    }
}
