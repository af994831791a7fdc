//! Values survive from one request to the next.

use pastry_sessions::SessionStore;

use crate::common::{Env, client, url};

crate::store_suite!(values_round_trip_between_requests, typed_values_round_trip);
// Not the cookie store: this one checks that `clear` keeps the cookie's
// value, and a cookie store's value is the sealed record, which changes.
crate::store_suite!(except_cookie: remove_take_clear_and_keys_work);

async fn values_round_trip_between_requests<S: SessionStore + Clone>(store: S, env: Env) {
    let client = client(env.layer(store));
    client.get(url("/set?user=alice&theme=dark")).await;
    assert_eq!(client.get(url("/get?user")).await.text(), "alice");
    assert_eq!(client.get(url("/get?theme")).await.text(), "dark");
    assert_eq!(client.get(url("/get?missing")).await.text(), "none");
    assert_eq!(client.get(url("/keys")).await.text(), "theme,user");
    client.get(url("/set?user=bob")).await;
    assert_eq!(client.get(url("/get?user")).await.text(), "bob");
}

async fn remove_take_clear_and_keys_work<S: SessionStore + Clone>(store: S, env: Env) {
    let client = client(env.layer(store));
    client.get(url("/set?a=1&b=2&c=3")).await;
    client.get(url("/remove?a")).await;
    assert_eq!(client.get(url("/contains?a")).await.text(), "false");
    assert_eq!(client.get(url("/contains?b")).await.text(), "true");
    assert_eq!(client.get(url("/take?b")).await.text(), "2");
    assert_eq!(client.get(url("/take?b")).await.text(), "none");
    assert_eq!(client.get(url("/keys")).await.text(), "c");
    let id = client.cookie("id");
    client.get(url("/clear")).await;
    assert_eq!(client.get(url("/keys")).await.text(), "");
    assert_eq!(client.cookie("id"), id, "clear keeps the session id");
}

async fn typed_values_round_trip<S: SessionStore + Clone>(store: S, env: Env) {
    use http::{Request, Response};
    use pastry_sessions::SessionExt;
    use pastry_testkit::{Body, TestClient};
    use tower::ServiceBuilder;

    #[derive(serde::Serialize, serde::Deserialize, PartialEq, Debug)]
    struct Cart {
        items: Vec<(String, u32)>,
        total_cents: u64,
    }

    let app =
        ServiceBuilder::new()
            .layer(env.layer(store))
            .service_fn(|req: Request<Body>| async move {
                let session = req.session().expect("layer");
                let body = if req.uri().path() == "/put" {
                    let cart = Cart {
                        items: vec![("pie".into(), 2)],
                        total_cents: 900,
                    };
                    session.insert("cart", &cart).await?;
                    session.insert("n", &7u8).await?;
                    String::new()
                } else {
                    let cart: Option<Cart> = session.get("cart").await?;
                    let wrong = session.get::<Vec<bool>>("n").await;
                    format!("{:?} {}", cart.map(|c| c.total_cents), wrong.is_err())
                };
                Ok::<_, pastry_sessions::SessionError>(Response::new(body))
            });
    let client = TestClient::new(app);
    client.get(url("/put")).await;
    assert_eq!(client.get(url("/read")).await.text(), "Some(900) true");
}
