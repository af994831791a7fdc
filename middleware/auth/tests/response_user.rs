//! What layers outside the auth layer see: the response to a logged-in
//! user's request carries their `RemoteUser` (an access log reads it
//! there); refusals and anonymous requests carry none.

mod common;

use std::convert::Infallible;

use common::{hasher, users, whoami};
use http::{Request, Response};
use pastry_auth::{Authenticator, BasicAuthLayer};
use pastry_core::RemoteUser;
use pastry_testkit::{Body, TestClient, TestResponse};
use tower::ServiceBuilder;

fn user(res: &TestResponse) -> Option<&str> {
    res.extensions().get::<RemoteUser>().map(RemoteUser::as_str)
}

fn basic_client() -> TestClient {
    let hasher = hasher();
    let auth = Authenticator::new(users(&hasher)).hasher(hasher);
    let app = ServiceBuilder::new()
        .layer(BasicAuthLayer::new(auth))
        .service(whoami());
    TestClient::new(app)
}

#[tokio::test]
async fn basic_auth_response_carries_the_remote_user() {
    let client = basic_client();
    let res = client.get("/").basic_auth("alice", "wonderland").await;
    assert_eq!(res.text(), "user=alice;roles=admin,staff");
    assert_eq!(user(&res), Some("alice"));
}

#[tokio::test]
async fn basic_auth_refusals_carry_no_remote_user() {
    let client = basic_client();
    let res = client.get("/").expect_status(401).await;
    assert_eq!(user(&res), None);
    let res = client
        .get("/")
        .basic_auth("alice", "looking-glass")
        .expect_status(401)
        .await;
    assert_eq!(user(&res), None);
}

#[tokio::test]
async fn a_remote_user_the_app_put_in_its_response_stays() {
    let hasher = hasher();
    let auth = Authenticator::new(users(&hasher)).hasher(hasher);
    let app = ServiceBuilder::new()
        .layer(BasicAuthLayer::new(auth))
        .service(tower::service_fn(|_req: Request<Body>| async {
            let mut res = Response::new(String::new());
            res.extensions_mut().insert(RemoteUser::new("alice-as-bob"));
            Ok::<_, Infallible>(res)
        }));
    let res = TestClient::new(app)
        .get("/")
        .basic_auth("alice", "wonderland")
        .await;
    assert_eq!(user(&res), Some("alice-as-bob"));
}

#[cfg(feature = "sessions")]
mod session {
    use super::*;
    use common::site;

    #[tokio::test]
    async fn session_auth_response_carries_the_logged_in_user() {
        let hasher = hasher();
        let client = TestClient::new(site(users(&hasher), hasher));
        let res = client.get("/whoami").await;
        assert_eq!(res.text(), "user=-;roles=");
        assert_eq!(user(&res), None, "anonymous");

        client
            .post("/login")
            .form(&[("username", "bob"), ("password", "builder")])
            .expect_status(303)
            .await;
        let res = client.get("/whoami").await;
        assert_eq!(res.text(), "user=bob;roles=");
        assert_eq!(user(&res), Some("bob"));
        // Through RequireLogin too: the session layer's answer carries it.
        let res = client.get("/private").await;
        assert_eq!(user(&res), Some("bob"));

        client.post("/logout").expect_status(303).await;
        let res = client.get("/whoami").await;
        assert_eq!(user(&res), None, "logged out");
    }
}
