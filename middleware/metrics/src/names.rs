//! The name of every metric Pastry records, with its labels. Each label's
//! values come from a short fixed list (or, for `mount`, a capped set), so
//! the number of series does not grow with traffic.

/// Counter: requests answered, by `mount`, `method` and `status`. Counted
/// when the response head is known.
pub const HTTP_REQUESTS: &str = "pastry_http_requests_total";
/// Histogram (seconds): from the request reaching the layer to the end of
/// its response body (or the body being dropped), by `mount`, `method` and
/// `status`.
pub const HTTP_DURATION: &str = "pastry_http_request_duration_seconds";
/// Gauge: requests inside the layer whose response body has not ended, by
/// `mount`.
pub const HTTP_IN_FLIGHT: &str = "pastry_http_requests_in_flight";
/// Counter (bytes): response body bytes sent through the layer, by `mount`,
/// `method` and `status`.
pub const HTTP_RESPONSE_BYTES: &str = "pastry_http_response_body_bytes_total";

/// Counter: sessions found in the store for a request, by `store`
/// (`memory`, `file`, `sqlite`, `redis`, `postgres`, or `other` for a
/// store of your own).
/// Recorded by `pastry-sessions` with its `metrics` feature.
pub const SESSIONS_LOADED: &str = "pastry_sessions_loaded_total";
/// Counter: sessions written to the store (changed, or their idle expiry
/// extended), by `store`.
pub const SESSIONS_SAVED: &str = "pastry_sessions_saved_total";
/// Counter: replays of a request's changes onto the session as a
/// concurrent request left it (one per conflict in a store that replays
/// atomically, one per try otherwise), by `store`.
pub const SESSIONS_CAS_REPLAYS: &str = "pastry_sessions_cas_replays_total";
/// Counter: saves whose compare-and-swap found the session changed by a
/// concurrent request, by `store`.
pub const SESSIONS_CAS_CONFLICTS: &str = "pastry_sessions_cas_conflicts_total";
/// Histogram (seconds): one store operation, by `store` and `op` (`load`,
/// `save`).
pub const SESSIONS_STORE_DURATION: &str = "pastry_sessions_store_duration_seconds";

/// Counter: logins refused for a wrong name or password (form, Basic
/// auth, any login through an `Authenticator`). Recorded by `pastry-auth`
/// with its `metrics` feature; no label (never the user name).
pub const AUTH_FAILED_LOGINS: &str = "pastry_auth_failed_logins_total";
/// Counter: login attempts refused during a lockout, by `reason`
/// (`address`: too many failures for the name from that address;
/// `account`: too many for the name from everywhere).
pub const AUTH_LOCKOUTS: &str = "pastry_auth_lockouts_total";

/// Counter (bytes): response bytes before compression, by `coding`
/// (`gzip`, `br`, `zstd`). Recorded by `pastry-gzip` with its `metrics`
/// feature; the compression ratio is this over [`GZIP_BYTES_OUT`].
pub const GZIP_BYTES_IN: &str = "pastry_gzip_bytes_in_total";
/// Counter (bytes): response bytes after compression, by `coding`.
pub const GZIP_BYTES_OUT: &str = "pastry_gzip_bytes_out_total";

/// Counter: panics caught and answered with a 500. Recorded by
/// `pastry-catch` with its `metrics` feature.
pub const CATCH_PANICS: &str = "pastry_catch_panics_total";

/// Counter: requests refused with a 429 by the rate limiter, by `backend`
/// (`memory`, `redis`), recorded by `pastry-ratelimit` with its `metrics`
/// feature.
pub const RATELIMIT_LIMITED: &str = "pastry_ratelimit_limited_total";
