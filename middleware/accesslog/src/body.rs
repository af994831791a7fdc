//! The response body: counts the bytes sent and writes the entry when the
//! body ends, fails or is dropped.

use std::fmt;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};
use pin_project_lite::pin_project;

use crate::record::Entry;

pin_project! {
    /// The body of [`AccessLog`](crate::AccessLog)'s responses: the app's
    /// body, frame by frame, unchanged. The entry is written when the body
    /// ends (or fails, or is dropped unfinished), so its duration and byte
    /// count cover the whole body.
    pub struct AccessLogBody<B> {
        #[pin]
        inner: B,
        entry: Option<Box<Entry>>,
        empty: bool,
    }

    impl<B> PinnedDrop for AccessLogBody<B> {
        fn drop(this: Pin<&mut Self>) {
            let this = this.project();
            if let Some(entry) = this.entry.take() {
                // An empty body a server drops without polling is complete.
                entry.emit(*this.empty);
            }
        }
    }
}

impl<B: Body> AccessLogBody<B> {
    pub(crate) fn new(inner: B, entry: Entry) -> Self {
        Self {
            empty: inner.is_end_stream(),
            inner,
            entry: Some(Box::new(entry)),
        }
    }

    pub(crate) fn unlogged(inner: B) -> Self {
        Self {
            inner,
            entry: None,
            empty: false,
        }
    }
}

impl<B: fmt::Debug> fmt::Debug for AccessLogBody<B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccessLogBody")
            .field("inner", &self.inner)
            .finish_non_exhaustive()
    }
}

impl<B> Body for AccessLogBody<B>
where
    B: Body<Data = Bytes>,
{
    type Data = Bytes;
    type Error = B::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        let mut this = self.project();
        let polled = this.inner.as_mut().poll_frame(cx);
        match &polled {
            Poll::Pending => {}
            Poll::Ready(Some(Ok(frame))) => {
                if let (Some(data), Some(entry)) = (frame.data_ref(), this.entry.as_mut()) {
                    entry.bytes += data.len() as u64;
                }
                if this.inner.is_end_stream()
                    && let Some(entry) = this.entry.take()
                {
                    entry.emit(true);
                }
            }
            Poll::Ready(None) => {
                if let Some(entry) = this.entry.take() {
                    entry.emit(true);
                }
            }
            Poll::Ready(Some(Err(_))) => {
                if let Some(entry) = this.entry.take() {
                    entry.emit(false);
                }
            }
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}
