//! The response future of [`Conditional`](crate::Conditional): decides per
//! response between passing it through, hashing it, and answering 304 or
//! 412.

use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use bytes::Bytes;
use http::header::{CONTENT_LENGTH, ETAG};
use http::{HeaderMap, HeaderValue, Response, response};
use http_body::Body;
use pin_project_lite::pin_project;

use crate::body::ConditionalBody;
use crate::conditions::{
    Conditions, Outcome, PRECONDITION_FAILED, not_modified, precondition_failed,
};
use crate::config::{Config, is_event_stream};
use crate::etag;

pin_project! {
    /// The future of [`Conditional`](crate::Conditional)'s responses.
    ///
    /// When the layer hashes a body, it reads it here, before the head is
    /// returned, so the head can carry the `ETag` (or be a `304`).
    pub struct ResponseFuture<F, B: Body> {
        #[pin]
        future: F,
        state: State<B>,
        conditions: Option<Conditions>,
        config: Config,
    }
}

/// Where the future is once the app answered.
enum State<B: Body> {
    /// Waiting for the app.
    Inner,
    /// Reading a body to hash it. Boxed so that, should it yield more than
    /// the limit, it can be handed on unread.
    Collect {
        body: Pin<Box<B>>,
        parts: response::Parts,
        frames: VecDeque<Bytes>,
        read: u64,
    },
    /// Answered.
    Done,
}

impl<F, B: Body> ResponseFuture<F, B> {
    pub(crate) fn new(future: F, conditions: Option<Conditions>, config: Config) -> Self {
        Self {
            future,
            state: State::Inner,
            conditions,
            config,
        }
    }
}

impl<F, B: Body> std::fmt::Debug for ResponseFuture<F, B> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResponseFuture")
            .field("conditions", &self.conditions)
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl<F, B, E> Future for ResponseFuture<F, B>
where
    F: Future<Output = Result<Response<B>, E>>,
    B: Body<Data = Bytes>,
{
    type Output = Result<Response<ConditionalBody<B>>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        loop {
            match this.state {
                State::Inner => {
                    let response = ready!(this.future.as_mut().poll(cx))?;
                    *this.state = State::Done;
                    let Some(conditions) = this.conditions.as_ref() else {
                        return Poll::Ready(Ok(response.map(ConditionalBody::inner)));
                    };
                    let (parts, body) = response.into_parts();
                    let exact = body.size_hint().exact();
                    if this
                        .config
                        .hash_len(&parts, exact, conditions.head)
                        .is_none()
                    {
                        return Poll::Ready(Ok(unhashed(parts, body, conditions)));
                    }
                    *this.state = State::Collect {
                        body: Box::pin(body),
                        parts,
                        frames: VecDeque::new(),
                        read: 0,
                    };
                }
                State::Collect {
                    body, frames, read, ..
                } => {
                    let end = ready!(poll_collect(
                        body.as_mut(),
                        frames,
                        read,
                        this.config.buffer_limit,
                        cx
                    ));
                    let State::Collect {
                        body,
                        parts,
                        frames,
                        read,
                    } = std::mem::replace(this.state, State::Done)
                    else {
                        unreachable!("in the Collect state")
                    };
                    let response = match end {
                        End::Complete(trailers) => {
                            let conditions = this.conditions.as_ref();
                            hashed(parts, frames, trailers, conditions)
                        }
                        End::Failed(error) => Response::from_parts(
                            parts,
                            ConditionalBody::buffered(frames, None, Some(error)),
                        ),
                        End::OverLimit => {
                            tracing::debug!(
                                target: "pastry_conditional",
                                limit = this.config.buffer_limit,
                                read,
                                "body longer than its size hint: passed through unhashed"
                            );
                            Response::from_parts(parts, ConditionalBody::resumed(frames, body))
                        }
                    };
                    return Poll::Ready(Ok(response));
                }
                // Polled after completion: an empty answer, never a panic.
                State::Done => return Poll::Ready(Ok(Response::default())),
            }
        }
    }
}

