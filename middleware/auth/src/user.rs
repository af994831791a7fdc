//! Users, their roles, and the [`UserStore`] trait.

use std::fmt;
use std::future::Future;
use std::sync::Arc;

#[cfg(doc)]
use http::request::Parts;
use pastry_core::RequestHead;

use crate::AuthError;

/// The roles of the authenticated user, set as a request extension beside
/// [`RemoteUser`](pastry_core::RemoteUser) by the auth middleware. Read it
/// with [`RolesExt`].
///
/// ```
/// use pastry_auth::Roles;
///
/// let roles = Roles::new(["admin", "editor"]);
/// assert!(roles.contains("admin"));
/// assert!(!roles.contains("Admin"));
/// assert_eq!(roles.iter().collect::<Vec<_>>(), ["admin", "editor"]);
/// ```
#[derive(Clone, Default, PartialEq, Eq, Hash)]
pub struct Roles(Arc<[Box<str>]>);

impl Roles {
    /// Roles from names; order is kept, names are compared exactly.
    pub fn new<I, R>(roles: I) -> Self
    where
        I: IntoIterator<Item = R>,
        R: AsRef<str>,
    {
        Self(roles.into_iter().map(|r| Box::from(r.as_ref())).collect())
    }

    /// Whether `role` is among them.
    pub fn contains(&self, role: &str) -> bool {
        self.0.iter().any(|r| &**r == role)
    }

    /// The role names, in order.
    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(|r| &**r)
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Roles {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

/// Accessors for the [`Roles`] extension on a request (or its [`Parts`]):
/// on any [`RequestHead`], like [`pastry_core::Environ`].
///
/// ```
/// use http::Request;
/// use pastry_auth::{Roles, RolesExt};
///
/// let mut req = Request::get("/").body(()).unwrap();
/// assert!(req.roles().is_empty());
/// req.extensions_mut().insert(Roles::new(["admin"]));
/// assert!(req.has_role("admin"));
/// assert!(!req.has_role("root"));
/// ```
pub trait RolesExt: RequestHead {
    /// The user's roles; empty when nobody is logged in.
    fn roles(&self) -> Roles {
        RequestHead::extensions(self)
            .get::<Roles>()
            .cloned()
            .unwrap_or_default()
    }

    /// Whether the logged-in user has `role`.
    fn has_role(&self, role: &str) -> bool {
        RequestHead::extensions(self)
            .get::<Roles>()
            .is_some_and(|roles| roles.contains(role))
    }
}

impl<T: RequestHead> RolesExt for T {}

/// A user as a [`UserStore`] knows it: name, argon2 PHC password hash,
/// roles and an optional credential version. Cheap to clone.
///
/// [`User::new`] makes a user with no roles; [`User::builder`] sets the
/// rest. The methods of `User` read (`roles()`, `credential_version()`);
/// the methods of [`UserBuilder`] set, under the same names.
///
/// ```
/// use pastry_auth::User;
///
/// let hash = "$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA";
/// let user = User::builder("alice", hash).roles(["admin"]).credential_version(3).build();
/// assert_eq!(user.name(), "alice");
/// assert!(user.roles().contains("admin"));
/// assert_eq!(user.credential_version(), Some(3));
/// assert!(User::new("bob", hash).roles().is_empty());
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct User {
    name: Arc<str>,
    password_hash: Arc<str>,
    roles: Roles,
    version: Option<u64>,
}

impl fmt::Debug for User {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("User")
            .field("name", &self.name)
            .field("roles", &self.roles)
            .field("version", &self.version)
            .finish_non_exhaustive()
    }
}

impl User {
    /// A user with no roles and no credential version.
    pub fn new(name: impl Into<Arc<str>>, password_hash: impl Into<Arc<str>>) -> Self {
        Self {
            name: name.into(),
            password_hash: password_hash.into(),
            roles: Roles::default(),
            version: None,
        }
    }

    /// Starts a user with roles or a credential version; finish with
    /// [`UserBuilder::build`].
    pub fn builder(name: impl Into<Arc<str>>, password_hash: impl Into<Arc<str>>) -> UserBuilder {
        UserBuilder {
            user: Self::new(name, password_hash),
        }
    }

    /// The user's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The stored PHC string.
    pub fn password_hash(&self) -> &str {
        &self.password_hash
    }

    /// The user's roles.
    pub fn roles(&self) -> &Roles {
        &self.roles
    }

    /// The credential version set with
    /// [`UserBuilder::credential_version`], if any.
    pub fn credential_version(&self) -> Option<u64> {
        self.version
    }

    /// The user's roles.
    #[deprecated(since = "0.2.0", note = "renamed `roles`")]
    pub fn role_list(&self) -> &Roles {
        &self.roles
    }

    /// The credential version, if any.
    #[deprecated(since = "0.2.0", note = "renamed `credential_version`")]
    pub fn version(&self) -> Option<u64> {
        self.version
    }

