//! Argon2 passwords, user stores, HTTP Basic and session login for any tower service.
//!
//! Placeholder summary.

mod clock;
mod error;
mod password;
mod store;
mod user;

pub use clock::{Clock, ManualClock, SystemClock};
pub use error::AuthError;
pub use password::{
    HasherBuilder, OWASP_ITERATIONS, OWASP_MEMORY_KIB, OWASP_PARALLELISM, PasswordHasher,
};
pub use store::file::{LineProblem, UsersFile, parse_users};
pub use store::memory::MemoryUsers;
pub use user::{Roles, RolesExt, User, UserStore};
