//! [`OidcLayer`] and its builder: collects the settings, checks them, and
//! builds the service.

use std::sync::Arc;
use std::time::Duration;

use openidconnect::{IssuerUrl, RedirectUrl};
use pastry_auth::User;
use pastry_core::Clock;
use tower_layer::Layer;

use crate::client::ProviderClient;
use crate::config::Config;
use crate::flow::Shared;
use crate::provider::Provider;
use crate::service::Oidc;
use crate::{OidcClaims, OidcError};

/// OpenID Connect login for the wrapped app: answers the login path (a
/// redirect to the provider) and the callback path (the provider's answer,
/// checked, ending in a session login), and passes every other request on.
///
/// Goes inside a `pastry_sessions::SessionLayer`; the user it logs in is
/// read back by `pastry_auth::SessionAuthLayer`, like a password login.
/// Built with [`OidcLayer::builder`]; building contacts nobody: the
/// provider's discovery document is fetched at the first login.
///
/// ```
/// use pastry_auth::User;
/// use pastry_oidc::OidcLayer;
///
/// let layer = OidcLayer::builder()
///     .issuer("http://127.0.0.1:3000")
///     .client_id("pastry-demo")
///     .client_secret("a secret")
///     .redirect_url("http://127.0.0.1:8080/auth/oidc/callback")
///     .map_user(|claims| Some(User::new(claims.subject(), "!oidc")))
///     .build()
///     .unwrap();
/// # let _ = layer;
/// ```
#[derive(Clone)]
pub struct OidcLayer {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for OidcLayer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OidcLayer")
            .field("login_path", &self.shared.login_path)
            .field("callback_path", &self.shared.callback_path)
            .finish_non_exhaustive()
    }
}

impl OidcLayer {
    /// Starts the settings; [`OidcLayerBuilder::build`] checks them.
    pub fn builder() -> OidcLayerBuilder {
        OidcLayerBuilder::default()
    }

    /// The path that starts a login (`GET`, with an optional `next`).
    pub fn login_path(&self) -> &str {
        &self.shared.login_path
    }

    /// The path the provider sends the browser back to.
    pub fn callback_path(&self) -> &str {
        &self.shared.callback_path
    }
}

impl<S> Layer<S> for OidcLayer {
    type Service = Oidc<S>;

    fn layer(&self, inner: S) -> Self::Service {
        Oidc::new(inner, Arc::clone(&self.shared))
    }
}

/// The settings of an [`OidcLayer`]. `issuer`, `client_id`,
/// `redirect_url` and `map_user` are required; every limit has a default
/// (the `DEFAULT_*` constants of this crate).
///
/// ```
/// use std::time::Duration;
/// use pastry_oidc::OidcLayer;
///
/// let layer = OidcLayer::builder()
///     .issuer("http://127.0.0.1:3000")
///     .client_id("pastry-demo")
///     .redirect_url("http://127.0.0.1:8080/sso/back")
///     .login_path("/sso/start")
///     .callback_path("/sso/back")
///     .scopes(["email", "profile", "groups"])
///     .provider_timeout(Duration::from_secs(5))
///     .map_user(|_| None)
///     .build()
///     .unwrap();
/// assert_eq!(layer.login_path(), "/sso/start");
/// ```
#[derive(Clone, Debug, Default)]
pub struct OidcLayerBuilder {
    config: Config,
}

impl OidcLayerBuilder {
    /// The provider's issuer URL; its discovery document is at
    /// `{issuer}/.well-known/openid-configuration`. Required.
    pub fn issuer(mut self, url: impl Into<String>) -> Self {
        self.config.issuer = Some(url.into());
        self
    }

    /// This app's client id at the provider. Required.
    pub fn client_id(mut self, id: impl Into<String>) -> Self {
        self.config.client_id = Some(id.into());
        self
    }

    /// This app's client secret (sent with HTTP Basic to the token
    /// endpoint); none for a public client, which PKCE protects.
    pub fn client_secret(mut self, secret: impl Into<String>) -> Self {
        self.config.client_secret = Some(secret.into());
        self
    }

    /// The absolute URL of the callback as the browser reaches it, exactly
    /// as registered at the provider. Required.
    pub fn redirect_url(mut self, url: impl Into<String>) -> Self {
        self.config.redirect_url = Some(url.into());
        self
    }

    /// Maps the verified claims to the user to log in (name and roles), or
    /// `None` to refuse the login with a 403. The user must be one the
    /// `SessionAuthLayer`'s user store finds by name with the same
    /// credential binding (insert it into a shared `MemoryUserStore`, or
    /// look it up in the app's store). Required.
    pub fn map_user<F>(mut self, map: F) -> Self
    where
        F: Fn(&OidcClaims) -> Option<User> + Send + Sync + 'static,
    {
        self.config.map_user = Some(Arc::new(map));
        self
    }

