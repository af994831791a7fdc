/// Where an app is mounted (a path prefix, optionally on a host) and how
/// the map treats it.
///
/// A plain `&str` or `String` converts into a path mount with default
/// settings, so `map.mount("/blog", blog)` and
/// `map.mount(Mount::at("/blog"), blog)` are the same.
///
/// ```
/// use pastry_urlmap::Mount;
///
/// let mount = Mount::at("/api")
///     .host("api.example.com")
///     .slash_redirect(true)
///     .rewrite_location(true);
/// assert_eq!(mount.prefix(), "/api");
/// assert_eq!(mount.host_key(), Some("api.example.com"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mount {
    pub(crate) prefix: String,
    pub(crate) host: Option<String>,
    pub(crate) slash_redirect: bool,
    pub(crate) rewrite_location: bool,
}

impl Mount {
    /// A mount at a path prefix. Prefixes are normalised like request paths
    /// and a trailing `/` is ignored: `/blog`, `/blog/` and `blog` are the
    /// same key; `/` (or `""`) is the root, which matches every path.
    pub fn at(prefix: impl Into<String>) -> Self {
        Self {
            prefix: prefix.into(),
            host: None,
            slash_redirect: false,
            rewrite_location: false,
        }
    }

    /// Restricts the mount to requests for `host` (the URI authority, else
    /// the `Host` header), compared case-insensitively. The port is ignored
    /// unless the key names one (`api.example.com:8443`); a request without
    /// a port has its scheme's default (80 or 443). `*.example.com` matches
    /// every subdomain of `example.com` at any depth, but not `example.com`
    /// itself.
    ///
    /// ```
    /// use pastry_urlmap::Mount;
    ///
    /// let mount = Mount::at("/").host("*.example.com:8443");
    /// assert_eq!(mount.host_key(), Some("*.example.com:8443"));
    /// ```
    pub fn host(mut self, host: impl Into<String>) -> Self {
        self.host = Some(host.into());
        self
    }

    /// Answers a request for exactly the prefix (`/blog` for an app at
    /// `/blog`) with `308 Permanent Redirect` to the slash form (`/blog/`,
    /// query kept) instead of passing it on with an empty path info.
    /// Off by default. An upgrade request (a WebSocket handshake over
    /// HTTP/1.1, an HTTP/2 extended `CONNECT`; see
    /// [`pastry_core::is_upgrade`]) is never redirected, since its client
    /// cannot follow: it reaches the app with an empty path info.
    ///
    /// ```
    /// use pastry_urlmap::Mount;
    ///
    /// let mount = Mount::at("/blog").slash_redirect(true);
    /// # let _ = mount;
    /// ```
    pub fn slash_redirect(mut self, redirect: bool) -> Self {
        self.slash_redirect = redirect;
        self
    }

    /// Rewrites a root-relative `Location` in the app's responses (`/login`)
    /// under the whole script name the app was given: this mount's prefix
    /// after any outer one, so `/blog/login`, or `/app/blog/login` behind a
    /// proxy's `X-Forwarded-Prefix: /app` or an outer mount at `/app`. For
    /// apps that ignore where they are mounted (tower-http's `ServeDir`
    /// redirecting `/docs` to `/docs/`). Absolute and scheme-relative
    /// (`//host/x`) locations, and relative ones (`login`), are left alone.
    /// A `Location` gets the prefix once: the maps outside one that
    /// rewrote it (or answered with its own slash redirect) leave it as it
    /// is, so nested maps compose whichever of them opt in.
    /// Off by default: an app that already builds links with
    /// [`Environ::url_for`](pastry_core::Environ::url_for) must not opt in.
    ///
    /// ```
    /// use pastry_urlmap::Mount;
    ///
    /// let mount = Mount::at("/legacy").rewrite_location(true);
    /// # let _ = mount;
    /// ```
    pub fn rewrite_location(mut self, rewrite: bool) -> Self {
        self.rewrite_location = rewrite;
        self
    }

    /// The prefix as given.
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// The host key as given, if any.
    pub fn host_key(&self) -> Option<&str> {
        self.host.as_deref()
    }
}

impl From<&str> for Mount {
    fn from(prefix: &str) -> Self {
        Self::at(prefix)
    }
}

impl From<String> for Mount {
    fn from(prefix: String) -> Self {
        Self::at(prefix)
    }
}
