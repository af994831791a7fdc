//! The cookie store through a real `SessionLayer`: sealed round trips, key
//! rotation, refused cookies, the 4 KiB limit, `cookie:` URLs.

use std::convert::Infallible;
use std::time::{Duration, UNIX_EPOCH};

use http::{Request, Response, StatusCode};
use pastry_sessions::{
    AnyStore, CookieError, CookieKeys, CookieStore, MAX_COOKIE_BYTES, ManualClock, SessionError,
    SessionExt, SessionLayer,
};
use pastry_testkit::{Body, LogCapture, TestClient};
use tower::ServiceBuilder;
use tracing::Level;

const OLD_KEY: &str = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
const NEW_KEY: &str = "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWY=";

fn store(keys: &str) -> CookieStore {
    CookieStore::new(CookieKeys::parse(keys).expect("keys"))
}

fn clock() -> ManualClock {
    ManualClock::at(UNIX_EPOCH + Duration::from_secs(1_800_000_000))
}

fn url(path: &str) -> String {
    format!("https://localhost{path}")
}

/// Answers the test app's routes: `/set?k=v…`, `/get?k`, `/keys`, `/id`,
/// `/cycle`, `/destroy`, anything else untouched.
async fn route(req: Request<Body>) -> Result<String, SessionError> {
    let session = req.session().expect("behind the layer");
    let pairs: Vec<(String, String)> = req
        .uri()
        .query()
        .unwrap_or("")
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (k.to_owned(), v.to_owned())
        })
        .collect();
    let first = pairs.first().map(|p| p.0.clone()).unwrap_or_default();
    Ok(match req.uri().path() {
        "/set" => {
            for (k, v) in &pairs {
                session.insert(k, v).await?;
            }
            "set".to_owned()
        }
        "/get" => session
            .get::<String>(&first)
            .await?
            .unwrap_or_else(|| "none".into()),
        "/keys" => session.keys().await?.join(","),
        "/id" => {
            session.keys().await?;
            session.id().unwrap_or_default()
        }
        "/cycle" => {
            session.cycle_id().await?;
            session.id().unwrap_or_default()
        }
        "/destroy" => {
            session.destroy().await?;
            "destroyed".to_owned()
        }
        _ => "untouched".to_owned(),
    })
}

/// The test app behind `layer`; a session error is a 500 naming it.
fn client(layer: SessionLayer) -> TestClient {
    let app = ServiceBuilder::new()
        .layer(layer)
        .service_fn(|req: Request<Body>| async move {
            let (status, body) = match route(req).await {
                Ok(body) => (StatusCode::OK, body),
                Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
            };
            let mut res = Response::new(body);
            *res.status_mut() = status;
            Ok::<_, Infallible>(res)
        });
    TestClient::new(app)
}

/// The default layer (cookie `__Host-id`) on `store`, driven by `clock`.
fn layer(store: CookieStore, clock: &ManualClock) -> SessionLayer {
    SessionLayer::new(store).clock(clock.clone())
}

#[tokio::test]
async fn sealed_session_round_trips_with_the_layers_cookie_and_cache_headers() {
    let client = client(layer(store(OLD_KEY), &clock()));
    let res = client.get(url("/set?user=alice&theme=dark")).await;
    let header = res.header("set-cookie").expect("sealed cookie").to_owned();
    assert!(header.starts_with("__Host-id="), "{header}");
    for attribute in [
        "; Path=/",
        "; Secure",
        "; HttpOnly",
        "; SameSite=Lax",
        "; Max-Age=86400",
    ] {
        assert!(header.contains(attribute), "{attribute}: {header}");
    }
    assert!(
        !header.contains("alice") && !header.contains("dark"),
        "{header}"
    );
    assert_eq!(res.header("cache-control"), Some("private"));
    assert_eq!(res.header("vary"), Some("cookie"));

    assert_eq!(client.get(url("/get?user")).await.text(), "alice");
    assert_eq!(client.get(url("/keys")).await.text(), "theme,user");
    client.get(url("/set?user=bob")).await;
    assert_eq!(client.get(url("/get?user")).await.text(), "bob");
    let res = client.get(url("/noop")).await;
    assert!(res.header("set-cookie").is_none());
    assert!(res.header("vary").is_none());
}

