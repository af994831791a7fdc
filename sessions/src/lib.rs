//! Server-side sessions for any tower service, kept in memory, in files or
//! in SQLite, for apps that need per-user state behind a cookie.
//! Sessions load only when a handler uses them, ids are hashed at rest, and
//! concurrent requests on one session never lose each other's changes.
//!
//! In the `pastry` facade this crate is `pastry::sessions` (feature `sessions`,
//! on by default): `pastry_sessions::SessionLayer` is
//! `pastry::sessions::SessionLayer`, and `pastry_core::X` is `pastry::X`. The
//! examples use the crate paths, so each crate stays usable alone.
//!
//! ```
//! use http::{Request, Response, header};
//! use pastry_sessions::{MemoryStore, SessionExt, SessionLayer};
//! use tower::{ServiceBuilder, ServiceExt, service_fn};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
//! let app = ServiceBuilder::new()
//!     .layer(SessionLayer::new(MemoryStore::new()).cookie_name("sid"))
//!     .service(service_fn(|req: Request<()>| async move {
//!         let session = req.session().expect("behind a SessionLayer");
//!         let count = session.get::<u64>("count").await?.unwrap_or(0) + 1;
//!         session.insert("count", &count).await?;
//!         Ok::<_, pastry_sessions::SessionError>(Response::new(format!("visit {count}")))
//!     }));
//!
//! // The first visit gets a cookie...
//! let res = app.clone().oneshot(Request::new(())).await?;
//! let cookie = res.headers()[header::SET_COOKIE].to_str()?.split(';').next().unwrap().to_owned();
//! assert!(cookie.starts_with("sid="));
//!
//! // ...and the second, sending it back, continues the same session.
//! let req = Request::builder().header(header::COOKIE, &cookie).body(())?;
//! let res = app.oneshot(req).await?;
//! let body = http_body_util::BodyExt::collect(res.into_body()).await?.to_bytes();
//! assert_eq!(&body[..], b"visit 2");
//! # Ok(())
//! # }
//! ```
//!
//! # Features
//!
//! | feature | default | what it adds |
//! |---|---|---|
//! | `memory` | yes | [`MemoryStore`], `memory:` URLs |
//! | `file` | yes | [`FileStore`], `file:` URLs |
//! | `sqlite` | yes | [`SqliteStore`], `sqlite:` URLs |
//! | `redis` | no | `RedisStore`, `redis://` URLs |
//! | `redis-tls` | no | `rediss://` URLs (TLS through the system's OpenSSL) |
//! | `postgres` | no | `PostgresStore`, `postgres://` URLs |
//! | `cookie-store` | no | `CookieStore`: the whole session sealed (XChaCha20-Poly1305) in its cookie, no server-side state; `cookie:?key_env=VAR` / `cookie:?key_file=PATH` URLs |
//! | `axum` | no | [`Session`] as an axum extractor, [`SessionError`] as a response |
//! | `metrics` | no | the layer's counters and store timings through the `metrics` facade |
//!
//! # Changes
//!
//! - **cookie-store feature** (off by default): `CookieStore`
//!   keeps the session record in the cookie, sealed with
//!   XChaCha20-Poly1305 under `CookieKeys` (32-byte keys as base64 or hex;
//!   the first seals, all open, for rotation), with its expiry and
//!   absolute lifetime inside; `cookie:?key_env=VAR` and
//!   `cookie:?key_file=PATH` in [`AnyStore`] (a key in the URL is
//!   `CookieError::KeyInUrl`). A session whose cookie would pass 4 KiB is
//!   `CookieError::TooLarge`: logged at warn, not saved, no `Set-Cookie`.
//!   A bad cookie is a fresh session. What a cookie store cannot do
//!   (revoke one session, merge concurrent requests) is on `CookieStore`.
//!   New: `CookieStore`, `CookieKeys`, `CookieError`, `MAX_COOKIE_BYTES`,
//!   `SessionError::Cookie`, `AnyStore::Cookie`.
//! - **metrics feature** (off by default): sessions found and
//!   saved, compare-and-swap conflicts and replays, and each store
//!   operation's time, counted through the `metrics` facade by store kind
//!   (`pastry_sessions_*`; `pastry-metrics` renders them). Never a session
//!   id in a label.
//! - **One clock for every crate**: [`Clock`], [`SystemClock`]
//!   and [`ManualClock`] are pastry-core's, re-exported here. A clock of
//!   your own now implements `instant()` beside `now()`;
//!   `ManualClock::new(start)` is `ManualClock::at(start)`
//!   (`ManualClock::new()` starts at the current time), and
//!   `ManualClock::set` is gone (use `advance`).
//! - **Redis and PostgreSQL stores**: with feature `redis`,
//!   `RedisStore` (hashed-id keys under a prefix, native TTL, server-side
//!   compare-and-swap by a Lua script, one self-reconnecting multiplexed
//!   connection); with `redis-tls`, `rediss://` URLs; with `postgres`,
//!   `PostgresStore` (schema and table configurable, created with an expiry
//!   index, CAS by `UPDATE … WHERE version = $n`, `delete_expired` in
//!   batches, a pool of 16). Both connect on first use and fail an
//!   operation after a timeout (5 s by default) with the new
//!   [`SessionError::Unavailable`], which the layer (and `IntoResponse`)
//!   answers with a 503 instead of a 500 ([`SessionError::status`]).
//!   [`AnyStore`] reads `redis://`, `rediss://`, `postgres://`,
//!   `postgresql://`; new `AnyStore::redact`; [`SessionError::Url`] shows a
//!   URL's password as `***`.
//! - **Cross-origin WebSocket handshakes refused**: an upgrade
//!   request (HTTP/1.1 `Upgrade`, HTTP/2 extended `CONNECT`) from another
//!   origin gets an empty 403 before the app runs, unless a cross-origin
//!   layer outside already passed it; [`SessionLayer::handshake_origin`]
//!   turns the check off.
//! - **`__Host-` cookie name by default**: without
//!   [`SessionLayer::cookie_name`], the cookie is `__Host-id` (was `id`)
//!   when `Secure` with `Path=/` and no `Domain`, so a sibling subdomain
//!   or a plain-http page cannot plant a session cookie the layer reads;
//!   `__Secure-id` when `Secure` with a `Domain` or another path (browsers
//!   refuse `__Host-` there); still `id` with `.secure(false)`. A name
//!   given to [`SessionLayer::cookie_name`] is used as given (keep the old
//!   name with `.cookie_name("id")`; otherwise sessions whose cookie is
//!   still `id` are not read after the upgrade and their users start
//!   afresh once); a given `__Host-` or `__Secure-` name the settings
//!   break is a [`ConfigError::CookieName`]. When several cookies of the
//!   name arrive, the first of at most four well-formed ids, in the order
//!   sent, that names a live session is used (documented on
//!   [`SessionLayer::cookie_name`]).
//! - **Absolute session lifetime by default**: sessions end 7
//!   days after their first save however active, beside the idle timeout
//!   (still a day); before, a session used every day never ended. Such a
//!   session is treated as expired when loaded: the request gets a fresh
//!   session and id. Change it with [`SessionLayer::absolute_lifetime`];
//!   `Duration::MAX` turns the cap off (a lifetime past the end of time
//!   now means no cap instead of a panic).
//! - **Cache-safe responses by default**: a response that sets
//!   or removes the session cookie gets `Cache-Control: private` unless
//!   the app set a `Cache-Control` of its own (off with
//!   [`SessionLayer::cache_control`]`(false)`), and a response whose
//!   handler loaded the session gets `Cookie` merged into its `Vary` (off
//!   with [`SessionLayer::vary_cookie`]`(false)`). Before, neither was
//!   sent, so a shared cache could hand one visitor's `Set-Cookie` to the
//!   next. New: [`SessionLayer::cache_control`],
//!   [`SessionLayer::vary_cookie`].
//! - **No 500s under concurrent requests on one session**: a
//!   save that conflicts with a concurrent request's is replayed
//!   atomically by the bundled stores ([`MemoryStore`] under the map's
//!   lock, [`FileStore`] under its stripe lock from reload to write,
//!   [`SqliteStore`] in one `BEGIN IMMEDIATE` transaction; also inside
//!   [`AnyStore`]), once, and never fails. With any other store the
//!   requests of one layer take turns per session to replay, and a save
//!   from elsewhere in between makes them back off (random, 2 ms doubling
//!   to 100 ms) before replaying again; [`SessionLayer::max_retries`]
//!   (still 8 by default) now counts only those replays. Before, a replay
//!   reloaded outside any lock and retried at once, and of 64 requests
//!   sent 32 at a time on one session, 16 to 35 got a 500 from the file
//!   and SQLite stores.
//! - **No logout by a request in flight during a login**: a
//!   request whose session a concurrent request destroyed or rotated (a
//!   login's [`Session::cycle_id`]) drops its changes and sends no
//!   `Set-Cookie`; before, it sent a removal cookie (`Max-Age=0`) that
//!   arrived after the login's cookie and erased it. A removal cookie is
//!   sent only by the request that called [`Session::destroy`]. Likewise,
//!   for a minute after [`Session::cycle_id`], a request still carrying
//!   the old id (sent before the new cookie arrived, handled after the
//!   login) gets an empty session whose changes are dropped and no
//!   `Set-Cookie`; before, a handler that stored anything started a fresh
//!   session whose cookie replaced the login's. The layer remembers up to
//!   4 096 rotated ids, per process.
//! - **Own public types**: [`SameSite`] is this crate's enum
//!   (same variants `Strict`, `Lax`, `None`, plus [`SameSite::as_str`] and
//!   `Display`), no longer a re-export of `cookie::SameSite`; the `cookie`
//!   crate is no longer a dependency. [`SessionError::Sqlite`] carries the
//!   database error as a boxed source (`Box<dyn Error + Send + Sync>`,
//!   downcast to reach it) instead of `rusqlite::Error`, and
//!   `From<rusqlite::Error>` for [`SessionError`] is gone. Likewise
//!   [`SessionError::Worker`] boxes the `tokio::task::JoinError` (no more
//!   `From<JoinError>`) and the `source` of [`SessionError::Value`] boxes the
//!   `serde_json::Error`.
//! - **No panic in `Layer::layer`**: applying a [`SessionLayer`]
//!   whose settings [`SessionLayer::validate`] rejects no longer panics;
//!   the service logs the [`ConfigError`] and answers every request with an
//!   empty 500, without calling the app or the store. Call
//!   [`SessionLayer::validate`] at start-up to get the typed error there.
//! - **Memory store bounded by default**: [`MemoryStore::new`]
//!   and the `memory:` URL hold at most [`DEFAULT_MAX_ENTRIES`] (100 000)
//!   sessions; before, they were unbounded. Change the cap with
//!   [`MemoryStore::max_entries`] or `memory:?max_entries=N`
//!   (`usize::MAX` for no cap). A full store evicts sessions whose client
//!   never came back with the cookie first, then those closest to expiry.
//!   New: [`DEFAULT_MAX_ENTRIES`].
//! - **axum feature**: with `features = ["axum"]`, [`Session`]
//!   is an axum extractor (`FromRequestParts`; without a [`SessionLayer`]
//!   the rejection `MissingSessionLayer` answers 500 and logs the fix) and
//!   [`SessionError`] implements `IntoResponse` (500 with an `x-error-id`,
//!   the error logged with that id, never shown). Depends on `axum-core`
//!   0.5 (axum 0.8). New: `MissingSessionLayer`.
//! - Docs: every store says expired records stay until
//!   [`spawn_cleanup`] (or [`delete_expired`](SessionStore::delete_expired))
//!   removes them, with an example.

