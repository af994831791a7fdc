//! Mount many tower services in one server by path prefix and host, with SCRIPT_NAME semantics.
//!
//! Not implemented yet.
