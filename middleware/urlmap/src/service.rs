use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;
use std::task::{Context, Poll};

use http::header::{HeaderValue, LOCATION};
use http::uri::{Parts, PathAndQuery};
use http::{Request, Response, StatusCode, Uri};
use pastry_core::{
    BoxError, EmptyPathInfo, Environ, OriginalUri, ScriptName, is_upgrade, text_response_for,
};
use tower_service::Service;

use crate::app::ErasedApp;
use crate::future::LocationDone;
use crate::host::check_host_header;
use crate::path::normalise_path;
use crate::table::{Mounted, Table};
use crate::{ResponseFuture, UrlMapBody, UrlMapBuilder};

/// Dispatches each request to the app mounted at the longest matching
/// prefix (and host), with WSGI's `SCRIPT_NAME` / `PATH_INFO` split.
///
/// Built with [`UrlMap::builder`] … [`build`](UrlMapBuilder::build), or as a
/// layer with [`into_layer`](UrlMapBuilder::into_layer). For each request
/// the map:
///
/// 1. normalises the path ([`normalise_path`](crate::normalise_path));
///    a bad `%` escape or an encoded NUL is answered `400 Bad Request`, as
///    are several `Host` headers or one that is not `host[:port]`
///    (RFC 9112 §3.2);
/// 2. picks the mount: host mounts before host-less ones, then the longest
///    prefix on a segment boundary (`/blog` matches `/blog`, `/blog/` and
///    `/blog/x`, never `/blogger`), in time proportional to the path's
///    depth, not to the number of mounts; else the fallback, else a plain
///    `404 Not Found`;
/// 3. rewrites the request for the app: the URI path becomes the
///    normalised remainder (query kept), the matched prefix is appended to
///    [`ScriptName`] (cumulative across nested maps), [`OriginalUri`] is
///    set unless an outer map already did, and a request for exactly the
///    prefix gets the path `/` with [`EmptyPathInfo`] (so
///    [`Environ::path_info`] is `""`), or a 308 to the slash form when the
///    mount asks for it.
///
/// # Readiness
///
/// The map is always ready: `poll_ready` returns `Ready(Ok(()))` at once,
/// because which app a request needs is known only in `call`. Each call
/// clones the chosen app and drives that clone's `poll_ready` inside the
/// response future before calling it, like `tower::util::Oneshot`. So
/// back-pressure from an app shows up as a slower response, and an app
/// behind `tower::buffer::Buffer` never has a slot reserved for a request
/// that goes elsewhere (no deadlock).
///
/// ```
/// use http::{Request, Response};
/// use pastry_core::Environ;
/// use pastry_urlmap::UrlMap;
/// use tower::{ServiceExt, service_fn};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let forum = service_fn(|req: Request<String>| async move {
///     let seen = format!("{} {}", req.script_name(), req.path_info());
///     Ok::<_, std::convert::Infallible>(Response::new(seen))
/// });
/// let map = UrlMap::builder().mount("/forum", forum).build().unwrap();
///
/// let req = Request::get("/forum").body(String::new()).unwrap();
/// let res = map.oneshot(req).await.unwrap();
/// let body = http_body_util::BodyExt::collect(res.into_body()).await.unwrap().to_bytes();
/// assert_eq!(body, "/forum ");
/// # }
/// ```
pub struct UrlMap<B> {
    table: Arc<Table<B>>,
    fallback: Option<Arc<dyn ErasedApp<B>>>,
}

impl<B: Send + 'static> UrlMap<B> {
    /// Starts a map; add apps with [`mount`](UrlMapBuilder::mount),
    /// [`host`](UrlMapBuilder::host) and
    /// [`fallback`](UrlMapBuilder::fallback), then
    /// [`build`](UrlMapBuilder::build) it.
    ///
    /// ```
    /// use http::{Request, Response};
    /// use pastry_urlmap::UrlMap;
    /// use tower::service_fn;
    ///
    /// let blog = service_fn(|_req: Request<String>| async {
    ///     Ok::<_, std::convert::Infallible>(Response::new(String::from("blog")))
    /// });
    /// let forum = service_fn(|_req: Request<String>| async {
    ///     Ok::<_, std::convert::Infallible>(Response::new(String::from("forum")))
    /// });
    /// let map = UrlMap::builder().mount("/blog", blog).mount("/forum", forum).build().unwrap();
    /// assert_eq!(map.len(), 2);
    /// ```
    pub fn builder() -> UrlMapBuilder<B> {
        UrlMapBuilder::new()
    }

    /// The old name of [`builder`](Self::builder), kept for existing
    /// callers; new code says `UrlMap::builder()`.
    #[allow(clippy::new_ret_no_self)]
    #[deprecated(since = "0.2.0", note = "use UrlMap::builder()")]
    pub fn new() -> UrlMapBuilder<B> {
        UrlMapBuilder::new()
    }
}

