use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use http::header::{CACHE_CONTROL, CONTENT_LENGTH, COOKIE, SET_COOKIE};
use http::{HeaderValue, Response, StatusCode};
use pastry_core::header::merge_vary;
use pin_project_lite::pin_project;

use crate::body::SessionBody;
use crate::store::BoxFuture;
use crate::{Session, SessionError};

type CommitFuture = BoxFuture<'static, Result<Option<HeaderValue>, SessionError>>;

pin_project! {
    /// The response future of [`SessionService`](crate::SessionService):
    /// the app's response, then, only if the handler used the session, the
    /// save.
    pub struct ResponseFuture<F: Future> {
        // `None` when the layer answers without calling the app: a 500 for
        // invalid settings, a 403 for a cross-origin handshake.
        #[pin]
        inner: Option<F>,
        refusal: StatusCode,
        session: Option<Session>,
        commit: Option<CommitFuture>,
        // The app's response while the save runs.
        parked: Option<F::Output>,
        // What the response gets besides the cookie.
        headers: CacheHeaders,
    }
}

/// The caching headers a response gets from the layer.
#[derive(Clone, Copy, Default)]
struct CacheHeaders {
    /// The handler loaded the session: `Vary: Cookie`.
    vary_cookie: bool,
    /// `Cache-Control: private` if a `Set-Cookie` goes out and the app set
    /// no `Cache-Control`.
    private_with_cookie: bool,
}

impl<F: Future> ResponseFuture<F> {
    pub(crate) fn new(inner: F, session: Session) -> Self {
        Self {
            inner: Some(inner),
            refusal: StatusCode::INTERNAL_SERVER_ERROR,
            session: Some(session),
            commit: None,
            parked: None,
            headers: CacheHeaders::default(),
        }
    }

    /// A future that answers `status` with an empty body at once.
    pub(crate) fn refused(status: StatusCode) -> Self {
        Self {
            inner: None,
            refusal: status,
            session: None,
            commit: None,
            parked: None,
            headers: CacheHeaders::default(),
        }
    }
}

impl<F, B, E> Future for ResponseFuture<F>
where
    F: Future<Output = Result<Response<B>, E>>,
{
    type Output = Result<Response<SessionBody<B>>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        if this.commit.is_none() {
            let Some(inner) = this.inner.as_pin_mut() else {
                return Poll::Ready(Ok(empty_response(*this.refusal)));
            };
            let response = ready!(inner.poll(cx))?;
            let session = match this.session.take() {
                Some(session) if session.touched() => session,
                _ => return Poll::Ready(Ok(response.map(SessionBody::inner))),
            };
            let config = session.config();
            *this.headers = CacheHeaders {
                vary_cookie: config.vary_cookie && session.loaded(),
                private_with_cookie: config.cache_control,
            };
            let server_error = response.status().is_server_error();
            *this.commit = Some(Box::pin(session.commit(server_error)));
            *this.parked = Some(Ok(response));
        }
        let Some(commit) = this.commit.as_mut() else {
            unreachable!("commit future set above");
        };
        let result = ready!(commit.as_mut().poll(cx));
        let response = match this.parked.take() {
            Some(Ok(response)) => response,
            // Only Ok responses are parked; polled again after completion.
            _ => panic!("ResponseFuture polled after completion"),
        };
        Poll::Ready(Ok(finish(response, result, *this.headers)))
    }
}

fn finish<B>(
    mut response: Response<B>,
    result: Result<Option<HeaderValue>, SessionError>,
    cache: CacheHeaders,
) -> Response<SessionBody<B>> {
    #[cfg(feature = "cookie-store")]
    let result = match result {
        Err(SessionError::Cookie(error @ crate::CookieError::TooLarge { .. })) => {
            tracing::warn!(target: "pastry_sessions", error = %error, "session too large for its cookie; not saved, the client keeps its previous cookie");
            Ok(None)
        }
        other => other,
    };
    let headers = response.headers_mut();
    if cache.vary_cookie && result.is_ok() {
        merge_vary(headers, &COOKIE);
    }
    match result {
        Ok(Some(cookie)) => {
            headers.append(SET_COOKIE, cookie);
            if cache.private_with_cookie && !headers.contains_key(CACHE_CONTROL) {
                headers.insert(CACHE_CONTROL, HeaderValue::from_static("private"));
            }
            response.map(SessionBody::inner)
        }
        Ok(None) => response.map(SessionBody::inner),
        Err(error) => {
            let status = error.status();
            if status == StatusCode::SERVICE_UNAVAILABLE {
                tracing::error!(target: "pastry_sessions", error = %error, "saving the session failed; answering 503");
            } else {
                tracing::error!(target: "pastry_sessions", error = %error, "saving the session failed; answering 500");
            }
            empty_response(status)
        }
    }
}

/// An empty response with `status`, in place of the app's.
fn empty_response<B>(status: StatusCode) -> Response<SessionBody<B>> {
    let mut failed = Response::new(SessionBody::empty());
    *failed.status_mut() = status;
    failed
        .headers_mut()
        .insert(CONTENT_LENGTH, HeaderValue::from_static("0"));
    failed
}
