//! Logging in through a session: `login`/`logout`, the layer that reads
//! the session, the guards, and a ready login form.

mod form;
mod layer;
mod next;
mod require;

pub use form::LoginForm;
pub use layer::{SessionAuth, SessionAuthLayer};
pub use next::safe_next;
pub use require::{RequireLogin, RequireLoginLayer, RequireRole, RequireRoleLayer};

use pastry_sessions::{Session, SessionError};
use sha2::{Digest, Sha256};

use crate::{AuthError, User};

/// The session key holding the logged-in user's name.
pub const USER_KEY: &str = "pastry_auth.user";
/// The session key holding the fingerprint of the user's password hash.
pub const FINGERPRINT_KEY: &str = "pastry_auth.pw";

fn session_error(err: SessionError) -> AuthError {
    AuthError::Session(err.into())
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
/// planted before login is worthless) and stores the user's name and a
/// fingerprint of their password hash, so that changing the password logs
/// out every other session. After changing a user's password, call `login`
/// again in the session that changed it.
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
        .insert(USER_KEY, user.name())
        .await
        .map_err(session_error)?;
    session
        .insert(FINGERPRINT_KEY, &fingerprint(user.password_hash()))
        .await
        .map_err(session_error)?;
    tracing::info!(target: "pastry_auth", user = user.name(), "logged in");
    Ok(())
}

/// Logs the session's user out: removes only the keys [`login`] stored and
/// gives the session a new id; everything else in the session stays.
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
///         session.insert("cart", &3).await?;
///         logout(session).await?;
///         let cart: Option<u32> = session.get("cart").await?;
///         Ok::<_, Box<dyn std::error::Error + Send + Sync>>(Response::new(format!("{cart:?}")))
///     }));
/// let res = app.oneshot(Request::new(())).await?;
/// let body = http_body_util::BodyExt::collect(res.into_body()).await?.to_bytes();
/// assert_eq!(&body[..], b"Some(3)");
/// # Ok(())
/// # }
/// ```
pub async fn logout(session: &Session) -> Result<(), AuthError> {
    let name: Option<String> = session.get(USER_KEY).await.unwrap_or(None);
    session.remove(USER_KEY).await.map_err(session_error)?;
    session
        .remove(FINGERPRINT_KEY)
        .await
        .map_err(session_error)?;
    session.cycle_id().await.map_err(session_error)?;
    if let Some(name) = name {
        tracing::info!(target: "pastry_auth", user = %name, "logged out");
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