impl<B> UrlMap<B> {
    pub(crate) fn from_parts(
        table: Arc<Table<B>>,
        fallback: Option<Arc<dyn ErasedApp<B>>>,
    ) -> Self {
        Self { table, fallback }
    }

    /// The number of mounts (the fallback not counted).
    pub fn len(&self) -> usize {
        self.table.len()
    }

    /// Whether nothing is mounted (every request goes to the fallback).
    pub fn is_empty(&self) -> bool {
        self.table.len() == 0
    }
}

/// What `call` does with a request, decided while the request is borrowed.
enum Plan<'a, B> {
    /// The map answers itself (400, 308).
    Answer(Response<UrlMapBody>),
    /// The request goes to a mount, or to the fallback when `mounted` is
    /// `None`.
    Dispatch {
        mounted: Option<&'a Mounted<B>>,
        /// The new path and query, or `None` when the URI stays as it is.
        path_and_query: Option<String>,
        /// The request named exactly the mount's prefix.
        exact: bool,
    },
}

impl<B> UrlMap<B> {
    fn plan(&self, req: &Request<B>) -> Plan<'_, B> {
        if let Err(reason) = check_host_header(req) {
            tracing::debug!(target: "pastry_urlmap", method = %req.method(), reason, "refused Host");
            return Plan::Answer(text_response_for(
                req.method(),
                StatusCode::BAD_REQUEST,
                "Bad Request\n",
            ));
        }
        let uri = req.uri();
        let normal = match normalise_path(uri.path()) {
            Ok(normal) => normal,
            Err(err) => {
                tracing::debug!(
                    target: "pastry_urlmap",
                    method = %req.method(),
                    path = %uri.path(),
                    error = %err,
                    "refused request path"
                );
                return Plan::Answer(text_response_for(
                    req.method(),
                    StatusCode::BAD_REQUEST,
                    "Bad Request\n",
                ));
            }
        };
        let (mounted, len) = match self.table.find(req, &normal) {
            Some((mounted, len)) => (Some(mounted), len),
            None => (None, 0),
        };
        tracing::trace!(
            target: "pastry_urlmap",
            method = %req.method(),
            path = %normal,
            prefix = mounted.map_or("(fallback)", |m| &*m.prefix),
            "dispatch"
        );
        let rest = &normal[len..];
        let exact = rest.is_empty();
        // A WebSocket client does not follow redirects: an upgrade for
        // exactly the prefix goes to the app, as with the redirect off.
        if exact
            && mounted.is_some_and(|m| m.slash_redirect)
            && !is_upgrade(req.method(), req.headers())
        {
            return Plan::Answer(slash_redirect(req, &normal));
        }
        let path_and_query = if len == 0 && matches!(normal, Cow::Borrowed(_)) {
            None
        } else {
            Some(with_query(if exact { "/" } else { rest }, uri.query()))
        };
        Plan::Dispatch {
            mounted,
            path_and_query,
            exact,
        }
    }
}

impl<B: Send + 'static> Service<Request<B>> for UrlMap<B> {
    type Response = Response<UrlMapBody>;
    type Error = BoxError;
    type Future = ResponseFuture;

    /// Always ready; see [Readiness](UrlMap#readiness).
    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, mut req: Request<B>) -> Self::Future {
        let outermost = req.extensions().get::<OriginalUri>().is_none();
        let plan = if req.uri().path().starts_with('/') {
            self.plan(&req)
        } else {
            // `OPTIONS *` or CONNECT's authority-form: no path to match.
            Plan::Dispatch {
                mounted: None,
                path_and_query: None,
                exact: false,
            }
        };
        let (mounted, path_and_query, exact) = match plan {
            Plan::Answer(mut res) => {
                if !outermost && res.headers().contains_key(LOCATION) {
                    // A slash redirect already names the whole script name.
                    res.extensions_mut().insert(LocationDone);
                }
                return ResponseFuture::ready(res);
            }
            Plan::Dispatch {
                mounted,
                path_and_query,
                exact,
            } => (mounted, path_and_query, exact),
        };
        match path_and_query {
            Some(path_and_query) => {
                let Some(uri) = with_path(req.uri(), path_and_query) else {
                    return ResponseFuture::ready(text_response_for(
                        req.method(),
                        StatusCode::BAD_REQUEST,
                        "Bad Request\n",
                    ));
                };
                let original = std::mem::replace(req.uri_mut(), uri);
                if outermost {
                    req.extensions_mut().insert(OriginalUri(original));
                }
            }
            None if outermost => {
                let original = req.uri().clone();
                req.extensions_mut().insert(OriginalUri(original));
            }
            None => {}
        }
        let Some(mounted) = mounted else {
            return match &self.fallback {
                Some(fallback) => ResponseFuture::inner(fallback.oneshot(req), None, outermost),
                None => ResponseFuture::ready(text_response_for(
                    req.method(),
                    StatusCode::NOT_FOUND,
                    "Not Found\n",
                )),
            };
        };
        let script_name = if mounted.prefix.is_empty() {
            req.extensions().get::<ScriptName>().cloned()
        } else {
            let script_name = match req.extensions().get::<ScriptName>() {
                Some(outer) => outer.join(&mounted.prefix),
                None => mounted.script_name.clone(),
            };
            let root = req.uri().path() == "/";
            let extensions = req.extensions_mut();
            extensions.insert(script_name.clone());
            if exact {
                extensions.insert(EmptyPathInfo);
            } else if root {
                // A marker from an outer map would make `/` read as "".
                extensions.remove::<EmptyPathInfo>();
            }
            Some(script_name)
        };
        // The whole script name the app was given, outer prefixes (a
        // proxy's, an outer map's) included.
        let rewrite =
            script_name.filter(|name| mounted.rewrite_location && !name.as_str().is_empty());
        ResponseFuture::inner(mounted.app.oneshot(req), rewrite, outermost)
    }
}

