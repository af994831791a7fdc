//! `LogCapture` keeps its own thread's events and nobody else's, however
//! many threads use the same call sites at the same time.

use std::sync::{Arc, Barrier};
use std::thread;

use pastry_testkit::LogCapture;
use tracing::Level;

fn shared_call_site(who: &str, round: usize) {
    tracing::info!(who, round, "shared call site");
}

#[test]
fn each_capture_sees_only_its_own_threads_events() {
    let threads = 8;
    let rounds = 200;
    let start = Arc::new(Barrier::new(threads));
    let handles: Vec<_> = (0..threads)
        .map(|n| {
            let start = start.clone();
            thread::spawn(move || {
                let who = format!("thread-{n}");
                start.wait();
                // Half the threads never capture: their events go nowhere.
                let logs = (n % 2 == 0).then(LogCapture::start);
                for round in 0..rounds {
                    shared_call_site(&who, round);
                }
                logs.map(|logs| (who, logs.lines_at(Level::INFO)))
            })
        })
        .collect();
    for (who, lines) in handles.into_iter().filter_map(|h| h.join().unwrap()) {
        assert_eq!(lines.len(), rounds, "{who}: {lines:?}");
        assert!(
            lines
                .iter()
                .all(|line| line.contains(&format!("who=\"{who}\"")))
        );
    }
}

#[test]
fn captures_nest_and_the_innermost_one_gets_the_event() {
    let outer = LogCapture::start();
    tracing::warn!("to the outer");
    {
        let inner = LogCapture::at(Level::INFO);
        tracing::warn!("to the inner");
        tracing::debug!("below the inner's level");
        assert!(inner.contains("to the inner"));
        assert!(!inner.contains("to the outer"));
        assert!(!inner.contains("below the inner's level"));
    }
    tracing::warn!("to the outer again");
    assert!(outer.contains("to the outer"));
    assert!(outer.contains("to the outer again"));
    assert!(!outer.contains("to the inner"));
    assert!(!outer.contains("below the inner's level"));
}

#[test]
fn lines_at_picks_the_level_word_not_a_field_that_spells_it() {
    let logs = LogCapture::start();
    tracing::info!(note = "WARN in a field", "informational");
    tracing::warn!("a warning");
    assert_eq!(logs.lines_at(Level::WARN).len(), 1, "{logs:?}");
    assert_eq!(logs.lines_at(Level::INFO).len(), 1, "{logs:?}");
}

#[test]
fn a_call_site_first_used_by_a_thread_that_does_not_capture_is_captured_later() {
    fn site() {
        tracing::info!("the late site");
    }
    thread::spawn(site).join().unwrap();
    let logs = LogCapture::start();
    site();
    assert_eq!(logs.lines_at(Level::INFO).len(), 1, "{logs:?}");
}

#[test]
fn a_second_capture_on_the_same_thread_sees_the_same_call_site() {
    fn site() {
        tracing::info!("the repeated site");
    }
    for _ in 0..2 {
        let logs = LogCapture::start();
        site();
        assert_eq!(logs.lines_at(Level::INFO).len(), 1, "{logs:?}");
    }
}
