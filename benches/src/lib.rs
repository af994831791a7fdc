//! Shared fixtures for the Pastry benches: the page the whole-stack benches
//! serve, the two stacks they compare (ours in [`ours`], the peers' in
//! [`peer`]), the in-process client both are driven with, and the
//! per-request scenarios of the `icount` runner, and the session benches'
//! load + modify + save loop ([`session_loop`]).

mod fixtures;
pub mod ours;
mod peer_sqlite;
#[path = "peer.rs"]
mod peer_stack;
pub mod scenarios;
pub mod session_loop;

pub use fixtures::*;

/// The peers' stack (tower-http, tower-sessions, axum), with the memory
/// store or tower-sessions-sqlx-store's SQLite store.
pub mod peer {
    pub use crate::peer_sqlite::{sqlite_stack, sqlite_store};
    pub use crate::peer_stack::{memory_stack, stack};
}
