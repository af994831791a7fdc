//! A client can never choose its own session id.

use pastry_sessions::SessionStore;

use crate::common::{Env, client, set_id, url};

// Not the cookie store: its cookie carries the sealed record, not a
// 32-digit id, and a cookie from before `cycle_id` stays valid until it
// expires (nothing on the server to retire). Forged and altered cookies
// are refused in tests/cookie_store.rs.
crate::store_suite!(
    except_cookie:
    unknown_session_id_gets_fresh_id,
    malformed_session_id_gets_fresh_id,
    after_cycle_id_the_old_id_loads_nothing,
);

async fn unknown_session_id_gets_fresh_id<S: SessionStore + Clone>(store: S, env: Env) {
    let client = client(env.layer(store));
    let chosen = "0123456789abcdef0123456789abcdef";
    client.set_cookie("id", chosen);
    let res = client.get(url("/set?k=v")).await;
    let fresh = set_id(&res).expect("new id");
    assert_ne!(fresh, chosen);
    assert_eq!(fresh.len(), 32);
    // The chosen id was not adopted: it still loads nothing.
    client.clear_cookies();
    client.set_cookie("id", chosen);
    assert_eq!(client.get(url("/get?k")).await.text(), "none");
}

async fn malformed_session_id_gets_fresh_id<S: SessionStore + Clone>(store: S, env: Env) {
    let client = client(env.layer(store));
    for chosen in [
        "attacker",
        "0123456789ABCDEF0123456789ABCDEF",
        "01234567-89ab-cdef-0123-456789abcdef",
        "",
    ] {
        client.clear_cookies();
        client.set_cookie("id", chosen);
        let res = client.get(url("/set?k=v")).await;
        let fresh = set_id(&res).expect("new id");
        assert_ne!(fresh, chosen);
        assert_eq!(fresh.len(), 32);
    }
}

async fn after_cycle_id_the_old_id_loads_nothing<S: SessionStore + Clone>(store: S, env: Env) {
    let client = client(env.layer(store));
    client.get(url("/set?user=alice")).await;
    let old = client.cookie("id").expect("id");
    let res = client.get(url("/cycle")).await;
    let new = set_id(&res).expect("cycled id in the cookie");
    assert_ne!(new, old);
    assert_eq!(res.text(), new, "Session::id reports the new id");
    assert_eq!(
        client.get(url("/get?user")).await.text(),
        "alice",
        "values kept"
    );

    client.clear_cookies();
    client.set_cookie("id", &old);
    let res = client.get(url("/get?user")).await;
    assert_eq!(res.text(), "none");
}
