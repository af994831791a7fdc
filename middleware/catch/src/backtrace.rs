//! The opt-in panic hook that records a backtrace for the middleware to show.

use std::backtrace::Backtrace;
use std::cell::RefCell;
use std::sync::Once;

/// What the hook records about the latest panic on a thread.
pub(crate) struct Captured {
    pub(crate) backtrace: Backtrace,
    pub(crate) location: Option<String>,
}

thread_local! {
    static LATEST: RefCell<Option<Captured>> = const { RefCell::new(None) };
}

static INSTALL: Once = Once::new();

/// Installs a process-wide panic hook that records the backtrace and
/// location of every panic, so that debug pages and debug-mode log events
/// can show where a caught panic came from.
///
/// Opt-in because capturing a backtrace is slow (it runs on every panic,
/// caught or not, regardless of `RUST_BACKTRACE`). The hook chains to the
/// hook that was installed before it, so panics are still printed as usual.
/// Calling it again does nothing. Without it, failures still get ids, pages
/// and log events, only without backtrace and location.
///
/// ```
/// pastry_catch::capture_backtraces();
/// pastry_catch::capture_backtraces(); // idempotent
/// ```
pub fn capture_backtraces() {
    INSTALL.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let captured = Captured {
                backtrace: Backtrace::force_capture(),
                location: info.location().map(ToString::to_string),
            };
            // `try_with`/`try_borrow_mut`: a panic while the thread is being
            // torn down, or inside a borrow, must not panic again here.
            let _ = LATEST.try_with(|slot| {
                if let Ok(mut slot) = slot.try_borrow_mut() {
                    *slot = Some(captured);
                }
            });
            previous(info);
        }));
    });
}

/// Takes what the hook recorded for the latest panic on this thread.
///
/// Called right after `catch_unwind` caught a panic, on the same thread, so
/// the record is that panic's (the hook overwrites it on every panic).
pub(crate) fn take() -> Option<Captured> {
    LATEST
        .try_with(|slot| slot.try_borrow_mut().ok().and_then(|mut slot| slot.take()))
        .ok()
        .flatten()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::panic::catch_unwind;

    #[test]
    fn hook_records_the_latest_panic_on_this_thread() {
        capture_backtraces();
        let _ = take();
        let caught = catch_unwind(|| panic!("first"));
        assert!(caught.is_err());
        let captured = take().expect("the hook recorded the panic");
        assert!(captured.location.unwrap().contains("backtrace.rs"));
        assert!(take().is_none(), "taking clears the record");
    }
}
