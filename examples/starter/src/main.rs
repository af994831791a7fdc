//! Serves the starter app: `cargo run -p pastry-starter`, then open
//! http://127.0.0.1:8080/ (users come from `users.txt`, written with
//! `cargo run -p pastry-auth --features cli --bin pastry-passwd -- users.txt NAME`).

use pastry::auth::{FileUserStore, PasswordHasher};
use pastry::sessions::AnyStore;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Logs to stderr; RUST_LOG=debug shows more.
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();

    let users_path = std::env::var("USERS").unwrap_or_else(|_| "users.txt".into());
    let users = FileUserStore::open(&users_path).map_err(|e| {
        format!("{users_path}: {e} (add a user with `cargo run -p pastry-auth --features cli --bin pastry-passwd -- {users_path} NAME`)")
    })?;
    let store = AnyStore::from_url(
        &std::env::var("SESSIONS").unwrap_or_else(|_| "sqlite:sessions.db".into()),
    )?;
    let _cleanup = pastry_starter::start_cleanup(&store);

    // Plain http on localhost: browsers keep Secure cookies there, so the default stays on.
    let app = pastry_starter::app(users, PasswordHasher::default(), store, true);
    // A socket from systemd or `systemfd` (see README), else this address.
    let listen = pastry::Listen::from_env_or("127.0.0.1:8080")?;
    pastry::serve(listen, app).await?;
    Ok(())
}