#[tokio::test]
async fn reading_an_unchanged_session_sends_no_cookie_until_the_idle_refresh() {
    let clock = clock();
    let client = client(layer(store(OLD_KEY), &clock).refresh_interval(Duration::from_secs(300)));
    client.get(url("/set?k=v")).await;
    let res = client.get(url("/get?k")).await;
    assert_eq!(res.text(), "v");
    assert!(res.header("set-cookie").is_none());
    clock.advance(Duration::from_secs(301));
    let res = client.get(url("/get?k")).await;
    assert!(
        res.header("set-cookie").is_some(),
        "resealed with a later expiry"
    );
    let res = client.get(url("/get?k")).await;
    assert!(res.header("set-cookie").is_none());
}

#[tokio::test]
async fn login_rotation_gives_a_new_id_inside_the_cookie_and_keeps_values() {
    let client = client(layer(store(OLD_KEY), &clock()));
    client.get(url("/set?user=alice")).await;
    let before_id = client.get(url("/id")).await.text();
    let before_cookie = client.cookie("__Host-id").expect("cookie");
    let res = client.get(url("/cycle")).await;
    let after_id = res.text();
    assert_eq!(after_id.len(), 32);
    assert_ne!(after_id, before_id);
    let after_cookie = res
        .cookie("__Host-id")
        .expect("new cookie")
        .value()
        .to_owned();
    assert_ne!(after_cookie, before_cookie);
    assert_eq!(
        client.get(url("/id")).await.text(),
        after_id,
        "the new id stays"
    );
    assert_eq!(client.get(url("/get?user")).await.text(), "alice");
}

#[tokio::test]
async fn logout_removes_the_cookie_and_the_next_request_starts_afresh() {
    let client = client(layer(store(OLD_KEY), &clock()));
    client.get(url("/set?user=alice")).await;
    let res = client.get(url("/destroy")).await;
    let header = res.header("set-cookie").expect("removal").to_owned();
    assert!(header.starts_with("__Host-id=;"), "{header}");
    assert!(header.contains("Max-Age=0"), "{header}");
    assert_eq!(res.header("cache-control"), Some("private"));
    assert_eq!(client.cookie("__Host-id"), None);
    assert_eq!(client.get(url("/get?user")).await.text(), "none");
}

#[tokio::test]
async fn rotated_keys_open_old_cookies_and_seal_again_under_the_new_key() {
    let clock = clock();
    let before = client(layer(store(OLD_KEY), &clock));
    before.get(url("/set?user=alice")).await;
    let sealed_under_old = before.cookie("__Host-id").expect("cookie");

    // Deployed with the new key first, the old one after it.
    let rotated = client(layer(store(&format!("{NEW_KEY},{OLD_KEY}")), &clock));
    rotated.set_cookie("__Host-id", &sealed_under_old);
    let res = rotated.get(url("/get?user")).await;
    assert_eq!(res.text(), "alice", "the old key still opens");
    let resealed = res
        .cookie("__Host-id")
        .expect("sealed again under the new key once used")
        .value()
        .to_owned();
    rotated.clear_cookies();
    rotated.set_cookie("__Host-id", &sealed_under_old);
    let res = rotated.get(url("/set?theme=dark")).await;
    let written = res.cookie("__Host-id").expect("cookie").value().to_owned();

    // Only the new key left: the cookies sealed after the rotation open,
    // the one sealed before does not.
    let new_only = client(layer(store(NEW_KEY), &clock));
    for cookie in [&resealed, &written] {
        new_only.clear_cookies();
        new_only.set_cookie("__Host-id", cookie);
        assert_eq!(new_only.get(url("/get?user")).await.text(), "alice");
    }
    assert_eq!(new_only.get(url("/get?theme")).await.text(), "dark");
    new_only.clear_cookies();
    new_only.set_cookie("__Host-id", &sealed_under_old);
    assert_eq!(new_only.get(url("/get?user")).await.text(), "none");
}

#[tokio::test]
async fn tampered_truncated_foreign_garbage_and_giant_cookies_get_a_fresh_session() {
    let clock = clock();
    let client = client(layer(store(OLD_KEY), &clock));
    client.get(url("/set?user=alice")).await;
    let good = client.cookie("__Host-id").expect("cookie");
    let foreign = {
        let other = self::client(layer(store(NEW_KEY), &clock));
        other.get(url("/set?user=mallory")).await;
        other.cookie("__Host-id").expect("cookie")
    };
    let mut flipped = good.clone().into_bytes();
    let middle = flipped.len() / 2;
    flipped[middle] = if flipped[middle] == b'A' { b'B' } else { b'A' };
    let flipped = String::from_utf8(flipped).expect("ascii");
    let bad = [
        flipped,
        good[..good.len() - 1].to_owned(),
        good[..good.len() / 2].to_owned(),
        foreign,
        "not*base64!".to_owned(),
        "AAAA".to_owned(),
        "A".repeat(10_000),
        String::new(),
    ];
    for cookie in &bad {
        client.clear_cookies();
        client.set_cookie("__Host-id", cookie);
        let res = client.get(url("/get?user")).await;
        assert_eq!(res.status(), StatusCode::OK, "{cookie:.40}");
        assert_eq!(res.text(), "none", "{cookie:.40}");
        let res = client.get(url("/set?k=v")).await;
        assert_eq!(res.status(), StatusCode::OK);
        assert!(
            res.cookie("__Host-id").is_some(),
            "a fresh session is sealed"
        );
    }
    client.clear_cookies();
    client.set_cookie("__Host-id", &good);
    assert_eq!(
        client.get(url("/get?user")).await.text(),
        "alice",
        "the good one still opens"
    );
}

