//! The response future shared by the auth middleware.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use bytes::Bytes;
use http::{HeaderValue, Request, Response, header};
use pastry_core::{App, RemoteUser};
use pin_project_lite::pin_project;
use tower_service::Service;

use crate::User;
use crate::body::AuthBody;

/// An asynchronous check: the request to pass on, or the middleware's own
/// answer.
pub(crate) type Check<B> =
    Pin<Box<dyn Future<Output = Result<Request<B>, Response<Bytes>>> + Send>>;

pin_project! {
    /// The future of the auth services: the middleware's own answer, or an
    /// asynchronous check followed by the wrapped service, or the wrapped
    /// service alone.
    pub struct ResponseFuture<S, B>
    where
        S: Service<Request<B>>,
    {
        #[pin]
        state: State<S, B>,
    }
}

pin_project! {
    #[project = StateProj]
    enum State<S, B>
    where
        S: Service<Request<B>>,
    {
        Answer { response: Option<Response<Bytes>> },
        Checking { check: Check<B>, inner: Option<S> },
        Inner { #[pin] future: S::Future, private: bool, user: Option<RemoteUser> },
    }
}

impl<S, B> ResponseFuture<S, B>
where
    S: Service<Request<B>>,
{
    pub(crate) fn answer(response: Response<Bytes>) -> Self {
        Self {
            state: State::Answer {
                response: Some(response),
            },
        }
    }

    /// Runs `check`, then (when it gives the request back) the wrapped
    /// service: the part [`BasicAuth`](crate::BasicAuth) and
    /// `SessionAuth` share. The future takes the service that `poll_ready`
    /// made ready and leaves a fresh clone in its place. When the request
    /// passed on names a user, the response is marked private and carries
    /// the user's [`RemoteUser`] in its extensions.
    pub(crate) fn check_then_call<F>(inner: &mut S, check: F) -> Self
    where
        S: Clone,
        F: Future<Output = Result<Request<B>, Response<Bytes>>> + Send + 'static,
    {
        let fresh = inner.clone();
        let ready = std::mem::replace(inner, fresh);
        Self {
            state: State::Checking {
                check: Box::pin(check),
                inner: Some(ready),
            },
        }
    }

    /// The wrapped service's answer to a request nobody logged in for,
    /// passed on untouched.
    pub(crate) fn anonymous(future: S::Future) -> Self {
        Self {
            state: State::Inner {
                future,
                private: false,
                user: None,
            },
        }
    }

    /// The wrapped service's answer to a logged-in user's request: marked
    /// `Cache-Control: private` (see [`private`]).
    pub(crate) fn inner(future: S::Future) -> Self {
        Self {
            state: State::Inner {
                future,
                private: true,
                user: None,
            },
        }
    }
}

/// Marks `req` as coming from `user`: [`RemoteUser`], the user's
/// [`Roles`](crate::Roles) and [`AuthChecked`](crate::AuthChecked), as
/// every auth layer leaves them for the app.
pub(crate) fn admit<B>(mut req: Request<B>, user: &User) -> Request<B> {
    let extensions = req.extensions_mut();
    extensions.insert(RemoteUser::new(user.name()));
    extensions.insert(user.roles().clone());
    extensions.insert(crate::AuthChecked);
    req
}

/// Marks a response for a logged-in user `Cache-Control: private` (a
/// shared cache must not hand it to anyone else), unless the app chose its
/// own `Cache-Control`.
pub(crate) fn private<R>(response: &mut Response<R>) {
    response
        .headers_mut()
        .entry(header::CACHE_CONTROL)
        .or_insert(HeaderValue::from_static("private"));
}

/// Puts the logged-in user in the response's extensions too, for the layers
/// outside the auth layer (an access log) that never see the request it
/// passed on; a [`RemoteUser`] the app or an inner layer put there stays.
fn tell_outer_layers<R>(response: &mut Response<R>, user: RemoteUser) {
    if response.extensions().get::<RemoteUser>().is_none() {
        response.extensions_mut().insert(user);
    }
}

impl<S, B> Future for ResponseFuture<S, B>
where
    S: App<B>,
{
    type Output = Result<Response<AuthBody<S::ResBody>>, S::Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        loop {
            match this.state.as_mut().project() {
                StateProj::Answer { response } => {
                    let response = response.take().unwrap_or_else(crate::body::internal_error);
                    return Poll::Ready(Ok(response.map(AuthBody::own)));
                }
                StateProj::Checking { check, inner } => {
                    let outcome = ready!(check.as_mut().poll(cx));
                    match (outcome, inner.take()) {
                        (Ok(req), Some(mut inner)) => {
                            let user = req.extensions().get::<RemoteUser>().cloned();
                            let private = user.is_some();
                            let future = inner.call(req);
                            this.state.set(State::Inner {
                                future,
                                private,
                                user,
                            });
                        }
                        (Ok(_), None) => {
                            return Poll::Ready(Ok(
                                crate::body::internal_error().map(AuthBody::own)
                            ));
                        }
                        (Err(response), _) => return Poll::Ready(Ok(response.map(AuthBody::own))),
                    }
                }
                StateProj::Inner {
                    future,
                    private,
                    user,
                } => {
                    let mut response = ready!(future.poll(cx))?;
                    if *private {
                        self::private(&mut response);
                    }
                    if let Some(user) = user.take() {
                        tell_outer_layers(&mut response, user);
                    }
                    return Poll::Ready(Ok(response.map(AuthBody::inner)));
                }
            }
        }
    }
}