#[cfg(feature = "axum")]
mod axum_glue;
mod body;
mod config;
mod error;
mod expiry;
mod ext;
mod future;
mod id;
mod layer;
mod record;
mod same_site;
mod service;
mod session;
mod store;
#[cfg(feature = "metrics")]
mod telemetry;

#[cfg(feature = "axum")]
pub use axum_glue::MissingSessionLayer;
pub use body::SessionBody;
pub use error::{ConfigError, SessionError};
pub use expiry::Expiry;
pub use ext::SessionExt;
pub use future::ResponseFuture;
pub use id::SessionKey;
pub use layer::SessionLayer;
/// The clock the layer reads (one for every Pastry crate): re-exported
/// from pastry-core so `pastry_sessions::ManualClock` keeps working.
pub use pastry_core::{Clock, ManualClock, SystemClock};
pub use record::Record;
pub use same_site::SameSite;
pub use service::SessionService;
pub use session::Session;
pub use store::any::AnyStore;
pub use store::cleanup::spawn_cleanup;
#[cfg(feature = "cookie-store")]
pub use store::cookie::{CookieError, CookieKeys, CookieStore, MAX_COOKIE_BYTES};
#[cfg(feature = "file")]
pub use store::file::FileStore;
#[cfg(feature = "memory")]
pub use store::memory::{DEFAULT_MAX_ENTRIES, MemoryStore};
#[cfg(feature = "postgres")]
pub use store::postgres::{PostgresStore, PostgresStoreBuilder};
#[cfg(feature = "redis")]
pub use store::redis::{RedisStore, RedisStoreBuilder};
#[cfg(feature = "sqlite")]
pub use store::sqlite::{SqliteStore, SqliteStoreBuilder, Synchronous};
pub use store::{SaveOutcome, SessionStore};
