//! `TestFuture`: what awaiting a request or a stream read gives.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

/// The future behind `client.get(..).await`,
/// [`stream()`](crate::RequestBuilder::stream) and the
/// [`TestStream`](crate::TestStream) reads: it resolves to the value, or
/// fails the test.
///
/// A failure (an unexpected status, an app error, a violated rule) panics
/// where the test awaits, not inside the kit: the panic's location is the
/// line of the `.await` in the test.
#[must_use = "futures do nothing unless awaited"]
pub struct TestFuture<'a, T> {
    inner: Pin<Box<dyn Future<Output = Result<T, String>> + Send + 'a>>,
}

impl<'a, T> TestFuture<'a, T> {
    pub(crate) fn new(future: impl Future<Output = Result<T, String>> + Send + 'a) -> Self {
        Self {
            inner: Box::pin(future),
        }
    }
}

impl<T> Future for TestFuture<'_, T> {
    type Output = T;

    /// `#[track_caller]`: `.await` calls `poll` from the test's own code,
    /// so a failure reports the test's file and line.
    #[track_caller]
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        match self.inner.as_mut().poll(cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(Ok(value)) => Poll::Ready(value),
            Poll::Ready(Err(message)) => panic!("{message}"),
        }
    }
}

impl<T> fmt::Debug for TestFuture<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TestFuture").finish_non_exhaustive()
    }
}
