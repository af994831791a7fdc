//! A login kept in a session: `login`, `logout`, and what binds the login
//! to the user's credential.

use pastry_core::CSRF_SESSION_KEY;
use pastry_sessions::{Session, SessionError};
use sha2::{Digest, Sha256};

use crate::{AuthError, User};

/// The session key holding the logged-in user's name.
pub const USER_KEY: &str = "pastry_auth.user";
/// The session key holding what binds the login to the user's credential:
/// `v:N` for a user with a [credential version](crate::UserBuilder::credential_version),
/// else the fingerprint of their password hash.
pub const FINGERPRINT_KEY: &str = "pastry_auth.pw";

fn session_error(err: SessionError) -> AuthError {
    AuthError::Session(err.into())
}

/// What the session stores to bind a login to `user`'s credential: its
/// credential version when it has one, else the fingerprint of its hash.
pub(crate) fn binding(user: &User) -> String {
    match user.credential_version() {
        Some(version) => format!("v:{version}"),
        None => fingerprint(user.password_hash()),
    }
}

/// A short fingerprint of a password hash: the first 16 bytes of its
/// SHA-256, in hex. Stored in the session instead of the hash, so a leaked
/// session store does not leak password hashes.
pub(crate) fn fingerprint(password_hash: &str) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let digest = Sha256::digest(password_hash.as_bytes());
    let mut hex = String::with_capacity(32);
    for byte in &digest[..16] {
        hex.push(char::from(HEX[usize::from(byte >> 4)]));
        hex.push(char::from(HEX[usize::from(byte & 0x0f)]));
    }
    hex
}

/// Logs `user` in to `session`: gives the session a new id (so an id
/// planted before login is worthless) and stores the user's name and what
/// binds the login to their credential (the user's
/// [credential version](crate::UserBuilder::credential_version) if set, else a
/// fingerprint of their password hash), so that changing the password
/// logs out every other session. After changing a user's password, call
/// `login` again in the session that changed it. The session's
/// synchronizer (CSRF) token, if any, is removed
/// ([`CSRF_SESSION_KEY`](pastry_core::CSRF_SESSION_KEY)), so a token seen
/// before login is worth nothing after: `pastry_origin`'s
/// `CsrfTokenLayer` makes a fresh one.
///
/// ```
/// use http::{Request, Response};
/// use pastry_auth::{User, login};
/// use pastry_sessions::{MemoryStore, SessionExt, SessionLayer};
/// use tower::{ServiceBuilder, ServiceExt, service_fn};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
/// let app = ServiceBuilder::new()
///     .layer(SessionLayer::new(MemoryStore::new()))
///     .service(service_fn(|req: Request<()>| async move {
///         let session = req.session().expect("behind a SessionLayer");
///         let user = User::new("alice", "$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA");
///         login(session, &user).await?;
///         Ok::<_, pastry_auth::AuthError>(Response::new(String::new()))
///     }));
/// let res = app.oneshot(Request::new(())).await?;
/// assert!(res.headers().contains_key("set-cookie"));
/// # Ok(())
/// # }
/// ```
pub async fn login(session: &Session, user: &User) -> Result<(), AuthError> {
    session.cycle_id().await.map_err(session_error)?;
    session
        .remove(CSRF_SESSION_KEY)
        .await
        .map_err(session_error)?;
    session
        .insert(USER_KEY, user.name())
        .await
        .map_err(session_error)?;
    session
        .insert(FINGERPRINT_KEY, &binding(user))
        .await
        .map_err(session_error)?;
    tracing::info!(target: "pastry_auth", user = user.name(), "logged in");
    Ok(())
}

