//! [`OidcClaims`]: what a verified ID token says about the user.

use serde_json::{Map, Value};

/// The claims of a verified ID token, handed to the function given to
/// [`OidcLayerBuilder::map_user`](crate::OidcLayerBuilder::map_user). Only
/// a token whose signature, issuer, audience, expiry and nonce were
/// checked ever becomes one.
///
/// ```
/// use pastry_oidc::OidcClaims;
///
/// let claims = OidcClaims::from_json(r#"{"iss":"http://idp","sub":"u1","email":"a@example.com","groups":["admin","staff"]}"#).unwrap();
/// assert_eq!(claims.subject(), "u1");
/// assert_eq!(claims.email(), Some("a@example.com"));
/// assert_eq!(claims.claim_strs("groups"), ["admin", "staff"]);
/// assert_eq!(claims.claim_str("missing"), None);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct OidcClaims {
    issuer: String,
    subject: String,
    all: Map<String, Value>,
}

impl OidcClaims {
    /// Claims from a JSON object (a token's payload); `None` unless it is an
    /// object with string `iss` and `sub`. For tests and examples: the layer
    /// builds them only from verified tokens.
    pub fn from_json(json: &str) -> Option<Self> {
        let all: Map<String, Value> = serde_json::from_str(json).ok()?;
        Self::from_map(all)
    }

    pub(crate) fn from_map(all: Map<String, Value>) -> Option<Self> {
        let issuer = all.get("iss")?.as_str()?.to_owned();
        let subject = all.get("sub")?.as_str()?.to_owned();
        Some(Self {
            issuer,
            subject,
            all,
        })
    }

    /// The provider that issued the token (`iss`).
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// The user's stable identifier at that provider (`sub`).
    pub fn subject(&self) -> &str {
        &self.subject
    }

    /// The `email` claim.
    pub fn email(&self) -> Option<&str> {
        self.claim_str("email")
    }

    /// The `email_verified` claim; `false` when absent.
    pub fn email_verified(&self) -> bool {
        self.all
            .get("email_verified")
            .and_then(Value::as_bool)
            .unwrap_or(false)
    }

    /// The `preferred_username` claim.
    pub fn preferred_username(&self) -> Option<&str> {
        self.claim_str("preferred_username")
    }

    /// The `name` claim.
    pub fn name(&self) -> Option<&str> {
        self.claim_str("name")
    }

    /// Any claim whose value is a string.
    pub fn claim_str(&self, name: &str) -> Option<&str> {
        self.all.get(name).and_then(Value::as_str)
    }

    /// The strings of a claim holding an array (such as `groups` or
    /// `roles`), or of a claim holding one string; empty otherwise.
    pub fn claim_strs(&self, name: &str) -> Vec<&str> {
        match self.all.get(name) {
            Some(Value::String(one)) => vec![one.as_str()],
            Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        }
    }

    /// The names of every claim in the token.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.all.keys().map(String::as_str)
    }
}
