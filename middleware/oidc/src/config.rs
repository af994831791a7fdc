//! The settings of [`OidcLayer`](crate::OidcLayer) and their defaults.

use std::sync::Arc;
use std::time::Duration;

use pastry_auth::User;
use pastry_core::{Clock, SystemClock};

use crate::OidcClaims;

/// How long a call to the provider (discovery, keys, token) may take, by default.
pub const DEFAULT_PROVIDER_TIMEOUT: Duration = Duration::from_secs(10);
/// The most bytes read from one answer of the provider, by default.
pub const DEFAULT_MAX_RESPONSE_BYTES: usize = 256 * 1024;
/// The most logins a session may have started and not finished, by default.
pub const DEFAULT_MAX_PENDING: usize = 4;
/// How long a started login may take to come back, by default.
pub const DEFAULT_PENDING_TTL: Duration = Duration::from_secs(10 * 60);
/// How far the provider's clock may be ahead or behind, by default.
pub const DEFAULT_CLOCK_SKEW: Duration = Duration::from_secs(60);
/// The least time between two fetches of the keys for an unknown key id, by default.
pub const DEFAULT_KEY_REFRESH_INTERVAL: Duration = Duration::from_secs(60);
/// How long the discovery document and keys are kept, by default.
pub const DEFAULT_METADATA_TTL: Duration = Duration::from_secs(60 * 60);

pub(crate) type MapUser = Arc<dyn Fn(&OidcClaims) -> Option<User> + Send + Sync>;

#[derive(Clone)]
pub(crate) struct Config {
    pub(crate) issuer: Option<String>,
    pub(crate) client_id: Option<String>,
    pub(crate) client_secret: Option<String>,
    pub(crate) redirect_url: Option<String>,
    pub(crate) map_user: Option<MapUser>,
    pub(crate) login_path: String,
    pub(crate) callback_path: String,
    pub(crate) scopes: Vec<String>,
    pub(crate) default_next: String,
    pub(crate) provider_timeout: Duration,
    pub(crate) max_response_bytes: usize,
    pub(crate) max_pending: usize,
    pub(crate) pending_ttl: Duration,
    pub(crate) clock_skew: Duration,
    pub(crate) key_refresh_interval: Duration,
    pub(crate) metadata_ttl: Duration,
    pub(crate) clock: Arc<dyn Clock>,
    #[cfg(feature = "https")]
    pub(crate) root_certificates: Vec<Vec<u8>>,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            issuer: None,
            client_id: None,
            client_secret: None,
            redirect_url: None,
            map_user: None,
            login_path: "/auth/oidc/login".to_owned(),
            callback_path: "/auth/oidc/callback".to_owned(),
            scopes: vec!["email".to_owned(), "profile".to_owned()],
            default_next: "/".to_owned(),
            provider_timeout: DEFAULT_PROVIDER_TIMEOUT,
            max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
            max_pending: DEFAULT_MAX_PENDING,
            pending_ttl: DEFAULT_PENDING_TTL,
            clock_skew: DEFAULT_CLOCK_SKEW,
            key_refresh_interval: DEFAULT_KEY_REFRESH_INTERVAL,
            metadata_ttl: DEFAULT_METADATA_TTL,
            clock: Arc::new(SystemClock),
            #[cfg(feature = "https")]
            root_certificates: Vec::new(),
        }
    }
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("issuer", &self.issuer)
            .field("client_id", &self.client_id)
            .field("client_secret", &self.client_secret.as_ref().map(|_| "…"))
            .field("redirect_url", &self.redirect_url)
            .field("login_path", &self.login_path)
            .field("callback_path", &self.callback_path)
            .field("scopes", &self.scopes)
            .field("provider_timeout", &self.provider_timeout)
            .field("max_response_bytes", &self.max_response_bytes)
            .field("max_pending", &self.max_pending)
            .field("pending_ttl", &self.pending_ttl)
            .field("clock_skew", &self.clock_skew)
            .finish_non_exhaustive()
    }
}
