//! [`CookieStore`]: the whole session record sealed into its cookie.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::SystemTime;

use base64::Engine;
use base64::alphabet;
use base64::engine::DecodePaddingMode;
use base64::engine::general_purpose::{
    GeneralPurpose, GeneralPurposeConfig, STANDARD, URL_SAFE_NO_PAD,
};
use chacha20poly1305::aead::{Aead, AeadCore, KeyInit, OsRng, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};

use crate::id::SessionId;
use crate::store::{SaveOutcome, SessionStore};
use crate::{Record, SessionError, SessionKey};

/// The most bytes a session's `Set-Cookie` may take, name, value and
/// attributes together: the least every browser must keep per cookie
/// (RFC 6265, section 6.1). A record whose cookie would be larger is not
/// saved (see [`CookieStore`]).
pub const MAX_COOKIE_BYTES: usize = 4096;

/// The first byte of every sealed value: the layout below it.
const FORMAT: u8 = 1;
/// XChaCha20-Poly1305's nonce and tag lengths.
const NONCE_LEN: usize = 24;
const TAG_LEN: usize = 16;
/// The session id's bytes at the head of the sealed payload.
const ID_LEN: usize = 16;

/// Why a cookie key or a [`CookieStore`] setting cannot work, or why a
/// session could not be sealed into its cookie.
///
/// ```
/// use pastry_sessions::{CookieError, CookieKeys};
///
/// let err = CookieKeys::parse("c2hvcnQ=").unwrap_err();
/// assert!(matches!(err, CookieError::KeyLength { index: 0, len: 5 }));
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CookieError {
    /// No key was given (an empty variable or file).
    #[error(
        "no cookie key given: put one or more 32-byte keys (base64 or hex) in the variable or file"
    )]
    NoKey,
    /// A key is neither 64 hex digits nor base64.
    #[error("cookie key number {index} (from 0) is neither 64 hex digits nor base64")]
    KeyEncoding {
        /// The key's position in the list, from 0.
        index: usize,
    },
    /// A key does not decode to 32 bytes.
    #[error("cookie key number {index} (from 0) is {len} bytes; a key is 32 bytes")]
    KeyLength {
        /// The key's position in the list, from 0.
        index: usize,
        /// How many bytes it decoded to.
        len: usize,
    },
    /// The environment variable meant to hold the keys is unset or not
    /// UTF-8.
    #[error("environment variable `{var}` (the cookie keys) is not set or not UTF-8")]
    KeyEnv {
        /// The variable's name.
        var: String,
    },
    /// The file meant to hold the keys could not be read.
    #[error("cookie key file `{}` could not be read", path.display())]
    KeyFile {
        /// The file.
        path: PathBuf,
        /// What reading it reported.
        #[source]
        source: std::io::Error,
    },
    /// A `cookie:` URL carried something where only `key_env=` or
    /// `key_file=` may be: a key never goes in a URL (URLs end up in logs,
    /// shell histories and process lists).
    #[error(
        "a `cookie:` URL names where the keys are (`cookie:?key_env=VAR` or `cookie:?key_file=/path`), never a key itself"
    )]
    KeyInUrl,
    /// The session would make a cookie larger than [`MAX_COOKIE_BYTES`]:
    /// it was not saved and the client keeps its previous cookie.
    #[error("the session's cookie would be {size} bytes, over the {limit}-byte limit; not saved")]
    TooLarge {
        /// The `Set-Cookie` value's length, in bytes.
        size: usize,
        /// The limit, [`MAX_COOKIE_BYTES`].
        limit: usize,
    },
    /// A [`CookieStore`] was used as a server-side store (wrapped in
    /// another store, or called directly): it keeps nothing on the server.
    #[error(
        "a CookieStore keeps nothing on the server: give it to SessionLayer::new directly (or as AnyStore), not wrapped in another store"
    )]
    NotServerSide,
}

