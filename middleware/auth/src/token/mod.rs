//! API tokens: random bearer secrets for scripts, kept only as digests.
//!
//! A token is 256 random bits, written `pst_` followed by 43 base64url
//! characters; the prefix lets secret scanners and people recognise one.
//! It is shown once, when it is made, and stored only as its SHA-256
//! digest. A fast hash is right here, where argon2 is right for passwords:
//! a password is guessable, so its hash must make each guess expensive; a
//! token has 256 bits of randomness, so nobody can guess it or invert its
//! digest however fast the hash, and a fast hash keeps each request's check
//! at a microsecond.

mod layer;
mod store;

use std::fmt;
use std::time::SystemTime;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

pub use layer::{BearerAuth, BearerAuthLayer};
pub use store::{FileTokenStore, MemoryTokenStore, TokenStore};

use crate::user::{check_role, check_user_name};
use crate::{AuthError, Roles};

/// What every Pastry API token starts with.
pub const TOKEN_PREFIX: &str = "pst_";

/// The SHA-256 digest of a token: what a store keeps and looks up.
///
/// ```
/// use pastry_auth::TokenDigest;
///
/// let digest = TokenDigest::of("pst_example");
/// assert_eq!(TokenDigest::from_hex(&digest.to_hex()), Some(digest));
/// assert_eq!(digest.to_hex().len(), 64);
/// ```
#[derive(Clone, Copy, Eq)]
pub struct TokenDigest([u8; 32]);

impl TokenDigest {
    /// The digest of `token` as the client sends it.
    pub fn of(token: &str) -> Self {
        Self(Sha256::digest(token.as_bytes()).into())
    }

    /// Lowercase hexadecimal, 64 characters.
    pub fn to_hex(&self) -> String {
        self.0.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// Parses 64 hexadecimal characters; `None` for anything else.
    pub fn from_hex(hex: &str) -> Option<Self> {
        if hex.len() != 64 || !hex.is_ascii() {
            return None;
        }
        let mut bytes = [0u8; 32];
        for (i, byte) in bytes.iter_mut().enumerate() {
            *byte = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).ok()?;
        }
        Some(Self(bytes))
    }
}

impl PartialEq for TokenDigest {
    /// Compares in constant time.
    fn eq(&self, other: &Self) -> bool {
        self.0.ct_eq(&other.0).into()
    }
}

impl std::hash::Hash for TokenDigest {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        // Equal digests have equal bytes, as the constant-time `eq` says.
        self.0.hash(state);
    }
}

impl fmt::Debug for TokenDigest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TokenDigest({}…)", &self.to_hex()[..8])
    }
}

/// A token's secret text, as given to its owner once. Its `Debug` output
/// hides it; read it with [`expose`](Self::expose).
///
/// ```
/// use pastry_auth::ApiToken;
///
/// let (token, secret) = ApiToken::generate("deploy", "alice").unwrap();
/// assert!(secret.expose().starts_with("pst_"));
/// assert_eq!(secret.expose().len(), 47);
/// assert!(!format!("{secret:?}").contains(secret.expose()));
/// assert_eq!(token.digest(), pastry_auth::TokenDigest::of(secret.expose()));
/// ```
#[derive(Clone)]
pub struct TokenSecret(String);

impl TokenSecret {
    /// The secret text, to show its owner once.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for TokenSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TokenSecret(…)")
    }
}

/// An API token as a store keeps it: its name, the user it acts for, the
/// roles it grants (its scopes), an optional expiry, and the digest of its
/// secret. The secret itself is never kept.
///
/// ```
/// use std::time::{Duration, SystemTime};
/// use pastry_auth::ApiToken;
///
/// let in_a_month = SystemTime::now() + Duration::from_secs(30 * 24 * 3600);
/// let (token, _secret) = ApiToken::generate("ci", "alice").unwrap();
/// let token = token.roles(["deploy"]).unwrap().expires(in_a_month);
/// assert_eq!(token.user(), "alice");
/// assert!(token.granted_roles().contains("deploy"));
/// assert!(!token.is_expired(SystemTime::now()));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiToken {
    name: Box<str>,
    user: Box<str>,
    roles: Roles,
    expires: Option<SystemTime>,
    digest: TokenDigest,
}

impl ApiToken {
    /// Makes a fresh token called `name` for `user`: the token to store
    /// and the secret to hand over. Names follow the rules of user names
    /// (non-empty, no `:`, no control characters).
    pub fn generate(name: &str, user: &str) -> Result<(Self, TokenSecret), AuthError> {
        // rand's thread generator is a CSPRNG seeded from the OS.
        let random: [u8; 32] = rand::random();
        let secret = format!("{TOKEN_PREFIX}{}", URL_SAFE_NO_PAD.encode(random));
        let token = Self::from_digest(name, user, TokenDigest::of(&secret))?;
        Ok((token, TokenSecret(secret)))
    }

    /// A token known by its digest (as a store reads it back).
    pub fn from_digest(name: &str, user: &str, digest: TokenDigest) -> Result<Self, AuthError> {
        check_user_name(name)?;
        check_user_name(user)?;
        Ok(Self {
            name: name.into(),
            user: user.into(),
            roles: Roles::default(),
            expires: None,
            digest,
        })
    }

    /// The roles the token grants; each must be a valid role name.
    pub fn roles<I, R>(mut self, roles: I) -> Result<Self, AuthError>
    where
        I: IntoIterator<Item = R>,
        R: AsRef<str>,
    {
        let roles: Vec<R> = roles.into_iter().collect();
        for role in &roles {
            check_role(role.as_ref())?;
        }
        self.roles = Roles::new(roles);
        Ok(self)
    }

    /// When the token stops working.
    pub fn expires(mut self, at: SystemTime) -> Self {
        self.expires = Some(at);
        self
    }

    /// The token's name (unique in a store).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The user the token acts for.
    pub fn user(&self) -> &str {
        &self.user
    }

    /// The roles a request with this token gets.
    pub fn granted_roles(&self) -> &Roles {
        &self.roles
    }

    /// When it expires, if ever.
    pub fn expiry(&self) -> Option<SystemTime> {
        self.expires
    }

    /// The digest of its secret.
    pub fn digest(&self) -> TokenDigest {
        self.digest
    }

    /// Whether it has expired at `now`.
    pub fn is_expired(&self, now: SystemTime) -> bool {
        self.expires.is_some_and(|at| at <= now)
    }
}
