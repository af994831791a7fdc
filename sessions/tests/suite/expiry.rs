//! Sessions end on time, driven by an injected clock (no sleeping).

use std::time::{Duration, UNIX_EPOCH};

use pastry_sessions::SessionStore;

use crate::common::{Env, client, set_id, url};

const MIN: Duration = Duration::from_secs(60);

crate::store_suite!(
    idle_session_expires_after_the_idle_timeout,
    activity_extends_an_idle_session,
    absolute_lifetime_caps_an_active_session,
    expiry_at_ends_the_session_at_that_time,
    browser_session_cookie_has_no_max_age_but_the_record_expires,
    expired_session_gets_a_fresh_id,
);
// Not the cookie store: nothing is kept on the server to sweep.
crate::store_suite!(except_cookie: delete_expired_removes_only_expired_sessions);

async fn idle_session_expires_after_the_idle_timeout<S: SessionStore + Clone>(store: S, env: Env) {
    let client = client(env.layer(store).idle_timeout(30 * MIN));
    client.get(url("/set?k=v")).await;
    env.clock.advance(29 * MIN);
    client.get(url("/noop")).await; // untouched: does not extend
    env.clock.advance(MIN);
    assert_eq!(client.get(url("/get?k")).await.text(), "none");
}

async fn activity_extends_an_idle_session<S: SessionStore + Clone>(store: S, env: Env) {
    let client = client(env.layer(store).idle_timeout(30 * MIN));
    client.get(url("/set?k=v")).await;
    for _ in 0..4 {
        env.clock.advance(20 * MIN);
        let res = client.get(url("/get?k")).await;
        assert_eq!(res.text(), "v");
        assert!(
            res.header("set-cookie")
                .unwrap_or_default()
                .contains("Max-Age=1800")
        );
    }
}

async fn absolute_lifetime_caps_an_active_session<S: SessionStore + Clone>(store: S, env: Env) {
    let layer = env
        .layer(store)
        .idle_timeout(30 * MIN)
        .absolute_lifetime(60 * MIN);
    let client = client(layer);
    client.get(url("/set?k=v")).await;
    env.clock.advance(20 * MIN);
    assert_eq!(client.get(url("/get?k")).await.text(), "v");
    env.clock.advance(20 * MIN);
    let res = client.get(url("/get?k")).await;
    assert_eq!(res.text(), "v");
    // Only 20 minutes are left of the hour, not 30.
    assert!(
        res.header("set-cookie")
            .unwrap_or_default()
            .contains("Max-Age=1200")
    );
    env.clock.advance(20 * MIN);
    assert_eq!(client.get(url("/get?k")).await.text(), "none");
}

async fn expiry_at_ends_the_session_at_that_time<S: SessionStore + Clone>(store: S, env: Env) {
    let client = client(env.layer(store).idle_timeout(30 * MIN));
    let at = env.now() + 10 * MIN;
    let unix = at.duration_since(UNIX_EPOCH).unwrap_or_default().as_secs();
    client.get(url("/set?k=v")).await;
    let res = client.get(url(&format!("/expiry-at?t={unix}"))).await;
    assert!(
        res.header("set-cookie")
            .unwrap_or_default()
            .contains("Max-Age=600")
    );
    env.clock.advance(9 * MIN);
    let res = client.get(url("/get?k")).await;
    assert_eq!(res.text(), "v");
    assert!(
        res.header("set-cookie").is_none(),
        "a fixed expiry is never refreshed"
    );
    env.clock.advance(MIN);
    assert_eq!(client.get(url("/get?k")).await.text(), "none");
}

async fn browser_session_cookie_has_no_max_age_but_the_record_expires<S: SessionStore + Clone>(
    store: S,
    env: Env,
) {
    let client = client(env.layer(store).idle_timeout(30 * MIN));
    client.get(url("/set?k=v")).await;
    let res = client.get(url("/expiry-browser")).await;
    let header = res.header("set-cookie").expect("cookie").to_owned();
    assert!(!header.contains("Max-Age"), "{header}");
    // The choice is stored: later saves keep the cookie a browser-session one.
    let res = client.get(url("/set?k=w")).await;
    assert!(
        !res.header("set-cookie")
            .unwrap_or_default()
            .contains("Max-Age")
    );
    env.clock.advance(31 * MIN);
    assert_eq!(client.get(url("/get?k")).await.text(), "none");
}

async fn expired_session_gets_a_fresh_id<S: SessionStore + Clone>(store: S, env: Env) {
    let client = client(env.layer(store).idle_timeout(30 * MIN));
    client.get(url("/set?k=v")).await;
    let old = client.cookie("id").expect("id");
    env.clock.advance(31 * MIN);
    client.advance_time(31 * MIN);
    client.set_cookie("id", &old); // a client that kept the cookie anyway
    let res = client.get(url("/set?k=w")).await;
    let new = set_id(&res).expect("new id");
    assert_ne!(new, old);
}

async fn delete_expired_removes_only_expired_sessions<S: SessionStore + Clone>(store: S, env: Env) {
    let short = client(env.layer(store.clone()).idle_timeout(10 * MIN));
    let long = client(env.layer(store.clone()).idle_timeout(60 * MIN));
    short.get(url("/set?k=short")).await;
    long.get(url("/set?k=long")).await;
    env.clock.advance(30 * MIN);
    assert_eq!(store.delete_expired(env.now()).await.expect("sweep"), 1);
    assert_eq!(store.delete_expired(env.now()).await.expect("sweep"), 0);
    assert_eq!(long.get(url("/get?k")).await.text(), "long");
}
