//! Concurrent requests on one session keep each other's changes.

use std::sync::Arc;

use pastry_sessions::SessionStore;
use tokio::sync::{Barrier, Notify};

use crate::common::{Env, Hold, Meet, client, url};

// Not the cookie store: each response carries a whole cookie, and the
// browser keeps the last one (last writer wins; see `CookieStore`).
crate::store_suite!(
    except_cookie:
    concurrent_updates_of_different_keys_lose_nothing,
    concurrent_updates_of_the_same_key_later_save_wins,
);

async fn concurrent_updates_of_different_keys_lose_nothing<S: SessionStore + Clone>(
    store: S,
    env: Env,
) {
    let client = client(env.layer(store));
    client.get(url("/set?base=1")).await;
    const N: usize = 6;
    let meet = Meet(Arc::new(Barrier::new(N)));
    // Every request loads the same version before any of them saves.
    let requests = (0..N).map(|i| {
        client
            .get(url(&format!("/meet-set?k{i}=v{i}")))
            .extension(meet.clone())
            .into_future()
    });
    futures_util::future::join_all(requests).await;
    let keys = client.get(url("/keys")).await.text();
    assert_eq!(keys, "base,k0,k1,k2,k3,k4,k5");
}

async fn concurrent_updates_of_the_same_key_later_save_wins<S: SessionStore + Clone>(
    store: S,
    env: Env,
) {
    let client = client(env.layer(store));
    client.get(url("/set?color=red")).await;
    let meet = Meet(Arc::new(Barrier::new(2)));
    let hold = Hold(Arc::new(Notify::new()));
    // Both load "red"; the first saves blue and a key of its own, then the
    // second (which loaded before that save) saves green.
    let first = client
        .get(url("/meet-set?color=blue&first=1"))
        .extension(meet.clone());
    let second = client
        .get(url("/meet-set?color=green"))
        .extension(meet)
        .extension(hold.clone());
    let second = tokio::spawn(second.into_future());
    first.await;
    hold.0.notify_one();
    second.await.expect("second request");
    assert_eq!(client.get(url("/get?color")).await.text(), "green");
    assert_eq!(client.get(url("/get?first")).await.text(), "1");
}
