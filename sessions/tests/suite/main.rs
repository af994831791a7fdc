//! The behaviour suite of pastry-sessions: every behaviour is written once
//! and run against the memory, file and SQLite stores, directly and through
//! `AnyStore::from_url` (and the cookie store with feature `cookie-store`,
//! except the behaviours a cookie store cannot have, each file saying why).

mod common;

mod absolute_lifetime;
mod bounds;
mod cache_headers;
mod cleanup;
mod concurrency;
mod cookies;
mod corrupt_and_traversal;
mod cross_process;
mod destroy;
mod expiry;
mod failures;
mod fixation;
mod handshake_origin;
mod host_prefix;
mod lazy_loading;
mod login_race;
mod many_concurrent;
mod round_trip;
mod saving;
mod settings;
mod store_contract;
