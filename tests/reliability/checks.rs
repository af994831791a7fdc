//! Properties of every Pastry parser that sees client input, one function
//! per fuzz target. Each takes the raw fuzz input, panics when a property
//! breaks, and returns quietly for inputs that cannot be sent at all (a
//! header value with a newline, a URI `http` refuses).
//!
//! Shared word for word by `fuzz/` (cargo-fuzz, libFuzzer) and by
//! `tests/reliability_fuzz_properties.rs` (proptest, in `cargo test`).
//! Parsers that are private to their crate are reached through the public
//! middleware, the way a client reaches them: `Cookie` through
//! `SessionLayer`, `Authorization` through `BasicAuthLayer`, gzip request
//! bodies through `GzipLayer` with `GunzipRequestsLayer`.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::io::{Read, Write};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use http::header::{
    ACCEPT_ENCODING, AUTHORIZATION, CONTENT_ENCODING, CONTENT_TYPE, COOKIE, SET_COOKIE, VARY,
    WWW_AUTHENTICATE,
};
use http::{HeaderMap, HeaderValue, Request, Response, StatusCode};
use http_body::Frame;
use http_body_util::{BodyExt, Full};
use pastry::auth::{AuthError, Authenticator, BasicAuthLayer, PasswordHasher, User, UserStore};
use pastry::gzip::{DecompressBody, GunzipRequestsLayer, GzipLayer, accepts_gzip};
use pastry::header::{Quality, coding_quality, media_quality, quality_items};
use pastry::sessions::{
    FileStore, MemoryStore, Record, SaveOutcome, SessionExt, SessionKey, SessionLayer, SessionStore,
};
use pastry::urlmap::{UrlMap, normalise_path as normalise};
use pastry::{BoxError, Environ};
use tower::{ServiceBuilder, ServiceExt, service_fn};

thread_local! {
    static RUNTIME: tokio::runtime::Runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a current-thread runtime");
}

fn block_on<F: std::future::Future>(future: F) -> F::Output {
    RUNTIME.with(|rt| rt.block_on(future))
}

/// A request body sent as the given frames, one per poll.
pub struct Chunks(VecDeque<Bytes>);

impl Chunks {
    /// `bytes` cut at each of `cuts` (positions past the end are ignored).
    pub fn split(bytes: &[u8], cuts: &[usize]) -> Self {
        let mut cuts: Vec<usize> = cuts.iter().copied().filter(|&c| c < bytes.len()).collect();
        cuts.sort_unstable();
        cuts.dedup();
        let mut frames = VecDeque::new();
        let mut start = 0;
        for cut in cuts.into_iter().chain([bytes.len()]) {
            if cut > start {
                frames.push_back(Bytes::copy_from_slice(&bytes[start..cut]));
                start = cut;
            }
        }
        Self(frames)
    }
}

impl http_body::Body for Chunks {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        Poll::Ready(self.0.pop_front().map(|b| Ok(Frame::data(b))))
    }
}

/// Splits fuzz input into header lines at `\n`, as a client sending the
/// same header several times.
fn header_lines(data: &[u8]) -> Vec<HeaderValue> {
    data.split(|&b| b == b'\n')
        .filter_map(|line| HeaderValue::from_bytes(line).ok())
        .collect()
}

// ---------------------------------------------------------------------------
// Accept-Encoding and q-values

