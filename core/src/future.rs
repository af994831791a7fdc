//! [`LayerFuture`]: the wrapped app's answer, or the layer's own, as a
//! response with a [`LayerBody`].

use std::future::{Future, Pending};
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use bytes::Bytes;
use http::{Response, StatusCode};
use pin_project_lite::pin_project;

use crate::{LayerBody, text_response};

pin_project! {
    /// The response future of a middleware that either passes the request
    /// on and waits for the wrapped app, or answers itself (a 403 refusal,
    /// a preflight, a redirect to the login page) without calling the app.
    ///
    /// Either way the response comes out with a [`LayerBody`]: the app's
    /// body streams through, the layer's own bytes go out in one frame. An
    /// error of the app is passed on as it is; the layer's own answer never
    /// fails.
    ///
    /// `A` is the future of an own answer the layer has to work out first
    /// (an OpenID login that asks the provider, see
    /// [`own_later`](Self::own_later)). A layer that always knows its answer
    /// at once leaves it at its default, which is never polled. The crates
    /// name this type after themselves (`pastry_origin::ResponseFuture<F>`
    /// is `LayerFuture<F>`).
    ///
    /// Polled again after it gave its own answer, it answers `500 Internal
    /// Server Error` rather than panicking.
    ///
    /// ```
    /// use std::task::{Context, Poll};
    ///
    /// use bytes::Bytes;
    /// use http::{Method, Request, Response, StatusCode};
    /// use http_body_util::{BodyExt, Full};
    /// use pastry_core::{LayerBody, LayerFuture, text_response};
    /// use tower::{Service, ServiceExt, service_fn};
    ///
    /// /// Refuses `DELETE` itself and passes every other request on.
    /// #[derive(Clone)]
    /// struct NoDelete<S>(S);
    ///
    /// impl<S, B, R> Service<Request<B>> for NoDelete<S>
    /// where
    ///     S: Service<Request<B>, Response = Response<R>>,
    /// {
    ///     type Response = Response<LayerBody<R>>;
    ///     type Error = S::Error;
    ///     type Future = LayerFuture<S::Future>;
    ///
    ///     fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
    ///         self.0.poll_ready(cx)
    ///     }
    ///
    ///     fn call(&mut self, req: Request<B>) -> Self::Future {
    ///         if req.method() == Method::DELETE {
    ///             return LayerFuture::own(text_response(
    ///                 StatusCode::METHOD_NOT_ALLOWED,
    ///                 "405 Method Not Allowed\n",
    ///             ));
    ///         }
    ///         LayerFuture::inner(self.0.call(req))
    ///     }
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    /// let app = NoDelete(service_fn(|_req: Request<()>| async {
    ///     Ok::<_, std::convert::Infallible>(Response::new(Full::new(Bytes::from("hello"))))
    /// }));
    ///
    /// let res = app.clone().oneshot(Request::get("/").body(())?).await?;
    /// assert_eq!(res.status(), StatusCode::OK);
    /// assert_eq!(res.into_body().collect().await?.to_bytes(), "hello");
    ///
    /// let res = app.oneshot(Request::delete("/").body(())?).await?;
    /// assert_eq!(res.status(), StatusCode::METHOD_NOT_ALLOWED);
    /// assert_eq!(res.into_body().collect().await?.to_bytes(), "405 Method Not Allowed\n");
    /// # Ok(())
    /// # }
    /// ```
    pub struct LayerFuture<F, A = Pending<Response<Bytes>>> {
        #[pin]
        kind: Kind<F, A>,
    }
}

pin_project! {
    #[project = KindProj]
    enum Kind<F, A> {
        Inner { #[pin] future: F },
        Own { response: Option<Response<Bytes>> },
        Later { #[pin] answer: A },
    }
}

impl<F, A> LayerFuture<F, A> {
    /// Waits for the wrapped app's `future` and passes its response on.
    pub fn inner(future: F) -> Self {
        Self {
            kind: Kind::Inner { future },
        }
    }

    /// Answers with the layer's own `response`, ready now.
    pub fn own(response: Response<Bytes>) -> Self {
        Self {
            kind: Kind::Own {
                response: Some(response),
            },
        }
    }

    /// Answers with the layer's own response once `answer` gives it.
    pub fn own_later(answer: A) -> Self {
        Self {
            kind: Kind::Later { answer },
        }
    }
}

impl<F, A> std::fmt::Debug for LayerFuture<F, A> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match &self.kind {
            Kind::Inner { .. } => "LayerFuture::Inner",
            Kind::Own { .. } => "LayerFuture::Own",
            Kind::Later { .. } => "LayerFuture::Later",
        })
    }
}

impl<F, A, B, E> Future for LayerFuture<F, A>
where
    F: Future<Output = Result<Response<B>, E>>,
    A: Future<Output = Response<Bytes>>,
{
    type Output = Result<Response<LayerBody<B>>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.project().kind.project() {
            KindProj::Inner { future } => {
                let response = ready!(future.poll(cx))?;
                Poll::Ready(Ok(response.map(LayerBody::inner)))
            }
            KindProj::Own { response } => {
                let response = response.take().unwrap_or_else(|| {
                    text_response(
                        StatusCode::INTERNAL_SERVER_ERROR,
                        "500 Internal Server Error\n",
                    )
                });
                Poll::Ready(Ok(response.map(LayerBody::own)))
            }
            KindProj::Later { answer } => {
                let response = ready!(answer.poll(cx));
                Poll::Ready(Ok(response.map(LayerBody::own)))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::convert::Infallible;
    use std::future::Ready;
    use std::task::Waker;

    use http_body::Body;
    use http_body_util::{BodyExt, Full};

    type App = Ready<Result<Response<Full<Bytes>>, Infallible>>;

    fn poll_once<Fut: Future + Unpin>(future: &mut Fut) -> Poll<Fut::Output> {
        Pin::new(future).poll(&mut Context::from_waker(Waker::noop()))
    }

    #[tokio::test]
    async fn an_answer_worked_out_later_goes_out_as_the_layers_own() {
        let later = async { Response::new(Bytes::from("logged in")) };
        let future: LayerFuture<App, _> = LayerFuture::own_later(later);
        let response = future.await.unwrap();
        assert_eq!(response.body().size_hint().exact(), Some(9));
        assert_eq!(
            response.into_body().collect().await.unwrap().to_bytes(),
            "logged in"
        );
    }

    #[test]
    fn an_own_answer_polled_again_is_a_500_not_a_panic() {
        let mut future: LayerFuture<App> =
            LayerFuture::own(text_response(StatusCode::FORBIDDEN, "403 Forbidden\n"));
        let Poll::Ready(Ok(first)) = poll_once(&mut future) else {
            panic!("the own answer is ready at once");
        };
        assert_eq!(first.status(), StatusCode::FORBIDDEN);
        let Poll::Ready(Ok(again)) = poll_once(&mut future) else {
            panic!("polled again, it still answers at once");
        };
        assert_eq!(again.status(), StatusCode::INTERNAL_SERVER_ERROR);
    }

    #[test]
    fn an_error_of_the_app_is_passed_on() {
        let app = std::future::ready(Err::<Response<Full<Bytes>>, _>("down"));
        let mut future: LayerFuture<_> = LayerFuture::inner(app);
        assert!(matches!(poll_once(&mut future), Poll::Ready(Err("down"))));
    }
}
