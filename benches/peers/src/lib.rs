//! The peers' stack and the scenario drivers, included from the Pastry
//! bench crate's own files (`benches/src`), which name no Pastry crate, so
//! both sides run the same requests through the same drivers.

#[path = "../../src/fixtures.rs"]
mod fixtures;
#[path = "../../src/peer.rs"]
pub mod peer;
#[path = "../../src/scenarios.rs"]
pub mod scenarios;

pub use fixtures::*;
