//! Sessions for any tower service, with memory, file and SQLite stores that lose nothing under concurrency.
//!
//! Not implemented yet.