/// The keys a [`CookieStore`] seals and opens cookies with: 32 bytes each
/// (XChaCha20-Poly1305). The first seals; every one opens, so a new key is
/// put first and the old one kept after it until the cookies it sealed
/// have expired.
///
/// Keys are written as 64 hex digits or base64 (standard or URL-safe,
/// padded or not), separated by commas or newlines. `openssl rand -base64
/// 32` makes one, and so does [`CookieKeys::generate`]. Neither `Debug`
/// nor any error or log line shows a key.
///
/// ```
/// use pastry_sessions::{CookieKeys, CookieStore};
///
/// let new = CookieKeys::generate();
/// let old = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
/// let keys = CookieKeys::parse(&format!("{new},{old}"))?;
/// assert_eq!(keys.len(), 2);
/// assert!(!format!("{keys:?}").contains(old));
/// let store = CookieStore::new(keys);
/// # let _ = store;
/// # Ok::<(), pastry_sessions::CookieError>(())
/// ```
#[derive(Clone)]
pub struct CookieKeys {
    ciphers: Arc<[XChaCha20Poly1305]>,
}

impl CookieKeys {
    /// Reads keys from text: 32-byte keys as 64 hex digits or base64,
    /// separated by commas or newlines (blank entries skipped). The first
    /// seals.
    pub fn parse(text: &str) -> Result<Self, CookieError> {
        let mut ciphers = Vec::new();
        for (index, entry) in text
            .split([',', '\n', '\r'])
            .map(str::trim)
            .filter(|e| !e.is_empty())
            .enumerate()
        {
            let bytes = decode_key(entry).ok_or(CookieError::KeyEncoding { index })?;
            if bytes.len() != 32 {
                return Err(CookieError::KeyLength {
                    index,
                    len: bytes.len(),
                });
            }
            let cipher = XChaCha20Poly1305::new_from_slice(&bytes)
                .map_err(|_| CookieError::KeyLength { index, len: 32 })?;
            ciphers.push(cipher);
        }
        if ciphers.is_empty() {
            return Err(CookieError::NoKey);
        }
        Ok(Self {
            ciphers: ciphers.into(),
        })
    }

    /// Reads keys from the environment variable `var` (see
    /// [`parse`](Self::parse)).
    pub fn from_env(var: &str) -> Result<Self, CookieError> {
        let text = std::env::var(var).map_err(|_| CookieError::KeyEnv {
            var: var.to_owned(),
        })?;
        Self::parse(&text)
    }

    /// Reads keys from a file, one per line or separated by commas (see
    /// [`parse`](Self::parse)).
    pub fn from_file(path: impl AsRef<Path>) -> Result<Self, CookieError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| CookieError::KeyFile {
            path: path.to_owned(),
            source,
        })?;
        Self::parse(&text)
    }

    /// A new random key from the operating system, as base64: what to put
    /// in the variable or file.
    pub fn generate() -> String {
        let key = XChaCha20Poly1305::generate_key(&mut OsRng);
        STANDARD.encode(key)
    }

    /// How many keys there are.
    pub fn len(&self) -> usize {
        self.ciphers.len()
    }

    /// Always `false`: a `CookieKeys` holds at least one key.
    pub fn is_empty(&self) -> bool {
        self.ciphers.is_empty()
    }
}

impl fmt::Debug for CookieKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CookieKeys")
            .field("count", &self.ciphers.len())
            .finish_non_exhaustive()
    }
}

/// 64 hex digits, else base64 in any of its common spellings.
fn decode_key(text: &str) -> Option<Vec<u8>> {
    if text.len() == 64 && text.bytes().all(|b| b.is_ascii_hexdigit()) {
        return (0..32)
            .map(|i| u8::from_str_radix(&text[2 * i..2 * i + 2], 16).ok())
            .collect();
    }
    let lenient =
        GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent);
    [
        GeneralPurpose::new(&alphabet::STANDARD, lenient),
        GeneralPurpose::new(&alphabet::URL_SAFE, lenient),
    ]
    .iter()
    .find_map(|engine| engine.decode(text).ok())
}

