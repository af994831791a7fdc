//! The bodies of this crate: the response body (the app's, or a refusal)
//! and the request body the app gets behind the token check.

use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};
use pin_project_lite::pin_project;

/// The body of a response from this crate's services: the wrapped app's
/// body, or the short text of a refusal (a 403, a 413 …). It is
/// [`pastry_core::LayerBody`], the body every Pastry layer that answers on
/// its own uses.
pub type OriginBody<B> = pastry_core::LayerBody<B>;

pin_project! {
    #[project = KindProj]
    enum Kind<B> {
        Inner { #[pin] body: B },
        Full { data: Option<Bytes> },
    }
}

pin_project! {
    /// The request body an app behind
    /// [`CsrfTokenLayer`](crate::CsrfTokenLayer) gets: the client's body as
    /// it came, or, when the layer read a form to find the token, the same
    /// bytes, whole and unchanged.
    pub struct CheckedBody<B> {
        #[pin]
        kind: Kind<B>,
    }
}

impl<B> CheckedBody<B> {
    /// The client's body, untouched.
    pub fn streaming(body: B) -> Self {
        Self {
            kind: Kind::Inner { body },
        }
    }

    /// A body already read: `data`, in one frame.
    pub fn read(data: Bytes) -> Self {
        Self {
            kind: Kind::Full {
                data: (!data.is_empty()).then_some(data),
            },
        }
    }
}

impl<B> std::fmt::Debug for CheckedBody<B> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.kind {
            Kind::Inner { .. } => f.write_str("CheckedBody::Streaming"),
            Kind::Full { data } => f
                .debug_struct("CheckedBody::Read")
                .field("len", &data.as_ref().map_or(0, Bytes::len))
                .finish(),
        }
    }
}

impl<B> Body for CheckedBody<B>
where
    B: Body<Data = Bytes>,
{
    type Data = Bytes;
    type Error = B::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, B::Error>>> {
        match self.project().kind.project() {
            KindProj::Inner { body } => body.poll_frame(cx),
            KindProj::Full { data } => Poll::Ready(data.take().map(|d| Ok(Frame::data(d)))),
        }
    }

    fn is_end_stream(&self) -> bool {
        match &self.kind {
            Kind::Inner { body } => body.is_end_stream(),
            Kind::Full { data } => data.is_none(),
        }
    }

    fn size_hint(&self) -> SizeHint {
        match &self.kind {
            Kind::Inner { body } => body.size_hint(),
            Kind::Full { data } => {
                SizeHint::with_exact(data.as_ref().map_or(0, |d| d.len() as u64))
            }
        }
    }
}
