//! Streaming gzip middleware for any tower service, correct to the letter of HTTP.
//!
//! Not implemented yet.
