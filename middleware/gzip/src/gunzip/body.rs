//! The response body: the app's, or the middleware's own refusal.

use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};
use pin_project_lite::pin_project;

pin_project! {
    /// The body of a response that went through
    /// [`GunzipRequests`](crate::GunzipRequests): the app's body untouched,
    /// or the short text of a 400 or 413 when the request body could not be
    /// decoded.
    pub struct GunzipResponseBody<B> {
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
        },
        Refusal {
            data: Option<Bytes>,
        },
    }
}

impl<B> GunzipResponseBody<B> {
    pub(crate) fn inner(body: B) -> Self {
        GunzipResponseBody {
            kind: Kind::Inner { body },
        }
    }
}

impl<B> From<Bytes> for GunzipResponseBody<B> {
    /// The middleware's own refusal text.
    fn from(data: Bytes) -> Self {
        GunzipResponseBody {
            kind: Kind::Refusal { data: Some(data) },
        }
    }
}

impl<B> std::fmt::Debug for GunzipResponseBody<B> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = match &self.kind {
            Kind::Inner { .. } => "inner",
            Kind::Refusal { .. } => "refusal",
        };
        f.debug_struct("GunzipResponseBody")
            .field("kind", &kind)
            .finish()
    }
}

impl<B: Body<Data = Bytes>> Body for GunzipResponseBody<B> {
    type Data = Bytes;
    type Error = B::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        match self.project().kind.project() {
            KindProj::Inner { body } => body.poll_frame(cx),
            KindProj::Refusal { data } => Poll::Ready(
                data.take()
                    .filter(|d| !d.is_empty())
                    .map(|d| Ok(Frame::data(d))),
            ),
        }
    }

    fn is_end_stream(&self) -> bool {
        match &self.kind {
            Kind::Inner { body } => body.is_end_stream(),
            Kind::Refusal { data } => data.as_ref().is_none_or(Bytes::is_empty),
        }
    }

    fn size_hint(&self) -> SizeHint {
        match &self.kind {
            Kind::Inner { body } => body.size_hint(),
            Kind::Refusal { data } => {
                SizeHint::with_exact(data.as_ref().map_or(0, |d| d.len() as u64))
            }
        }
    }
}