    /// This user with another password hash (after a rehash or a change),
    /// keeping the credential version: after a change, bump it too.
    pub fn with_password_hash(&self, password_hash: impl Into<Arc<str>>) -> Self {
        Self {
            name: Arc::clone(&self.name),
            password_hash: password_hash.into(),
            roles: self.roles.clone(),
            version: self.version,
        }
    }
}

/// Sets a [`User`]'s roles and credential version; made by
/// [`User::builder`]. Nothing here can fail: names are checked where they
/// are stored (a users file).
#[derive(Clone, Debug)]
pub struct UserBuilder {
    user: User,
}

impl UserBuilder {
    /// The user's roles (replacing any set before).
    pub fn roles<I, R>(mut self, roles: I) -> Self
    where
        I: IntoIterator<Item = R>,
        R: AsRef<str>,
    {
        self.user.roles = Roles::new(roles);
        self
    }

    /// The user's credential version: sessions logged in as this user
    /// stay logged in as long as the version stays the same, whatever the
    /// password hash looks like. Bump it whenever the password changes.
    ///
    /// Without a version, a session is bound to a fingerprint of the stored
    /// hash, which is right when the hash is stored (a users file, a
    /// database): it changes exactly when the password does. It is wrong for
    /// users built in code at start-up with
    /// [`hash_blocking`](crate::PasswordHasher::hash_blocking): each process
    /// draws a new salt, so every restart, and every other instance of a
    /// fleet, would log everybody out. Give such users a version (from the
    /// same config as the password). A deterministic salt would make the
    /// hash stable too, but it lets an attacker precompute guesses for a
    /// known name before any leak; a version costs nothing and says what it
    /// means.
    ///
    /// ```
    /// use pastry_auth::{PasswordHasher, User};
    ///
    /// let hasher = PasswordHasher::builder().memory_kib(64).iterations(1).build().unwrap();
    /// let alice = User::builder("alice", hasher.hash_blocking("wonderland").unwrap())
    ///     .credential_version(1)
    ///     .build();
    /// assert_eq!(alice.credential_version(), Some(1));
    /// ```
    pub fn credential_version(mut self, version: u64) -> Self {
        self.user.version = Some(version);
        self
    }

    /// The user.
    pub fn build(self) -> User {
        self.user
    }
}

/// Where the auth middleware looks users up.
///
/// Implemented by [`MemoryUserStore`](crate::MemoryUserStore) and
/// [`FileUserStore`](crate::FileUserStore); implement it for a database of your own.
/// Lookups run on every authenticated request, so keep them cheap, and run
/// blocking I/O on a blocking thread.
///
/// ```
/// use pastry_auth::{MemoryUserStore, User, UserStore};
///
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// let users = MemoryUserStore::new();
/// users.insert(User::new("alice", "$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA"));
/// assert_eq!(users.find("alice").await.unwrap().unwrap().name(), "alice");
/// assert!(users.find("bob").await.unwrap().is_none());
/// # });
/// ```
pub trait UserStore: Send + Sync + 'static {
    /// The user called `name`, or `None`.
    fn find(&self, name: &str) -> impl Future<Output = Result<Option<User>, AuthError>> + Send;

    /// Replaces the password hash of `name`; `Ok(false)` when the store
    /// cannot be updated or has no such user. The default does nothing.
    fn update_password_hash(
        &self,
        name: &str,
        password_hash: &str,
    ) -> impl Future<Output = Result<bool, AuthError>> + Send {
        let _ = (name, password_hash);
        std::future::ready(Ok(false))
    }
}

impl<U: UserStore> UserStore for Arc<U> {
    fn find(&self, name: &str) -> impl Future<Output = Result<Option<User>, AuthError>> + Send {
        (**self).find(name)
    }

    fn update_password_hash(
        &self,
        name: &str,
        password_hash: &str,
    ) -> impl Future<Output = Result<bool, AuthError>> + Send {
        (**self).update_password_hash(name, password_hash)
    }
}

/// Checks a user name for storage: non-empty, not starting with `#`, no `:`
/// and no control characters.
pub(crate) fn check_user_name(name: &str) -> Result<(), AuthError> {
    if name.is_empty()
        || name.starts_with('#')
        || name.contains(':')
        || name.chars().any(char::is_control)
    {
        return Err(AuthError::InvalidUserName(name.to_owned()));
    }
    Ok(())
}

/// Checks a role name: non-empty, no `:`, `,`, whitespace or control
/// characters.
pub(crate) fn check_role(role: &str) -> Result<(), AuthError> {
    if role.is_empty()
        || role.contains([':', ','])
        || role.chars().any(|c| c.is_control() || c.is_whitespace())
    {
        return Err(AuthError::InvalidRole(role.to_owned()));
    }
    Ok(())
}