/// Sessions kept entirely in their cookie, sealed (encrypted and
/// authenticated) with XChaCha20-Poly1305 under [`CookieKeys`]: no
/// server-side state, so any number of processes share sessions with only
/// the keys in common.
///
/// Give it to [`SessionLayer::new`](crate::SessionLayer::new) (directly or
/// as [`AnyStore`](crate::AnyStore)`::Cookie`, from a `cookie:` URL): the
/// layer then puts the sealed record in the cookie instead of an id. The
/// rest of the layer works as with any store: the cookie name and
/// attributes (`__Host-` by default), `Cache-Control: private` and
/// `Vary: Cookie`, [`Session::cycle_id`](crate::Session::cycle_id) at
/// login (the id inside the cookie changes), the idle timeout and the
/// absolute lifetime, which are sealed in the cookie with the values, so a
/// copy of an old cookie is refused once its time has passed, whatever the
/// browser does with `Max-Age`.
///
/// A cookie that was tampered with, truncated, sealed under a key no
/// longer listed, is not base64, is longer than [`MAX_COOKIE_BYTES`] or
/// has expired is ignored: the request gets a fresh, empty session, never
/// an error. A cookie opened with a key other than the first is sealed
/// again under the first when a handler next uses the session.
///
/// **Size**: the whole `Set-Cookie` (name, sealed value, attributes) must
/// fit in [`MAX_COOKIE_BYTES`] (4 KiB, what every browser keeps). The
/// sealed value is base64 (a third larger) of the record as JSON plus 57
/// bytes (format, nonce, id, tag), so about 2.8 KB of session values fit
/// (one string value of 2 858 bytes, with the default cookie). A save that would exceed it is
/// [`CookieError::TooLarge`]: logged at `warn` (sizes only, never values),
/// no `Set-Cookie` is sent, so the browser keeps its previous cookie, and
/// the app's response goes out unchanged. Keep large data server-side and
/// only a reference in the session.
///
/// **What a cookie store cannot do**, by its nature:
///
/// - revoke one session on the server: there is no server-side record to
///   delete. [`Session::destroy`](crate::Session::destroy) (logout)
///   removes the cookie from that browser, but a copy of the cookie taken
///   earlier stays valid until its idle expiry or absolute lifetime ends;
///   keep both short. Rotating the keys (a new first key, the old one
///   dropped) logs everyone out at once;
/// - protect against a stolen cookie: it is valid until it expires, from
///   anywhere;
/// - merge concurrent requests: each response carries a whole new cookie,
///   so of two concurrent requests that change the session, the browser
///   keeps the cookie of the one answered last (last writer wins), and the
///   other's changes are lost;
/// - tell a request still carrying the cookie from before a
///   [`cycle_id`](crate::Session::cycle_id) from any other: that old
///   cookie stays valid until it expires;
/// - sweep: [`delete_expired`](SessionStore::delete_expired) has nothing
///   to do.
///
/// Values are encrypted, so the client cannot read or change them, but
/// every request carries them: keep sessions small.
///
/// ```
/// use http::{Request, Response, header};
/// use pastry_sessions::{CookieKeys, CookieStore, SessionExt, SessionLayer};
/// use tower::{ServiceBuilder, ServiceExt, service_fn};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
/// // In production: CookieKeys::from_env("PASTRY_SESSION_KEYS")?
/// let keys = CookieKeys::parse(&CookieKeys::generate())?;
/// let app = ServiceBuilder::new()
///     .layer(SessionLayer::new(CookieStore::new(keys)))
///     .service(service_fn(|req: Request<()>| async move {
///         let session = req.session().expect("behind a SessionLayer");
///         session.insert("user", "alice").await?;
///         Ok::<_, pastry_sessions::SessionError>(Response::new(()))
///     }));
///
/// let res = app.oneshot(Request::new(())).await?;
/// let cookie = res.headers()[header::SET_COOKIE].to_str()?;
/// assert!(cookie.starts_with("__Host-id="));
/// assert!(!cookie.contains("alice"), "sealed, not readable");
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Debug)]
pub struct CookieStore {
    keys: CookieKeys,
}

impl CookieStore {
    /// A store sealing with the first of `keys` and opening with any.
    pub fn new(keys: CookieKeys) -> Self {
        Self { keys }
    }

