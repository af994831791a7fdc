//! The debug event for ignored forwarding headers. Alone in its test
//! binary, so no other test uses the call site first (see `LogCapture`).

mod support;

use pastry_proxy::ProxyLayer;
use pastry_testkit::LogCapture;
use support::seen;

#[tokio::test]
async fn a_malformed_header_is_logged_at_debug() {
    let logs = LogCapture::start();
    let nginx = ProxyLayer::builder()
        .trust("127.0.0.1")
        .hops(1)
        .build()
        .unwrap();
    let headers = [("host", "h"), ("x-forwarded-proto", "ftp")];
    let got = seen(&nginx, Some("127.0.0.1"), "/", &headers).await;
    assert_eq!(got, "127.0.0.1 http://h /parrot");
    let debug = logs.lines_at(tracing::Level::DEBUG).join("\n");
    assert!(debug.contains("forwarding headers ignored"), "{logs:?}");
    assert!(debug.contains("header=\"x-forwarded-proto\""), "{logs:?}");
}
