//! The response body: passed through, compressed in one call, or streamed.

use std::pin::Pin;
use std::task::{Context, Poll, ready};

use bytes::Bytes;
use http::HeaderMap;
use http_body::{Body, Frame, SizeHint};
use pastry_core::BoxError;
use pin_project_lite::pin_project;

use crate::codec::StreamEncoder;

pin_project! {
    /// The body of a response that went through [`Gzip`](crate::Gzip): the
    /// inner body untouched, a body compressed in one call, an empty body
    /// (HEAD), or the inner body compressed frame by frame.
    ///
    /// Errors from the inner body are passed on, boxed; so are (never seen in
    /// practice) compressor errors.
    ///
    /// ```
    /// use bytes::Bytes;
    /// use http::{Request, Response, header::ACCEPT_ENCODING};
    /// use http_body_util::{BodyExt, Full};
    /// use pastry_gzip::{Gzip, GzipBody};
    /// use tower::{Service, ServiceExt, service_fn};
    ///
    /// # tokio_test_block_on(async {
    /// let app = service_fn(|_req: Request<()>| async {
    ///     Ok::<_, std::convert::Infallible>(Response::new(Full::new(Bytes::from("short"))))
    /// });
    /// let res = Gzip::new(app).oneshot(Request::new(())).await.unwrap();
    /// let body: GzipBody<Full<Bytes>> = res.into_body();
    /// assert_eq!(body.collect().await.unwrap().to_bytes(), "short");
    /// # });
    /// # fn tokio_test_block_on<F: std::future::Future>(f: F) -> F::Output {
    /// #     tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(f)
    /// # }
    /// ```
    pub struct GzipBody<B> {
        #[pin]
        kind: Kind<B>,
    }
}

pin_project! {
    #[project = KindProj]
    enum Kind<B> {
        Identity {
            #[pin]
            inner: B,
        },
        Full {
            data: Option<Bytes>,
            trailers: Option<HeaderMap>,
        },
        Empty,
        Stream {
            #[pin]
            inner: B,
            // `None` once the gzip trailer is written (the compressor is
            // back in its pool).
            encoder: Option<StreamEncoder>,
            flush: bool,
            trailers: Option<HeaderMap>,
        },
        // A body that sent more than its exact size hint promised: what
        // was buffered is compressed (`pending`), the rest streams.
        Spilled {
            inner: Pin<Box<B>>,
            encoder: Option<StreamEncoder>,
            pending: Option<Bytes>,
            trailers: Option<HeaderMap>,
        },
        Failed {
            error: Option<BoxError>,
        },
    }
}

impl<B> GzipBody<B> {
    pub(crate) fn identity(inner: B) -> Self {
        GzipBody {
            kind: Kind::Identity { inner },
        }
    }

    pub(crate) fn full(data: Bytes, trailers: Option<HeaderMap>) -> Self {
        GzipBody {
            kind: Kind::Full {
                data: Some(data),
                trailers,
            },
        }
    }

    pub(crate) fn empty() -> Self {
        GzipBody { kind: Kind::Empty }
    }

    pub(crate) fn stream(inner: B, encoder: StreamEncoder, flush: bool) -> Self {
        GzipBody {
            kind: Kind::Stream {
                inner,
                encoder: Some(encoder),
                flush,
                trailers: None,
            },
        }
    }

    pub(crate) fn spilled(inner: Pin<Box<B>>, encoder: StreamEncoder, pending: Bytes) -> Self {
        GzipBody {
            kind: Kind::Spilled {
                inner,
                encoder: Some(encoder),
                pending: (!pending.is_empty()).then_some(pending),
                trailers: None,
            },
        }
    }

    pub(crate) fn failed(error: BoxError) -> Self {
        GzipBody {
            kind: Kind::Failed { error: Some(error) },
        }
    }
}

