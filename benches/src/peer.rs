//! The stack a user would build from the peers instead of Pastry:
//! tower-http `CatchPanicLayer` + `CompressionLayer` (gzip, level 6),
//! tower-sessions (its `MemoryStore`, or tower-sessions-sqlx-store's
//! `SqliteStore`, in `peer_sqlite.rs`), a session-auth middleware in the style of axum-login
//! (the user's name and a password-hash check stored in the session, looked
//! up on every request), and axum's `Router::nest_service` with ten mounts.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Extension;
use axum::Router;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::{Next, from_fn_with_state};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::{CompressionLayer, CompressionLevel};
use tower_sessions::{MemoryStore, Session, SessionManagerLayer, SessionStore};

/// The session key holding the logged-in user's name.
const USER_KEY: &str = "auth.user";
/// The session key holding the user's password hash at login, compared on
/// every request (axum-login's "session auth hash").
const HASH_KEY: &str = "auth.hash";
/// The bench user's (never verified) password hash.
const ALICE_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$YmVuY2hzYWx0YmVuY2g$8c0Vx3zVQk2u4Gk3Zg1qf3K5mYQ8m0n5oGQm3cJ7xQE";

type Users = Arc<HashMap<String, String>>;

/// The logged-in user, set by [`session_auth`] for the handlers.
#[derive(Clone)]
struct CurrentUser(String);

async fn session_auth(
    State(users): State<Users>,
    session: Session,
    mut req: Request,
    next: Next,
) -> Response {
    let name: Option<String> = match session.get(USER_KEY).await {
        Ok(name) => name,
        Err(_) => return StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    };
    if let Some(name) = name {
        let stored: Option<String> = session.get(HASH_KEY).await.unwrap_or(None);
        let valid = users
            .get(&name)
            .is_some_and(|hash| stored.as_deref() == Some(hash.as_str()));
        if valid {
            req.extensions_mut().insert(CurrentUser(name));
        } else {
            let _ = session.remove::<String>(USER_KEY).await;
            let _ = session.remove::<String>(HASH_KEY).await;
        }
    }
    next.run(req).await
}

async fn login(session: Session) -> Result<&'static str, StatusCode> {
    let failed = |_| StatusCode::INTERNAL_SERVER_ERROR;
    session.cycle_id().await.map_err(failed)?;
    session
        .insert(USER_KEY, crate::USER)
        .await
        .map_err(failed)?;
    session.insert(HASH_KEY, ALICE_HASH).await.map_err(failed)?;
    session.insert("visits", 1u64).await.map_err(failed)?;
    Ok("logged in")
}

async fn page(session: Session, user: Option<Extension<CurrentUser>>) -> Html<String> {
    let visits: u64 = session.get("visits").await.unwrap_or(None).unwrap_or(0);
    let name = user
        .as_ref()
        .map_or("anonymous", |Extension(user)| user.0.as_str());
    Html(crate::page(name, visits))
}

/// The peer stack over any tower-sessions store.
pub fn stack<Store: SessionStore + Clone>(store: Store) -> Router {
    let users: Users = Arc::new(HashMap::from([(
        crate::USER.to_owned(),
        ALICE_HASH.to_owned(),
    )]));
    let mut router = Router::new();
    for prefix in crate::mount_prefixes() {
        router = router.nest_service(
            &prefix,
            Router::new()
                .route("/page", get(page))
                .route("/login", get(login)),
        );
    }
    router
        .layer(from_fn_with_state(users, session_auth))
        .layer(SessionManagerLayer::new(store).with_secure(false))
        .layer(CompressionLayer::new().quality(CompressionLevel::Precise(6)))
        .layer(CatchPanicLayer::new())
}

/// The peer stack with tower-sessions' `MemoryStore`.
pub fn memory_stack() -> Router {
    stack(MemoryStore::default())
}
