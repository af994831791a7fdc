//! Argon2 passwords, user stores, HTTP Basic and session login for any tower service.
//!
//! Not implemented yet.