/// `Accept-Encoding` / `Accept` lines through pastry-core's quality-list
/// parsers and through `GzipLayer`: no panic; qualities stay within 0..=1;
/// several lines mean the same as one comma-joined line; every accepted
/// `q` prints back to itself; the layer compresses exactly when
/// `accepts_gzip` says so, always says `Vary: accept-encoding`, and the
/// gzip it sends decodes to the original body.
pub fn accept_encoding(data: &[u8]) {
    let lines = header_lines(data);
    for item in quality_items(&lines) {
        assert!(item.quality.thousandths() <= 1000);
        assert!(!item.value.is_empty());
        assert!(!item.value.contains(',') && !item.value.contains(';'));
        assert_eq!(item.value, item.value.trim());
    }
    for coding in ["gzip", "x-gzip", "br", "*", "identity"] {
        let _ = coding_quality(&lines, coding);
    }
    for media in ["text/html", "application/json", "*/*", "bogus"] {
        let _ = media_quality(&lines, media);
    }
    // Header lines combine like one comma-separated line (RFC 9110 5.3),
    // when every line is readable text.
    let texts: Option<Vec<&str>> = lines.iter().map(|v| v.to_str().ok()).collect();
    if let Some(texts) = texts
        && let Ok(joined) = HeaderValue::from_str(&texts.join(","))
    {
        let joined = [joined];
        for coding in ["gzip", "x-gzip", "br", "identity"] {
            assert_eq!(
                coding_quality(&lines, coding),
                coding_quality(&joined, coding),
                "{coding} in {texts:?}"
            );
        }
        let as_map = |values: &[HeaderValue]| {
            let mut map = HeaderMap::new();
            for v in values {
                map.append(ACCEPT_ENCODING, v.clone());
            }
            map
        };
        assert_eq!(
            accepts_gzip(&as_map(&lines)),
            accepts_gzip(&as_map(&joined))
        );
    }
    // Quality::parse accepts exactly what prints back to the same value.
    if let Ok(text) = std::str::from_utf8(data)
        && let Some(q) = Quality::parse(text)
    {
        let t = q.thousandths();
        let printed = format!("{}.{:03}", t / 1000, t % 1000);
        assert_eq!(Quality::parse(&printed), Some(q));
        assert!(text.len() <= 5);
    }

    // Through the layer.
    let mut headers = HeaderMap::new();
    for v in &lines {
        headers.append(ACCEPT_ENCODING, v.clone());
    }
    let expect_gzip = accepts_gzip(&headers);
    let page = "pastry ".repeat(200);
    let res = block_on(async {
        let app = ServiceBuilder::new()
            .layer(GzipLayer::new())
            .service(service_fn(|_req: Request<Full<Bytes>>| async {
                let res = Response::builder()
                    .header(CONTENT_TYPE, "text/plain")
                    .body(Full::new(Bytes::from("pastry ".repeat(200))))
                    .expect("a valid response");
                Ok::<_, Infallible>(res)
            }));
        let mut req = Request::new(Full::new(Bytes::new()));
        *req.headers_mut() = headers;
        let res = app.oneshot(req).await.expect("infallible");
        let (parts, body) = res.into_parts();
        let body = body.collect().await.expect("a gzip body").to_bytes();
        (parts, body)
    });
    let (parts, body) = res;
    assert_eq!(parts.status, StatusCode::OK);
    let vary: Vec<_> = parts.headers.get_all(VARY).iter().collect();
    assert!(
        vary.iter().any(|v| v
            .to_str()
            .is_ok_and(|t| t.eq_ignore_ascii_case("accept-encoding"))),
        "Vary: {vary:?}"
    );
    let gzipped = parts
        .headers
        .get(CONTENT_ENCODING)
        .is_some_and(|v| v == "gzip");
    assert_eq!(gzipped, expect_gzip, "Accept-Encoding {lines:?}");
    if gzipped {
        let mut plain = Vec::new();
        flate2::read::GzDecoder::new(&body[..])
            .read_to_end(&mut plain)
            .expect("the layer's gzip decodes");
        assert_eq!(plain, page.as_bytes());
    } else {
        assert_eq!(body, page.as_bytes());
    }
}

// ---------------------------------------------------------------------------
// Cookie header and session ids

/// The value of the `id` cookie a response sets, if any.
fn set_cookie_id(headers: &HeaderMap) -> Option<String> {
    headers.get_all(SET_COOKIE).iter().find_map(|v| {
        let text = v.to_str().ok()?;
        let pair = text.split(';').next()?;
        let (name, value) = pair.split_once('=')?;
        (name.trim() == "id").then(|| value.trim().to_owned())
    })
}

