//! The peers' stack over tower-sessions-sqlx-store's SQLite store. Kept
//! apart from `peer.rs`: that store is still on tower-sessions 0.14, so the
//! peers' own workspace (at tower-sessions 0.15) leaves it out.

use std::path::Path;

use tower_sessions_sqlx_store::SqliteStore;
use tower_sessions_sqlx_store::sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};

use crate::BoxError;
use crate::peer_stack::stack;

/// tower-sessions-sqlx-store's `SqliteStore` on a file at `path` (created,
/// migrated), with sqlx's default connection settings (WAL journal).
///
/// # Errors
///
/// When the file cannot be opened or the table created.
pub async fn sqlite_store(path: &Path) -> Result<SqliteStore, BoxError> {
    let options = SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(true);
    let pool = SqlitePoolOptions::new().connect_with(options).await?;
    let store = SqliteStore::new(pool);
    store.migrate().await?;
    Ok(store)
}

/// The peer stack with tower-sessions-sqlx-store's `SqliteStore` at `path`.
///
/// # Errors
///
/// As [`sqlite_store`].
pub async fn sqlite_stack(path: &Path) -> Result<axum::Router, BoxError> {
    Ok(stack(sqlite_store(path).await?))
}