impl<B> Body for GzipBody<B>
where
    B: Body<Data = Bytes>,
    B::Error: Into<BoxError>,
{
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        match self.project().kind.project() {
            KindProj::Identity { inner } => inner
                .poll_frame(cx)
                .map(|frame| frame.map(|result| result.map_err(Into::into))),
            KindProj::Full { data, trailers } => Poll::Ready(match data.take() {
                Some(data) => Some(Ok(Frame::data(data))),
                None => trailers
                    .take()
                    .map(|trailers| Ok(Frame::trailers(trailers))),
            }),
            KindProj::Empty => Poll::Ready(None),
            KindProj::Failed { error } => Poll::Ready(error.take().map(Err)),
            KindProj::Stream {
                inner,
                encoder,
                flush,
                trailers,
            } => poll_stream(inner, encoder, *flush, trailers, cx),
            KindProj::Spilled {
                inner,
                encoder,
                pending,
                trailers,
            } => {
                if let Some(data) = pending.take() {
                    return Poll::Ready(Some(Ok(Frame::data(data))));
                }
                poll_stream(inner.as_mut(), encoder, false, trailers, cx)
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        match &self.kind {
            Kind::Identity { inner } => inner.is_end_stream(),
            Kind::Full { data, trailers } => data.is_none() && trailers.is_none(),
            Kind::Empty => true,
            Kind::Stream {
                encoder, trailers, ..
            } => encoder.is_none() && trailers.is_none(),
            Kind::Spilled {
                encoder,
                pending,
                trailers,
                ..
            } => encoder.is_none() && pending.is_none() && trailers.is_none(),
            Kind::Failed { error } => error.is_none(),
        }
    }

    fn size_hint(&self) -> SizeHint {
        match &self.kind {
            Kind::Identity { inner } => inner.size_hint(),
            Kind::Full {
                data,
                trailers: None,
            } => SizeHint::with_exact(data.as_ref().map_or(0, |data| data.len() as u64)),
            Kind::Empty => SizeHint::with_exact(0),
            // Trailers need chunked framing, so no exact size is promised.
            Kind::Full { .. }
            | Kind::Stream { .. }
            | Kind::Spilled { .. }
            | Kind::Failed { .. } => SizeHint::default(),
        }
    }
}

/// One step of a compressed stream: the next compressed frame of `inner`,
/// its trailers, or the end.
fn poll_stream<B>(
    mut inner: Pin<&mut B>,
    encoder: &mut Option<StreamEncoder>,
    flush: bool,
    trailers: &mut Option<HeaderMap>,
    cx: &mut Context<'_>,
) -> Poll<Option<Result<Frame<Bytes>, BoxError>>>
where
    B: Body<Data = Bytes>,
    B::Error: Into<BoxError>,
{
    loop {
        let Some(enc) = encoder.as_mut() else {
            return Poll::Ready(
                trailers
                    .take()
                    .map(|trailers| Ok(Frame::trailers(trailers))),
            );
        };
        let finished = match ready!(inner.as_mut().poll_frame(cx)) {
            Some(Ok(frame)) => match frame.into_data() {
                Ok(data) if data.is_empty() => continue,
                Ok(data) => {
                    let encoded = enc.encode(&data, flush);
                    #[cfg(feature = "metrics")]
                    crate::telemetry::compressed(enc.coding, data.len(), &encoded);
                    match encoded {
                        Ok(out) if out.is_empty() => continue,
                        Ok(out) => return Poll::Ready(Some(Ok(Frame::data(out)))),
                        Err(error) => {
                            *encoder = None;
                            return Poll::Ready(Some(Err(error.into())));
                        }
                    }
                }
                Err(frame) => match frame.into_trailers() {
                    Ok(map) => {
                        *trailers = Some(map);
                        enc.finish()
                    }
                    // A frame kind this crate does not know: dropped.
                    Err(_) => continue,
                },
            },
            Some(Err(error)) => {
                let error = error.into();
                tracing::debug!(target: "pastry_gzip", %error, "inner body failed mid-stream");
                *encoder = None;
                return Poll::Ready(Some(Err(error)));
            }
            None => enc.finish(),
        };
        #[cfg(feature = "metrics")]
        crate::telemetry::compressed(enc.coding, 0, &finished);
        *encoder = None;
        return Poll::Ready(Some(finished.map(Frame::data).map_err(Into::into)));
    }
}

impl<B> std::fmt::Debug for GzipBody<B> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = match &self.kind {
            Kind::Identity { .. } => "identity",
            Kind::Full { .. } => "full",
            Kind::Empty => "empty",
            Kind::Stream { .. } => "stream",
            Kind::Spilled { .. } => "spilled",
            Kind::Failed { .. } => "failed",
        };
        f.debug_struct("GzipBody").field("kind", &kind).finish()
    }
}
