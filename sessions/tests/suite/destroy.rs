//! `destroy()` deletes the record and expires the cookie.

use pastry_sessions::SessionStore;

use crate::common::{Counting, Env, client, set_id, url};

// Not the cookie store: there is no record to delete (a copy of the
// cookie stays valid until it expires), and its cookie carries the sealed
// record, not the id. Logout through the layer is in tests/cookie_store.rs.
crate::store_suite!(
    except_cookie:
    destroy_deletes_the_record_and_expires_the_cookie,
    values_after_destroy_go_to_a_new_session
);

async fn destroy_deletes_the_record_and_expires_the_cookie<S: SessionStore + Clone>(
    store: S,
    env: Env,
) {
    let store = Counting::new(store);
    let client = client(env.layer(store.clone()));
    client.get(url("/set?user=alice")).await;
    let old = client.cookie("id").expect("id");
    let res = client.get(url("/destroy")).await;
    let header = res.header("set-cookie").expect("removal cookie").to_owned();
    assert!(header.starts_with("id=;"), "{header}");
    assert!(header.contains("Max-Age=0"), "{header}");
    assert_eq!(store.calls().2, 1, "one delete");
    assert_eq!(client.cookie("id"), None);

    client.set_cookie("id", &old);
    assert_eq!(client.get(url("/get?user")).await.text(), "none");
}

async fn values_after_destroy_go_to_a_new_session<S: SessionStore + Clone>(store: S, env: Env) {
    let client = client(env.layer(store));
    client.get(url("/set?user=alice")).await;
    let old = client.cookie("id").expect("id");
    let res = client.get(url("/destroy-then-set?flash=bye")).await;
    let new = set_id(&res).expect("new session cookie");
    assert_ne!(new, old);
    assert_eq!(res.text(), new);
    assert_eq!(client.get(url("/get?flash")).await.text(), "bye");
    assert_eq!(client.get(url("/get?user")).await.text(), "none");
}
