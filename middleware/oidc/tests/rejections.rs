//! The login flow against an in-process provider: a good login, and every
//! way the provider or the browser can get it wrong ending in a 4xx or 503
//! with nobody logged in.

mod support;

use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use http::{Request, Response, StatusCode};
use pastry_auth::{MemoryUserStore, RolesExt, SessionAuthLayer, User};
use pastry_core::{Environ, ManualClock};
use pastry_oidc::{OidcError, OidcLayer, OidcLayerBuilder};
use pastry_sessions::{MemoryStore, SessionLayer};
use pastry_testkit::{Body, LogCapture, TestClient};
use support::{CLIENT_ID, CLIENT_SECRET, FakeProvider, Mode, Tweak};
use tower::{ServiceBuilder, service_fn};

const REDIRECT: &str = "http://app.test/auth/oidc/callback";

fn builder(issuer: &str, users: Arc<MemoryUserStore>) -> OidcLayerBuilder {
    OidcLayer::builder()
        .issuer(issuer)
        .client_id(CLIENT_ID)
        .client_secret(CLIENT_SECRET)
        .redirect_url(REDIRECT)
        .map_user(move |claims| {
            if claims.subject() == "mallory-sub" {
                return None;
            }
            let name = claims.email()?.split('@').next()?.to_owned();
            let user = User::builder(name, "!oidc")
                .roles(claims.claim_strs("groups"))
                .credential_version(1)
                .build();
            users.insert(user.clone());
            Some(user)
        })
}

fn client_with(
    issuer: &str,
    edit: impl FnOnce(OidcLayerBuilder) -> OidcLayerBuilder,
) -> TestClient {
    let users = Arc::new(MemoryUserStore::new());
    let layer = edit(builder(issuer, Arc::clone(&users))).build().unwrap();
    let app = ServiceBuilder::new()
        .layer(SessionLayer::new(MemoryStore::new()))
        .layer(layer)
        .layer(SessionAuthLayer::new(users))
        .service(service_fn(|req: Request<Body>| async move {
            let who = req.remote_user().unwrap_or("-").to_owned();
            let roles: Vec<&str> = req
                .roles()
                .iter()
                .map(str::to_owned)
                .collect::<Vec<_>>()
                .leak()
                .iter()
                .map(String::as_str)
                .collect();
            Ok::<_, Infallible>(Response::new(format!(
                "{} {} user={who} roles={}",
                req.method(),
                req.uri().path(),
                roles.join(",")
            )))
        }));
    TestClient::new(app)
}

fn client(provider: &FakeProvider) -> TestClient {
    client_with(&provider.issuer(), |b| b)
}

/// Starts a login and lets the provider authorize it: the callback's state
/// and code.
async fn authorized(client: &TestClient, provider: &FakeProvider, next: &str) -> (String, String) {
    let res = client
        .get(format!("/auth/oidc/login?next={next}"))
        .expect_status(303)
        .await;
    let location = res.header("location").unwrap().to_owned();
    assert!(
        location.starts_with(&format!("{}/authorize?", provider.issuer())),
        "{location}"
    );
    let state = param(&location, "state");
    let code = provider.authorize(&location);
    (state, code)
}

fn param(url: &str, name: &str) -> String {
    let query = url.split_once('?').map_or("", |(_, q)| q);
    form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

async fn callback(client: &TestClient, state: &str, code: &str) -> pastry_testkit::TestResponse {
    client
        .get("/auth/oidc/callback")
        .query(&[("state", state), ("code", code)])
        .any_status()
        .await
}

async fn who(client: &TestClient) -> String {
    client.get("/whoami").await.text()
}

#[tokio::test]
async fn login_through_the_provider_rotates_the_session_and_keeps_next() {
    let provider = FakeProvider::start().await;
    provider.set_tweak(Tweak {
        groups: vec!["admin".into(), "staff".into()],
        ..Tweak::default()
    });
    let client = client(&provider);
    let (state, code) = authorized(&client, &provider, "/private%3Ftab%3D1").await;
    let before = client
        .cookie("session")
        .or_else(|| client.cookies().first().map(|c| c.1.clone()));
    assert!(before.is_some(), "the pending login lives in a session");
    let res = callback(&client, &state, &code).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "{}", res.text());
    assert_eq!(res.header("location"), Some("/private?tab=1"));
    let after = client
        .cookie("session")
        .or_else(|| client.cookies().first().map(|c| c.1.clone()));
    assert_ne!(before, after, "the session id changes at login");
    assert_eq!(
        who(&client).await,
        "GET /whoami user=alice roles=admin,staff"
    );
}

