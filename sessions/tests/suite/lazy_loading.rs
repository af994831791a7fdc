//! The store is touched only when a handler uses the session.

use std::time::Duration;

use pastry_sessions::SessionStore;

use crate::common::{Counting, Env, client, set_id, url};

// Not the cookie store: these count store calls through a wrapper, and a
// cookie store wrapped in another store is not recognised by the layer
// (it does no store I/O at all). Its "no cookie unless changed or due"
// is in tests/cookie_store.rs.
crate::store_suite!(
    except_cookie:
    untouched_session_costs_no_store_io_and_no_cookie,
    reading_a_fresh_session_saves_nothing,
    emptying_a_fresh_session_saves_nothing,
    unchanged_session_is_not_rewritten_within_the_refresh_interval,
);

async fn untouched_session_costs_no_store_io_and_no_cookie<S: SessionStore + Clone>(
    store: S,
    env: Env,
) {
    let store = Counting::new(store);
    let client = client(env.layer(store.clone()));
    let res = client.get(url("/noop")).await;
    assert!(res.header("set-cookie").is_none());
    assert_eq!(store.calls(), (0, 0, 0));

    client.get(url("/set?k=v")).await;
    let after_set = store.calls();
    // Even with a live session cookie, a request that ignores the session
    // does nothing.
    let res = client.get(url("/noop")).await;
    assert!(res.header("set-cookie").is_none());
    assert_eq!(store.calls(), after_set);
}

async fn reading_a_fresh_session_saves_nothing<S: SessionStore + Clone>(store: S, env: Env) {
    let store = Counting::new(store);
    let client = client(env.layer(store.clone()));
    let res = client.get(url("/get?k")).await;
    assert_eq!(res.text(), "none");
    assert!(
        set_id(&res).is_none(),
        "no cookie for an empty, unchanged session"
    );
    // No cookie was sent, so there was nothing to load either.
    assert_eq!(store.calls(), (0, 0, 0));
}

async fn unchanged_session_is_not_rewritten_within_the_refresh_interval<S: SessionStore + Clone>(
    store: S,
    env: Env,
) {
    let store = Counting::new(store);
    let client = client(
        env.layer(store.clone())
            .refresh_interval(Duration::from_secs(300)),
    );
    client.get(url("/set?k=v")).await;
    assert_eq!(store.calls(), (0, 1, 0));

    env.clock.advance(Duration::from_secs(299));
    let res = client.get(url("/get?k")).await;
    assert_eq!(res.text(), "v");
    assert!(res.header("set-cookie").is_none());
    assert_eq!(store.calls(), (1, 1, 0), "one load, no save");

    env.clock.advance(Duration::from_secs(2));
    let res = client.get(url("/get?k")).await;
    assert!(
        set_id(&res).is_some(),
        "the refresh renews the cookie's Max-Age"
    );
    assert_eq!(
        store.calls(),
        (2, 2, 0),
        "refreshed once the interval passed"
    );

    let res = client.get(url("/get?k")).await;
    assert!(res.header("set-cookie").is_none());
    assert_eq!(store.calls(), (3, 2, 0));
}

async fn emptying_a_fresh_session_saves_nothing<S: SessionStore + Clone>(store: S, env: Env) {
    let store = Counting::new(store);
    let client = client(env.layer(store.clone()));
    let res = client.get(url("/remove?user")).await;
    assert!(res.header("set-cookie").is_none());
    let res = client.get(url("/clear")).await;
    assert!(res.header("set-cookie").is_none());
    assert_eq!(store.calls(), (0, 0, 0));
}
