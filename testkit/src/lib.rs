//! Call any tower service without a server: synthetic requests, cookie jar, redirects and a conformance validator.
//!
//! Not implemented yet.
