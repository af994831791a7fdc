//! The default absolute lifetime (issue 16, item 4): however active, a
//! session ends a week after its first save, and `Duration::MAX` turns the
//! cap off. Driven by the injected clock.

use std::time::Duration;

use pastry_sessions::SessionStore;

use crate::common::{Env, client, set_id, url};

const HOUR: Duration = Duration::from_secs(60 * 60);
const DAY: Duration = Duration::from_secs(24 * 60 * 60);

crate::store_suite!(
    an_active_session_ends_a_week_after_it_began_by_default,
    a_lifetime_of_duration_max_never_ends_an_active_session,
);

async fn an_active_session_ends_a_week_after_it_began_by_default<S: SessionStore + Clone>(
    store: S,
    env: Env,
) {
    let client = client(env.layer(store));
    let res = client.get(url("/set?user=alice")).await;
    let first = set_id(&res).expect("a session");
    // Used every 23 hours: the day-long idle timeout never ends it.
    for _ in 0..7 {
        env.clock.advance(23 * HOUR);
        assert_eq!(client.get(url("/get?user")).await.text(), "alice");
    }
    env.clock.advance(6 * HOUR);
    assert_eq!(client.get(url("/get?user")).await.text(), "alice");
    // 6 days 23 hours in: the cookie of a save lasts only the hour left.
    let res = client.get(url("/set?seen=1")).await;
    let cookie = res.header("set-cookie").expect("saved").to_owned();
    assert!(cookie.contains("Max-Age=3600"), "{cookie}");
    // A week in: expired on load, even for a client that kept the cookie.
    env.clock.advance(HOUR);
    assert_eq!(client.get(url("/get?user")).await.text(), "none");
    let res = client.get(url("/set?user=bob")).await;
    let fresh = set_id(&res).expect("a fresh session");
    assert_ne!(fresh, first, "a fresh id");
    client.clear_cookies();
    client.set_cookie("id", &first);
    assert_eq!(client.get(url("/get?user")).await.text(), "none");
}

async fn a_lifetime_of_duration_max_never_ends_an_active_session<S: SessionStore + Clone>(
    store: S,
    env: Env,
) {
    let client = client(env.layer(store).absolute_lifetime(Duration::MAX));
    client.get(url("/set?user=alice")).await;
    for _ in 0..30 {
        env.clock.advance(DAY - HOUR);
        assert_eq!(client.get(url("/get?user")).await.text(), "alice");
    }
    let res = client.get(url("/set?seen=1")).await;
    let cookie = res.header("set-cookie").expect("saved").to_owned();
    assert!(cookie.contains("Max-Age=86400"), "{cookie}");
}
