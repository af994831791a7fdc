//! Turn errors and panics from any tower service into proper HTTP responses with error ids.
//!
//! Not implemented yet.