    /// The sealed cookie value of session `id` holding `record`, bound to
    /// the cookie's `name` (a value moved to another cookie name does not
    /// open).
    pub(crate) fn seal(
        &self,
        id: &SessionId,
        record: &Record,
        name: &str,
    ) -> Result<String, SessionError> {
        let mut plain = Vec::with_capacity(ID_LEN + 128);
        plain.extend_from_slice(&id.to_bytes());
        plain.extend_from_slice(&record.to_json());
        let nonce = XChaCha20Poly1305::generate_nonce(&mut OsRng);
        let sealed = self.keys.ciphers[0]
            .encrypt(
                &nonce,
                Payload {
                    msg: &plain,
                    aad: name.as_bytes(),
                },
            )
            .map_err(|_| CookieError::TooLarge {
                size: plain.len(),
                limit: MAX_COOKIE_BYTES,
            })?;
        let mut out = Vec::with_capacity(1 + NONCE_LEN + sealed.len());
        out.push(FORMAT);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&sealed);
        Ok(URL_SAFE_NO_PAD.encode(out))
    }

    /// Opens a cookie value sealed by [`seal`](Self::seal) under the cookie
    /// `name`: the session id, its record, and whether a key other than the
    /// first opened it. `None` for anything else (tampered, truncated,
    /// foreign, unknown key, oversized).
    pub(crate) fn open(&self, value: &str, name: &str) -> Option<(SessionId, Record, bool)> {
        if value.len() > MAX_COOKIE_BYTES {
            return None;
        }
        let bytes = URL_SAFE_NO_PAD.decode(value).ok()?;
        let (&format, rest) = bytes.split_first()?;
        if format != FORMAT || rest.len() < NONCE_LEN + TAG_LEN + ID_LEN {
            return None;
        }
        let (nonce, sealed) = rest.split_at(NONCE_LEN);
        let nonce = XNonce::from_slice(nonce);
        let (index, plain) = self
            .keys
            .ciphers
            .iter()
            .enumerate()
            .find_map(|(i, cipher)| {
                cipher
                    .decrypt(
                        nonce,
                        Payload {
                            msg: sealed,
                            aad: name.as_bytes(),
                        },
                    )
                    .ok()
                    .map(|plain| (i, plain))
            })?;
        let (id, json) = plain.split_at_checked(ID_LEN)?;
        let id = SessionId::from_bytes(id.try_into().ok()?);
        let record = Record::from_json(json).ok()?;
        Some((id, record, index > 0))
    }
}

/// The layer never calls these for a `CookieStore` it was given: it seals
/// the record into the cookie instead. Called directly (or through a
/// wrapper the layer does not recognise), the store holds nothing: `load`
/// finds nothing, `save` fails with [`CookieError::NotServerSide`], and
/// `delete` and `delete_expired` have nothing to remove.
impl SessionStore for CookieStore {
    async fn load(
        &self,
        _key: &SessionKey,
        _now: SystemTime,
    ) -> Result<Option<Record>, SessionError> {
        Ok(None)
    }

    async fn save(&self, _key: &SessionKey, _record: &Record) -> Result<SaveOutcome, SessionError> {
        Err(CookieError::NotServerSide.into())
    }

    async fn delete(&self, _key: &SessionKey) -> Result<(), SessionError> {
        Ok(())
    }

    async fn delete_expired(&self, _now: SystemTime) -> Result<u64, SessionError> {
        Ok(0)
    }
}

