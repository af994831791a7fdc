use std::task::{Context, Poll};

use http::{HeaderValue, Request, Response};
use pastry_core::Environ;
use tower_service::Service;

use super::ResponseFuture;
use super::header::parse_basic;
use crate::body::AuthBody;
use crate::{Authenticator, UserStore};

/// The service made by [`BasicAuthLayer`](super::BasicAuthLayer).
pub struct BasicAuth<S, U> {
    inner: S,
    auth: Authenticator<U>,
    challenge: HeaderValue,
}

impl<S: Clone, U> Clone for BasicAuth<S, U> {
    fn clone(&self) -> Self {
        Self {
            inner: self.inner.clone(),
            auth: self.auth.clone(),
            challenge: self.challenge.clone(),
        }
    }
}

impl<S: std::fmt::Debug, U> std::fmt::Debug for BasicAuth<S, U> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BasicAuth")
            .field("inner", &self.inner)
            .field("auth", &self.auth)
            .finish_non_exhaustive()
    }
}

impl<S, U> BasicAuth<S, U> {
    pub(crate) fn new(inner: S, auth: Authenticator<U>, challenge: HeaderValue) -> Self {
        Self {
            inner,
            auth,
            challenge,
        }
    }

    /// The wrapped service.
    pub fn get_ref(&self) -> &S {
        &self.inner
    }

    /// The wrapped service, mutably.
    pub fn get_mut(&mut self) -> &mut S {
        &mut self.inner
    }

    /// Unwraps the service.
    pub fn into_inner(self) -> S {
        self.inner
    }
}

impl<S, U, B, R> Service<Request<B>> for BasicAuth<S, U>
where
    S: Service<Request<B>, Response = Response<R>> + Clone,
    U: UserStore,
    B: Send + 'static,
{
    type Response = Response<AuthBody<R>>;
    type Error = S::Error;
    type Future = ResponseFuture<S, B>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request<B>) -> Self::Future {
        let Some((name, password)) = parse_basic(req.headers()) else {
            tracing::debug!(target: "pastry_auth", method = %req.method(), path = %req.uri().path(), "no usable Basic credentials");
            return ResponseFuture::unauthorized(self.challenge.clone());
        };
        let clone = self.inner.clone();
        let inner = std::mem::replace(&mut self.inner, clone);
        let auth = self.auth.clone();
        let client = req.client_addr().map(|addr| addr.ip());
        let check = Box::pin(async move { auth.authenticate(&name, &password, client).await });
        ResponseFuture::checking(check, req, inner, self.challenge.clone())
    }
}