/// Logs the session's user out and clears the session: every value goes
/// (a cart, notes, anything the app kept for that user), the stored record
/// is deleted and the cookie expired when the request is answered, so
/// nothing is left to the next person who logs in on that browser. Use
/// [`logout_keeping`] to keep named keys, or the ready [`Logout`](crate::Logout) service.
///
/// ```
/// use http::{Request, Response};
/// use pastry_auth::logout;
/// use pastry_sessions::{MemoryStore, SessionExt, SessionLayer};
/// use tower::{ServiceBuilder, ServiceExt, service_fn};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
/// let app = ServiceBuilder::new()
///     .layer(SessionLayer::new(MemoryStore::new()))
///     .service(service_fn(|req: Request<()>| async move {
///         let session = req.session().expect("behind a SessionLayer");
///         session.insert("notes", &["private"]).await?;
///         logout(session).await?;
///         let notes: Option<Vec<String>> = session.get("notes").await?;
///         Ok::<_, Box<dyn std::error::Error + Send + Sync>>(Response::new(format!("{notes:?}")))
///     }));
/// let res = app.oneshot(Request::new(())).await?;
/// let body = http_body_util::BodyExt::collect(res.into_body()).await?.to_bytes();
/// assert_eq!(&body[..], b"None");
/// # Ok(())
/// # }
/// ```
pub async fn logout(session: &Session) -> Result<(), AuthError> {
    logout_keeping(session, std::iter::empty::<&str>()).await
}

/// Like [`logout`], but the values under `keep` (a language choice, a
/// cart meant to outlive the login) move to the new session, under a new
/// id. The login keys are never kept.
///
/// ```
/// use http::{Request, Response};
/// use pastry_auth::logout_keeping;
/// use pastry_sessions::{MemoryStore, SessionExt, SessionLayer};
/// use tower::{ServiceBuilder, ServiceExt, service_fn};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
/// let app = ServiceBuilder::new()
///     .layer(SessionLayer::new(MemoryStore::new()))
///     .service(service_fn(|req: Request<()>| async move {
///         let session = req.session().expect("behind a SessionLayer");
///         session.insert("lang", "fr").await?;
///         session.insert("notes", "private").await?;
///         logout_keeping(session, ["lang"]).await?;
///         let keys = session.keys().await?;
///         Ok::<_, Box<dyn std::error::Error + Send + Sync>>(Response::new(keys.join(",")))
///     }));
/// let res = app.oneshot(Request::new(())).await?;
/// let body = http_body_util::BodyExt::collect(res.into_body()).await?.to_bytes();
/// assert_eq!(&body[..], b"lang");
/// # Ok(())
/// # }
/// ```
pub async fn logout_keeping<I, K>(session: &Session, keep: I) -> Result<(), AuthError>
where
    I: IntoIterator<Item = K>,
    K: AsRef<str>,
{
    let name: Option<String> = session.get(USER_KEY).await.unwrap_or(None);
    let mut kept = Vec::new();
    for key in keep {
        let key = key.as_ref();
        if key == USER_KEY || key == FINGERPRINT_KEY {
            continue;
        }
        let value: Option<serde_json::Value> = session.get(key).await.map_err(session_error)?;
        if let Some(value) = value {
            kept.push((key.to_owned(), value));
        }
    }
    session.destroy().await.map_err(session_error)?;
    for (key, value) in &kept {
        session.insert(key, value).await.map_err(session_error)?;
    }
    match name {
        Some(name) => {
            tracing::info!(target: "pastry_auth", user = %name, kept = kept.len(), "logged out");
        }
        None => {
            tracing::debug!(target: "pastry_auth", kept = kept.len(), "session cleared by logout")
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprint_is_short_hex_and_follows_the_hash() {
        let a = fingerprint("$argon2id$a");
        assert_eq!(a.len(), 32);
        assert!(a.bytes().all(|b| b.is_ascii_hexdigit()));
        assert_eq!(a, fingerprint("$argon2id$a"));
        assert_ne!(a, fingerprint("$argon2id$b"));
        let digest = Sha256::digest(b"$argon2id$a");
        let expected: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(a, expected);
    }
}
