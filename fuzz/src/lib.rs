//! The properties the fuzz targets check. The same file is compiled into
//! `tests/reliability_fuzz_properties.rs`, where proptest drives it, so
//! `cargo test` covers every target without nightly tools.

#[path = "../../tests/reliability/checks.rs"]
pub mod checks;
