//! [`Oidc`]: the service made by [`OidcLayer`](crate::OidcLayer).

use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use http::{HeaderValue, Method, Request, Response, StatusCode, header};
use pastry_core::{App, text_response};
use pastry_sessions::SessionExt;
use tower_service::Service;

use crate::OidcBody;
use crate::flow::{self, Shared};
use crate::future::ResponseFuture;

/// The service made by [`OidcLayer`](crate::OidcLayer): answers the login
/// and callback paths itself and passes every other request to the app.
pub struct Oidc<S> {
    inner: S,
    shared: Arc<Shared>,
}

impl<S: Clone> Clone for Oidc<S> {
    fn clone(&self) -> Self {
        Self {
            inner: self.inner.clone(),
            shared: Arc::clone(&self.shared),
        }
    }
}

impl<S: std::fmt::Debug> std::fmt::Debug for Oidc<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Oidc")
            .field("inner", &self.inner)
            .finish_non_exhaustive()
    }
}

impl<S> Oidc<S> {
    pub(crate) fn new(inner: S, shared: Arc<Shared>) -> Self {
        Self { inner, shared }
    }

    pastry_core::inner_accessors!(S);
}

enum Route {
    Login,
    Callback,
}

const MISSING_SESSION: &str = "500 Internal Server Error\n";
const ONLY_GET: &str = "405 Method Not Allowed: use GET.\n";

impl<S, B> Service<Request<B>> for Oidc<S>
where
    S: App<B>,
{
    type Response = Response<OidcBody<S::ResBody>>;
    type Error = S::Error;
    type Future = ResponseFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request<B>) -> Self::Future {
        let path = req.uri().path();
        let route = if path == self.shared.login_path {
            Route::Login
        } else if path == self.shared.callback_path {
            Route::Callback
        } else {
            return ResponseFuture::inner(self.inner.call(req));
        };
        if req.method() != Method::GET && req.method() != Method::HEAD {
            let mut res = text_response::<Bytes>(StatusCode::METHOD_NOT_ALLOWED, ONLY_GET);
            res.headers_mut()
                .insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
            return ResponseFuture::own(res);
        }
        let Some(session) = req.session().cloned() else {
            tracing::error!(
                target: "pastry_oidc",
                method = %req.method(),
                path = %req.uri().path(),
                fix = "ServiceBuilder::new().layer(SessionLayer::new(store)).layer(oidc_layer)",
                "OidcLayer found no session on the request: it needs SessionLayer outside it; add SessionLayer to the ServiceBuilder before OidcLayer"
            );
            return ResponseFuture::own(text_response(
                StatusCode::INTERNAL_SERVER_ERROR,
                MISSING_SESSION,
            ));
        };
        let shared = Arc::clone(&self.shared);
        let query = req.uri().query().map(str::to_owned);
        match route {
            Route::Login => {
                ResponseFuture::own_later(Box::pin(flow::start_login(shared, session, query)))
            }
            Route::Callback => {
                ResponseFuture::own_later(Box::pin(flow::callback(shared, session, query)))
            }
        }
    }
}