fn with_query(path: &str, query: Option<&str>) -> String {
    let mut text = String::with_capacity(path.len() + query.map_or(0, |q| q.len() + 1));
    text.push_str(path);
    if let Some(query) = query {
        text.push('?');
        text.push_str(query);
    }
    text
}

/// `uri` with another path and query, keeping its scheme and authority.
fn with_path(uri: &Uri, path_and_query: String) -> Option<Uri> {
    let path_and_query = PathAndQuery::try_from(path_and_query).ok()?;
    if uri.scheme().is_none() && uri.authority().is_none() {
        return Some(Uri::from(path_and_query));
    }
    let mut parts = Parts::default();
    parts.scheme = uri.scheme().cloned();
    parts.authority = uri.authority().cloned();
    parts.path_and_query = Some(path_and_query);
    Uri::from_parts(parts).ok()
}

/// `308` to the slash form of a request that named exactly a prefix, as
/// the client sees it (outer script names included).
fn slash_redirect<B>(req: &Request<B>, normal: &str) -> Response<UrlMapBody> {
    let mut location = String::from(req.script_name());
    location.push_str(normal);
    location.push('/');
    let location = with_query(&location, req.uri().query());
    match HeaderValue::from_maybe_shared(bytes::Bytes::from(location)) {
        Ok(location) => {
            let mut res = Response::new(UrlMapBody::empty());
            *res.status_mut() = StatusCode::PERMANENT_REDIRECT;
            res.headers_mut().insert(LOCATION, location);
            res
        }
        Err(_) => text_response_for(req.method(), StatusCode::BAD_REQUEST, "Bad Request\n"),
    }
}

impl<B> Clone for UrlMap<B> {
    fn clone(&self) -> Self {
        Self {
            table: Arc::clone(&self.table),
            fallback: self.fallback.clone(),
        }
    }
}

impl<B> fmt::Debug for UrlMap<B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UrlMap")
            .field("mounts", &self.table.len())
            .field("fallback", &self.fallback.is_some())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn map_layer_and_future_can_cross_threads() {
        fn shared<T: Send + Sync + Clone + 'static>() {}
        fn sent<T: Send + 'static>() {}
        shared::<UrlMap<String>>();
        shared::<crate::UrlMapLayer<String>>();
        shared::<UrlMapBuilder<String>>();
        sent::<ResponseFuture>();
        sent::<UrlMapBody>();
    }

    #[tokio::test]
    async fn the_outermost_map_drops_the_location_marker() {
        use tower::ServiceExt;

        let legacy = tower::service_fn(|_req: Request<String>| async {
            let mut res = Response::new(String::new());
            res.headers_mut()
                .insert(LOCATION, HeaderValue::from_static("/login"));
            Ok::<_, std::convert::Infallible>(res)
        });
        let inner = UrlMap::builder()
            .mount(crate::Mount::at("/old").rewrite_location(true), legacy)
            .mount(crate::Mount::at("/dir").slash_redirect(true), legacy)
            .build()
            .unwrap();
        let outer = UrlMap::builder()
            .mount(crate::Mount::at("/apps").rewrite_location(true), inner)
            .build()
            .unwrap();
        for (path, location) in [
            ("/apps/old/x", "/apps/old/login"),
            ("/apps/dir", "/apps/dir/"),
        ] {
            let req = Request::get(path).body(String::new()).unwrap();
            let res = outer.clone().oneshot(req).await.unwrap();
            assert_eq!(res.headers()[LOCATION], location);
            assert!(res.extensions().get::<LocationDone>().is_none(), "{path}");
        }
    }

    #[test]
    fn new_path_keeps_scheme_and_authority() {
        let uri: Uri = "https://Example.com:8443/blog/x?q=1".parse().unwrap();
        let rebuilt = with_path(&uri, with_query("/x", uri.query())).unwrap();
        assert_eq!(rebuilt, "https://Example.com:8443/x?q=1");
        let origin: Uri = "/blog/x".parse().unwrap();
        assert_eq!(with_path(&origin, "/x".into()).unwrap(), "/x");
    }
}