    /// The path that starts a login; `/auth/oidc/login` by default.
    pub fn login_path(mut self, path: impl Into<String>) -> Self {
        self.config.login_path = path.into();
        self
    }

    /// The path of the callback; `/auth/oidc/callback` by default. It is
    /// the path the layer sees (after any mount prefix was stripped).
    pub fn callback_path(mut self, path: impl Into<String>) -> Self {
        self.config.callback_path = path.into();
        self
    }

    /// The scopes asked for besides `openid`; `email` and `profile` by default.
    pub fn scopes<I>(mut self, scopes: I) -> Self
    where
        I: IntoIterator,
        I::Item: Into<String>,
    {
        self.config.scopes = scopes.into_iter().map(Into::into).collect();
        self
    }

    /// Where a login without a safe `next` ends; `/` by default.
    pub fn default_next(mut self, path: impl Into<String>) -> Self {
        self.config.default_next = path.into();
        self
    }

    /// The deadline of each call to the provider (discovery, keys, token),
    /// connecting included; 10 s by default. Past it the user gets a 503.
    pub fn provider_timeout(mut self, timeout: Duration) -> Self {
        self.config.provider_timeout = timeout;
        self
    }

    /// The most bytes read from one answer of the provider; 256 KiB by
    /// default. A larger answer is a 503.
    pub fn max_response_bytes(mut self, bytes: usize) -> Self {
        self.config.max_response_bytes = bytes;
        self
    }

    /// The most logins one session may have started and not finished; 4
    /// by default. Starting one more forgets the oldest.
    pub fn max_pending(mut self, count: usize) -> Self {
        self.config.max_pending = count;
        self
    }

    /// How long a started login may take to come back; 10 minutes by
    /// default. A later callback is a 400.
    pub fn pending_ttl(mut self, ttl: Duration) -> Self {
        self.config.pending_ttl = ttl;
        self
    }

    /// How far the provider's clock may differ from ours when checking
    /// the token's expiry and issue time; 60 s by default.
    pub fn clock_skew(mut self, skew: Duration) -> Self {
        self.config.clock_skew = skew;
        self
    }

    /// The least time between two fetches of the provider's keys caused by
    /// a token naming an unknown key; 60 s by default.
    pub fn key_refresh_interval(mut self, interval: Duration) -> Self {
        self.config.key_refresh_interval = interval;
        self
    }

    /// How long the discovery document and keys are kept before they are
    /// fetched again; 1 hour by default.
    pub fn metadata_ttl(mut self, ttl: Duration) -> Self {
        self.config.metadata_ttl = ttl;
        self
    }

    /// The clock for token expiry, login age and refresh intervals (tests
    /// pass a `pastry_core::ManualClock`).
    pub fn clock(mut self, clock: impl Clock) -> Self {
        self.config.clock = Arc::new(clock);
        self
    }

    /// Trusts the root certificate(s) in `pem` (one or more `-----BEGIN
    /// CERTIFICATE-----` blocks) for the provider's `https://` address,
    /// besides the system's roots: a provider whose certificate a private
    /// CA signed. Each call adds; text that holds no certificate, or one
    /// that does not parse, is an [`OidcError::InvalidRootCertificate`]
    /// when the layer is built. Feature `https` (on by default).
    ///
    /// ```
    /// use pastry_oidc::{OidcError, OidcLayer};
    ///
    /// # fn ca_pem() -> Vec<u8> {
    /// #     use openssl::{asn1::Asn1Time, hash::MessageDigest, pkey::PKey, rsa::Rsa, x509};
    /// #     let key = PKey::from_rsa(Rsa::generate(2048).unwrap()).unwrap();
    /// #     let mut name = x509::X509NameBuilder::new().unwrap();
    /// #     name.append_entry_by_text("CN", "Example private CA").unwrap();
    /// #     let name = name.build();
    /// #     let mut cert = x509::X509Builder::new().unwrap();
    /// #     cert.set_version(2).unwrap();
    /// #     cert.set_subject_name(&name).unwrap();
    /// #     cert.set_issuer_name(&name).unwrap();
    /// #     cert.set_pubkey(&key).unwrap();
    /// #     cert.set_not_before(&Asn1Time::days_from_now(0).unwrap()).unwrap();
    /// #     cert.set_not_after(&Asn1Time::days_from_now(1).unwrap()).unwrap();
    /// #     cert.sign(&key, MessageDigest::sha256()).unwrap();
    /// #     cert.build().to_pem().unwrap()
    /// # }
    /// let builder = || {
    ///     OidcLayer::builder()
    ///         .issuer("https://login.corp.example")
    ///         .client_id("pastry-demo")
    ///         .redirect_url("https://app.corp.example/auth/oidc/callback")
    ///         .map_user(|_| None)
    /// };
    /// // The private CA's certificate, e.g. read from a file.
    /// let pem: Vec<u8> = ca_pem();
    /// assert!(builder().root_certificate_pem(&pem).build().is_ok());
    ///
    /// let err = builder()
    ///     .root_certificate_pem("not a certificate")
    ///     .build()
    ///     .unwrap_err();
    /// assert!(matches!(err, OidcError::InvalidRootCertificate(_)));
    /// ```
    #[cfg(feature = "https")]
    pub fn root_certificate_pem(mut self, pem: impl AsRef<[u8]>) -> Self {
        self.config.root_certificates.push(pem.as_ref().to_vec());
        self
    }

