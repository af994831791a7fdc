//! The provider over https://: the in-process provider behind TLS with a
//! self-signed certificate made here. Trusted through
//! `root_certificate_pem`, a login completes; not trusted, the login is a
//! 503 page with nobody logged in.

#![cfg(feature = "https")]

mod support;

use std::convert::Infallible;
use std::sync::Arc;

use http::{Request, Response, StatusCode};
use openssl::asn1::Asn1Time;
use openssl::bn::{BigNum, MsbOption};
use openssl::ec::{EcGroup, EcKey};
use openssl::hash::MessageDigest;
use openssl::nid::Nid;
use openssl::pkey::PKey;
use openssl::x509::extension::{BasicConstraints, SubjectAlternativeName};
use openssl::x509::{X509Builder, X509NameBuilder};
use pastry_auth::{MemoryUserStore, SessionAuthLayer, User};
use pastry_core::Environ;
use pastry_oidc::{OidcLayer, OidcLayerBuilder};
use pastry_sessions::{MemoryStore, SessionLayer};
use pastry_testkit::{Body, LogCapture, TestClient};
use support::{CLIENT_ID, CLIENT_SECRET, FakeProvider};
use tower::{ServiceBuilder, service_fn};

const REDIRECT: &str = "http://app.test/auth/oidc/callback";

/// A self-signed certificate for 127.0.0.1 (and `localhost`): its PEM, and
/// a TLS acceptor presenting it.
fn self_signed() -> (Vec<u8>, tokio_native_tls::TlsAcceptor) {
    let group = EcGroup::from_curve_name(Nid::X9_62_PRIME256V1).unwrap();
    let key = PKey::from_ec_key(EcKey::generate(&group).unwrap()).unwrap();
    let mut name = X509NameBuilder::new().unwrap();
    name.append_entry_by_text("CN", "pastry-oidc test provider")
        .unwrap();
    let name = name.build();
    let mut serial = BigNum::new().unwrap();
    serial.rand(64, MsbOption::MAYBE_ZERO, false).unwrap();
    let mut cert = X509Builder::new().unwrap();
    cert.set_version(2).unwrap();
    cert.set_serial_number(&serial.to_asn1_integer().unwrap())
        .unwrap();
    cert.set_subject_name(&name).unwrap();
    cert.set_issuer_name(&name).unwrap();
    cert.set_pubkey(&key).unwrap();
    cert.set_not_before(&Asn1Time::days_from_now(0).unwrap())
        .unwrap();
    cert.set_not_after(&Asn1Time::days_from_now(1).unwrap())
        .unwrap();
    cert.append_extension(BasicConstraints::new().critical().ca().build().unwrap())
        .unwrap();
    let san = SubjectAlternativeName::new()
        .ip("127.0.0.1")
        .dns("localhost")
        .build(&cert.x509v3_context(None, None))
        .unwrap();
    cert.append_extension(san).unwrap();
    cert.sign(&key, MessageDigest::sha256()).unwrap();
    let pem = cert.build().to_pem().unwrap();
    let identity =
        native_tls::Identity::from_pkcs8(&pem, &key.private_key_to_pem_pkcs8().unwrap()).unwrap();
    let acceptor = native_tls::TlsAcceptor::new(identity).unwrap();
    (pem, acceptor.into())
}

fn client_with(
    issuer: &str,
    edit: impl FnOnce(OidcLayerBuilder) -> OidcLayerBuilder,
) -> TestClient {
    let users = Arc::new(MemoryUserStore::new());
    let store = Arc::clone(&users);
    let builder = OidcLayer::builder()
        .issuer(issuer)
        .client_id(CLIENT_ID)
        .client_secret(CLIENT_SECRET)
        .redirect_url(REDIRECT)
        .map_user(move |claims| {
            let name = claims.email()?.split('@').next()?.to_owned();
            let user = User::builder(name, "!oidc").credential_version(1).build();
            store.insert(user.clone());
            Some(user)
        });
    let layer = edit(builder).build().unwrap();
    let app = ServiceBuilder::new()
        .layer(SessionLayer::new(MemoryStore::new()))
        .layer(layer)
        .layer(SessionAuthLayer::new(users))
        .service(service_fn(|req: Request<Body>| async move {
            let who = req.remote_user().unwrap_or("-").to_owned();
            Ok::<_, Infallible>(Response::new(format!("user={who}")))
        }));
    TestClient::new(app)
}

