#![cfg(all(feature = "oidc", feature = "auth", feature = "sessions"))]

//! The altdemo's "Sign in with the provider" in headless Chromium, against
//! a real OpenID provider (`oidc-provider` under Node.js, on loopback):
//! the private page sends the browser to the demo's login page, its
//! provider link to the provider's login form, which is filled in as
//! `alice`; the provider sends the browser back and the demo shows its
//! private page to alice, the demo user of that name.
//!
//! Needs Debian's `chromium` and `chromium-driver` (`.ci/install-browser`)
//! and Node.js with `tests/oidc-provider`'s packages (`npm ci` there).
//! Without them the test says why and passes, unless
//! `PASTRY_REQUIRE_BROWSER` or `PASTRY_REQUIRE_OIDC` is set (CI sets both).

#[path = "../examples/altdemo/app.rs"]
#[allow(dead_code)]
mod app;
#[path = "support/browser.rs"]
mod browser;
mod oidc_support;

use std::future::IntoFuture;

use browser::{Browser, STEP, wait_for_url};
use fantoccini::Locator;
use pastry::sessions::AnyStore;
use tokio::net::TcpListener;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_with_the_provider_in_chromium_reaches_the_private_page() {
    const TEST: &str = "sign_in_with_the_provider_in_chromium_reaches_the_private_page";
    let Some(browser) = Browser::start_or_skip(TEST).await else {
        return;
    };
    let client = browser.client.clone();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let demo = listener.local_addr().unwrap();
    let redirect = format!("http://{demo}/auth/oidc/callback");
    let Some(provider) = oidc_support::start_or_skip(TEST, &redirect) else {
        return;
    };
    let options = app::Options::from_args_and_env(
        [
            "--addr".to_owned(),
            demo.to_string(),
            "--oidc-issuer".to_owned(),
            provider.issuer.clone(),
            "--oidc-client-id".to_owned(),
            oidc_support::CLIENT_ID.to_owned(),
        ],
        |name| {
            (name == "PASTRY_OIDC_CLIENT_SECRET").then(|| oidc_support::CLIENT_SECRET.to_owned())
        },
    )
    .unwrap()
    .unwrap();
    let mut config = app::Config::new(AnyStore::from_url("memory:").unwrap(), false, false);
    config.oidc = app::oidc_layer(&options, &config.users_file).unwrap();
    assert!(config.oidc.is_some());
    let stack = app::stack(config).unwrap();
    tokio::spawn(pastry::serve(listener, stack).quiet(true).into_future());

    // The private page sends the browser to the login page, which offers
    // the provider.
    client
        .goto(&format!("http://{demo}/private"))
        .await
        .unwrap();
    let link = client
        .wait()
        .at_most(STEP)
        .for_element(Locator::Id("provider-login"))
        .await
        .unwrap();
    assert_eq!(link.text().await.unwrap(), "Sign in with the provider");
    link.click().await.unwrap();

    // The provider's login form.
    let issuer = provider.issuer.clone();
    wait_for_url(&client, "the provider's login page", |url| {
        url.starts_with(&issuer)
    })
    .await;
    let form = client
        .wait()
        .at_most(STEP)
        .for_element(Locator::Css("form"))
        .await
        .unwrap();
    form.find(Locator::Css("input[name=login]"))
        .await
        .unwrap()
        .send_keys("alice")
        .await
        .unwrap();
    form.find(Locator::Css("input[name=password]"))
        .await
        .unwrap()
        .send_keys("any password")
        .await
        .unwrap();
    form.find(Locator::Css("button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();

    // Back at the demo, logged in as alice.
    let private = format!("http://{demo}/private");
    wait_for_url(&client, "the private page after login", |url| {
        url == private
    })
    .await;
    let user = client
        .wait()
        .at_most(STEP)
        .for_element(Locator::Id("user"))
        .await
        .unwrap();
    assert_eq!(user.text().await.unwrap(), "alice");
    browser.close().await;
    drop(provider);
}
