#![cfg(all(feature = "oidc", feature = "auth", feature = "sessions"))]

//! OpenID Connect login against a real provider: `oidc-provider` (npm) on
//! loopback, driven over plain HTTP with a cookie jar the way a browser
//! would: the app sends the browser to the provider, the provider's login
//! form is posted, and the callback logs the user in to the app's session,
//! read back by `SessionAuthLayer` with the roles `map_user` gave.

mod oidc_support;

use std::convert::Infallible;
use std::future::IntoFuture;
use std::sync::Arc;

use http::{Request, Response, StatusCode};
use pastry::Environ;
use pastry::auth::{MemoryUserStore, RequireLoginLayer, RolesExt, SessionAuthLayer, User};
use pastry::oidc::OidcLayer;
use pastry::sessions::{MemoryStore, SessionLayer};
use reqwest::redirect::Policy;
use tokio::net::TcpListener;
use tower::ServiceBuilder;

/// The app behind the login: `/private` needs a logged-in user and names
/// them with their roles.
async fn serve_app(listener: TcpListener, issuer: &str, redirect_uri: &str) {
    let users = Arc::new(MemoryUserStore::new());
    let known = Arc::clone(&users);
    let oidc = OidcLayer::builder()
        .issuer(issuer)
        .client_id(oidc_support::CLIENT_ID)
        .client_secret(oidc_support::CLIENT_SECRET)
        .redirect_url(redirect_uri)
        .map_user(move |claims| {
            if !claims.email_verified() {
                return None;
            }
            let name = claims.preferred_username()?;
            let user = User::builder(name, "!oidc")
                .roles(["member"])
                .credential_version(1)
                .build();
            known.insert(user.clone());
            Some(user)
        })
        .build()
        .unwrap();
    let private = ServiceBuilder::new()
        .layer(RequireLoginLayer::new("/auth/oidc/login").unwrap())
        .service(tower::service_fn(
            |req: Request<hyper::body::Incoming>| async move {
                let roles = req.roles().iter().collect::<Vec<_>>().join(",");
                let body = format!(
                    "private page of {} ({roles})",
                    req.remote_user().unwrap_or("-")
                );
                Ok::<_, Infallible>(Response::new(body))
            },
        ));
    let app = ServiceBuilder::new()
        .layer(SessionLayer::new(MemoryStore::new()))
        .layer(oidc)
        .layer(SessionAuthLayer::new(users))
        .service(private);
    tokio::spawn(pastry::serve(listener, app).quiet(true).into_future());
}

/// `url` made absolute against `origin` when it is a path.
fn absolute(origin: &str, url: &str) -> String {
    if url.starts_with('/') {
        format!("{origin}{url}")
    } else {
        url.to_owned()
    }
}

fn location(res: &reqwest::Response) -> String {
    res.headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_else(|| panic!("a redirect, got {}", res.status()))
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_through_oidc_provider_reaches_the_private_page() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let app = format!("http://{}", listener.local_addr().unwrap());
    let redirect_uri = format!("{app}/auth/oidc/callback");
    let Some(provider) = oidc_support::start_or_skip(
        "login_through_oidc_provider_reaches_the_private_page",
        &redirect_uri,
    ) else {
        return;
    };
    serve_app(listener, &provider.issuer, &redirect_uri).await;
    let browser = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(Policy::none())
        .build()
        .unwrap();

    // Nobody is logged in: the private page sends the browser to the login.
    let res = browser.get(format!("{app}/private")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let login = location(&res);
    assert!(login.starts_with("/auth/oidc/login?next="), "{login}");

    let res = browser.get(format!("{app}{login}")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let authorize = location(&res);
    assert!(
        authorize.starts_with(&format!("{}/auth?", provider.issuer)),
        "{authorize}"
    );
    assert!(authorize.contains("code_challenge_method=S256"));

    // The provider's login page.
    let res = browser.get(&authorize).send().await.unwrap();
    let interaction = absolute(&provider.issuer, &location(&res));
    let page = browser
        .get(interaction)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let (action, fields) = oidc_support::form(&page);
    let fields: Vec<(String, String)> = fields
        .into_iter()
        .map(|(name, value)| match name.as_str() {
            "login" => (name, "alice".to_owned()),
            "password" => (name, "any password".to_owned()),
            _ => (name, value),
        })
        .collect();
    let action = absolute(&provider.issuer, &action);
    let mut res = browser.post(&action).form(&fields).send().await.unwrap();
    // The provider's own redirects, until it sends the browser back.
    let mut hops = 0;
    let callback = loop {
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "at hop {hops}");
        let next = location(&res);
        if next.starts_with(&redirect_uri) {
            break next;
        }
        hops += 1;
        assert!(hops < 5, "too many provider redirects");
        res = browser
            .get(absolute(&provider.issuer, &next))
            .send()
            .await
            .unwrap();
    };

    let res = browser.get(&callback).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), "/private");
    let res = browser.get(format!("{app}/private")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.text().await.unwrap(), "private page of alice (member)");

    // The same callback again is refused, and logs nobody in.
    let stranger = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(Policy::none())
        .build()
        .unwrap();
    let res = stranger.get(&callback).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let res = stranger.get(format!("{app}/private")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
}
