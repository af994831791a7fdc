//! An in-process OpenID provider on 127.0.0.1:0 for the rejection tests:
//! discovery, keys and a token endpoint that checks PKCE and signs ID
//! tokens with test RSA keys, with knobs to make it misbehave; over plain
//! HTTP, or over TLS with a certificate the test made.

#![allow(dead_code)]

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo};
use openidconnect::core::{
    CoreIdToken, CoreIdTokenClaims, CoreJsonWebKeySet, CoreJwsSigningAlgorithm,
    CoreRsaPrivateSigningKey,
};
use openidconnect::{
    Audience, EmptyAdditionalClaims, EndUserEmail, IssuerUrl, JsonWebKeyId, Nonce,
    PrivateSigningKey, StandardClaims, SubjectIdentifier,
};
use sha2::{Digest, Sha256};
use tokio::net::TcpListener;

pub const CLIENT_ID: &str = "pastry-test";
pub const CLIENT_SECRET: &str = "test-secret";

pub fn key(name: &str, kid: &str) -> CoreRsaPrivateSigningKey {
    let pem = match name {
        "first" => include_str!("../keys/first.pem"),
        "second" => include_str!("../keys/second.pem"),
        _ => include_str!("../keys/forger.pem"),
    };
    CoreRsaPrivateSigningKey::from_pem(pem, Some(JsonWebKeyId::new(kid.to_owned())))
        .expect("test key")
}

/// How the provider answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Normal,
    /// Accepts connections and never answers.
    Hang,
    /// Pads every JSON answer past 1 MiB.
    Oversize,
}

/// What goes into the next ID tokens.
#[derive(Clone, Debug, Default)]
pub struct Tweak {
    pub audience: Option<String>,
    pub issuer: Option<String>,
    /// Seconds added to "now" for `exp` (default: +300).
    pub expires_in: Option<i64>,
    pub subject: Option<String>,
    pub groups: Vec<String>,
    /// Sign with this key instead of the current one (a forgery), keeping
    /// the header's key id.
    pub forge: bool,
    /// A nonce other than the one the login asked for.
    pub nonce: Option<String>,
}

struct Grant {
    nonce: String,
    challenge: String,
    used: bool,
}

struct State {
    mode: Mode,
    signing: (String, String),
    published: Vec<(String, String)>,
    grants: HashMap<String, Grant>,
    tweak: Tweak,
    next_code: u64,
}

#[derive(Clone)]
pub struct FakeProvider {
    pub addr: SocketAddr,
    scheme: &'static str,
    state: Arc<Mutex<State>>,
    pub key_fetches: Arc<AtomicUsize>,
    pub discovery_fetches: Arc<AtomicUsize>,
}

impl FakeProvider {
    pub async fn start() -> Self {
        Self::start_with(None).await
    }

    /// The provider over TLS (`https://127.0.0.1:port`), presenting the
    /// acceptor's certificate.
    pub async fn start_tls(acceptor: tokio_native_tls::TlsAcceptor) -> Self {
        Self::start_with(Some(acceptor)).await
    }

