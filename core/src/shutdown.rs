//! The server's shutdown, as a request extension: what a long-lived
//! handler (a WebSocket, a server-sent event stream) awaits to say goodbye
//! before the server closes its connection.

use std::fmt;

use tokio::sync::watch;

/// Tells a handler that the server is shutting down.
///
/// `pastry::serve` inserts one into every request's extensions; when
/// shutdown begins it fires, and the server then waits up to its shutdown
/// timeout for open requests, streams and upgraded connections (WebSockets)
/// before closing what is still open. A handler that holds a connection
/// open awaits [`wait`](ShutdownSignal::wait) beside its work and ends
/// cleanly: a WebSocket sends Close `1001` ("going away"), an event stream
/// ends its body.
///
/// A test or another server makes its own with [`ShutdownSignal::channel`].
///
/// ```
/// use pastry_core::ShutdownSignal;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let (trigger, signal) = ShutdownSignal::channel();
/// let mut req = http::Request::get("/chat").body(()).unwrap();
/// req.extensions_mut().insert(signal);
///
/// // In the handler:
/// let signal = req.extensions().get::<ShutdownSignal>().cloned().unwrap_or_default();
/// assert!(!signal.is_shutting_down());
/// trigger.fire();
/// signal.wait().await; // returns at once: shutdown has begun
/// assert!(signal.is_shutting_down());
/// # }
/// ```
#[derive(Clone)]
pub struct ShutdownSignal {
    rx: watch::Receiver<bool>,
}

impl ShutdownSignal {
    /// A new signal and the trigger that fires it (for servers and tests).
    pub fn channel() -> (ShutdownTrigger, ShutdownSignal) {
        let (tx, rx) = watch::channel(false);
        (ShutdownTrigger { tx }, ShutdownSignal { rx })
    }

    /// A signal that never fires: what a request without one behaves as.
    pub fn never() -> Self {
        let (trigger, signal) = Self::channel();
        // The sender is gone: `wait` pends for ever, `is_shutting_down` is
        // false.
        drop(trigger);
        signal
    }

    /// Whether shutdown has begun.
    pub fn is_shutting_down(&self) -> bool {
        *self.rx.borrow()
    }

    /// Completes once shutdown has begun (at once if it already has);
    /// never, if the signal's trigger is dropped without firing.
    ///
    /// Cancel-safe: use it in a `tokio::select!` loop beside the socket.
    pub async fn wait(&self) {
        let mut rx = self.rx.clone();
        if rx.wait_for(|&fired| fired).await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}

impl Default for ShutdownSignal {
    /// [`ShutdownSignal::never`].
    fn default() -> Self {
        Self::never()
    }
}

impl fmt::Debug for ShutdownSignal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ShutdownSignal")
            .field("shutting_down", &self.is_shutting_down())
            .finish()
    }
}

/// Fires the [`ShutdownSignal`]s made with it by
/// [`ShutdownSignal::channel`].
pub struct ShutdownTrigger {
    tx: watch::Sender<bool>,
}

impl ShutdownTrigger {
    /// Fires every signal of this channel, now and for ever after.
    pub fn fire(&self) {
        self.tx.send_replace(true);
    }

    /// Another signal of this channel.
    pub fn signal(&self) -> ShutdownSignal {
        ShutdownSignal {
            rx: self.tx.subscribe(),
        }
    }
}

impl fmt::Debug for ShutdownTrigger {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ShutdownTrigger")
            .field("fired", &*self.tx.borrow())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn waiting_signals_wake_when_fired() {
        let (trigger, signal) = ShutdownSignal::channel();
        let other = trigger.signal();
        let waiter = tokio::spawn(async move { other.wait().await });
        tokio::task::yield_now().await;
        assert!(!signal.is_shutting_down());
        trigger.fire();
        waiter.await.unwrap();
        signal.wait().await;
        assert!(signal.is_shutting_down());
    }

    #[test]
    fn never_is_not_shutting_down() {
        assert!(!ShutdownSignal::never().is_shutting_down());
        assert!(!ShutdownSignal::default().is_shutting_down());
    }
}