#[tokio::test]
async fn an_idle_expired_cookie_is_refused_though_it_still_opens() {
    let clock = clock();
    let client = client(layer(store(OLD_KEY), &clock).idle_timeout(Duration::from_secs(60)));
    client.get(url("/set?user=alice")).await;
    let sealed = client.cookie("__Host-id").expect("cookie");
    clock.advance(Duration::from_secs(59));
    client.clear_cookies();
    client.set_cookie("__Host-id", &sealed);
    assert_eq!(client.get(url("/get?user")).await.text(), "alice");
    clock.advance(Duration::from_secs(2));
    client.clear_cookies();
    client.set_cookie("__Host-id", &sealed);
    assert_eq!(
        client.get(url("/get?user")).await.text(),
        "none",
        "replayed after expiry"
    );
}

#[tokio::test]
async fn a_cookie_past_the_absolute_lifetime_is_refused_however_active() {
    let clock = clock();
    let client = client(
        layer(store(OLD_KEY), &clock)
            .idle_timeout(Duration::from_secs(30 * 60))
            .absolute_lifetime(Duration::from_secs(60 * 60)),
    );
    client.get(url("/set?n=0")).await;
    for n in 1..=3 {
        clock.advance(Duration::from_secs(20 * 60 - 1));
        client.get(url(&format!("/set?n={n}"))).await;
    }
    let latest = client.cookie("__Host-id").expect("cookie");
    assert_eq!(client.get(url("/get?n")).await.text(), "3");
    clock.advance(Duration::from_secs(4));
    client.set_cookie("__Host-id", &latest);
    assert_eq!(client.get(url("/get?n")).await.text(), "none");
}

#[tokio::test]
async fn a_session_too_large_for_its_cookie_is_not_saved_and_the_previous_cookie_stays() {
    let logs = LogCapture::at(Level::WARN);
    let client = client(layer(store(OLD_KEY), &clock()));
    client.get(url("/set?user=alice")).await;
    let previous = client.cookie("__Host-id").expect("cookie");
    let big = "x".repeat(MAX_COOKIE_BYTES);
    let res = client.get(url(&format!("/set?blob={big}"))).await;
    assert_eq!(res.status(), StatusCode::OK, "the app's answer goes out");
    assert_eq!(res.text(), "set");
    assert!(res.header("set-cookie").is_none());
    assert_eq!(client.cookie("__Host-id"), Some(previous));
    assert_eq!(client.get(url("/get?user")).await.text(), "alice");
    assert_eq!(client.get(url("/get?blob")).await.text(), "none");
    let warned = logs.lines_at(Level::WARN);
    assert_eq!(warned.len(), 1, "{warned:?}");
    assert!(warned[0].contains("too large"), "{warned:?}");
    assert!(
        !warned[0].contains("xxxx") && !warned[0].contains("alice"),
        "{warned:?}"
    );
}

/// The largest single string value the default `__Host-id` cookie holds
/// with the default attributes (the figure in RELIABILITY.md).
const LARGEST_VALUE_THAT_FITS: usize = 2_858;

#[tokio::test]
async fn the_largest_value_that_fits_is_saved_and_one_byte_more_is_not() {
    for (len, fits) in [
        (LARGEST_VALUE_THAT_FITS, true),
        (LARGEST_VALUE_THAT_FITS + 1, false),
    ] {
        let client = client(layer(store(OLD_KEY), &clock()));
        let res = client
            .get(url(&format!("/set?v={}", "x".repeat(len))))
            .await;
        assert_eq!(res.header("set-cookie").is_some(), fits, "{len}");
        if let Some(header) = res.header("set-cookie") {
            assert!(header.len() <= MAX_COOKIE_BYTES, "{}", header.len());
            assert_eq!(client.get(url("/get?v")).await.text().len(), len);
        }
    }
}

