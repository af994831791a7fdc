//! The settings a layer shares with its services and their sessions, and
//! the cookie and expiry decisions made from them.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use http::HeaderValue;

use crate::error::ConfigError;
use crate::expiry::Expiry;
use crate::id::SessionId;
use crate::record::Record;
use crate::same_site::SameSite;
use pastry_core::{Clock, SystemClock};

/// Default idle timeout: a day without a request that uses the session.
const DEFAULT_IDLE: Duration = Duration::from_secs(24 * 60 * 60);
/// Default absolute lifetime: a week from the session's first save,
/// however active.
const DEFAULT_ABSOLUTE: Duration = Duration::from_secs(7 * 24 * 60 * 60);
/// Default: extend an idle expiry at most once a minute.
const DEFAULT_REFRESH: Duration = Duration::from_secs(60);
/// Default number of replays after a compare-and-swap conflict.
const DEFAULT_RETRIES: u32 = 8;

/// The settings of one layer, shared by its services and their sessions,
/// and the cookie and expiry decisions they make.
#[derive(Clone)]
pub(crate) struct Config {
    /// The name the cookie goes by: [`Config::chosen_name`] if set, else the
    /// default for the other settings (see [`Config::default_name`]).
    pub(crate) cookie_name: String,
    /// The name given with `SessionLayer::cookie_name`, if any.
    pub(crate) chosen_name: Option<String>,
    pub(crate) path: String,
    pub(crate) domain: Option<String>,
    pub(crate) secure: bool,
    pub(crate) http_only: bool,
    pub(crate) same_site: SameSite,
    pub(crate) idle_timeout: Duration,
    pub(crate) absolute_lifetime: Option<Duration>,
    pub(crate) default_expiry: Option<Expiry>,
    pub(crate) refresh_interval: Option<Duration>,
    pub(crate) max_retries: u32,
    /// `Cache-Control: private` on responses that set the cookie, unless
    /// the app chose its own.
    pub(crate) cache_control: bool,
    /// `Vary: Cookie` on responses whose handler loaded the session.
    pub(crate) vary_cookie: bool,
    /// A WebSocket handshake from another origin gets a 403 (unless a
    /// cross-origin layer outside already judged it).
    pub(crate) handshake_origin: bool,
    pub(crate) clock: Arc<dyn Clock>,
    /// `; Path=/; Secure; HttpOnly; SameSite=Lax`, built once.
    pub(crate) attributes: String,
    /// The first bad setting; a service made from these settings answers
    /// every request with a logged 500 instead of using the session store.
    pub(crate) error: Option<ConfigError>,
}

impl Config {
    /// The default settings.
    pub(crate) fn new() -> Self {
        let mut config = Config {
            cookie_name: String::new(),
            chosen_name: None,
            path: "/".to_owned(),
            domain: None,
            secure: true,
            http_only: true,
            same_site: SameSite::Lax,
            idle_timeout: DEFAULT_IDLE,
            absolute_lifetime: Some(DEFAULT_ABSOLUTE),
            default_expiry: None,
            refresh_interval: None,
            max_retries: DEFAULT_RETRIES,
            cache_control: true,
            vary_cookie: true,
            handshake_origin: true,
            clock: Arc::new(SystemClock),
            attributes: String::new(),
            error: None,
        };
        config.refresh_derived();
        config
    }

    /// Recomputes what is derived from the settings: the cookie's name and
    /// attributes.
    pub(crate) fn refresh_derived(&mut self) {
        self.cookie_name = match &self.chosen_name {
            Some(name) => name.clone(),
            None => self.default_name().to_owned(),
        };
        self.attributes = self.build_attributes();
    }