    async fn start_with(tls: Option<tokio_native_tls::TlsAcceptor>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let provider = Self {
            addr,
            scheme: if tls.is_some() { "https" } else { "http" },
            state: Arc::new(Mutex::new(State {
                mode: Mode::Normal,
                signing: ("first".into(), "k1".into()),
                published: vec![("first".into(), "k1".into())],
                grants: HashMap::new(),
                tweak: Tweak::default(),
                next_code: 0,
            })),
            key_fetches: Arc::new(AtomicUsize::new(0)),
            discovery_fetches: Arc::new(AtomicUsize::new(0)),
        };
        let serving = provider.clone();
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                let provider = serving.clone();
                let tls = tls.clone();
                tokio::spawn(async move {
                    match tls {
                        None => provider.serve(stream).await,
                        // A client that refuses the certificate ends here.
                        Some(tls) => {
                            if let Ok(stream) = tls.accept(stream).await {
                                provider.serve(stream).await;
                            }
                        }
                    }
                });
            }
        });
        provider
    }

    async fn serve<IO>(self, stream: IO)
    where
        IO: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
    {
        let service = hyper::service::service_fn(move |req| {
            let provider = self.clone();
            async move { Ok::<_, Infallible>(provider.answer(req).await) }
        });
        let _ = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
            .serve_connection(TokioIo::new(stream), service)
            .await;
    }

    pub fn issuer(&self) -> String {
        format!("{}://{}", self.scheme, self.addr)
    }

    pub fn set_mode(&self, mode: Mode) {
        self.state.lock().unwrap().mode = mode;
    }

    pub fn set_tweak(&self, tweak: Tweak) {
        self.state.lock().unwrap().tweak = tweak;
    }

    /// Signs with `key` under `kid` from now on; `publish` says whether the
    /// key set lists it (alone) too.
    pub fn rotate(&self, key: &str, kid: &str, publish: bool) {
        let mut state = self.state.lock().unwrap();
        state.signing = (key.into(), kid.into());
        if publish {
            state.published = vec![(key.into(), kid.into())];
        }
    }

    /// What the provider's login page would do: remembers the nonce and
    /// PKCE challenge of an authorization request and gives a code for it.
    pub fn authorize(&self, authorize_url: &str) -> String {
        let query = authorize_url.split_once('?').map_or("", |(_, q)| q);
        let params: HashMap<String, String> = form_urlencoded::parse(query.as_bytes())
            .into_owned()
            .collect();
        assert_eq!(params["code_challenge_method"], "S256");
        assert_eq!(params["response_type"], "code");
        assert_eq!(params["client_id"], CLIENT_ID);
        assert!(params["scope"].split(' ').any(|s| s == "openid"));
        let mut state = self.state.lock().unwrap();
        state.next_code += 1;
        let code = format!("code-{}", state.next_code);
        state.grants.insert(
            code.clone(),
            Grant {
                nonce: params["nonce"].clone(),
                challenge: params["code_challenge"].clone(),
                used: false,
            },
        );
        code
    }

    async fn answer(&self, req: Request<Incoming>) -> Response<Full<Bytes>> {
        let mode = self.state.lock().unwrap().mode;
        if mode == Mode::Hang {
            tokio::time::sleep(Duration::from_secs(3600)).await;
        }
        let path = req.uri().path().to_owned();
        let (status, mut body) = match path.as_str() {
            "/.well-known/openid-configuration" => {
                self.discovery_fetches.fetch_add(1, Ordering::SeqCst);
                (StatusCode::OK, self.discovery())
            }
            "/jwks" => {
                self.key_fetches.fetch_add(1, Ordering::SeqCst);
                (StatusCode::OK, self.jwks())
            }
            "/token" => {
                let auth = req
                    .headers()
                    .get("authorization")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("")
                    .to_owned();
                let body = req.into_body().collect().await.unwrap().to_bytes();
                self.token(&auth, &body)
            }
            _ => (
                StatusCode::NOT_FOUND,
                serde_json::json!({"error": "not_found"}),
            ),
        };
        if mode == Mode::Oversize {
            body["padding"] = serde_json::Value::String("x".repeat(1024 * 1024 + 1));
        }
        Response::builder()
            .status(status)
            .header("content-type", "application/json")
            .body(Full::new(Bytes::from(serde_json::to_vec(&body).unwrap())))
            .unwrap()
    }

    fn discovery(&self) -> serde_json::Value {
        let issuer = self.issuer();
        serde_json::json!({
            "issuer": issuer,
            "authorization_endpoint": format!("{issuer}/authorize"),
            "token_endpoint": format!("{issuer}/token"),
            "jwks_uri": format!("{issuer}/jwks"),
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "code_challenge_methods_supported": ["S256"],
        })
    }

    fn jwks(&self) -> serde_json::Value {
        let published = self.state.lock().unwrap().published.clone();
        let keys = published
            .iter()
            .map(|(name, kid)| key(name, kid).as_verification_key())
            .collect();
        serde_json::to_value(CoreJsonWebKeySet::new(keys)).unwrap()
    }

    fn token(&self, auth: &str, body: &[u8]) -> (StatusCode, serde_json::Value) {
        let expected = format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD
                .encode(format!("{CLIENT_ID}:{CLIENT_SECRET}"))
        );
        if auth != expected {
            return (
                StatusCode::UNAUTHORIZED,
                serde_json::json!({"error": "invalid_client"}),
            );
        }
        let params: HashMap<String, String> = form_urlencoded::parse(body).into_owned().collect();
        let invalid_grant = (
            StatusCode::BAD_REQUEST,
            serde_json::json!({"error": "invalid_grant"}),
        );
        if params.get("grant_type").map(String::as_str) != Some("authorization_code") {
            return invalid_grant;
        }
        let mut state = self.state.lock().unwrap();
        let tweak = state.tweak.clone();
        let Some(grant) = params.get("code").and_then(|c| state.grants.get_mut(c)) else {
            return invalid_grant;
        };
        if grant.used {
            return invalid_grant;
        }
        grant.used = true;
        let verifier = params.get("code_verifier").cloned().unwrap_or_default();
        if URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes())) != grant.challenge {
            return invalid_grant;
        }
        let nonce = tweak.nonce.clone().unwrap_or_else(|| grant.nonce.clone());
        let (key_name, kid) = state.signing.clone();
        drop(state);
        let now = chrono::Utc::now();
        let issuer = tweak.issuer.clone().unwrap_or_else(|| self.issuer());
        let audience = tweak
            .audience
            .clone()
            .unwrap_or_else(|| CLIENT_ID.to_owned());
        let expires = now + chrono::Duration::seconds(tweak.expires_in.unwrap_or(300));
        let subject = tweak
            .subject
            .clone()
            .unwrap_or_else(|| "alice-sub".to_owned());
        let claims = CoreIdTokenClaims::new(
            IssuerUrl::new(issuer).unwrap(),
            vec![Audience::new(audience)],
            expires,
            now,
            StandardClaims::new(SubjectIdentifier::new(subject))
                .set_email(Some(EndUserEmail::new("alice@example.com".to_owned())))
                .set_email_verified(Some(true)),
            EmptyAdditionalClaims {},
        )
        .set_nonce(Some(Nonce::new(nonce)));
        let signer = if tweak.forge {
            key("forger", &kid)
        } else {
            key(&key_name, &kid)
        };
        let id_token = CoreIdToken::new(
            claims,
            &signer,
            CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
            None,
            None,
        )
        .unwrap();
        let mut id_token = serde_json::to_value(&id_token).unwrap();
        if !tweak.groups.is_empty() {
            id_token = add_groups(&id_token, &tweak.groups, &signer);
        }
        (
            StatusCode::OK,
            serde_json::json!({
                "access_token": "at-1",
                "token_type": "Bearer",
                "expires_in": 300,
                "id_token": id_token,
            }),
        )
    }
}

/// Re-signs a token with a `groups` claim added (the core claims type has
/// no field for it).
fn add_groups(
    token: &serde_json::Value,
    groups: &[String],
    signer: &CoreRsaPrivateSigningKey,
) -> serde_json::Value {
    let text = token.as_str().unwrap();
    let mut parts = text.split('.');
    let header = parts.next().unwrap();
    let payload = parts.next().unwrap();
    let mut claims: serde_json::Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap();
    claims["groups"] = serde_json::json!(groups);
    let payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims).unwrap());
    let signing_input = format!("{header}.{payload}");
    let signature = signer
        .sign(
            &CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
            signing_input.as_bytes(),
        )
        .unwrap();
    serde_json::Value::String(format!(
        "{signing_input}.{}",
        URL_SAFE_NO_PAD.encode(signature)
    ))
}