#[test]
fn cookie_urls_read_keys_from_a_variable_or_a_file_never_from_the_url() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("keys");
    std::fs::write(&file, format!("{NEW_KEY}\n{OLD_KEY}\n")).expect("write keys");
    match AnyStore::from_url(&format!("cookie:?key_file={}", file.display())) {
        Ok(AnyStore::Cookie(_)) => {}
        other => panic!("{other:?}"),
    }
    for url in [
        format!("cookie:{OLD_KEY}"),
        format!("cookie://{OLD_KEY}"),
        format!("cookie:?key={OLD_KEY}"),
        format!("cookie:?{OLD_KEY}"),
        format!("cookie:?key_env=X&secret={OLD_KEY}"),
    ] {
        let err = AnyStore::from_url(&url).unwrap_err();
        assert!(
            matches!(err, SessionError::Cookie(CookieError::KeyInUrl)),
            "{url}: {err:?}"
        );
        let shown = format!("{err} {err:?}");
        assert!(!shown.contains(OLD_KEY), "{shown}");
        assert!(
            shown.contains("key_env"),
            "the message says what to do: {shown}"
        );
    }

    std::fs::write(&file, "c2hvcnQ=").expect("write a short key");
    let err = AnyStore::from_url(&format!("cookie:?key_file={}", file.display())).unwrap_err();
    assert!(
        matches!(
            err,
            SessionError::Cookie(CookieError::KeyLength { index: 0, len: 5 })
        ),
        "{err:?}"
    );
    let err = AnyStore::from_url("cookie:?key_file=/no/such/pastry/keys").unwrap_err();
    assert!(
        matches!(err, SessionError::Cookie(CookieError::KeyFile { .. })),
        "{err:?}"
    );
    let err = AnyStore::from_url("cookie:?key_env=PASTRY_TEST_NO_SUCH_VARIABLE").unwrap_err();
    assert!(
        matches!(err, SessionError::Cookie(CookieError::KeyEnv { .. })),
        "{err:?}"
    );
    assert!(matches!(
        AnyStore::from_url("cookie:"),
        Err(SessionError::Url { .. })
    ));
}

/// Reads the keys from a variable set only for a child run of this test
/// (setting one in this process would race the other tests).
#[test]
fn a_cookie_url_reads_its_keys_from_an_environment_variable() {
    const VAR: &str = "PASTRY_TEST_COOKIE_STORE_KEYS";
    if std::env::var_os(VAR).is_some() {
        match AnyStore::from_url(&format!("cookie:?key_env={VAR}")) {
            Ok(AnyStore::Cookie(_)) => return,
            other => panic!("{other:?}"),
        }
    }
    let status = std::process::Command::new(std::env::current_exe().expect("test binary"))
        .args([
            "--exact",
            "a_cookie_url_reads_its_keys_from_an_environment_variable",
            "--quiet",
        ])
        .env(VAR, format!("{NEW_KEY},{OLD_KEY}"))
        .stdout(std::process::Stdio::null())
        .status()
        .expect("child run");
    assert!(status.success());
}

#[tokio::test]
async fn a_store_from_a_cookie_url_seals_sessions_through_the_layer() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("keys");
    std::fs::write(&file, OLD_KEY).expect("write keys");
    let any = AnyStore::from_url(&format!("cookie:?key_file={}", file.display())).expect("url");
    let client = client(SessionLayer::new(any).clock(clock()));
    client.get(url("/set?user=alice")).await;
    let sealed = client.cookie("__Host-id").expect("cookie");
    assert!(sealed.len() > 32, "a sealed record, not an id");
    let direct = self::client(layer(store(OLD_KEY), &clock()));
    direct.set_cookie("__Host-id", &sealed);
    assert_eq!(direct.get(url("/get?user")).await.text(), "alice");
}

#[test]
fn debug_output_never_shows_a_key() {
    let keys = CookieKeys::parse(&format!("{NEW_KEY},{OLD_KEY}")).expect("keys");
    let store = CookieStore::new(keys.clone());
    let layer = SessionLayer::new(store.clone());
    let shown = format!(
        "{keys:?} {store:?} {layer:?} {:?}",
        AnyStore::Cookie(store.clone())
    );
    for secret in [OLD_KEY, NEW_KEY, &NEW_KEY[..20], "000102030405"] {
        assert!(!shown.contains(secret), "{shown}");
    }
    assert!(shown.contains("count: 2"), "{shown}");
}