fn param(url: &str, name: &str) -> String {
    let query = url.split_once('?').map_or("", |(_, q)| q);
    form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

#[tokio::test]
async fn login_over_https_with_a_trusted_root_certificate() {
    let (pem, acceptor) = self_signed();
    let provider = FakeProvider::start_tls(acceptor).await;
    assert!(provider.issuer().starts_with("https://127.0.0.1:"));
    let client = client_with(&provider.issuer(), |b| b.root_certificate_pem(&pem));
    let res = client
        .get("/auth/oidc/login?next=/private")
        .expect_status(303)
        .await;
    let location = res.header("location").unwrap().to_owned();
    assert!(
        location.starts_with(&format!("{}/authorize?", provider.issuer())),
        "{location}"
    );
    let code = provider.authorize(&location);
    let state = param(&location, "state");
    let res = client
        .get("/auth/oidc/callback")
        .query(&[("state", state.as_str()), ("code", code.as_str())])
        .any_status()
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "{}", res.text());
    assert_eq!(res.header("location"), Some("/private"));
    assert_eq!(client.get("/whoami").await.text(), "user=alice");
    assert_eq!(
        provider
            .discovery_fetches
            .load(std::sync::atomic::Ordering::SeqCst),
        1
    );
}

#[tokio::test]
async fn untrusted_certificate_is_503_and_logs_nobody_in() {
    let (_, acceptor) = self_signed();
    let provider = FakeProvider::start_tls(acceptor).await;
    // Another self-signed certificate is trusted, not the provider's.
    let (other, _) = self_signed();
    let client = client_with(&provider.issuer(), |b| b.root_certificate_pem(&other));
    let logs = LogCapture::start();
    let res = client.get("/auth/oidc/login").any_status().await;
    assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(res.text().contains("cannot be reached"));
    assert!(logs.contains("the login provider is unavailable"));
    assert!(logs.contains("certificate"), "{}", logs.text());
    assert_eq!(client.get("/whoami").await.text(), "user=-");
    assert_eq!(
        provider
            .discovery_fetches
            .load(std::sync::atomic::Ordering::SeqCst),
        0,
        "nothing was served over the refused connection"
    );
}

#[tokio::test]
async fn untrusted_certificate_without_extra_roots_is_503() {
    let (_, acceptor) = self_signed();
    let provider = FakeProvider::start_tls(acceptor).await;
    let client = client_with(&provider.issuer(), |b| b);
    let logs = LogCapture::start();
    let res = client.get("/auth/oidc/login").any_status().await;
    assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(logs.contains("the login provider is unavailable"));
    assert!(logs.contains("certificate"), "{}", logs.text());
    assert_eq!(client.get("/whoami").await.text(), "user=-");
    assert_eq!(
        provider
            .discovery_fetches
            .load(std::sync::atomic::Ordering::SeqCst),
        0
    );
}

#[tokio::test]
async fn plain_http_provider_still_works_with_https_on() {
    let provider = FakeProvider::start().await;
    let client = client_with(&provider.issuer(), |b| b);
    let res = client.get("/auth/oidc/login").expect_status(303).await;
    assert!(
        res.header("location")
            .unwrap()
            .starts_with(&format!("http://{}/authorize?", provider.addr))
    );
}

#[test]
fn bad_root_certificate_is_refused_when_built() {
    let build = |pem: &[u8]| {
        OidcLayer::builder()
            .issuer("https://idp.example")
            .client_id(CLIENT_ID)
            .redirect_url(REDIRECT)
            .map_user(|_| None)
            .root_certificate_pem(pem)
            .build()
    };
    assert!(matches!(
        build(b"not a certificate").unwrap_err(),
        pastry_oidc::OidcError::InvalidRootCertificate(_)
    ));
    assert!(matches!(
        build(b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n").unwrap_err(),
        pastry_oidc::OidcError::InvalidRootCertificate(_)
    ));
    let (pem, _) = self_signed();
    assert!(build(&pem).is_ok());
}
