//! Pastry's side of the per-request scenarios (`pastry_benches::scenarios`);
//! the peers' side is `benches/peers`, built in a workspace of its own.
//! `benches/icount.py` runs both and prints the table.
//!
//!   icount SCENARIO N     (icount list: the scenarios)

use std::process::ExitCode;

use pastry_benches::ours;
use pastry_benches::scenarios::{
    self, Runner, browser_request, coding_request, drive_stack, gzip_request, hello_app, json_app,
    repeat, streamed_json_app,
};
use pastry_catch::CatchLayer;
use pastry_gzip::GzipLayer;
use tower::Layer;

fn catch(n: u64) -> usize {
    repeat(&CatchLayer::new().layer(hello_app()), n, browser_request)
}

fn gzip(len: usize, n: u64) -> usize {
    repeat(&GzipLayer::new().layer(json_app(len)), n, gzip_request)
}

fn gzip_streamed(n: u64) -> usize {
    repeat(
        &GzipLayer::new().layer(streamed_json_app()),
        n,
        gzip_request,
    )
}

fn other_coding(coding: &'static str, len: usize, n: u64) -> usize {
    let layer = GzipLayer::new().br(true).zstd(true);
    repeat(&layer.layer(json_app(len)), n, || coding_request(coding))
}

fn stack_memory(n: u64) -> usize {
    drive_stack(ours::stack(pastry_sessions::MemoryStore::new()), n)
}

fn main() -> ExitCode {
    scenarios::main(
        "icount",
        &Runner {
            catch,
            gzip,
            gzip_streamed,
            other_coding,
            stack_memory,
        },
    )
}