#[tokio::test]
async fn unsafe_next_falls_back_to_the_default() {
    let provider = FakeProvider::start().await;
    let client = client(&provider);
    let (state, code) = authorized(&client, &provider, "%2F%2Fevil.example").await;
    let res = callback(&client, &state, &code).await;
    assert_eq!(res.header("location"), Some("/"));
}

#[tokio::test]
async fn wrong_state_is_400_and_logs_nobody_in() {
    let provider = FakeProvider::start().await;
    let client = client(&provider);
    let logs = LogCapture::start();
    let (_state, code) = authorized(&client, &provider, "/").await;
    let res = callback(&client, "forged-state", &code).await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert!(res.text().contains("Start the login again"));
    assert!(logs.contains("login refused"));
    assert!(logs.contains("pastry_oidc"));
    let res = callback(&client, "", &code).await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert_eq!(who(&client).await, "GET /whoami user=- roles=");
}

#[tokio::test]
async fn state_from_another_browser_is_400() {
    let provider = FakeProvider::start().await;
    let victim = client(&provider);
    let (state, code) = authorized(&victim, &provider, "/").await;
    let attacker = client(&provider);
    let res = callback(&attacker, &state, &code).await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn replayed_callback_is_400() {
    let provider = FakeProvider::start().await;
    let client = client(&provider);
    let (state, code) = authorized(&client, &provider, "/").await;
    assert_eq!(
        callback(&client, &state, &code).await.status(),
        StatusCode::SEE_OTHER
    );
    client.clear_cookies();
    let res = callback(&client, &state, &code).await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert_eq!(who(&client).await, "GET /whoami user=- roles=");
}

#[tokio::test]
async fn replayed_code_with_a_fresh_state_is_400() {
    let provider = FakeProvider::start().await;
    let client = client(&provider);
    let (state, code) = authorized(&client, &provider, "/").await;
    assert_eq!(
        callback(&client, &state, &code).await.status(),
        StatusCode::SEE_OTHER
    );
    let other = client_with(&provider.issuer(), |b| b);
    let (fresh_state, _unused_code) = authorized(&other, &provider, "/").await;
    let logs = LogCapture::start();
    let res = callback(&other, &fresh_state, &code).await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert!(logs.contains("invalid_grant"));
    assert_eq!(who(&other).await, "GET /whoami user=- roles=");
}

#[tokio::test]
async fn callback_naming_another_issuer_is_400() {
    let provider = FakeProvider::start().await;
    let client = client(&provider);
    let (state, code) = authorized(&client, &provider, "/").await;
    let res = client
        .get("/auth/oidc/callback")
        .query(&[
            ("state", state.as_str()),
            ("code", code.as_str()),
            ("iss", "http://evil.example"),
        ])
        .any_status()
        .await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert_eq!(who(&client).await, "GET /whoami user=- roles=");
    // Its own issuer is accepted.
    let (state, code) = authorized(&client, &provider, "/").await;
    let issuer = provider.issuer();
    let res = client
        .get("/auth/oidc/callback")
        .query(&[
            ("state", state.as_str()),
            ("code", code.as_str()),
            ("iss", issuer.as_str()),
        ])
        .any_status()
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn provider_error_answer_is_400() {
    let provider = FakeProvider::start().await;
    let client = client(&provider);
    let (state, _code) = authorized(&client, &provider, "/").await;
    let res = client
        .get("/auth/oidc/callback")
        .query(&[("state", state.as_str()), ("error", "access_denied")])
        .any_status()
        .await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
}

async fn refused_with(
    tweak: Tweak,
    edit: impl FnOnce(OidcLayerBuilder) -> OidcLayerBuilder,
) -> (StatusCode, String, String) {
    let provider = FakeProvider::start().await;
    provider.set_tweak(tweak);
    let client = client_with(&provider.issuer(), edit);
    let logs = LogCapture::start();
    let (state, code) = authorized(&client, &provider, "/").await;
    let res = callback(&client, &state, &code).await;
    let status = res.status();
    let text = logs.text();
    (status, text, who(&client).await)
}

#[tokio::test]
async fn expired_token_is_403() {
    let (status, logs, who) = refused_with(
        Tweak {
            expires_in: Some(-120),
            ..Tweak::default()
        },
        |b| b.clock_skew(Duration::from_secs(60)),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(logs.contains("Expired"), "{logs}");
    assert_eq!(who, "GET /whoami user=- roles=");
}

#[tokio::test]
async fn token_expired_within_the_skew_is_accepted() {
    let (status, _, who) = refused_with(
        Tweak {
            expires_in: Some(-20),
            ..Tweak::default()
        },
        |b| b.clock_skew(Duration::from_secs(60)),
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(who, "GET /whoami user=alice roles=");
}

#[tokio::test]
async fn wrong_audience_is_403() {
    let (status, logs, who) = refused_with(
        Tweak {
            audience: Some("another-app".into()),
            ..Tweak::default()
        },
        |b| b,
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(logs.contains("audiences"), "{logs}");
    assert_eq!(who, "GET /whoami user=- roles=");
}

#[tokio::test]
async fn wrong_issuer_is_403() {
    let (status, logs, who) = refused_with(
        Tweak {
            issuer: Some("http://evil.example".into()),
            ..Tweak::default()
        },
        |b| b,
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(logs.contains("issuer"), "{logs}");
    assert_eq!(who, "GET /whoami user=- roles=");
}

#[tokio::test]
async fn forged_signature_is_403() {
    let (status, logs, who) = refused_with(
        Tweak {
            forge: true,
            ..Tweak::default()
        },
        |b| b,
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(logs.contains("Signature verification failed"), "{logs}");
    assert_eq!(who, "GET /whoami user=- roles=");
}

#[tokio::test]
async fn wrong_nonce_is_403() {
    let (status, logs, who) = refused_with(
        Tweak {
            nonce: Some("another-nonce".into()),
            ..Tweak::default()
        },
        |b| b,
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(logs.contains("nonce"), "{logs}");
    assert_eq!(who, "GET /whoami user=- roles=");
}

#[tokio::test]
async fn map_user_refusal_is_403() {
    let (status, logs, who) = refused_with(
        Tweak {
            subject: Some("mallory-sub".into()),
            ..Tweak::default()
        },
        |b| b,
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(logs.contains("map_user gave no user"), "{logs}");
    assert_eq!(who, "GET /whoami user=- roles=");
}

#[tokio::test]
async fn unknown_key_id_fetches_the_keys_once_and_logs_in_after_rotation() {
    let provider = FakeProvider::start().await;
    let client = client(&provider);
    let (state, code) = authorized(&client, &provider, "/").await;
    assert_eq!(provider.key_fetches.load(Ordering::SeqCst), 1);
    provider.rotate("second", "k2", true);
    let res = callback(&client, &state, &code).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "{}", res.text());
    assert_eq!(provider.key_fetches.load(Ordering::SeqCst), 2);
    assert_eq!(who(&client).await, "GET /whoami user=alice roles=");
    // The new key is cached: the next login fetches nothing.
    client.clear_cookies();
    let (state, code) = authorized(&client, &provider, "/").await;
    assert_eq!(
        callback(&client, &state, &code).await.status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(provider.key_fetches.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn unknown_key_id_refetches_at_most_once_per_interval() {
    let provider = FakeProvider::start().await;
    let clock = ManualClock::new();
    let client = client_with(&provider.issuer(), |b| {
        b.clock(clock.clone())
            .key_refresh_interval(Duration::from_secs(60))
    });
    // Tokens signed with a key the provider never publishes.
    provider.rotate("forger", "k-unpublished", false);
    let (state, code) = authorized(&client, &provider, "/").await;
    assert_eq!(
        callback(&client, &state, &code).await.status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(provider.key_fetches.load(Ordering::SeqCst), 2);
    let (state, code) = authorized(&client, &provider, "/").await;
    assert_eq!(
        callback(&client, &state, &code).await.status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        provider.key_fetches.load(Ordering::SeqCst),
        2,
        "no second fetch within the interval"
    );
    clock.advance(Duration::from_secs(61));
    let (state, code) = authorized(&client, &provider, "/").await;
    assert_eq!(
        callback(&client, &state, &code).await.status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(provider.key_fetches.load(Ordering::SeqCst), 3);
    assert_eq!(who(&client).await, "GET /whoami user=- roles=");
}

#[tokio::test]
async fn provider_down_is_503() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let issuer = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let client = client_with(&issuer, |b| b);
    let logs = LogCapture::start();
    let res = client.get("/auth/oidc/login").any_status().await;
    assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(res.text().contains("cannot be reached"));
    assert!(logs.contains("the login provider is unavailable"));
}

#[tokio::test]
async fn provider_down_at_the_callback_is_503() {
    let provider = FakeProvider::start().await;
    let client = client_with(&provider.issuer(), |b| {
        b.provider_timeout(Duration::from_millis(300))
    });
    let (state, code) = authorized(&client, &provider, "/").await;
    provider.set_mode(Mode::Hang);
    let res = callback(&client, &state, &code).await;
    assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(who(&client).await, "GET /whoami user=- roles=");
}

#[tokio::test]
async fn provider_that_never_answers_is_503_after_the_timeout() {
    let provider = FakeProvider::start().await;
    provider.set_mode(Mode::Hang);
    let client = client_with(&provider.issuer(), |b| {
        b.provider_timeout(Duration::from_millis(300))
    });
    let logs = LogCapture::start();
    let res = client.get("/auth/oidc/login").any_status().await;
    assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(logs.contains("did not answer within"), "{}", logs.text());
}

#[tokio::test]
async fn oversized_provider_answer_is_503() {
    let provider = FakeProvider::start().await;
    provider.set_mode(Mode::Oversize);
    let client = client_with(&provider.issuer(), |b| b.max_response_bytes(64 * 1024));
    let logs = LogCapture::start();
    let res = client.get("/auth/oidc/login").any_status().await;
    assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(logs.contains("exceeded 65536 bytes"), "{}", logs.text());
}

#[tokio::test]
async fn default_response_cap_refuses_a_one_mebibyte_answer() {
    let provider = FakeProvider::start().await;
    provider.set_mode(Mode::Oversize);
    let client = client(&provider);
    let res = client.get("/auth/oidc/login").any_status().await;
    assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
}

#[tokio::test]
async fn logins_beyond_max_pending_forget_the_oldest() {
    let provider = FakeProvider::start().await;
    let client = client_with(&provider.issuer(), |b| b.max_pending(2));
    let (first_state, first_code) = authorized(&client, &provider, "/").await;
    let (second_state, second_code) = authorized(&client, &provider, "/").await;
    let (third_state, third_code) = authorized(&client, &provider, "/").await;
    assert_eq!(
        callback(&client, &first_state, &first_code).await.status(),
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        callback(&client, &third_state, &third_code).await.status(),
        StatusCode::SEE_OTHER
    );
    // Logging in gives the session a new id but keeps its other pending login.
    let res = callback(&client, &second_state, &second_code).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn default_max_pending_keeps_four_logins() {
    let provider = FakeProvider::start().await;
    let client = client(&provider);
    let mut started = Vec::new();
    for _ in 0..5 {
        started.push(authorized(&client, &provider, "/").await);
    }
    let (state, code) = &started[0];
    assert_eq!(
        callback(&client, state, code).await.status(),
        StatusCode::BAD_REQUEST
    );
    let (state, code) = &started[1];
    assert_eq!(
        callback(&client, state, code).await.status(),
        StatusCode::SEE_OTHER
    );
}

#[tokio::test]
async fn login_older_than_pending_ttl_is_400() {
    let provider = FakeProvider::start().await;
    let clock = ManualClock::new();
    let client = client_with(&provider.issuer(), |b| {
        b.clock(clock.clone()).pending_ttl(Duration::from_secs(120))
    });
    let (state, code) = authorized(&client, &provider, "/").await;
    clock.advance(Duration::from_secs(121));
    let logs = LogCapture::start();
    let res = callback(&client, &state, &code).await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert!(logs.contains("pending_ttl"));
    assert_eq!(who(&client).await, "GET /whoami user=- roles=");
}

#[tokio::test]
async fn other_paths_pass_through_and_unsafe_methods_are_405() {
    let provider = FakeProvider::start().await;
    let client = client(&provider);
    assert_eq!(
        client.get("/auth/oidc").await.text(),
        "GET /auth/oidc user=- roles="
    );
    let res = client.post("/auth/oidc/callback").any_status().await;
    assert_eq!(res.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(res.header("allow"), Some("GET, HEAD"));
    assert_eq!(
        provider.discovery_fetches.load(Ordering::SeqCst),
        0,
        "nothing fetched until a login starts"
    );
}

#[tokio::test]
async fn missing_session_layer_is_500_naming_the_fix() {
    let layer = builder("http://127.0.0.1:9", Arc::new(MemoryUserStore::new()))
        .build()
        .unwrap();
    let app = ServiceBuilder::new()
        .layer(layer)
        .service(service_fn(|_req: Request<Body>| async {
            Ok::<_, Infallible>(Response::new(String::new()))
        }));
    let logs = LogCapture::start();
    let res = TestClient::new(app)
        .get("/auth/oidc/login")
        .any_status()
        .await;
    assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert!(logs.contains("SessionLayer"));
}

#[test]
fn bad_settings_are_refused_when_built() {
    let users = Arc::new(MemoryUserStore::new());
    let ok = || builder("http://127.0.0.1:3000", Arc::clone(&users));
    assert!(ok().build().is_ok());
    assert_eq!(
        OidcLayer::builder().build().unwrap_err(),
        OidcError::Missing("issuer")
    );
    assert_eq!(
        OidcLayer::builder()
            .issuer("http://idp")
            .build()
            .unwrap_err(),
        OidcError::Missing("client_id")
    );
    #[cfg(not(feature = "https"))]
    assert_eq!(
        ok().issuer("https://idp.example").build().unwrap_err(),
        OidcError::HttpsUnsupported("issuer")
    );
    #[cfg(feature = "https")]
    assert!(ok().issuer("https://idp.example").build().is_ok());
    assert!(matches!(
        ok().issuer("ftp://idp").build().unwrap_err(),
        OidcError::InvalidUrl {
            setting: "issuer",
            ..
        }
    ));
    assert!(matches!(
        ok().redirect_url("/relative").build().unwrap_err(),
        OidcError::InvalidUrl {
            setting: "redirect_url",
            ..
        }
    ));
    assert!(matches!(
        ok().login_path("x").build().unwrap_err(),
        OidcError::InvalidPath {
            setting: "login_path",
            ..
        }
    ));
    assert!(matches!(
        ok().callback_path("/auth/oidc/login").build().unwrap_err(),
        OidcError::InvalidPath {
            setting: "callback_path",
            ..
        }
    ));
    assert!(matches!(
        ok().default_next("//evil").build().unwrap_err(),
        OidcError::InvalidPath {
            setting: "default_next",
            ..
        }
    ));
    assert_eq!(
        ok().max_pending(0).build().unwrap_err(),
        OidcError::ZeroLimit("max_pending")
    );
    assert_eq!(
        ok().provider_timeout(Duration::ZERO).build().unwrap_err(),
        OidcError::ZeroLimit("provider_timeout")
    );
    assert_eq!(
        ok().max_response_bytes(0).build().unwrap_err(),
        OidcError::ZeroLimit("max_response_bytes")
    );
    assert_eq!(
        ok().pending_ttl(Duration::ZERO).build().unwrap_err(),
        OidcError::ZeroLimit("pending_ttl")
    );
}
