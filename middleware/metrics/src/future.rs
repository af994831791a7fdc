//! The response future of [`Metrics`](crate::Metrics): counts the request
//! with its status and hands the recording to the body.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use http::{Method, Response};
use pastry_core::is_upgrade_response;
use pin_project_lite::pin_project;

use crate::body::MetricsBody;
use crate::labels::status_label;
use crate::record::{FAILED, Recording};

pin_project! {
    /// The response future of [`Metrics`](crate::Metrics).
    pub struct ResponseFuture<F> {
        #[pin]
        inner: F,
        recording: Option<Recording>,
        connect: bool,
    }
}

impl<F> ResponseFuture<F> {
    pub(crate) fn new(inner: F, recording: Recording, method: &Method) -> Self {
        Self {
            inner,
            recording: Some(recording),
            connect: method == Method::CONNECT,
        }
    }
}

impl<F> fmt::Debug for ResponseFuture<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResponseFuture").finish_non_exhaustive()
    }
}

impl<F, B, E> Future for ResponseFuture<F>
where
    F: Future<Output = Result<Response<B>, E>>,
{
    type Output = Result<Response<MetricsBody<B>>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let polled = {
            let _guard = FailOnPanic(&mut *this.recording);
            this.inner.poll(cx)
        };
        let result = ready!(polled);
        let Some(mut recording) = this.recording.take() else {
            // Polled after completion: the inner future decides what that means.
            return Poll::Ready(result.map(|res| res.map(MetricsBody::unrecorded)));
        };
        Poll::Ready(match result {
            Ok(res) => {
                recording.answered(status_label(res.status()));
                let method = if *this.connect {
                    Method::CONNECT
                } else {
                    Method::GET
                };
                if is_upgrade_response(&method, res.status()) {
                    // An upgrade's handshake: the tunnel after it may stay
                    // open for hours, so the request ends with its head.
                    drop(recording);
                    Ok(res.map(MetricsBody::unrecorded))
                } else {
                    Ok(res.map(|body| MetricsBody::new(body, recording)))
                }
            }
            Err(err) => {
                recording.answered(FAILED);
                Err(err)
            }
        })
    }
}

/// Marks the request failed (`5xx`) when the app panics while polled: a
/// catching layer outside turns that panic into a 500, and drops this
/// future only later, when the recording would otherwise read as
/// abandoned.
struct FailOnPanic<'a>(&'a mut Option<Recording>);

impl Drop for FailOnPanic<'_> {
    fn drop(&mut self) {
        if std::thread::panicking()
            && let Some(recording) = self.0.as_mut()
        {
            recording.answered(FAILED);
        }
    }
}
