use std::any::Any;
use std::fmt;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};
use http_body_util::BodyExt;
use http_body_util::combinators::UnsyncBoxBody;
use pastry_core::BoxError;

/// The response body of a [`UrlMap`](crate::UrlMap): whichever body the
/// chosen app produced, type-erased, or the map's own short answer (404,
/// 400, 308).
///
/// Mounted apps have different body types, so the map boxes each app's
/// body once per response; a body that is already a `UrlMapBody` (from a
/// nested map) is passed through without boxing it again.
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
        if let Some(already) = (&mut slot as &mut dyn Any).downcast_mut::<Option<UrlMapBody>>()
            && let Some(body) = already.take()
        {
            return body;
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
}
