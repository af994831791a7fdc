use std::task::{Context, Poll};

use http::{HeaderValue, Request, Response, StatusCode, header};
use pastry_core::{App, Environ, text_response};
use tower_service::Service;

use super::header::parse_basic;
use crate::AuthError;
use crate::body::{AuthBody, refusal};
use crate::future::{ResponseFuture, admit};
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

    pastry_core::inner_accessors!(S);
}

impl<S, U, B> Service<Request<B>> for BasicAuth<S, U>
where
    S: App<B> + Clone,
    U: UserStore,
    B: Send + 'static,
{
    type Response = Response<AuthBody<S::ResBody>>;
    type Error = S::Error;
    type Future = ResponseFuture<S, B>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request<B>) -> Self::Future {
        let Some((name, password)) = parse_basic(req.headers()) else {
            tracing::debug!(target: "pastry_auth", method = %req.method(), path = %req.uri().path(), "no usable Basic credentials");
            return ResponseFuture::answer(unauthorized(&self.challenge));
        };
        let auth = self.auth.clone();
        let challenge = self.challenge.clone();
        let client = req.client_addr().map(|addr| addr.ip());
        ResponseFuture::check_then_call(&mut self.inner, async move {
            match auth.authenticate(&name, &password, client).await {
                Ok(user) => Ok(admit(req, &user)),
                Err(AuthError::InvalidCredentials) => Err(unauthorized(&challenge)),
                Err(err) => Err(refusal(&err)),
            }
        })
    }
}

fn unauthorized(challenge: &HeaderValue) -> Response<bytes::Bytes> {
    let mut response = text_response(StatusCode::UNAUTHORIZED, "401 Unauthorized\n");
    response
        .headers_mut()
        .insert(header::WWW_AUTHENTICATE, challenge.clone());
    response
}
