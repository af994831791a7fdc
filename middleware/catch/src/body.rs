//! The response body: catches errors and panics while the body streams.

use std::fmt;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http::Method;
use http::uri::PathAndQuery;
use http_body::{Body, Frame, SizeHint};
use pastry_core::BoxError;
use pin_project_lite::pin_project;

use crate::failure::{Cause, Phase, RequestInfo, log_event, log_path};
use crate::id::ErrorId;

pin_project! {
    /// The body of a [`Catch`](crate::Catch) response: the inner body,
    /// passed through frame by frame, or an error page.
    ///
    /// When the inner body returns an error or panics, the head of the
    /// response is already with the server, so the status cannot change:
    /// the failure is logged with a fresh error id and this body ends with
    /// a [`BodyAborted`] error, which makes the server abort the response
    /// (HTTP/1.1 closes the connection before the final chunk or before
    /// `Content-Length` is reached; HTTP/2 resets the stream). The client
    /// sees an incomplete response, never a truncated one presented as
    /// complete. The inner body is not polled again afterwards. (One case no
    /// server can mark: a response to an HTTP/1.0 client without
    /// `Content-Length` is delimited by closing the connection, so there an
    /// abort looks like the end.) This holds before the first frame too:
    /// the head was already returned, and the body is never buffered.
    ///
    /// ```
    /// use bytes::Bytes;
    /// use http::{Request, Response, StatusCode};
    /// use http_body::Frame;
    /// use http_body_util::{BodyExt, StreamBody};
    /// use pastry_catch::{BodyAborted, Catch};
    /// use tower::{ServiceExt, service_fn};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let app = Catch::new(service_fn(|_req: Request<()>| async {
    ///     let frames = futures_util::stream::iter([
    ///         Ok(Frame::data(Bytes::from("first half"))),
    ///         Err(std::io::Error::other("disk gone")),
    ///     ]);
    ///     Ok::<_, std::convert::Infallible>(Response::new(StreamBody::new(frames)))
    /// }));
    /// let res = app.oneshot(Request::new(())).await.unwrap();
    /// assert_eq!(res.status(), StatusCode::OK); // the head was fine
    /// let mut body = res.into_body();
    /// assert_eq!(body.frame().await.unwrap().unwrap().into_data().unwrap(), "first half");
    /// let err: BodyAborted = body.frame().await.unwrap().unwrap_err();
    /// assert!(!err.is_panic());
    /// assert!(body.frame().await.is_none());
    /// # }
    /// ```
    pub struct CatchBody<B> {
        #[pin]
        kind: Kind<B>,
    }
}

pin_project! {
    #[project = KindProj]
    enum Kind<B> {
        Inner {
            #[pin]
            body: B,
            watch: Watch,
        },
        Page {
            bytes: Option<Bytes>,
        },
    }
}

/// What an inner body needs to log its failure.
struct Watch {
    method: Method,
    path: Option<PathAndQuery>,
    debug: bool,
    bytes_sent: u64,
    failed: bool,
}

impl<B> CatchBody<B> {
    #[inline]
    pub(crate) fn new(body: B, info: RequestInfo, debug: bool) -> Self {
        Self {
            kind: Kind::Inner {
                body,
                watch: Watch {
                    method: info.method,
                    path: info.path,
                    debug,
                    bytes_sent: 0,
                    failed: false,
                },
            },
        }
    }

    pub(crate) fn page(bytes: Bytes) -> Self {
        Self {
            kind: Kind::Page {
                bytes: (!bytes.is_empty()).then_some(bytes),
            },
        }
    }
}

impl<B> fmt::Debug for CatchBody<B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match &self.kind {
            Kind::Inner { .. } => "inner",
            Kind::Page { .. } => "page",
        };
        f.debug_struct("CatchBody").field("kind", &kind).finish()
    }
}

impl<B> Body for CatchBody<B>
where
    B: Body<Data = Bytes>,
    B::Error: Into<BoxError>,
{
    type Data = Bytes;
    type Error = BodyAborted;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BodyAborted>>> {
        match self.project().kind.project() {
            KindProj::Page { bytes } => {
                Poll::Ready(bytes.take().map(|bytes| Ok(Frame::data(bytes))))
            }
            KindProj::Inner { body, watch } => {
                if watch.failed {
                    return Poll::Ready(None);
                }
                let cause = match catch_unwind(AssertUnwindSafe(|| body.poll_frame(cx))) {
                    Ok(Poll::Ready(Some(Ok(frame)))) => {
                        if let Some(data) = frame.data_ref() {
                            watch.bytes_sent += data.len() as u64;
                        }
                        return Poll::Ready(Some(Ok(frame)));
                    }
                    Ok(Poll::Ready(None)) => return Poll::Ready(None),
                    Ok(Poll::Pending) => return Poll::Pending,
                    Ok(Poll::Ready(Some(Err(err)))) => Cause::Error(err.into()),
                    Err(payload) => Cause::panic(payload),
                };
                watch.failed = true;
                let id = ErrorId::random();
                log_event(
                    id,
                    Phase::Body,
                    &watch.method,
                    log_path(watch.path.as_ref()),
                    &cause,
                    watch.debug,
                    Some(watch.bytes_sent),
                );
                let panic = cause.is_panic();
                let source = match cause {
                    Cause::Error(err) => Some(err),
                    Cause::Panic { .. } => None,
                };
                Poll::Ready(Some(Err(BodyAborted { id, panic, source })))
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        match &self.kind {
            Kind::Inner { body, watch } => watch.failed || body.is_end_stream(),
            Kind::Page { bytes } => bytes.is_none(),
        }
    }

    fn size_hint(&self) -> SizeHint {
        match &self.kind {
            Kind::Inner { body, watch } if !watch.failed => body.size_hint(),
            Kind::Inner { .. } => SizeHint::with_exact(0),
            Kind::Page { bytes } => {
                SizeHint::with_exact(bytes.as_ref().map_or(0, |b| b.len() as u64))
            }
        }
    }
}

/// The error a [`CatchBody`] ends with when the inner body failed after the
/// response head was sent. The failure was already logged under [`id`]; an
/// inner error is kept as the [`source`](std::error::Error::source).
///
/// [`id`]: BodyAborted::id
#[derive(Debug, thiserror::Error)]
#[error("response body aborted after a failure (error id {id})")]
pub struct BodyAborted {
    id: ErrorId,
    panic: bool,
    #[source]
    source: Option<BoxError>,
}

impl BodyAborted {
    /// The id of the failure, as in its log event.
    pub fn id(&self) -> ErrorId {
        self.id
    }

    /// Whether the body panicked (rather than returning an error).
    pub fn is_panic(&self) -> bool {
        self.panic
    }
}
