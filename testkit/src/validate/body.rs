use std::future::Future;
use std::io::Read;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use http_body::{Frame, SizeHint};
use pastry_core::BoxError;
use pin_project_lite::pin_project;
use tokio::time::{Instant, Sleep};

use super::check::BodyPlan;
use super::{Rule, Violation};

pin_project! {
    /// The response body of [`Validate`](super::Validate): the app's body,
    /// checked frame by frame; a broken rule is its error.
    pub struct ValidateBody<B> {
        #[pin]
        inner: B,
        plan: BodyPlan,
        seen: u64,
        gzip: Option<BytesMut>,
        hint: Option<(u64, Option<u64>)>,
        deadline: Option<(Instant, Duration)>,
        sleep: Option<Pin<Box<Sleep>>>,
        done: bool,
    }
}

impl<B: http_body::Body> ValidateBody<B> {
    pub(crate) fn new(inner: B, plan: BodyPlan, deadline: Option<(Instant, Duration)>) -> Self {
        let gzip = plan.gzip.then(BytesMut::new);
        let hint = plan.size_hint.then(|| {
            let hint = inner.size_hint();
            (hint.lower(), hint.upper())
        });
        Self {
            inner,
            plan,
            seen: 0,
            gzip,
            hint,
            deadline,
            sleep: None,
            done: false,
        }
    }
}

impl<B> ValidateBody<B> {
    /// The checked body.
    pub fn get_ref(&self) -> &B {
        &self.inner
    }

    /// Unwraps the checked body.
    pub fn into_inner(self) -> B {
        self.inner
    }
}

impl<B: std::fmt::Debug> std::fmt::Debug for ValidateBody<B> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ValidateBody")
            .field("inner", &self.inner)
            .field("seen", &self.seen)
            .finish_non_exhaustive()
    }
}

impl<B> http_body::Body for ValidateBody<B>
where
    B: http_body::Body<Data = Bytes>,
    B::Error: Into<BoxError>,
{
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let this = self.project();
        if *this.done {
            return Poll::Ready(None);
        }
        let said_end = this.plan.end_stream && this.inner.is_end_stream();
        let violation = match this.inner.poll_frame(cx) {
            Poll::Pending => {
                let Some((deadline, limit)) = *this.deadline else {
                    return Poll::Pending;
                };
                let sleep = this
                    .sleep
                    .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(deadline)));
                if sleep.as_mut().poll(cx).is_pending() {
                    return Poll::Pending;
                }
                Violation::new(
                    Rule::BodyTimeout,
                    format!("the body did not end within {limit:?} of the response head"),
                )
            }
            Poll::Ready(Some(Err(e))) => {
                *this.done = true;
                return Poll::Ready(Some(Err(e.into())));
            }
            Poll::Ready(Some(Ok(_))) if said_end => Violation::new(
                Rule::EndStream,
                "is_end_stream() returned true, then the body produced another frame",
            ),
            Poll::Ready(Some(Ok(frame))) => {
                let Some(data) = frame.data_ref() else {
                    return Poll::Ready(Some(Ok(frame)));
                };
                *this.seen += data.len() as u64;
                match check_data(this.plan, *this.hint, *this.seen, data.len()) {
                    None => {
                        if let Some(buf) = this.gzip.as_mut() {
                            buf.extend_from_slice(data);
                        }
                        return Poll::Ready(Some(Ok(frame)));
                    }
                    Some(violation) => violation,
                }
            }
            Poll::Ready(None) => {
                match check_end(this.plan, *this.hint, *this.seen, this.gzip.take()) {
                    None => {
                        *this.done = true;
                        return Poll::Ready(None);
                    }
                    Some(violation) => violation,
                }
            }
        };
        *this.done = true;
        Poll::Ready(Some(Err(violation.into())))
    }

    fn is_end_stream(&self) -> bool {
        self.done || self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

type Hint = Option<(u64, Option<u64>)>;

fn check_data(plan: &BodyPlan, hint: Hint, seen: u64, len: usize) -> Option<Violation> {
    if len == 0 {
        return None;
    }
    if let Some(why) = &plan.no_body {
        return Some(Violation::new(
            Rule::NoBody,
            format!("{why} must have no body, but the body sent {len} bytes"),
        ));
    }
    if let Some(length) = plan.length
        && seen > length
    {
        return Some(Violation::new(
            Rule::ContentLengthMatchesBody,
            format!("Content-Length is {length} but the body sent at least {seen} bytes"),
        ));
    }
    match hint {
        Some((_, Some(upper))) if seen > upper => Some(Violation::new(
            Rule::SizeHint,
            format!("size_hint() said at most {upper} bytes but the body sent at least {seen}"),
        )),
        _ => None,
    }
}

fn check_end(plan: &BodyPlan, hint: Hint, seen: u64, gzip: Option<BytesMut>) -> Option<Violation> {
    if let Some((lower, _)) = hint
        && seen < lower
    {
        return Some(Violation::new(
            Rule::SizeHint,
            format!("size_hint() said at least {lower} bytes but the body sent {seen}"),
        ));
    }
    if let Some(length) = plan.length
        && seen != length
    {
        return Some(Violation::new(
            Rule::ContentLengthMatchesBody,
            format!("Content-Length is {length} but the body sent {seen} bytes"),
        ));
    }
    if let Some(compressed) = gzip {
        let mut sink = Vec::new();
        if let Err(e) = flate2::read::MultiGzDecoder::new(&compressed[..]).read_to_end(&mut sink) {
            return Some(Violation::new(
                Rule::GzipDecodes,
                format!(
                    "the body says Content-Encoding: gzip but its {} bytes do not decode: {e}",
                    compressed.len()
                ),
            ));
        }
    }
    None
}