    /// Checks the settings and builds the layer.
    pub fn build(self) -> Result<OidcLayer, OidcError> {
        let config = self.config;
        let issuer_text = config.issuer.ok_or(OidcError::Missing("issuer"))?;
        checked_url("issuer", &issuer_text)?;
        let issuer = IssuerUrl::new(issuer_text.clone()).map_err(|_| OidcError::InvalidUrl {
            setting: "issuer",
            value: issuer_text,
        })?;
        let client_id = config.client_id.ok_or(OidcError::Missing("client_id"))?;
        let redirect_text = config
            .redirect_url
            .ok_or(OidcError::Missing("redirect_url"))?;
        checked_url("redirect_url", &redirect_text)?;
        let redirect_url =
            RedirectUrl::new(redirect_text.clone()).map_err(|_| OidcError::InvalidUrl {
                setting: "redirect_url",
                value: redirect_text,
            })?;
        let map_user = config.map_user.ok_or(OidcError::Missing("map_user"))?;
        check_path("login_path", &config.login_path)?;
        check_path("callback_path", &config.callback_path)?;
        if config.login_path == config.callback_path {
            return Err(OidcError::InvalidPath {
                setting: "callback_path",
                value: config.callback_path,
            });
        }
        if pastry_auth::safe_next(&config.default_next).is_none() {
            return Err(OidcError::InvalidPath {
                setting: "default_next",
                value: config.default_next,
            });
        }
        for (setting, zero) in [
            ("provider_timeout", config.provider_timeout.is_zero()),
            ("max_response_bytes", config.max_response_bytes == 0),
            ("max_pending", config.max_pending == 0),
            ("pending_ttl", config.pending_ttl.is_zero()),
        ] {
            if zero {
                return Err(OidcError::ZeroLimit(setting));
            }
        }
        let client = ProviderClient::new(
            config.provider_timeout,
            config.max_response_bytes,
            #[cfg(feature = "https")]
            &config.root_certificates,
        )?;
        let provider = Provider::new(
            issuer,
            client,
            Arc::clone(&config.clock),
            config.metadata_ttl,
            config.key_refresh_interval,
        );
        Ok(OidcLayer {
            shared: Arc::new(Shared {
                provider,
                client_id,
                client_secret: config.client_secret,
                redirect_url,
                map_user,
                login_path: config.login_path,
                callback_path: config.callback_path,
                scopes: config.scopes,
                default_next: config.default_next,
                max_pending: config.max_pending,
                pending_ttl: config.pending_ttl,
                clock_skew: config.clock_skew,
                clock: config.clock,
            }),
        })
    }
}

fn checked_url(setting: &'static str, value: &str) -> Result<openidconnect::url::Url, OidcError> {
    let invalid = || OidcError::InvalidUrl {
        setting,
        value: value.to_owned(),
    };
    let url = openidconnect::url::Url::parse(value).map_err(|_| invalid())?;
    match url.scheme() {
        "http" if url.host().is_some() => Ok(url),
        "https" if url.host().is_some() && setting == "redirect_url" => Ok(url),
        "https" if url.host().is_some() && cfg!(feature = "https") => Ok(url),
        "https" if url.host().is_some() => Err(OidcError::HttpsUnsupported(setting)),
        _ => Err(invalid()),
    }
}

fn check_path(setting: &'static str, path: &str) -> Result<(), OidcError> {
    if path.starts_with('/') && !path.starts_with("//") && !path.contains(['?', '#']) {
        Ok(())
    } else {
        Err(OidcError::InvalidPath {
            setting,
            value: path.to_owned(),
        })
    }
}