/// `cookie:?key_env=VAR` or `cookie:?key_file=/path`: exactly one of them,
/// nothing else. Errors never echo the URL, which may hold a key pasted
/// by mistake.
pub(crate) fn from_url(rest: &str) -> Result<CookieStore, SessionError> {
    let (location, query) = rest.split_once('?').unwrap_or((rest, ""));
    if !location.is_empty() {
        return Err(CookieError::KeyInUrl.into());
    }
    let mut options = Vec::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').ok_or(CookieError::KeyInUrl)?;
        options.push((k, v));
    }
    let bad = |reason: &str| SessionError::Url {
        url: "cookie:?…".to_owned(),
        reason: reason.to_owned(),
    };
    let keys = match options[..] {
        [("key_env", var)] => CookieKeys::from_env(var)?,
        [("key_file", path)] => CookieKeys::from_file(path)?,
        [] => return Err(bad("`cookie:` needs `?key_env=VAR` or `?key_file=/path`")),
        _ if options
            .iter()
            .all(|(k, _)| *k == "key_env" || *k == "key_file") =>
        {
            return Err(bad("give one of `key_env=` and `key_file=`, once"));
        }
        _ => return Err(CookieError::KeyInUrl.into()),
    };
    Ok(CookieStore::new(keys))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, UNIX_EPOCH};

    const HEX_KEY: &str = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

    fn store(text: &str) -> CookieStore {
        CookieStore::new(CookieKeys::parse(text).unwrap())
    }

    fn record() -> Record {
        let now = UNIX_EPOCH + Duration::from_secs(1_800_000_000);
        let mut record = Record::new(now, now + Duration::from_secs(60));
        record.data.insert("user".into(), "alice".into());
        record.version = 3;
        record
    }

    #[test]
    fn keys_parse_from_hex_and_every_base64_spelling() {
        let bytes: Vec<u8> = (0..32).collect();
        let standard = STANDARD.encode(&bytes);
        let url = URL_SAFE_NO_PAD.encode(&bytes);
        let text = format!(
            "{HEX_KEY},\n{standard}\r\n{url}, {}",
            standard.trim_end_matches('=')
        );
        assert_eq!(CookieKeys::parse(&text).unwrap().len(), 4);
    }

    #[test]
    fn bad_keys_are_typed_errors() {
        assert!(matches!(CookieKeys::parse(""), Err(CookieError::NoKey)));
        assert!(matches!(CookieKeys::parse(" ,\n"), Err(CookieError::NoKey)));
        assert!(matches!(
            CookieKeys::parse(&format!("{HEX_KEY},not base64!")),
            Err(CookieError::KeyEncoding { index: 1 })
        ));
        assert!(matches!(
            CookieKeys::parse(&STANDARD.encode([7u8; 16])),
            Err(CookieError::KeyLength { index: 0, len: 16 })
        ));
    }

    #[test]
    fn sealed_values_open_only_unaltered_under_their_name() {
        let store = store(HEX_KEY);
        let id = SessionId::random();
        let value = store.seal(&id, &record(), "id").unwrap();
        assert!(!value.contains("alice"));
        let (opened_id, opened, old_key) = store.open(&value, "id").unwrap();
        assert_eq!((opened_id, opened, old_key), (id, record(), false));
        assert!(store.open(&value, "other").is_none(), "bound to the name");
        assert!(store.open(&value[..value.len() - 1], "id").is_none());
        let mut bytes = URL_SAFE_NO_PAD.decode(&value).unwrap();
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        assert!(store.open(&URL_SAFE_NO_PAD.encode(&bytes), "id").is_none());
        assert!(store.open("!!!", "id").is_none());
        assert!(store.open("", "id").is_none());
    }

    #[test]
    fn every_key_opens_and_the_first_seals() {
        let old = store(HEX_KEY);
        let value = old.seal(&SessionId::random(), &record(), "id").unwrap();
        let both = store(&format!("{},{HEX_KEY}", CookieKeys::generate()));
        assert!(both.open(&value, "id").unwrap().2, "opened by an older key");
        let resealed = both.seal(&SessionId::random(), &record(), "id").unwrap();
        assert!(old.open(&resealed, "id").is_none(), "sealed by the new key");
        assert!(!both.open(&resealed, "id").unwrap().2);
    }

    #[test]
    fn urls_take_the_key_from_elsewhere_only() {
        assert!(matches!(
            from_url(HEX_KEY),
            Err(SessionError::Cookie(CookieError::KeyInUrl))
        ));
        assert!(matches!(
            from_url(&format!("?key={HEX_KEY}")),
            Err(SessionError::Cookie(CookieError::KeyInUrl))
        ));
        assert!(matches!(
            from_url(&format!("?{HEX_KEY}")),
            Err(SessionError::Cookie(CookieError::KeyInUrl))
        ));
        assert!(matches!(from_url(""), Err(SessionError::Url { .. })));
        assert!(matches!(
            from_url("?key_env=A&key_file=/b"),
            Err(SessionError::Url { .. })
        ));
        assert!(matches!(
            from_url("?key_env=PASTRY_TEST_NO_SUCH_VARIABLE_9f3a"),
            Err(SessionError::Cookie(CookieError::KeyEnv { .. }))
        ));
    }
}
