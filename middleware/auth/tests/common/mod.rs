//! Helpers shared by the behaviour tests.
#![allow(dead_code)]

use std::convert::Infallible;
use std::net::SocketAddr;

use http::{Request, Response};
use pastry_auth::{MemoryUsers, PasswordHasher, RolesExt, User};
use pastry_core::Environ;
use pastry_testkit::Body;

/// Argon2 parameters cheap enough for tests on two shared cores.
pub fn hasher() -> PasswordHasher {
    PasswordHasher::builder()
        .memory_kib(64)
        .iterations(1)
        .build()
        .unwrap()
}

/// `alice` (password `wonderland`, roles admin and staff) and `bob`
/// (password `builder`, no roles).
pub fn users(hasher: &PasswordHasher) -> MemoryUsers {
    let users = MemoryUsers::new();
    users.insert(
        User::new("alice", hasher.hash_blocking("wonderland").unwrap()).roles(["admin", "staff"]),
    );
    users.insert(User::new("bob", hasher.hash_blocking("builder").unwrap()));
    users
}

/// An app answering `user=<remote user>;roles=<roles>`.
pub fn whoami() -> impl tower::Service<
    Request<Body>,
    Response = Response<String>,
    Error = Infallible,
    Future = impl Future<Output = Result<Response<String>, Infallible>> + Send,
> + Clone
+ Send
+ 'static {
    tower::service_fn(|req: Request<Body>| async move {
        let user = req.remote_user().unwrap_or("-").to_owned();
        let roles = req.roles();
        let list: Vec<&str> = roles.iter().collect();
        Ok(Response::new(format!(
            "user={user};roles={}",
            list.join(",")
        )))
    })
}

pub fn addr(last: u8) -> SocketAddr {
    SocketAddr::from(([192, 0, 2, last], 40000))
}
