//! The request body the kit sends.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http::HeaderMap;
use http_body::{Frame, SizeHint};

/// The request body [`TestClient`](crate::TestClient) sends: whole bytes, or
/// a sequence of chunks delivered one frame at a time (to exercise
/// streaming), optionally followed by trailers.
///
/// ```
/// use bytes::Bytes;
/// use http_body_util::BodyExt;
/// use pastry_testkit::Body;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let body = Body::chunks([Bytes::from("a"), Bytes::from("b")]);
/// assert_eq!(body.collect().await.unwrap().to_bytes(), "ab");
/// # }
/// ```
#[derive(Debug)]
pub struct Body {
    chunks: VecDeque<Bytes>,
    trailers: Option<HeaderMap>,
    exact: bool,
}

impl Body {
    /// A body with no bytes.
    pub fn empty() -> Self {
        Self {
            chunks: VecDeque::new(),
            trailers: None,
            exact: true,
        }
    }

    /// A body of `bytes`, sent as one frame; its size hint is exact.
    pub fn full(bytes: impl Into<Bytes>) -> Self {
        let bytes = bytes.into();
        let mut chunks = VecDeque::new();
        if !bytes.is_empty() {
            chunks.push_back(bytes);
        }
        Self {
            chunks,
            trailers: None,
            exact: true,
        }
    }

    /// A body sent as the given chunks, one data frame each (empty chunks
    /// are skipped). Its size hint is left open, as for a streamed upload.
    pub fn chunks<I, B>(chunks: I) -> Self
    where
        I: IntoIterator<Item = B>,
        B: Into<Bytes>,
    {
        Self {
            chunks: chunks
                .into_iter()
                .map(Into::into)
                .filter(|c: &Bytes| !c.is_empty())
                .collect(),
            trailers: None,
            exact: false,
        }
    }

    /// This body followed by a trailers frame.
    pub fn with_trailers(mut self, trailers: HeaderMap) -> Self {
        self.trailers = Some(trailers);
        self
    }

    /// The number of data bytes still to be sent.
    pub fn len(&self) -> usize {
        self.chunks.iter().map(Bytes::len).sum()
    }

    /// Whether no data bytes remain.
    pub fn is_empty(&self) -> bool {
        self.chunks.is_empty()
    }

    /// Whether the size is announced exactly (whole bytes, not chunks).
    pub(crate) fn is_exact(&self) -> bool {
        self.exact
    }
}

impl http_body::Body for Body {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        if let Some(chunk) = self.chunks.pop_front() {
            return Poll::Ready(Some(Ok(Frame::data(chunk))));
        }
        Poll::Ready(self.trailers.take().map(|t| Ok(Frame::trailers(t))))
    }

    fn is_end_stream(&self) -> bool {
        self.chunks.is_empty() && self.trailers.is_none()
    }

    fn size_hint(&self) -> SizeHint {
        if self.exact {
            SizeHint::with_exact(self.len() as u64)
        } else {
            let mut hint = SizeHint::new();
            hint.set_lower(self.len() as u64);
            hint
        }
    }
}

impl Default for Body {
    fn default() -> Self {
        Self::empty()
    }
}

impl From<Bytes> for Body {
    fn from(bytes: Bytes) -> Self {
        Self::full(bytes)
    }
}

impl From<String> for Body {
    fn from(text: String) -> Self {
        Self::full(text)
    }
}

impl From<&'static str> for Body {
    fn from(text: &'static str) -> Self {
        Self::full(text)
    }
}

impl From<Vec<u8>> for Body {
    fn from(bytes: Vec<u8>) -> Self {
        Self::full(bytes)
    }
}

impl From<&'static [u8]> for Body {
    fn from(bytes: &'static [u8]) -> Self {
        Self::full(bytes)
    }
}

impl From<()> for Body {
    fn from((): ()) -> Self {
        Self::empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body::Body as _;
    use http_body_util::BodyExt;

    #[tokio::test]
    async fn chunks_arrive_as_separate_frames() {
        let mut body = Body::chunks(["a", "", "bc"]);
        assert_eq!(body.size_hint().exact(), None);
        let first = body.frame().await.unwrap().unwrap().into_data().unwrap();
        assert_eq!(first, "a");
        let second = body.frame().await.unwrap().unwrap().into_data().unwrap();
        assert_eq!(second, "bc");
        assert!(body.is_end_stream());
        assert!(body.frame().await.is_none());
    }

    #[tokio::test]
    async fn full_body_has_exact_size_and_trailers_come_last() {
        let mut trailers = HeaderMap::new();
        trailers.insert("x-sum", "1".parse().unwrap());
        let body = Body::full("hello").with_trailers(trailers);
        assert_eq!(body.size_hint().exact(), Some(5));
        let collected = body.collect().await.unwrap();
        assert_eq!(collected.trailers().unwrap()["x-sum"], "1");
        assert_eq!(collected.to_bytes(), "hello");
    }
}
