//! The session cookie carries the configured attributes.

use std::time::Duration;

use pastry_sessions::{SameSite, SessionStore};

use crate::common::{Env, client, url};

crate::store_suite!(
    cookie_follows_layer_settings,
    several_cookies_of_the_same_name_find_the_live_session,
    default_secure_cookie_keeps_the_session_over_plain_http_localhost
);
// Not the cookie store: this one also checks that the value is a 32-digit
// id; the cookie store's attributes are checked in tests/cookie_store.rs.
crate::store_suite!(except_cookie: default_cookie_is_secure_httponly_lax_with_max_age);

async fn default_cookie_is_secure_httponly_lax_with_max_age<S: SessionStore + Clone>(
    store: S,
    env: Env,
) {
    let client = client(env.layer(store));
    let res = client.get(url("/set?k=v")).await;
    let header = res.header("set-cookie").expect("cookie").to_owned();
    let cookie = res.cookie("id").expect("id cookie");
    assert_eq!(cookie.value().len(), 32);
    assert!(cookie.value().bytes().all(|b| b.is_ascii_hexdigit()));
    assert_eq!(cookie.path(), Some("/"));
    assert_eq!(cookie.domain(), None);
    assert_eq!(cookie.secure(), Some(true));
    assert_eq!(cookie.http_only(), Some(true));
    assert_eq!(cookie.same_site(), Some(SameSite::Lax.as_str()));
    assert!(header.contains("Max-Age=86400"), "{header}");
}

async fn cookie_follows_layer_settings<S: SessionStore + Clone>(store: S, env: Env) {
    let layer = env
        .layer(store)
        .cookie_name("sid")
        .path("/app")
        .domain("example.com")
        .secure(false)
        .http_only(false)
        .same_site(SameSite::Strict)
        .idle_timeout(Duration::from_secs(1800));
    let client = client(layer);
    let res = client.get("http://example.com/set?k=v").await;
    let cookie = res.cookie("sid").expect("sid cookie");
    assert_eq!(cookie.path(), Some("/app"));
    assert_eq!(cookie.domain(), Some("example.com"));
    assert_eq!(cookie.secure(), None);
    assert_eq!(cookie.http_only(), None);
    assert_eq!(cookie.same_site(), Some(SameSite::Strict.as_str()));
    assert!(
        res.header("set-cookie")
            .unwrap_or_default()
            .contains("Max-Age=1800")
    );
    assert!(res.cookie("id").is_none());
}

async fn several_cookies_of_the_same_name_find_the_live_session<S: SessionStore + Clone>(
    store: S,
    env: Env,
) {
    let client = client(env.layer(store));
    client.get(url("/set?k=live")).await;
    let live = client.cookie("id").expect("id");
    client.clear_cookies();
    let unknown = "0123456789abcdef0123456789abcdef";
    for header in [
        format!("id=garbage; id={live}"),
        format!("id={unknown}; id={live}"),
        format!("id={live}; id={unknown}"),
    ] {
        let res = client
            .get(url("/get?k"))
            .header("cookie", header.as_str())
            .await;
        assert_eq!(res.text(), "live", "{header}");
    }
    // Spread over two Cookie headers too.
    let res = client
        .get(url("/get?k"))
        .header("cookie", format!("id={unknown}").as_str())
        .header("cookie", format!("theme=x; id={live}").as_str())
        .await;
    assert_eq!(res.text(), "live");
}

/// Issue 27: the default `Secure` cookie with the test kit's default
/// `http://localhost` target keeps the session, as a browser would; on
/// another host over plain `http` the failure says why it is lost.
async fn default_secure_cookie_keeps_the_session_over_plain_http_localhost<
    S: SessionStore + Clone,
>(
    store: S,
    env: Env,
) {
    let client = client(env.layer(store));
    client.get("/set?user=alice").await;
    client.get("/get?user").await.assert_text_contains("alice");

    let elsewhere = crate::common::client(env.layer(pastry_sessions::MemoryStore::new()))
        .base_url("http://app.example");
    let res = elsewhere.get("/set?user=bob").await;
    let notes = res.cookie_notes().join("\n");
    assert!(
        notes.contains("neither https nor a loopback host"),
        "{notes}"
    );
    let failure = elsewhere
        .get("/get?user")
        .expect_status(201)
        .try_send()
        .await
        .expect_err("the app answers 200")
        .to_string();
    assert!(
        failure.contains("`id` was refused when set: it is Secure"),
        "{failure}"
    );
}