    /// The cookie name when none was chosen: the strongest prefix the
    /// settings allow. `__Host-id` for a `Secure` cookie with `Path=/` and
    /// no `Domain` (a sibling subdomain or a plain-http page cannot set or
    /// overwrite it), `__Secure-id` for another `Secure` cookie, `id` for a
    /// cookie that is not `Secure` (browsers reject prefixed names there).
    pub(crate) fn default_name(&self) -> &'static str {
        match (self.secure, self.path == "/" && self.domain.is_none()) {
            (true, true) => "__Host-id",
            (true, false) => "__Secure-id",
            (false, _) => "id",
        }
    }

    /// The first bad setting, per field (recorded by the setters) or across
    /// fields.
    pub(crate) fn check(&self) -> Result<(), ConfigError> {
        if let Some(e) = &self.error {
            return Err(e.clone());
        }
        if self.same_site == SameSite::None && !self.secure {
            return Err(ConfigError::SameSiteNoneWithoutSecure);
        }
        if let Some(name) = &self.chosen_name
            && !self.prefix_allowed(name)
        {
            return Err(ConfigError::CookieName(name.clone()));
        }
        if let Some(refresh) = self.refresh_interval {
            let idle = match self.default_expiry {
                Some(Expiry::Idle(d)) => d,
                _ => self.idle_timeout,
            };
            if refresh >= idle {
                return Err(ConfigError::RefreshInterval { refresh, idle });
            }
        }
        Ok(())
    }

    /// Whether browsers accept a cookie named `name` with these settings:
    /// a `__Secure-` name needs `Secure`, a `__Host-` name also `Path=/`
    /// and no `Domain` (RFC 6265bis; prefixes match case-insensitively).
    fn prefix_allowed(&self, name: &str) -> bool {
        let has = |prefix: &str| {
            name.get(..prefix.len())
                .is_some_and(|head| head.eq_ignore_ascii_case(prefix))
        };
        if has("__Host-") {
            self.secure && self.path == "/" && self.domain.is_none()
        } else if has("__Secure-") {
            self.secure
        } else {
            true
        }
    }

    pub(crate) fn build_attributes(&self) -> String {
        let mut out = format!("; Path={}", self.path);
        if let Some(domain) = &self.domain {
            out.push_str("; Domain=");
            out.push_str(domain);
        }
        if self.secure {
            out.push_str("; Secure");
        }
        if self.http_only {
            out.push_str("; HttpOnly");
        }
        out.push_str("; SameSite=");
        out.push_str(self.same_site.as_str());
        out
    }

    fn policy(&self, record: &Record) -> Expiry {
        record
            .expiry
            .or(self.default_expiry)
            .unwrap_or(Expiry::Idle(self.idle_timeout))
    }

    /// When the record's absolute lifetime ends, if it ends at all (a
    /// lifetime past the end of time, such as `Duration::MAX`, never does).
    fn end_of_life(&self, record: &Record) -> Option<SystemTime> {
        record.created_at.checked_add(self.absolute_lifetime?)
    }

    fn cap(&self, record: &Record, at: SystemTime) -> SystemTime {
        match self.end_of_life(record) {
            Some(end) => at.min(end),
            None => at,
        }
    }

    /// Whether the record is past the absolute lifetime cap.
    pub(crate) fn outlived(&self, record: &Record, now: SystemTime) -> bool {
        self.end_of_life(record).is_some_and(|end| end <= now)
    }

    /// When a record saved at `now` expires.
    pub(crate) fn expires_at(&self, record: &Record, now: SystemTime) -> SystemTime {
        let at = match self.policy(record) {
            Expiry::Idle(d) => now + d,
            Expiry::At(t) => t,
            Expiry::BrowserSession => now + self.idle_timeout,
        };
        self.cap(record, at)
    }

    /// The new expiry if an unchanged record is due for an idle refresh.
    pub(crate) fn refresh_due(&self, record: &Record, now: SystemTime) -> Option<SystemTime> {
        let idle = match self.policy(record) {
            Expiry::Idle(d) => d,
            Expiry::BrowserSession => self.idle_timeout,
            Expiry::At(_) => return None,
        };
        let interval = self
            .refresh_interval
            .unwrap_or(DEFAULT_REFRESH)
            .min(idle / 2);
        let next = self.expires_at(record, now);
        (next >= record.expires_at + interval).then_some(next)
    }

    /// The `Set-Cookie` value for a saved session.
    pub(crate) fn cookie(&self, id: &SessionId, record: &Record, now: SystemTime) -> HeaderValue {
        let value = self.cookie_text(&id.encode(), record, now);
        // Built from validated settings and hex digits only.
        HeaderValue::try_from(value).unwrap_or_else(|_| HeaderValue::from_static(""))
    }

    /// The `Set-Cookie` text carrying `value` for a saved session.
    pub(crate) fn cookie_text(&self, value: &str, record: &Record, now: SystemTime) -> String {
        let mut text = format!("{}={}{}", self.cookie_name, value, self.attributes);
        if self.policy(record) != Expiry::BrowserSession {
            let left = record.expires_at.duration_since(now).unwrap_or_default();
            let secs = left.as_secs() + u64::from(left.subsec_nanos() > 0);
            text.push_str(&format!("; Max-Age={secs}"));
        }
        text
    }

    /// The `Set-Cookie` value that makes the browser drop the cookie.
    pub(crate) fn removal_cookie(&self) -> HeaderValue {
        let value = format!("{}={}; Max-Age=0", self.cookie_name, self.attributes);
        HeaderValue::try_from(value).unwrap_or_else(|_| HeaderValue::from_static(""))
    }
}

pub(crate) fn is_token_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

pub(crate) fn is_attribute_byte(b: u8) -> bool {
    (0x20..0x7f).contains(&b) && b != b';'
}

/// A default configuration for unit tests elsewhere in the crate.
#[cfg(all(test, feature = "memory"))]
pub(crate) fn tests_config() -> Arc<Config> {
    Arc::new(Config::new())
}
