//! Pastry: reusable HTTP middleware for any tower service.
