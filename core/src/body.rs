//! [`LayerBody`]: the wrapped app's body, or a short answer of the layer's
//! own.

use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};
use pin_project_lite::pin_project;

pin_project! {
    /// The body of a response from a middleware that either passes the
    /// wrapped app's answer on or answers itself with a few bytes (a 403
    /// refusal, a preflight, a redirect to the login page).
    ///
    /// The app's body streams through untouched, size hint and end of
    /// stream included; the layer's own bytes go out as one data frame
    /// with an exact size hint. The crates name it after themselves
    /// (`pastry_cors::CorsBody`, `pastry_origin::OriginBody`,
    /// `pastry_auth::AuthBody` are this type).
    ///
    /// ```
    /// use bytes::Bytes;
    /// use http_body::Body;
    /// use http_body_util::{BodyExt, Full};
    /// use pastry_core::LayerBody;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let refused: LayerBody<Full<Bytes>> = LayerBody::own(Bytes::from("403 Forbidden\n"));
    /// assert_eq!(refused.size_hint().exact(), Some(14));
    /// assert_eq!(refused.collect().await.unwrap().to_bytes(), "403 Forbidden\n");
    ///
    /// let passed = LayerBody::inner(Full::new(Bytes::from("hello")));
    /// assert_eq!(passed.collect().await.unwrap().to_bytes(), "hello");
    /// # }
    /// ```
    pub struct LayerBody<B> {
        #[pin]
        kind: Kind<B>,
    }
}

pin_project! {
    #[project = KindProj]
    enum Kind<B> {
        Inner { #[pin] body: B },
        Own { data: Option<Bytes> },
    }
}

impl<B> LayerBody<B> {
    /// The wrapped app's body, passed on as it streams.
    pub fn inner(body: B) -> Self {
        Self {
            kind: Kind::Inner { body },
        }
    }

    /// The layer's own answer: `data` in one frame (no frame when empty).
    pub fn own(data: Bytes) -> Self {
        Self {
            kind: Kind::Own {
                data: (!data.is_empty()).then_some(data),
            },
        }
    }
}

impl<B> std::fmt::Debug for LayerBody<B> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.kind {
            Kind::Inner { .. } => f.write_str("LayerBody::Inner"),
            Kind::Own { data } => f
                .debug_struct("LayerBody::Own")
                .field("len", &data.as_ref().map_or(0, Bytes::len))
                .finish(),
        }
    }
}

impl<B> Body for LayerBody<B>
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
            KindProj::Own { data } => Poll::Ready(data.take().map(|d| Ok(Frame::data(d)))),
        }
    }

    fn is_end_stream(&self) -> bool {
        match &self.kind {
            Kind::Inner { body } => body.is_end_stream(),
            Kind::Own { data } => data.is_none(),
        }
    }

    fn size_hint(&self) -> SizeHint {
        match &self.kind {
            Kind::Inner { body } => body.size_hint(),
            Kind::Own { data } => SizeHint::with_exact(data.as_ref().map_or(0, |d| d.len() as u64)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::{BodyExt, Empty, StreamBody};

    #[test]
    fn debug_shows_the_length_of_own_bytes_never_the_bytes() {
        let body: LayerBody<Empty<Bytes>> = LayerBody::own(Bytes::from("csrf=secret"));
        let shown = format!("{body:?}");
        assert!(shown.contains("len: 11"), "{shown}");
        assert!(!shown.contains("secret"), "{shown}");
    }

    #[tokio::test]
    async fn an_empty_own_answer_ends_at_once_with_no_frame() {
        let mut body: LayerBody<Empty<Bytes>> = LayerBody::own(Bytes::new());
        assert!(body.is_end_stream());
        assert_eq!(body.size_hint().exact(), Some(0));
        assert!(body.frame().await.is_none());
    }

    #[tokio::test]
    async fn the_inner_body_keeps_its_frames_and_its_unknown_size() {
        let frames = futures_frames(["a", "b"]);
        let body = LayerBody::inner(StreamBody::new(frames));
        assert_eq!(body.size_hint().exact(), None);
        assert!(!body.is_end_stream());
        let mut body = body;
        let mut seen = Vec::new();
        while let Some(frame) = body.frame().await {
            seen.push(frame.unwrap().into_data().unwrap());
        }
        assert_eq!(seen, ["a", "b"]);
    }

    fn futures_frames(
        parts: [&'static str; 2],
    ) -> impl futures_util::Stream<Item = Result<Frame<Bytes>, std::convert::Infallible>> {
        futures_util::stream::iter(parts.map(|p| Ok(Frame::data(Bytes::from_static(p.as_bytes())))))
    }
}
