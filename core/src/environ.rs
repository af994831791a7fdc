use std::fmt;
use std::net::SocketAddr;
use std::sync::Arc;

use http::Uri;
#[cfg(doc)]
use http::request::Parts;

use crate::RequestHead;

/// The path prefix an app is mounted at (WSGI's `SCRIPT_NAME`).
///
/// Cumulative across nested mounts: an app mounted at `/forum` inside a map
/// mounted at `/apps` sees `/apps/forum`. Always either empty (mounted at the
/// root, the default) or a path that starts with `/` and has no trailing `/`.
///
/// ```
/// use pastry_core::ScriptName;
///
/// let outer = ScriptName::new("/apps/");
/// assert_eq!(outer.as_str(), "/apps");
/// assert_eq!(outer.join("forum").as_str(), "/apps/forum");
/// assert_eq!(ScriptName::default().as_str(), "");
/// ```
///
/// Cloning is cheap (a reference count), so a mount can hand the same
/// prebuilt name to every request.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct ScriptName(Arc<str>);

impl ScriptName {
    /// A script name from a prefix; a trailing `/` is dropped and a leading
    /// one added, so `"blog/"`, `"/blog/"` and `"/blog"` are the same.
    pub fn new(prefix: &str) -> Self {
        let mut name = String::new();
        push_prefix(&mut name, prefix);
        Self(name.into())
    }

    /// This script name with `prefix` appended, as a nested mount does.
    pub fn join(&self, prefix: &str) -> Self {
        let mut name = String::with_capacity(self.0.len() + prefix.len() + 1);
        name.push_str(&self.0);
        push_prefix(&mut name, prefix);
        Self(name.into())
    }

    /// The prefix as text: `""` or `/a/b`.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn push_prefix(name: &mut String, prefix: &str) {
    let trimmed = prefix.trim_matches('/');
    if !trimmed.is_empty() {
        name.push('/');
        name.push_str(trimmed);
    }
}

impl fmt::Display for ScriptName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Marks a request that named exactly its mount prefix (`/blog` for an app
/// mounted at `/blog`).
///
/// The URI path of such a request is `/` (a URI path cannot be empty), but
/// [`Environ::path_info`] reports `""`, as WSGI does. Set by URL maps; apps
/// do not need it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct EmptyPathInfo;

/// The request URI as the client sent it, before any mount prefix was
/// stripped. Set once, by the outermost URL map, or by the proxy layer
/// when a trusted proxy says it stripped a prefix (`X-Forwarded-Prefix`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OriginalUri(pub Uri);

/// The peer address of the connection the request came on (`REMOTE_ADDR`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ClientAddr(pub SocketAddr);

/// The name of the authenticated user (`REMOTE_USER`), set by auth middleware.
///
/// ```
/// use pastry_core::RemoteUser;
///
/// assert_eq!(RemoteUser::new("alice").as_str(), "alice");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct RemoteUser(String);

impl RemoteUser {
    /// The user called `name`.
    pub fn new(name: impl Into<String>) -> Self {
        Self(name.into())
    }

    /// The user's name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for RemoteUser {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The scheme the client used (`wsgi.url_scheme`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum UrlScheme {
    /// Plain HTTP.
    #[default]
    Http,
    /// HTTP over TLS.
    Https,
}

impl UrlScheme {
    /// `"http"` or `"https"`.
    pub fn as_str(self) -> &'static str {
        match self {
            UrlScheme::Http => "http",
            UrlScheme::Https => "https",
        }
    }
}

impl fmt::Display for UrlScheme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// WSGI-style accessors on a request (or its [`Parts`]): on any
/// [`RequestHead`].
///
/// Each falls back to what a request outside any Pastry middleware means:
/// empty script name, the whole path as path info, no user, no address.
///
/// ```
/// use std::net::SocketAddr;
/// use http::Request;
/// use pastry_core::{ClientAddr, Environ, UrlScheme};
///
/// let mut req = Request::get("https://example.com/a?b=c").body(()).unwrap();
/// assert_eq!(req.script_name(), "");
/// assert_eq!(req.path_info(), "/a");
/// assert_eq!(req.url_scheme(), UrlScheme::Https);
/// assert_eq!(req.client_addr(), None);
///
/// let addr: SocketAddr = "127.0.0.1:4000".parse().unwrap();
/// req.extensions_mut().insert(ClientAddr(addr));
/// assert_eq!(req.client_addr(), Some(addr));
/// ```
pub trait Environ: RequestHead {
    /// The mount prefix (`SCRIPT_NAME`): `""` at the root, else `/a/b`.
    fn script_name(&self) -> &str {
        RequestHead::extensions(self)
            .get::<ScriptName>()
            .map_or("", ScriptName::as_str)
    }