/// Whether the session with id `live` should be found from this `Cookie`
/// header: RFC 6265 pairs named `id`, trimmed and unquoted, of which the
/// first four distinct well-formed ids (32 lowercase hex digits) are tried.
fn cookie_model_finds(lines: &[HeaderValue], live: &str) -> bool {
    let mut candidates: Vec<&str> = Vec::new();
    for line in lines {
        let Ok(text) = line.to_str() else { continue };
        for pair in text.split(';') {
            let Some((name, value)) = pair.split_once('=') else {
                continue;
            };
            if name.trim() != "id" {
                continue;
            }
            let value = value.trim();
            let value = value
                .strip_prefix('"')
                .and_then(|v| v.strip_suffix('"'))
                .unwrap_or(value);
            let well_formed = value.len() == 32
                && value
                    .bytes()
                    .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
            if well_formed && !candidates.contains(&value) && candidates.len() < 4 {
                candidates.push(value);
            }
        }
    }
    candidates.contains(&live)
}

/// Arbitrary `Cookie` lines through `SessionLayer` (memory store), with
/// every `$ID` in the input replaced by the id of a live session: the
/// request never fails; the live session continues exactly when the model
/// says its id was sent; otherwise a fresh session starts under a new,
/// server-made id, never one the client supplied (no fixation).
pub fn session_cookie(data: &[u8]) {
    block_on(async {
        let app = ServiceBuilder::new()
            .layer(SessionLayer::new(MemoryStore::new()).secure(false))
            .service(service_fn(|req: Request<Full<Bytes>>| async move {
                let session = req.session().expect("behind a SessionLayer");
                let n = session.get::<u64>("n").await?.unwrap_or(0) + 1;
                session.insert("n", &n).await?;
                Ok::<_, BoxError>(Response::new(Full::new(Bytes::from(n.to_string()))))
            }));
        let first = app
            .clone()
            .oneshot(Request::new(Full::new(Bytes::new())))
            .await
            .expect("the first request succeeds");
        let live = set_cookie_id(first.headers()).expect("a new session sets a cookie");

        let mut text = Vec::with_capacity(data.len() + 32);
        let mut rest = data;
        while let Some(at) = rest.windows(3).position(|w| w == b"$ID") {
            text.extend_from_slice(&rest[..at]);
            text.extend_from_slice(live.as_bytes());
            rest = &rest[at + 3..];
        }
        text.extend_from_slice(rest);
        let lines = header_lines(&text);
        let mut req = Request::new(Full::new(Bytes::new()));
        for line in &lines {
            req.headers_mut().append(COOKIE, line.clone());
        }
        let res = app
            .oneshot(req)
            .await
            .expect("a session request never fails");
        assert_eq!(res.status(), StatusCode::OK);
        let set = set_cookie_id(res.headers());
        let body = res.into_body().collect().await.expect("a body").to_bytes();
        let continued = match &body[..] {
            b"1" => false,
            b"2" => true,
            other => panic!("unexpected count {other:?}"),
        };
        assert_eq!(
            continued,
            cookie_model_finds(&lines, &live),
            "Cookie {lines:?}"
        );
        if continued {
            assert!(set.as_deref().is_none_or(|id| id == live));
        } else {
            let id = set.expect("a fresh session sets its cookie");
            assert_ne!(id, live);
            assert!(id.len() == 32 && id.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')));
            assert!(
                !text.windows(id.len()).any(|w| w == id.as_bytes()),
                "a client-chosen id was adopted"
            );
        }
    });
}

// ---------------------------------------------------------------------------
// Authorization: Basic

/// A user store that records every name it is asked for; it knows one
/// user, `alice`, whose password is `wonderland`.
struct Recorder {
    seen: Mutex<Vec<String>>,
    alice: User,
}

impl UserStore for Recorder {
    async fn find(&self, name: &str) -> Result<Option<User>, AuthError> {
        self.seen
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(name.to_owned());
        Ok((name == "alice").then(|| self.alice.clone()))
    }
}

thread_local! {
    static HASHER: (PasswordHasher, String) = {
        let hasher = PasswordHasher::builder()
            .memory_kib(8)
            .iterations(1)
            .parallelism(1)
            .build()
            .expect("cheap argon2 parameters");
        let hash = hasher.hash_blocking("wonderland").expect("hashing works");
        (hasher, hash)
    };
}

/// Standard base64 with padding (RFC 4648), for building headers.
pub fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk.len();
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let v = u32::from(b[0]) << 16 | u32::from(b[1]) << 8 | u32::from(b[2]);
        for i in 0..4 {
            if i <= n {
                out.push(char::from(ALPHABET[(v >> (18 - 6 * i) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Sends `lines` as `Authorization` headers through `BasicAuthLayer`;
/// returns the status, the names the store was asked for, and the
/// `RemoteUser` the app saw.
fn basic_request(lines: &[HeaderValue]) -> (StatusCode, Vec<String>, Option<String>, bool) {
    let (hasher, hash) = HASHER.with(|h| (h.0.clone(), h.1.clone()));
    let store = Arc::new(Recorder {
        seen: Mutex::new(Vec::new()),
        alice: User::new("alice", hash),
    });
    let auth = Authenticator::new(Arc::clone(&store))
        .hasher(hasher)
        .max_failures(0)
        .cache_ttl(Duration::ZERO);
    let (status, user, challenged) = block_on(async {
        let app = ServiceBuilder::new()
            .layer(BasicAuthLayer::new(auth))
            .service(service_fn(|req: Request<Full<Bytes>>| async move {
                let user = req.remote_user().unwrap_or("").to_owned();
                Ok::<_, Infallible>(Response::new(Full::new(Bytes::from(user))))
            }));
        let mut req = Request::new(Full::new(Bytes::new()));
        for line in lines {
            req.headers_mut().append(AUTHORIZATION, line.clone());
        }
        let res = app.oneshot(req).await.expect("infallible");
        let status = res.status();
        let challenged = res.headers().contains_key(WWW_AUTHENTICATE);
        let body = res.into_body().collect().await.expect("a body").to_bytes();
        let user = (status == StatusCode::OK).then(|| String::from_utf8_lossy(&body).into_owned());
        (status, user, challenged)
    });
    let seen = store
        .seen
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .clone();
    (status, seen, user, challenged)
}

/// `Authorization` headers through `BasicAuthLayer` (its parser is
/// private). The first input byte picks a mode:
///
/// - raw: the rest is sent as header lines. The answer is 200 (only as
///   `alice`) or 401 with a challenge, never anything else; at most one name
///   reaches the store, and it is non-empty with no `:` or control
///   character.
/// - encoded: the rest is `name \0 password`, sent base64-encoded in one of
///   several spellings (`Basic`/`basic`, extra spaces, padding or not). The
///   store is asked for exactly the name RFC 7617 gives (text before the
///   first colon; none if empty, if anything has a control character, or if
///   the header is over pastry-auth's 4 KiB limit), and only
///   `alice:wonderland` gets in.
pub fn basic_auth(data: &[u8]) {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    if mode % 2 == 0 {
        let lines = header_lines(rest);
        let (status, seen, user, challenged) = basic_request(&lines);
        assert!(seen.len() <= 1, "asked for {seen:?}");
        for name in &seen {
            assert!(!name.is_empty() && !name.contains(':'));
            assert!(!name.chars().any(char::is_control));
        }
        match status {
            StatusCode::OK => {
                assert_eq!(seen, ["alice"]);
                assert_eq!(user.as_deref(), Some("alice"));
            }
            StatusCode::UNAUTHORIZED => assert!(challenged),
            other => panic!("unexpected status {other} for {lines:?}"),
        }
        if lines.len() != 1 {
            assert!(seen.is_empty(), "several Authorization headers were used");
        }
        return;
    }
    let text = String::from_utf8_lossy(rest);
    let (name, password) = text.split_once('\0').unwrap_or((&text, ""));
    let credentials = format!("{name}:{password}");
    let mut token = base64(credentials.as_bytes());
    if mode & 2 != 0 {
        token = token.trim_end_matches('=').to_owned();
    }
    let scheme = if mode & 4 != 0 { "basic" } else { "Basic" };
    let gap = if mode & 8 != 0 { "   " } else { " " };
    let value = format!("{scheme}{gap}{token}");
    let Ok(value) = HeaderValue::from_str(&value) else {
        return;
    };
    // pastry-auth refuses `Authorization` values over 4 KiB unread, and
    // names over `MAX_NAME_LEN` before any store lookup.
    let expected = if value.len() > 4096 || credentials.chars().any(char::is_control) {
        None
    } else {
        let (n, _) = credentials.split_once(':').unwrap_or((&credentials, ""));
        (!n.is_empty() && n.len() <= pastry_auth::MAX_NAME_LEN).then(|| n.to_owned())
    };
    let (status, seen, user, challenged) = basic_request(&[value]);
    assert_eq!(
        seen,
        expected.iter().cloned().collect::<Vec<_>>(),
        "{credentials:?}"
    );
    let welcome = name == "alice" && password == "wonderland";
    if welcome {
        assert_eq!(status, StatusCode::OK);
        assert_eq!(user.as_deref(), Some("alice"));
    } else {
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{credentials:?}");
        assert!(challenged);
    }
}

// ---------------------------------------------------------------------------
// URL-map path normalisation

fn is_hex_upper(b: u8) -> bool {
    b.is_ascii_digit() || (b'A'..=b'F').contains(&b)
}

/// A path through `normalise_path` and through a `UrlMap` with an app
/// mounted at `/m`: the result starts with `/`; normalising it again
/// changes nothing (and borrows); no segment is `.`, `..` or empty (but a
/// trailing one), even read with its escapes decoded, so nothing
/// downstream can climb out; only path characters and uppercase escapes
/// of reserved bytes remain. The mounted app is reached exactly when the
/// normalised path is `/m` or under `/m/`, and then sees `/m` as its
/// script name and the rest as its path, so no spelling escapes the
/// mount or slips into it.
pub fn normalise_path(data: &[u8]) {
    let Ok(path) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(normal) = normalise(path) else {
        assert!(
            path.contains('%') || path.contains('\0'),
            "refused {path:?}"
        );
        return;
    };
    assert!(normal.starts_with('/'), "{path:?} -> {normal:?}");
    match normalise(&normal) {
        Ok(std::borrow::Cow::Borrowed(again)) => assert_eq!(again, normal),
        other => panic!("{path:?} -> {normal:?} -> {other:?}"),
    }
    let segments: Vec<&str> = normal[1..].split('/').collect();
    for (i, segment) in segments.iter().enumerate() {
        let last = i + 1 == segments.len();
        assert!(!segment.is_empty() || last, "{path:?} -> {normal:?}");
        let decoded = decode_percent(segment);
        assert!(
            decoded != b"." && decoded != b"..",
            "{path:?} -> {normal:?}: segment {segment:?}"
        );
    }
    let bytes = normal.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'%' {
            assert!(
                i + 2 < bytes.len() && is_hex_upper(bytes[i + 1]) && is_hex_upper(bytes[i + 2])
            );
            let value = hex(bytes[i + 1]) << 4 | hex(bytes[i + 2]);
            assert!(
                !(value.is_ascii_alphanumeric() || b"-._~".contains(&value)),
                "unreserved byte left escaped in {normal:?}"
            );
            i += 3;
        } else {
            assert!(
                b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=:@/".contains(&b),
                "raw byte {b:#x} in {normal:?}"
            );
            i += 1;
        }
    }

    // Through a URL map: only `/m` and paths under it reach the mount.
    let Ok(uri) = http::Uri::try_from(path) else {
        return;
    };
    if uri.query().is_some() || uri.scheme().is_some() || uri.path() != path {
        return;
    }
    let (status, body) = block_on(async {
        let mounted = service_fn(|req: Request<Full<Bytes>>| async move {
            let text = format!("{}|{}", req.script_name(), req.path_info());
            Ok::<_, Infallible>(Response::new(Full::new(Bytes::from(text))))
        });
        let map = UrlMap::builder()
            .mount("/m", mounted)
            .build()
            .expect("a valid map");
        let mut req = Request::new(Full::new(Bytes::new()));
        *req.uri_mut() = uri;
        let res = map.oneshot(req).await.expect("the map answers");
        let status = res.status();
        let body = res.into_body().collect().await.expect("a body").to_bytes();
        (status, body)
    });
    let inside = normal == "/m" || normal.starts_with("/m/");
    if inside {
        assert_eq!(status, StatusCode::OK, "{path:?} -> {normal:?}");
        assert_eq!(body, format!("/m|{}", &normal[2..]), "{path:?}");
    } else {
        assert_ne!(
            status,
            StatusCode::OK,
            "{path:?} -> {normal:?} reached the mount"
        );
    }
}

fn hex(b: u8) -> u8 {
    match b {
        b'0'..=b'9' => b - b'0',
        b'a'..=b'f' => b - b'a' + 10,
        _ => b - b'A' + 10,
    }
}

fn decode_percent(segment: &str) -> Vec<u8> {
    let bytes = segment.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            out.push(hex(bytes[i + 1]) << 4 | hex(bytes[i + 2]));
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    out
}

// ---------------------------------------------------------------------------
// File store record decoding

thread_local! {
    static FILE_STORE: (tempfile::TempDir, FileStore) = {
        let dir = tempfile::tempdir().expect("a temp dir");
        let store = FileStore::new(dir.path()).expect("a file store").fsync(false);
        (dir, store)
    };
}

/// Arbitrary bytes as a session file of a `FileStore`: loading never
/// panics or errors; it yields a record only when `Record::from_json`
/// accepts the bytes (and the record is live), else the session is
/// treated as missing, so a fresh save at version 0 succeeds. A record
/// that decodes re-encodes to an equal record. The next `delete_expired`
/// removes the file when it is corrupt or expired and keeps it otherwise.
/// The same bytes under a live session's key, sent through a
/// `SessionLayer`, give a normal answer (old or fresh session), never a
/// panic or an error.
pub fn file_record(data: &[u8]) {
    let decoded = Record::from_json(data);
    if let Ok(record) = &decoded {
        assert_eq!(
            Record::from_json(&record.to_json()).ok().as_ref(),
            Some(record)
        );
    }
    let (dir, store) = FILE_STORE.with(|s| (s.0.path().to_path_buf(), s.1.clone()));
    let key = SessionKey::from_bytes([0x5a; 32]);
    let path = dir.join(format!("{}.session", key.to_hex()));
    let now = SystemTime::now();
    std::fs::write(&path, data).expect("writing the session file");
    block_on(async {
        let loaded = store.load(&key, now).await.expect("loading never errors");
        match (&decoded, &loaded) {
            (Ok(record), Some(found)) => {
                assert_eq!(record, found);
                assert!(!found.is_expired(now));
            }
            (Ok(record), None) => assert!(record.is_expired(now)),
            (Err(_), Some(found)) => panic!("corrupt bytes loaded as {found:?}"),
            (Err(_), None) => {}
        }
        store.delete_expired(now).await.expect("the sweep works");
        assert_eq!(path.exists(), loaded.is_some(), "sweep after {decoded:?}");
        if loaded.is_none() {
            let fresh = Record::new(now, now + Duration::from_secs(60));
            assert_eq!(
                store.save(&key, &fresh).await.expect("saving works"),
                SaveOutcome::Saved
            );
        }
        store.delete(&key).await.expect("deleting works");

        // A record whose version is exhausted cannot be saved over: the
        // store reports it corrupt, so that request is a logged 500 (see
        // `file_store_record_at_max_version_does_not_panic`).
        let exhausted = decoded.as_ref().is_ok_and(|r| r.version == u64::MAX);

        // Through the layer: create a session, replace its file.
        let app = ServiceBuilder::new()
            .layer(
                SessionLayer::new(store.clone())
                    .secure(false)
                    // A century: records created since 1970 are live, and
                    // the lifetime arithmetic runs on every stored time.
                    .absolute_lifetime(Duration::from_secs(100 * 365 * 24 * 3600)),
            )
            .service(service_fn(|req: Request<Full<Bytes>>| async move {
                let session = req.session().expect("behind a SessionLayer");
                let n = session.get::<serde_json::Value>("n").await;
                let n = n.ok().flatten().and_then(|v| v.as_u64()).unwrap_or(0) + 1;
                session.insert("n", &n).await?;
                Ok::<_, BoxError>(Response::new(Full::new(Bytes::from(n.to_string()))))
            }));
        let first = app
            .clone()
            .oneshot(Request::new(Full::new(Bytes::new())))
            .await
            .expect("the first request succeeds");
        let id = set_cookie_id(first.headers()).expect("a new session sets a cookie");
        let files: Vec<_> = std::fs::read_dir(&dir)
            .expect("the store dir")
            .filter_map(|e| e.ok())
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "session"))
            .collect();
        assert_eq!(files.len(), 1);
        std::fs::write(&files[0], data).expect("replacing the session file");
        let req = Request::builder()
            .header(COOKIE, format!("id={id}"))
            .body(Full::new(Bytes::new()))
            .expect("a request");
        let res = app
            .oneshot(req)
            .await
            .expect("a session request never fails");
        assert!(
            res.status() == StatusCode::OK || exhausted,
            "a stored record broke the request: {}",
            res.status()
        );
        for file in std::fs::read_dir(&dir).expect("the store dir").flatten() {
            if file.path().extension().is_some_and(|x| x == "session") {
                let _ = std::fs::remove_file(file.path());
            }
        }
    });
}

// ---------------------------------------------------------------------------
// Gzip request decompression

/// The decompression limit the gzip target uses.
pub const GZIP_LIMIT: u64 = 4096;

/// Request bodies through `GzipLayer` and `GunzipRequestsLayer::new(4096)`, the app
/// echoing what it read. The first input byte picks a mode and the second
/// where the body is cut into frames:
///
/// - raw: the rest is sent as a gzip body. The answer is 200 with at most
///   the limit echoed, or 400 (corrupt), or 413 (too large); never a panic,
///   never the app's own 500.
/// - valid: the rest is gzipped (one member) and sent, possibly truncated:
///   a whole body within the limit echoes byte for byte; past the limit
///   it is 413; a truncated one is 400 (or 413 when what arrived already
///   inflates past the limit).
pub fn gzip_request(data: &[u8]) {
    let (mode, cut, rest) = match data {
        [mode, cut, rest @ ..] => (*mode, usize::from(*cut), rest),
        _ => return,
    };
    let (body, plain, truncated) = if mode % 2 == 0 {
        (rest.to_vec(), None, false)
    } else {
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        encoder.write_all(rest).expect("gzip into memory");
        let gz = encoder.finish().expect("gzip into memory");
        let keep = if mode & 2 != 0 {
            gz.len() * usize::from(mode >> 2) / 64
        } else {
            gz.len()
        };
        if keep == 0 {
            // An empty body labelled gzip is documented to reach the app
            // as an empty body, not as a truncated stream.
            (Vec::new(), Some(&[][..]), false)
        } else {
            let truncated = keep < gz.len();
            (gz[..keep.min(gz.len())].to_vec(), Some(rest), truncated)
        }
    };
    let cuts = [cut, cut * 7, cut * 31, cut * 127];
    let (status, echoed) = block_on(async {
        let app = ServiceBuilder::new()
            .layer(GzipLayer::new())
            .layer(GunzipRequestsLayer::new(GZIP_LIMIT))
            .service(service_fn(
                |req: Request<DecompressBody<Chunks>>| async move {
                    let collected = req.into_body().collect().await;
                    let res = match collected {
                        Ok(body) => Response::new(Full::new(body.to_bytes())),
                        Err(_) => {
                            let mut res = Response::new(Full::new(Bytes::from("app saw an error")));
                            *res.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
                            res
                        }
                    };
                    Ok::<_, Infallible>(res)
                },
            ));
        let req = Request::builder()
            .header(CONTENT_ENCODING, "gzip")
            .body(Chunks::split(&body, &cuts))
            .expect("a request");
        let res = app.oneshot(req).await.expect("infallible");
        let status = res.status();
        let body = res.into_body().collect().await.map(|b| b.to_bytes());
        (status, body)
    });
    match status {
        StatusCode::OK => {
            let echoed = echoed.expect("a 200 body reads");
            assert!(echoed.len() as u64 <= GZIP_LIMIT);
            if let Some(plain) = plain {
                assert!(!truncated, "a truncated body was accepted");
                assert_eq!(echoed, plain);
            }
        }
        StatusCode::BAD_REQUEST | StatusCode::PAYLOAD_TOO_LARGE => {}
        other => panic!("unexpected status {other}"),
    }
    if let Some(plain) = plain {
        let fits = plain.len() as u64 <= GZIP_LIMIT;
        match (truncated, fits) {
            (false, true) => assert_eq!(status, StatusCode::OK),
            (false, false) => assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE),
            (true, true) => assert_eq!(status, StatusCode::BAD_REQUEST),
            (true, false) => assert_ne!(status, StatusCode::OK),
        }
    }
}
