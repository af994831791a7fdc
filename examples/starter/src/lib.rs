//! The smallest complete Pastry app: an axum router of notes behind the
//! standard stack (cross-origin requests refused, errors caught, responses
//! compressed, sessions, session login), a login page and a logout endpoint. `main.rs` serves it; the
//! test in `tests/` drives the same [`app`] through the test kit.

use std::time::Duration;

use axum::routing::get;
use axum::{Json, Router};
use pastry::BoxApp;
use pastry::auth::{
    Authenticator, CurrentUser, LoginForm, Logout, PasswordHasher, SessionAuthLayer, UserStore,
};
use pastry::catch::CatchLayer;
use pastry::gzip::GzipLayer;
use pastry::origin::CrossOriginLayer;
use pastry::sessions::{AnyStore, Session, SessionError, SessionLayer, spawn_cleanup};
use serde::Deserialize;
use tower::ServiceBuilder;

/// The whole app: the same function for `main` and for the tests.
///
/// `secure_cookies` marks the session cookie `Secure`: keep it on behind
/// HTTPS; plain `http://` to anything but `localhost` needs it off.
pub fn app<U>(users: U, hasher: PasswordHasher, store: AnyStore, secure_cookies: bool) -> BoxApp
where
    U: UserStore + Clone + Send + Sync + 'static,
{
    // One authenticator for every way of logging in, so its throttle is shared.
    let auth = Authenticator::new(users.clone()).hasher(hasher);
    let routes = Router::new()
        .route("/", get(home))
        .route("/notes", get(list_notes).post(add_note))
        .route_service("/login", LoginForm::new(auth.clone()))
        .route_service("/logout", Logout::new());

    ServiceBuilder::new()
        .layer(BoxApp::layer())
        .layer(CrossOriginLayer::new())
        .layer(CatchLayer::new())
        .layer(GzipLayer::new())
        .layer(SessionLayer::new(store).secure(secure_cookies))
        .layer(SessionAuthLayer::new(users))
        .service(routes)
}

/// Deletes expired sessions every ten minutes: stores keep them until then.
pub fn start_cleanup(store: &AnyStore) -> tokio::task::JoinHandle<()> {
    spawn_cleanup(store.clone(), Duration::from_secs(600))
}

async fn home(user: Option<CurrentUser>) -> String {
    match user {
        Some(user) => format!("hello {}\n", user.name()),
        None => "hello stranger: POST username and password to /login\n".to_owned(),
    }
}

#[derive(Deserialize)]
struct NewNote {
    text: String,
}

async fn list_notes(
    _user: CurrentUser,
    session: Session,
) -> Result<Json<Vec<String>>, SessionError> {
    Ok(Json(session.get("notes").await?.unwrap_or_default()))
}

async fn add_note(
    _user: CurrentUser,
    session: Session,
    Json(note): Json<NewNote>,
) -> Result<Json<Vec<String>>, SessionError> {
    let mut notes: Vec<String> = session.get("notes").await?.unwrap_or_default();
    notes.push(note.text);
    session.insert("notes", &notes).await?;
    Ok(Json(notes))
}
