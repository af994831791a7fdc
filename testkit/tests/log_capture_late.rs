//! A call site used before the process's first capture is captured once a
//! capture starts (its own binary, so this capture is the first).

use pastry_testkit::LogCapture;

fn site() {
    tracing::debug!("the site");
}

#[test]
fn a_call_site_used_before_the_first_capture_is_still_captured() {
    site();
    let logs = LogCapture::start();
    site();
    assert_eq!(logs.lines_at(tracing::Level::DEBUG).len(), 1, "{logs:?}");
}
