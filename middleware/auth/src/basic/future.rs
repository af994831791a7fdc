use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use http::{HeaderValue, Request, Response, StatusCode, header};
use pastry_core::RemoteUser;
use pin_project_lite::pin_project;
use tower_service::Service;

use crate::body::{AuthBody, retry_after, text_response};
use crate::{AuthError, User};

type Check = Pin<Box<dyn Future<Output = Result<User, AuthError>> + Send>>;

pin_project! {
    /// The future of [`BasicAuth`](super::BasicAuth): checks the credentials,
    /// then runs the wrapped service.
    pub struct ResponseFuture<S, B>
    where
        S: Service<Request<B>>,
    {
        #[pin]
        state: State<S, B>,
        challenge: HeaderValue,
    }
}

pin_project! {
    #[project = StateProj]
    enum State<S, B>
    where
        S: Service<Request<B>>,
    {
        Unauthorized,
        Checking { check: Check, parts: Option<(Request<B>, S)> },
        Inner { #[pin] future: S::Future },
    }
}

impl<S, B> ResponseFuture<S, B>
where
    S: Service<Request<B>>,
{
    pub(crate) fn unauthorized(challenge: HeaderValue) -> Self {
        Self {
            state: State::Unauthorized,
            challenge,
        }
    }

    pub(crate) fn checking(
        check: Check,
        req: Request<B>,
        inner: S,
        challenge: HeaderValue,
    ) -> Self {
        Self {
            state: State::Checking {
                check,
                parts: Some((req, inner)),
            },
            challenge,
        }
    }
}

fn challenge_response<R>(challenge: &HeaderValue) -> Response<AuthBody<R>> {
    let mut response = text_response(StatusCode::UNAUTHORIZED, "401 Unauthorized\n");
    response
        .headers_mut()
        .insert(header::WWW_AUTHENTICATE, challenge.clone());
    response
}

pub(crate) fn refusal<R>(err: &AuthError, challenge: &HeaderValue) -> Response<AuthBody<R>> {
    match err {
        AuthError::LockedOut { retry_after: after } => {
            let mut response =
                text_response(StatusCode::TOO_MANY_REQUESTS, "429 Too Many Requests\n");
            retry_after(&mut response, *after);
            response
        }
        AuthError::Busy => {
            let mut response =
                text_response(StatusCode::SERVICE_UNAVAILABLE, "503 Service Unavailable\n");
            retry_after(&mut response, std::time::Duration::from_secs(1));
            response
        }
        AuthError::InvalidCredentials => challenge_response(challenge),
        other => {
            tracing::error!(target: "pastry_auth", error = %other, "authentication failed");
            text_response(
                StatusCode::INTERNAL_SERVER_ERROR,
                "500 Internal Server Error\n",
            )
        }
    }
}

impl<S, B, R> Future for ResponseFuture<S, B>
where
    S: Service<Request<B>, Response = Response<R>>,
{
    type Output = Result<Response<AuthBody<R>>, S::Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        loop {
            match this.state.as_mut().project() {
                StateProj::Unauthorized => {
                    return Poll::Ready(Ok(challenge_response(this.challenge)));
                }
                StateProj::Checking { check, parts } => {
                    let outcome = ready!(check.as_mut().poll(cx));
                    let Some((mut req, mut inner)) = parts.take() else {
                        return Poll::Ready(Ok(text_response(
                            StatusCode::INTERNAL_SERVER_ERROR,
                            "500 Internal Server Error\n",
                        )));
                    };
                    match outcome {
                        Ok(user) => {
                            req.extensions_mut().insert(RemoteUser::new(user.name()));
                            req.extensions_mut().insert(user.role_list().clone());
                            let future = inner.call(req);
                            this.state.set(State::Inner { future });
                        }
                        Err(err) => return Poll::Ready(Ok(refusal(&err, this.challenge))),
                    }
                }
                StateProj::Inner { future } => {
                    let response = ready!(future.poll(cx))?;
                    return Poll::Ready(Ok(response.map(AuthBody::inner)));
                }
            }
        }
    }
}
