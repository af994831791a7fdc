//! The peers' side of the per-request scenarios: tower-http's
//! `CatchPanicLayer` and `CompressionLayer` (gzip, level 6), and the whole
//! stack of `peer.rs` (tower-http, tower-sessions' memory store, axum).
//! `benches/icount.py` runs it beside Pastry's `icount`.
//!
//!   peer-icount SCENARIO N     (peer-icount list: the scenarios)

use std::process::ExitCode;

use pastry_peer_benches::peer;
use pastry_peer_benches::scenarios::{
    self, Runner, browser_request, coding_request, drive_stack, gzip_request, hello_app, json_app,
    repeat, streamed_json_app,
};
use tower::Layer;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::{CompressionLayer, CompressionLevel};

fn catch(n: u64) -> usize {
    repeat(
        &CatchPanicLayer::new().layer(hello_app()),
        n,
        browser_request,
    )
}

fn gzip(len: usize, n: u64) -> usize {
    let layer = CompressionLayer::new().quality(CompressionLevel::Precise(6));
    repeat(&layer.layer(json_app(len)), n, gzip_request)
}

fn gzip_streamed(n: u64) -> usize {
    let layer = CompressionLayer::new().quality(CompressionLevel::Precise(6));
    repeat(&layer.layer(streamed_json_app()), n, gzip_request)
}

fn other_coding(coding: &'static str, len: usize, n: u64) -> usize {
    let layer = CompressionLayer::new();
    repeat(&layer.layer(json_app(len)), n, || coding_request(coding))
}

fn stack_memory(n: u64) -> usize {
    drive_stack(peer::memory_stack(), n)
}

fn main() -> ExitCode {
    scenarios::main(
        "peer-icount",
        &Runner {
            catch,
            gzip,
            gzip_streamed,
            other_coding,
            stack_memory,
        },
    )
}
