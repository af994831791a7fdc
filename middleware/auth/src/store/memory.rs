use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, RwLock};

use crate::{AuthError, User, UserStore};

/// Users kept in memory: for tests, and for apps that load users their own
/// way. Cheap to clone; clones share the same users.
///
/// ```
/// use pastry_auth::{MemoryUserStore, PasswordHasher, User};
///
/// let hasher = PasswordHasher::builder().memory_kib(64).iterations(1).build().unwrap();
/// let users = MemoryUserStore::new();
/// users.insert(User::builder("alice", hasher.hash_blocking("secret").unwrap()).roles(["admin"]).build());
/// assert_eq!(users.len(), 1);
/// assert!(users.remove("alice"));
/// assert!(users.is_empty());
/// ```
#[derive(Clone, Debug, Default)]
pub struct MemoryUserStore {
    users: Arc<RwLock<HashMap<Arc<str>, User>>>,
}

impl MemoryUserStore {
    /// No users yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds or replaces a user. Names a users file could not store (empty,
    /// with `:` or control characters) are accepted here too.
    pub fn insert(&self, user: User) {
        let mut users = self.users.write().unwrap_or_else(|e| e.into_inner());
        users.insert(Arc::from(user.name()), user);
    }

    /// Removes a user; whether it was there.
    pub fn remove(&self, name: &str) -> bool {
        let mut users = self.users.write().unwrap_or_else(|e| e.into_inner());
        users.remove(name).is_some()
    }

    /// How many users there are.
    pub fn len(&self) -> usize {
        self.users.read().unwrap_or_else(|e| e.into_inner()).len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn get(&self, name: &str) -> Option<User> {
        self.users
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(name)
            .cloned()
    }
}

impl FromIterator<User> for MemoryUserStore {
    fn from_iter<I: IntoIterator<Item = User>>(iter: I) -> Self {
        let users = Self::new();
        for user in iter {
            users.insert(user);
        }
        users
    }
}

impl UserStore for MemoryUserStore {
    fn find(&self, name: &str) -> impl Future<Output = Result<Option<User>, AuthError>> + Send {
        std::future::ready(Ok(self.get(name)))
    }

    fn update_password_hash(
        &self,
        name: &str,
        password_hash: &str,
    ) -> impl Future<Output = Result<bool, AuthError>> + Send {
        let updated = {
            let mut users = self.users.write().unwrap_or_else(|e| e.into_inner());
            match users.get_mut(name) {
                Some(user) => {
                    *user = user.with_password_hash(password_hash);
                    true
                }
                None => false,
            }
        };
        std::future::ready(Ok(updated))
    }
}
