use std::any::Any;
use std::fmt;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};
use http_body_util::BodyExt;
use http_body_util::Empty;
use http_body_util::combinators::UnsyncBoxBody;
use pastry_core::BoxError;

/// The response body of a [`UrlMap`](crate::UrlMap): whichever body the
/// chosen app produced, type-erased, or the map's own short answer (404,
/// 400, 308).
///
/// Mounted apps have different body types, so the map boxes each app's
/// body once per response, except for bodies it can hold without boxing:
/// a `UrlMapBody` (from a nested map), an `UnsyncBoxBody<Bytes, BoxError>`,
/// `String` and `Empty<Bytes>`.
///
/// ```
/// use http_body::Body;
/// use pastry_urlmap::UrlMapBody;
///
/// let body = UrlMapBody::new(String::from("hello"));
/// assert_eq!(body.size_hint().exact(), Some(5));
/// assert!(UrlMapBody::empty().is_end_stream());
/// ```
pub struct UrlMapBody {
    kind: Kind,
}

enum Kind {
    Full(Option<Bytes>),
    Boxed(UnsyncBoxBody<Bytes, BoxError>),
}

impl UrlMapBody {
    /// Erases any body whose data is `Bytes`.
    pub fn new<R>(body: R) -> Self
    where
        R: Body<Data = Bytes> + Send + 'static,
        R::Error: Into<BoxError>,
    {
        let mut slot = Some(body);
        let any = &mut slot as &mut dyn Any;
        if let Some(Some(body)) = any.downcast_mut::<Option<UrlMapBody>>().map(Option::take) {
            return body;
        }
        if let Some(Some(body)) = any
            .downcast_mut::<Option<UnsyncBoxBody<Bytes, BoxError>>>()
            .map(Option::take)
        {
            return Self {
                kind: Kind::Boxed(body),
            };
        }
        if let Some(Some(text)) = any.downcast_mut::<Option<String>>().map(Option::take) {
            return Self::full(text);
        }
        if any.is::<Option<Empty<Bytes>>>() {
            return Self::empty();
        }
        match slot {
            Some(body) => Self {
                kind: Kind::Boxed(body.map_err(Into::into).boxed_unsync()),
            },
            None => Self::empty(),
        }
    }

    /// A body of known bytes, sent as one frame.
    pub fn full(bytes: impl Into<Bytes>) -> Self {
        let bytes = bytes.into();
        Self {
            kind: Kind::Full((!bytes.is_empty()).then_some(bytes)),
        }
    }

    /// An empty body.
    pub fn empty() -> Self {
        Self {
            kind: Kind::Full(None),
        }
    }
}

impl From<Bytes> for UrlMapBody {
    fn from(bytes: Bytes) -> Self {
        Self::full(bytes)
    }
}

impl Default for UrlMapBody {
    fn default() -> Self {
        Self::empty()
    }
}

impl fmt::Debug for UrlMapBody {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            Kind::Full(bytes) => f.debug_tuple("UrlMapBody::Full").field(bytes).finish(),
            Kind::Boxed(_) => f.write_str("UrlMapBody::Boxed"),
        }
    }
}

impl Body for UrlMapBody {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        match &mut self.get_mut().kind {
            Kind::Full(bytes) => Poll::Ready(bytes.take().map(|b| Ok(Frame::data(b)))),
            Kind::Boxed(body) => Pin::new(body).poll_frame(cx),
        }
    }

    fn is_end_stream(&self) -> bool {
        match &self.kind {
            Kind::Full(bytes) => bytes.is_none(),
            Kind::Boxed(body) => body.is_end_stream(),
        }
    }

    fn size_hint(&self) -> SizeHint {
        match &self.kind {
            Kind::Full(bytes) => SizeHint::with_exact(bytes.as_ref().map_or(0, |b| b.len() as u64)),
            Kind::Boxed(body) => body.size_hint(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::Full;

    #[tokio::test]
    async fn full_body_yields_its_bytes_once() {
        let body = UrlMapBody::full("abc");
        assert_eq!(body.size_hint().exact(), Some(3));
        let bytes = body.collect().await.unwrap().to_bytes();
        assert_eq!(bytes, "abc");
    }

    #[tokio::test]
    async fn nested_body_is_not_boxed_twice() {
        let inner = UrlMapBody::full("x");
        let outer = UrlMapBody::new(inner);
        assert!(matches!(outer.kind, Kind::Full(Some(_))));
        let boxed = UrlMapBody::new(Full::new(Bytes::from_static(b"yz")));
        assert!(matches!(boxed.kind, Kind::Boxed(_)));
        assert_eq!(boxed.collect().await.unwrap().to_bytes(), "yz");
    }

    #[tokio::test]
    async fn plain_bodies_are_held_without_boxing() {
        let text = UrlMapBody::new(String::from("abc"));
        assert!(matches!(text.kind, Kind::Full(Some(_))));
        assert_eq!(text.size_hint().exact(), Some(3));
        assert_eq!(text.collect().await.unwrap().to_bytes(), "abc");
        assert!(UrlMapBody::new(Empty::<Bytes>::new()).is_end_stream());
        assert!(UrlMapBody::new(String::new()).is_end_stream());
        let unsync = Full::new(Bytes::from_static(b"u"))
            .map_err(BoxError::from)
            .boxed_unsync();
        assert!(matches!(UrlMapBody::new(unsync).kind, Kind::Boxed(_)));
    }
}
