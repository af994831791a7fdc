use std::time::Duration;

/// What can go wrong while loading, changing or saving a session.
///
/// Handlers usually see it from [`Session`](crate::Session) methods and turn
/// it into [`status`](Self::status) (503 when the store's server cannot be
/// reached, else 500); a store failure during the automatic save at the end
/// of a request is logged and answered with that status by the layer
/// itself.
///
/// ```
/// use pastry_sessions::SessionError;
///
/// let err = pastry_sessions::AnyStore::from_url("gopher://localhost").unwrap_err();
/// assert!(matches!(err, SessionError::Url { .. }));
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SessionError {
    /// A value could not be turned into JSON, or the stored JSON is not the
    /// type the handler asked for.
    #[error("session value `{key}` could not be converted")]
    Value {
        /// The session key whose value failed.
        key: String,
        /// What the JSON conversion reported.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// The store's file system or database I/O failed.
    #[error("session store I/O failed")]
    Io(#[from] std::io::Error),
    /// The store's server (Redis, PostgreSQL) could not be reached within
    /// the store's timeout; the store reconnects by itself when it is back.
    /// Answered with a 503.
    #[error("session store unavailable")]
    Unavailable(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// The SQLite store failed; the source is the database's own error.
    #[cfg(feature = "sqlite")]
    #[error("SQLite session store failed")]
    Sqlite(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// A stored record could not be decoded.
    #[error("stored session record is corrupt: {0}")]
    Corrupt(String),
    /// Concurrent requests kept changing the session; this request's changes
    /// could not be merged within the retry budget.
    #[error("session changes still conflicted after {retries} retries")]
    Conflict {
        /// How many times the save was retried.
        retries: u32,
    },
    /// A store URL given to [`AnyStore::from_url`](crate::AnyStore::from_url)
    /// is not understood.
    #[error("invalid session store URL `{url}`: {reason}")]
    Url {
        /// The URL as given.
        url: String,
        /// Why it was rejected.
        reason: String,
    },
    /// The store's database was written by a newer version of this crate.
    #[error("session store schema version {found} is newer than the supported {supported}")]
    Schema {
        /// The version found in the store.
        found: i64,
        /// The newest version this crate understands.
        supported: i64,
    },
    /// The session was used after its request had been answered (say, from
    /// a task the handler spawned); its changes could no longer be saved.
    #[error("the session's request has already been answered")]
    Finished,
    /// A background task running blocking store work panicked or was
    /// cancelled.
    #[error("session store worker failed")]
    Worker(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// A cookie key could not be read, a `cookie:` URL held a key, or a
    /// session did not fit in its cookie (see
    /// [`CookieStore`](crate::CookieStore)).
    #[cfg(feature = "cookie-store")]
    #[error(transparent)]
    Cookie(#[from] crate::CookieError),
}

impl SessionError {
    /// The status a request that failed with this error is answered with:
    /// `503 Service Unavailable` for [`Unavailable`](Self::Unavailable)
    /// (the client may retry), `500 Internal Server Error` otherwise.
    ///
    /// ```
    /// use http::StatusCode;
    /// use pastry_sessions::SessionError;
    ///
    /// assert_eq!(SessionError::Corrupt("bad".into()).status(), StatusCode::INTERNAL_SERVER_ERROR);
    /// ```
    pub fn status(&self) -> http::StatusCode {
        match self {
            SessionError::Unavailable(_) => http::StatusCode::SERVICE_UNAVAILABLE,
            _ => http::StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// A blocking task that panicked or was cancelled.
    #[cfg(any(feature = "file", feature = "sqlite"))]
    pub(crate) fn worker(error: tokio::task::JoinError) -> Self {
        SessionError::Worker(Box::new(error))
    }
}

/// A [`SessionLayer`](crate::SessionLayer) setting that cannot work.
///
/// Builder methods never fail: they record the first bad setting, and
/// [`SessionLayer::validate`](crate::SessionLayer::validate) returns it (or
/// the first rule broken across settings). Nothing panics: a layer applied
/// with bad settings logs this error and answers every request with a 500.
///
/// ```
/// use pastry_sessions::{ConfigError, MemoryStore, SessionLayer};
///
/// let err = SessionLayer::new(MemoryStore::new()).cookie_name("bad name").validate().unwrap_err();
/// assert!(matches!(err, ConfigError::CookieName(_)));
/// ```
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The cookie name is empty or not an HTTP token.
    #[error("cookie name `{0}` is not a valid cookie name")]
    CookieName(String),
    /// The cookie path does not start with `/` or has characters a cookie
    /// attribute cannot carry.
    #[error("cookie path `{0}` must start with `/` and contain no `;` or control characters")]
    Path(String),
    /// The cookie domain has characters a cookie attribute cannot carry.
    #[error("cookie domain `{0}` is not a valid domain")]
    Domain(String),
    /// `SameSite=None` is rejected by browsers unless the cookie is `Secure`.
    #[error("SameSite=None requires a Secure cookie")]
    SameSiteNoneWithoutSecure,
    /// A timeout or lifetime of zero would expire every session at once.
    #[error("{0} must be longer than zero")]
    ZeroDuration(&'static str),
    /// The idle-expiry refresh interval must be shorter than the idle timeout,
    /// or sessions would expire between refreshes.
    #[error("refresh interval {refresh:?} must be shorter than the idle timeout {idle:?}")]
    RefreshInterval {
        /// The configured refresh interval.
        refresh: Duration,
        /// The configured idle timeout.
        idle: Duration,
    },
}
