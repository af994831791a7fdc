//! [`ConditionalBody`]: the body of the responses of
//! [`Conditional`](crate::Conditional).

use std::collections::VecDeque;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http::HeaderMap;
use http_body::{Body, Frame, SizeHint};
use pin_project_lite::pin_project;

pin_project! {
    /// The body of a response from [`Conditional`](crate::Conditional): the
    /// app's body passed through frame by frame, the frames the layer
    /// hashed (sent as they came), or nothing (a `304`, or a `HEAD`
    /// answer).
    pub struct ConditionalBody<B: Body> {
        #[pin]
        kind: Kind<B>,
    }
}

pin_project! {
    #[project = KindProj]
    enum Kind<B: Body> {
        /// The app's body, untouched.
        Inner { #[pin] body: B },
        /// Frames read to hash them, then the trailers or the error that
        /// ended the body.
        Buffered {
            frames: VecDeque<Bytes>,
            trailers: Option<HeaderMap>,
            error: Option<B::Error>,
        },
        /// Frames read before the body turned out larger than the limit,
        /// then the rest of the body.
        Resumed {
            frames: VecDeque<Bytes>,
            body: Pin<Box<B>>,
        },
        /// No content.
        Empty,
    }
}

impl<B: Body> ConditionalBody<B> {
    pub(crate) fn inner(body: B) -> Self {
        Self {
            kind: Kind::Inner { body },
        }
    }

    pub(crate) fn buffered(
        frames: VecDeque<Bytes>,
        trailers: Option<HeaderMap>,
        error: Option<B::Error>,
    ) -> Self {
        Self {
            kind: Kind::Buffered {
                frames,
                trailers,
                error,
            },
        }
    }

    pub(crate) fn resumed(frames: VecDeque<Bytes>, body: Pin<Box<B>>) -> Self {
        Self {
            kind: Kind::Resumed { frames, body },
        }
    }

    pub(crate) fn empty() -> Self {
        Self { kind: Kind::Empty }
    }
}

impl<B: Body> Default for ConditionalBody<B> {
    fn default() -> Self {
        Self::empty()
    }
}

impl<B: Body> std::fmt::Debug for ConditionalBody<B> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let name = match &self.kind {
            Kind::Inner { .. } => "ConditionalBody::Inner",
            Kind::Buffered { .. } => "ConditionalBody::Buffered",
            Kind::Resumed { .. } => "ConditionalBody::Resumed",
            Kind::Empty => "ConditionalBody::Empty",
        };
        f.write_str(name)
    }
}

fn frames_len(frames: &VecDeque<Bytes>) -> u64 {
    frames.iter().map(|frame| frame.len() as u64).sum()
}

impl<B> Body for ConditionalBody<B>
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
            KindProj::Buffered {
                frames,
                trailers,
                error,
            } => Poll::Ready(match frames.pop_front() {
                Some(data) => Some(Ok(Frame::data(data))),
                None => match error.take() {
                    Some(error) => Some(Err(error)),
                    None => trailers.take().map(|map| Ok(Frame::trailers(map))),
                },
            }),
            KindProj::Resumed { frames, body } => match frames.pop_front() {
                Some(data) => Poll::Ready(Some(Ok(Frame::data(data)))),
                None => body.as_mut().poll_frame(cx),
            },
            KindProj::Empty => Poll::Ready(None),
        }
    }

    fn is_end_stream(&self) -> bool {
        match &self.kind {
            Kind::Inner { body } => body.is_end_stream(),
            Kind::Buffered {
                frames,
                trailers,
                error,
            } => frames.is_empty() && trailers.is_none() && error.is_none(),
            Kind::Resumed { frames, body } => frames.is_empty() && body.is_end_stream(),
            Kind::Empty => true,
        }
    }

    fn size_hint(&self) -> SizeHint {
        match &self.kind {
            Kind::Inner { body } => body.size_hint(),
            Kind::Buffered {
                frames, trailers, ..
            } => {
                let len = frames_len(frames);
                if trailers.is_none() {
                    SizeHint::with_exact(len)
                } else {
                    // Trailers need chunked framing: no exact size promised.
                    let mut hint = SizeHint::new();
                    hint.set_lower(len);
                    hint
                }
            }
            Kind::Resumed { frames, body } => {
                let read = frames_len(frames);
                let rest = body.size_hint();
                let mut hint = SizeHint::new();
                hint.set_lower(rest.lower().saturating_add(read));
                if let Some(upper) = rest.upper().and_then(|upper| upper.checked_add(read)) {
                    hint.set_upper(upper);
                }
                hint
            }
            Kind::Empty => SizeHint::with_exact(0),
        }
    }
}
