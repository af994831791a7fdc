//! [`MetricsBody`]: counts the bytes sent and closes the recording when
//! the body ends, fails or is dropped.

use std::fmt;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};
use pin_project_lite::pin_project;

use crate::record::Recording;

pin_project! {
    /// The body of [`Metrics`](crate::Metrics)' responses: the app's body,
    /// frame by frame, unchanged. The request's duration and byte count
    /// are recorded when it ends (or fails, or is dropped unfinished), so
    /// they cover the whole body.
    pub struct MetricsBody<B> {
        #[pin]
        inner: B,
        recording: Option<Box<Recording>>,
    }
}

impl<B> MetricsBody<B> {
    pub(crate) fn new(inner: B, recording: Recording) -> Self {
        Self {
            inner,
            recording: Some(Box::new(recording)),
        }
    }

    pub(crate) fn unrecorded(inner: B) -> Self {
        Self {
            inner,
            recording: None,
        }
    }
}

impl<B: fmt::Debug> fmt::Debug for MetricsBody<B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MetricsBody")
            .field("inner", &self.inner)
            .finish_non_exhaustive()
    }
}

impl<B> Body for MetricsBody<B>
where
    B: Body<Data = Bytes>,
{
    type Data = Bytes;
    type Error = B::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, B::Error>>> {
        let mut this = self.project();
        let polled = this.inner.as_mut().poll_frame(cx);
        match &polled {
            Poll::Pending => {}
            Poll::Ready(Some(Ok(frame))) => {
                if let (Some(data), Some(recording)) = (frame.data_ref(), this.recording.as_mut()) {
                    recording.bytes += data.len() as u64;
                }
                if this.inner.is_end_stream() {
                    this.recording.take();
                }
            }
            Poll::Ready(None) | Poll::Ready(Some(Err(_))) => {
                this.recording.take();
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