/// How reading a body to hash it ended.
enum End<E> {
    /// Every frame read; the trailers, if any.
    Complete(Option<HeaderMap>),
    /// The body failed.
    Failed(E),
    /// The body yielded more than the limit, whatever its size hint said.
    OverLimit,
}

/// Reads the body to its end, keeping its data frames in `frames`.
fn poll_collect<B>(
    mut body: Pin<&mut B>,
    frames: &mut VecDeque<Bytes>,
    read: &mut u64,
    limit: u64,
    cx: &mut Context<'_>,
) -> Poll<End<B::Error>>
where
    B: Body<Data = Bytes>,
{
    loop {
        match ready!(body.as_mut().poll_frame(cx)) {
            Some(Ok(frame)) => match frame.into_data() {
                Ok(data) => {
                    if data.is_empty() {
                        continue;
                    }
                    *read = read.saturating_add(data.len() as u64);
                    frames.push_back(data);
                    if *read > limit {
                        return Poll::Ready(End::OverLimit);
                    }
                }
                Err(frame) => {
                    // Trailers end the body.
                    return Poll::Ready(End::Complete(frame.into_trailers().ok()));
                }
            },
            Some(Err(error)) => return Poll::Ready(End::Failed(error)),
            None => return Poll::Ready(End::Complete(None)),
        }
    }
}

/// A `200` the layer hashed: its `ETag` set, then the preconditions
/// evaluated against it. A `HEAD` answer loses the body it should not have
/// carried, and keeps (or gains) its `Content-Length`.
fn hashed<B>(
    mut parts: response::Parts,
    frames: VecDeque<Bytes>,
    trailers: Option<HeaderMap>,
    conditions: Option<&Conditions>,
) -> Response<ConditionalBody<B>>
where
    B: Body<Data = Bytes>,
{
    parts.headers.insert(ETAG, etag::compute(&frames));
    let head = conditions.is_some_and(|c| c.head);
    let outcome = conditions.map_or(Outcome::Send, |c| c.evaluate(&parts.headers));
    match outcome {
        Outcome::Send if head => {
            let len: u64 = frames.iter().map(|f| f.len() as u64).sum();
            if !parts.headers.contains_key(CONTENT_LENGTH) {
                parts.headers.insert(CONTENT_LENGTH, HeaderValue::from(len));
            }
            Response::from_parts(parts, ConditionalBody::empty())
        }
        Outcome::Send => {
            Response::from_parts(parts, ConditionalBody::buffered(frames, trailers, None))
        }
        outcome => answer(parts, outcome, head),
    }
}

/// A response the layer does not hash: the preconditions evaluated against
/// the validators the app set (a `200` only, never an event stream), the
/// body untouched unless the answer is a 304 or 412.
fn unhashed<B>(
    parts: response::Parts,
    body: B,
    conditions: &Conditions,
) -> Response<ConditionalBody<B>>
where
    B: Body<Data = Bytes>,
{
    if parts.status != http::StatusCode::OK || is_event_stream(&parts.headers) {
        return Response::from_parts(parts, ConditionalBody::inner(body));
    }
    match conditions.evaluate(&parts.headers) {
        Outcome::Send => Response::from_parts(parts, ConditionalBody::inner(body)),
        outcome => answer(parts, outcome, conditions.head),
    }
}

/// The 304 or 412 standing for the `200` in `parts`; the `200`'s body is
/// dropped unread.
fn answer<B>(
    mut parts: response::Parts,
    outcome: Outcome,
    head: bool,
) -> Response<ConditionalBody<B>>
where
    B: Body<Data = Bytes>,
{
    let body = if outcome == Outcome::NotModified {
        not_modified(&mut parts);
        ConditionalBody::empty()
    } else {
        precondition_failed(&mut parts);
        if head {
            ConditionalBody::empty()
        } else {
            ConditionalBody::buffered(
                VecDeque::from([Bytes::from_static(PRECONDITION_FAILED.as_bytes())]),
                None,
                None,
            )
        }
    };
    tracing::debug!(
        target: "pastry_conditional",
        status = parts.status.as_u16(),
        etag = ?parts.headers.get(ETAG),
        "precondition answered"
    );
    Response::from_parts(parts, body)
}
