use std::fmt;
use std::sync::Arc;
use std::task::{Context, Poll};

use http::header::COOKIE;
use http::{HeaderMap, Request, Response, StatusCode};
use pastry_core::{CrossOriginChecked, check_cross_origin, is_upgrade};
use tower_service::Service;

use crate::Session;
use crate::body::SessionBody;
use crate::config::Config;
use crate::future::ResponseFuture;
use crate::id::SessionId;
use crate::session::Replayer;
use crate::store::DynStore;

/// At most this many well-formed ids are tried from one request's cookies.
const MAX_CANDIDATES: usize = 4;

/// The service [`SessionLayer`](crate::SessionLayer) wraps an app in: puts a
/// [`Session`] in each request's extensions and saves it after the response.
#[derive(Clone)]
pub struct SessionService<S> {
    inner: S,
    store: Arc<dyn DynStore>,
    replayer: Arc<Replayer>,
    pub(crate) config: Arc<Config>,
}

impl<S> SessionService<S> {
    pub(crate) fn new(
        inner: S,
        store: Arc<dyn DynStore>,
        replayer: Arc<Replayer>,
        config: Arc<Config>,
    ) -> Self {
        Self {
            inner,
            store,
            replayer,
            config,
        }
    }

    pastry_core::inner_accessors!(S);
}

impl<S: fmt::Debug> fmt::Debug for SessionService<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionService")
            .field("inner", &self.inner)
            .field("cookie_name", &self.config.cookie_name)
            .finish_non_exhaustive()
    }
}

impl<S, ReqBody, ResBody> Service<Request<ReqBody>> for SessionService<S>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>>,
{
    type Response = Response<SessionBody<ResBody>>;
    type Error = S::Error;
    type Future = ResponseFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut req: Request<ReqBody>) -> Self::Future {
        if let Some(error) = &self.config.error {
            tracing::error!(
                target: "pastry_sessions",
                error = %error,
                method = %req.method(),
                path = req.uri().path(),
                "invalid SessionLayer settings; answering 500"
            );
            return ResponseFuture::refused(StatusCode::INTERNAL_SERVER_ERROR);
        }
        if self.config.handshake_origin && is_foreign_handshake(&req) {
            tracing::info!(
                target: "pastry_sessions",
                method = %req.method(),
                path = req.uri().path(),
                "cross-origin upgrade request refused (403)"
            );
            return ResponseFuture::refused(StatusCode::FORBIDDEN);
        }
        let (candidates, sealed, had_cookie) = self.request_cookies(req.headers());
        let session = Session::create(
            Arc::clone(&self.store),
            Arc::clone(&self.replayer),
            Arc::clone(&self.config),
            candidates,
            sealed,
            had_cookie,
        );
        req.extensions_mut().insert(session.clone());
        ResponseFuture::new(self.inner.call(req), session)
    }
}

impl<S> SessionService<S> {
    /// The request's session cookies: well-formed ids, or with a cookie
    /// store the sealed values (none over the cookie size limit), and
    /// whether any cookie of the name was sent.
    fn request_cookies(&self, headers: &HeaderMap) -> (Vec<SessionId>, Vec<String>, bool) {
        #[cfg(feature = "cookie-store")]
        if self.replayer.cookie.is_some() {
            let (sealed, seen) = cookie_values(headers, &self.config.cookie_name, |value| {
                (!value.is_empty() && value.len() <= crate::MAX_COOKIE_BYTES)
                    .then(|| value.to_owned())
            });
            return (Vec::new(), sealed, seen);
        }
        let (ids, seen) = session_cookies(headers, &self.config.cookie_name);
        (ids, Vec::new(), seen)
    }
}

/// An upgrade request (WebSocket handshake) that another origin's page
/// made and no cross-origin layer outside has judged.
fn is_foreign_handshake<B>(req: &Request<B>) -> bool {
    is_upgrade(req.method(), req.headers())
        && req.extensions().get::<CrossOriginChecked>().is_none()
        && check_cross_origin(req.method(), req.uri(), req.headers()).is_err()
}

/// The well-formed session ids among the request's cookies named `name`
/// (every `Cookie` header, every pair), and whether any cookie of that name
/// was sent at all. Malformed values are skipped, never used.
pub(crate) fn session_cookies(headers: &HeaderMap, name: &str) -> (Vec<SessionId>, bool) {
    cookie_values(headers, name, SessionId::parse)
}

/// The values among the request's cookies named `name` that `parse`
/// accepts (at most [`MAX_CANDIDATES`], no repeats, in the order sent), and
/// whether any cookie of that name was sent at all.
fn cookie_values<T: PartialEq>(
    headers: &HeaderMap,
    name: &str,
    parse: impl Fn(&str) -> Option<T>,
) -> (Vec<T>, bool) {
    let mut ids = Vec::new();
    let mut seen = false;
    for header in headers.get_all(COOKIE) {
        let Ok(text) = header.to_str() else { continue };
        for pair in text.split(';') {
            let Some((key, value)) = pair.split_once('=') else {
                continue;
            };
            if key.trim() != name {
                continue;
            }
            seen = true;
            let value = value.trim();
            let value = value
                .strip_prefix('"')
                .and_then(|v| v.strip_suffix('"'))
                .unwrap_or(value);
            if ids.len() < MAX_CANDIDATES
                && let Some(id) = parse(value)
                && !ids.contains(&id)
            {
                ids.push(id);
            }
        }
    }
    (ids, seen)
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;
    use proptest::prelude::*;

    fn headers(values: &[&str]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for v in values {
            map.append(COOKIE, HeaderValue::from_str(v).unwrap());
        }
        map
    }

    #[test]
    fn finds_every_cookie_of_the_name_across_headers() {
        let a = SessionId::random();
        let b = SessionId::random();
        let map = headers(&[
            &format!("theme=dark; id={}", a.encode()),
            &format!("id=\"{}\"; id={}", b.encode(), a.encode()),
        ]);
        assert_eq!(session_cookies(&map, "id"), (vec![a, b], true));
    }

    #[test]
    fn malformed_values_are_skipped_but_noticed() {
        let map = headers(&["id=../../etc/passwd; id=; sid=x"]);
        assert_eq!(session_cookies(&map, "id"), (vec![], true));
        assert_eq!(
            session_cookies(&headers(&["other=1"]), "id"),
            (vec![], false)
        );
    }

    #[test]
    fn candidates_are_bounded() {
        let many: Vec<String> = (0..20)
            .map(|_| format!("id={}", SessionId::random().encode()))
            .collect();
        let map = headers(&[&many.join("; ")]);
        assert_eq!(session_cookies(&map, "id").0.len(), MAX_CANDIDATES);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn arbitrary_cookie_headers_never_panic(text in "[ -~]{0,200}") {
            if let Ok(value) = HeaderValue::from_str(&text) {
                let mut map = HeaderMap::new();
                map.insert(COOKIE, value);
                let _ = session_cookies(&map, "id");
            }
        }
    }
}