    /// The path below the mount prefix (`PATH_INFO`): the URI path, or `""`
    /// when the request named exactly the prefix.
    fn path_info(&self) -> &str {
        let path = RequestHead::uri(self).path();
        if path == "/"
            && RequestHead::extensions(self)
                .get::<EmptyPathInfo>()
                .is_some()
        {
            ""
        } else {
            path
        }
    }

    /// The URI the client sent, before any prefix was stripped.
    fn original_uri(&self) -> &Uri {
        RequestHead::extensions(self)
            .get::<OriginalUri>()
            .map_or_else(|| RequestHead::uri(self), |original| &original.0)
    }

    /// The peer address (`REMOTE_ADDR`), when the server or test set one.
    fn client_addr(&self) -> Option<SocketAddr> {
        RequestHead::extensions(self)
            .get::<ClientAddr>()
            .map(|addr| addr.0)
    }

    /// The authenticated user (`REMOTE_USER`), when auth middleware set one.
    fn remote_user(&self) -> Option<&str> {
        RequestHead::extensions(self)
            .get::<RemoteUser>()
            .map(RemoteUser::as_str)
    }

    /// The scheme the client used: the [`UrlScheme`] extension, else the
    /// URI's own scheme, else plain HTTP.
    fn url_scheme(&self) -> UrlScheme {
        if let Some(scheme) = RequestHead::extensions(self).get::<UrlScheme>() {
            return *scheme;
        }
        if RequestHead::uri(self).scheme() == Some(&http::uri::Scheme::HTTPS) {
            UrlScheme::Https
        } else {
            UrlScheme::Http
        }
    }

    /// Joins a root-relative path onto the script name: the link an app
    /// mounted under a prefix uses to point at its own pages.
    ///
    /// ```
    /// use http::Request;
    /// use pastry_core::{Environ, ScriptName};
    ///
    /// let mut req = Request::get("/").body(()).unwrap();
    /// assert_eq!(req.url_for("/login"), "/login");
    /// req.extensions_mut().insert(ScriptName::new("/forum"));
    /// assert_eq!(req.url_for("/login"), "/forum/login");
    /// assert_eq!(req.url_for("login"), "/forum/login");
    /// assert_eq!(req.url_for("/"), "/forum/");
    /// ```
    fn url_for(&self, path: &str) -> String {
        let script = self.script_name();
        let mut url = String::with_capacity(script.len() + path.len() + 1);
        url.push_str(script);
        if !path.starts_with('/') {
            url.push('/');
        }
        url.push_str(path);
        url
    }
}

impl<T: RequestHead> Environ for T {}

#[cfg(test)]
mod tests {
    use super::*;
    use http::Request;
    use proptest::prelude::*;

    #[test]
    fn empty_path_info_only_applies_to_the_root_path() {
        let mut req = Request::get("/").body(()).unwrap();
        assert_eq!(req.path_info(), "/");
        req.extensions_mut().insert(EmptyPathInfo);
        assert_eq!(req.path_info(), "");
        *req.uri_mut() = Uri::from_static("/x");
        assert_eq!(req.path_info(), "/x");
    }

    #[test]
    fn parts_have_the_same_accessors() {
        let mut req = Request::get("/p").body(()).unwrap();
        req.extensions_mut().insert(RemoteUser::new("bob"));
        req.extensions_mut().insert(UrlScheme::Https);
        let (parts, ()) = req.into_parts();
        assert_eq!(parts.remote_user(), Some("bob"));
        assert_eq!(parts.url_scheme(), UrlScheme::Https);
        assert_eq!(parts.original_uri(), "/p");
    }

    #[test]
    fn original_uri_prefers_the_extension() {
        let mut req = Request::get("/rest").body(()).unwrap();
        req.extensions_mut()
            .insert(OriginalUri(Uri::from_static("/mount/rest")));
        assert_eq!(req.original_uri(), "/mount/rest");
    }

    proptest! {
        #[test]
        fn script_name_is_normalised(prefix in "[a-z/]{0,12}") {
            let name = ScriptName::new(&prefix);
            let s = name.as_str();
            prop_assert!(s.is_empty() || (s.starts_with('/') && !s.ends_with('/')));
            prop_assert_eq!(ScriptName::new(s), name.clone());
        }

        #[test]
        fn joining_is_cumulative(a in "[a-z]{1,5}", b in "[a-z]{1,5}") {
            let joined = ScriptName::new(&a).join(&b);
            prop_assert_eq!(joined.as_str(), format!("/{a}/{b}"));
        }
    }
}
