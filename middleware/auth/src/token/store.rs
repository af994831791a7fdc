//! Where tokens live: [`TokenStore`], in memory or in a tokens file.

use std::collections::HashMap;
use std::future::Future;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::{ApiToken, TokenDigest, TokenSecret};
use crate::AuthError;

/// Looks tokens up by the digest of their secret.
pub trait TokenStore: Send + Sync + 'static {
    /// The token whose secret has `digest`, or `None` (unknown or revoked).
    fn find(
        &self,
        digest: &TokenDigest,
    ) -> impl Future<Output = Result<Option<ApiToken>, AuthError>> + Send;
}

impl<T: TokenStore> TokenStore for Arc<T> {
    fn find(
        &self,
        digest: &TokenDigest,
    ) -> impl Future<Output = Result<Option<ApiToken>, AuthError>> + Send {
        (**self).find(digest)
    }
}

/// Tokens held in memory, for tests and for apps that keep tokens
/// elsewhere and load them at start. Clones share the tokens.
///
/// ```
/// use pastry_auth::{MemoryTokenStore, TokenDigest, TokenStore};
///
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// let tokens = MemoryTokenStore::new();
/// let secret = tokens.create("ci", "alice", ["deploy"], None).unwrap();
/// let found = tokens.find(&TokenDigest::of(secret.expose())).await.unwrap().unwrap();
/// assert_eq!(found.user(), "alice");
/// assert!(tokens.revoke("ci"));
/// assert!(tokens.find(&TokenDigest::of(secret.expose())).await.unwrap().is_none());
/// # });
/// ```
#[derive(Clone, Debug, Default)]
pub struct MemoryTokenStore {
    tokens: Arc<RwLock<Tokens>>,
}

/// Tokens by name, and the name of each by digest.
#[derive(Debug, Default)]
struct Tokens {
    by_name: HashMap<Box<str>, ApiToken>,
    by_digest: HashMap<TokenDigest, Box<str>>,
}

impl Tokens {
    fn insert(&mut self, token: ApiToken) -> Result<(), AuthError> {
        if self.by_name.contains_key(token.name()) {
            return Err(AuthError::TokenExists(token.name().to_owned()));
        }
        self.by_digest.insert(token.digest(), token.name().into());
        self.by_name.insert(token.name().into(), token);
        Ok(())
    }

    fn remove(&mut self, name: &str) -> bool {
        match self.by_name.remove(name) {
            Some(token) => {
                self.by_digest.remove(&token.digest());
                true
            }
            None => false,
        }
    }

    fn find(&self, digest: &TokenDigest) -> Option<ApiToken> {
        let name = self.by_digest.get(digest)?;
        let token = self.by_name.get(name)?;
        // The map matched the digest by hash; confirm in constant time.
        (token.digest() == *digest).then(|| token.clone())
    }

    fn list(&self) -> Vec<ApiToken> {
        let mut tokens: Vec<ApiToken> = self.by_name.values().cloned().collect();
        tokens.sort_by(|a, b| a.name().cmp(b.name()));
        tokens
    }
}

impl MemoryTokenStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `token`; a name already taken is [`AuthError::TokenExists`].
    pub fn insert(&self, token: ApiToken) -> Result<(), AuthError> {
        self.write().insert(token)
    }

    /// Makes a token called `name` for `user` with `roles` and an optional
    /// expiry, keeps it, and returns its secret (shown once).
    pub fn create<I, R>(
        &self,
        name: &str,
        user: &str,
        roles: I,
        expires: Option<SystemTime>,
    ) -> Result<TokenSecret, AuthError>
    where
        I: IntoIterator<Item = R>,
        R: AsRef<str>,
    {
        let (token, secret) = new_token(name, user, roles, expires)?;
        self.insert(token)?;
        Ok(secret)
    }

    /// Removes the token called `name`; whether there was one.
    pub fn revoke(&self, name: &str) -> bool {
        self.write().remove(name)
    }

    /// Every token, by name.
    pub fn list(&self) -> Vec<ApiToken> {
        self.read().list()
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Tokens> {
        self.tokens.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Tokens> {
        self.tokens.write().unwrap_or_else(|e| e.into_inner())
    }
}

impl TokenStore for MemoryTokenStore {
    fn find(
        &self,
        digest: &TokenDigest,
    ) -> impl Future<Output = Result<Option<ApiToken>, AuthError>> + Send {
        std::future::ready(Ok(self.read().find(digest)))
    }
}

fn new_token<I, R>(
    name: &str,
    user: &str,
    roles: I,
    expires: Option<SystemTime>,
) -> Result<(ApiToken, TokenSecret), AuthError>
where
    I: IntoIterator<Item = R>,
    R: AsRef<str>,
{
    let (token, secret) = ApiToken::generate(name, user)?;
    let token = token.roles(roles)?;
    let token = match expires {
        Some(at) => token.expires(at),
        None => token,
    };
    Ok((token, secret))
}

/// How often a [`FileTokenStore`] looks at its file for changes.
const RELOAD_CHECK: Duration = Duration::from_secs(1);

/// Tokens in a text file, one per line, which the `pastry-passwd` program
/// and this type's methods edit and which is reloaded when it changes on
/// disk (looked at no more than once a second):
///
/// ```text
/// # name:user:sha256 of the secret:roles:expiry (Unix seconds, or empty)
/// ci:alice:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08:deploy,read:1798761600
/// ```
///
/// Writes go to a temporary file renamed over the old one (mode 0600 on
/// Unix), so a reader never sees half a file. Bad lines are skipped with a
/// warning naming the line number, never its text.
///
/// ```
/// use pastry_auth::{FileTokenStore, TokenDigest, TokenStore};
///
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// let dir = std::env::temp_dir().join(format!("pastry-tokens-doc-{}", std::process::id()));
/// std::fs::create_dir_all(&dir).unwrap();
/// let tokens = FileTokenStore::open(dir.join("tokens")).unwrap();
/// let secret = tokens.create("ci", "alice", ["deploy"], None).unwrap();
///
/// let again = FileTokenStore::open(dir.join("tokens")).unwrap();
/// let found = again.find(&TokenDigest::of(secret.expose())).await.unwrap().unwrap();
/// assert_eq!(found.name(), "ci");
/// assert!(again.revoke("ci").unwrap());
/// # std::fs::remove_dir_all(&dir).unwrap();
/// # });
/// ```
#[derive(Clone, Debug)]
pub struct FileTokenStore {
    shared: Arc<FileShared>,
}

#[derive(Debug)]
struct FileShared {
    path: PathBuf,
    tokens: RwLock<Tokens>,
    modified: Mutex<(Option<SystemTime>, Option<std::time::Instant>)>,
}

impl FileTokenStore {
    /// Opens the tokens file at `path`; a missing file is an empty store
    /// (created at the first write).
    pub fn open(path: impl AsRef<Path>) -> Result<Self, AuthError> {
        let path = path.as_ref().to_path_buf();
        let (tokens, modified) = read_file(&path)?;
        Ok(Self {
            shared: Arc::new(FileShared {
                path,
                tokens: RwLock::new(tokens),
                modified: Mutex::new((modified, Some(std::time::Instant::now()))),
            }),
        })
    }

    /// Makes a token and writes it to the file; returns its secret (shown
    /// once). A name already taken is [`AuthError::TokenExists`].
    pub fn create<I, R>(
        &self,
        name: &str,
        user: &str,
        roles: I,
        expires: Option<SystemTime>,
    ) -> Result<TokenSecret, AuthError>
    where
        I: IntoIterator<Item = R>,
        R: AsRef<str>,
    {
        let (token, secret) = new_token(name, user, roles, expires)?;
        self.edit(|tokens| tokens.insert(token))?;
        Ok(secret)
    }

    /// Removes the token called `name` from the file; whether there was one.
    pub fn revoke(&self, name: &str) -> Result<bool, AuthError> {
        self.edit(|tokens| Ok(tokens.remove(name)))
    }

    /// Every token in the file, by name.
    pub fn list(&self) -> Result<Vec<ApiToken>, AuthError> {
        self.reload_if_changed(true)?;
        Ok(self.read().list())
    }

    /// Reads the file afresh, changes it, and writes it back.
    fn edit<T>(
        &self,
        change: impl FnOnce(&mut Tokens) -> Result<T, AuthError>,
    ) -> Result<T, AuthError> {
        let (mut tokens, _) = read_file(&self.shared.path)?;
        let outcome = change(&mut tokens)?;
        write_file(&self.shared.path, &tokens)?;
        let modified = modified(&self.shared.path);
        *self
            .shared
            .tokens
            .write()
            .unwrap_or_else(|e| e.into_inner()) = tokens;
        *self
            .shared
            .modified
            .lock()
            .unwrap_or_else(|e| e.into_inner()) = (modified, Some(std::time::Instant::now()));
        Ok(outcome)
    }

    /// Reloads the file when its modification time changed; at most once
    /// per [`RELOAD_CHECK`] unless `now`.
    fn reload_if_changed(&self, now: bool) -> Result<(), AuthError> {
        {
            let mut state = self
                .shared
                .modified
                .lock()
                .unwrap_or_else(|e| e.into_inner());
            let due = now
                || state
                    .1
                    .is_none_or(|checked| checked.elapsed() >= RELOAD_CHECK);
            if !due {
                return Ok(());
            }
            state.1 = Some(std::time::Instant::now());
            if modified(&self.shared.path) == state.0 {
                return Ok(());
            }
        }
        let (tokens, modified) = read_file(&self.shared.path)?;
        *self
            .shared
            .tokens
            .write()
            .unwrap_or_else(|e| e.into_inner()) = tokens;
        self.shared
            .modified
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .0 = modified;
        tracing::info!(target: "pastry_auth", path = %self.shared.path.display(), "tokens file reloaded");
        Ok(())
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Tokens> {
        self.shared.tokens.read().unwrap_or_else(|e| e.into_inner())
    }
}

impl TokenStore for FileTokenStore {
    fn find(
        &self,
        digest: &TokenDigest,
    ) -> impl Future<Output = Result<Option<ApiToken>, AuthError>> + Send {
        let store = self.clone();
        let digest = *digest;
        async move {
            let checked = store.clone();
            tokio::task::spawn_blocking(move || checked.reload_if_changed(false))
                .await
                .map_err(|e| AuthError::Store(Box::new(e)))?
                .unwrap_or_else(|e| {
                    tracing::warn!(target: "pastry_auth", error = %e, "tokens file reload failed; keeping the tokens loaded before");
                });
            Ok(store.read().find(&digest))
        }
    }
}

fn modified(path: &Path) -> Option<SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

fn io_error(path: &Path) -> impl FnOnce(std::io::Error) -> AuthError + '_ {
    move |source| AuthError::Io {
        path: path.to_path_buf(),
        source,
    }
}

fn read_file(path: &Path) -> Result<(Tokens, Option<SystemTime>), AuthError> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(io_error(path)(e)),
    };
    let mut tokens = Tokens::default();
    for (index, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        match parse_line(line).map(|token| tokens.insert(token)) {
            Some(Ok(())) => {}
            Some(Err(_)) | None => {
                tracing::warn!(target: "pastry_auth", path = %path.display(), line = index + 1, "tokens file: bad or repeated line skipped");
            }
        }
    }
    Ok((tokens, modified(path)))
}

/// One `name:user:digest:roles:expiry` line.
fn parse_line(line: &str) -> Option<ApiToken> {
    let mut fields = line.split(':');
    let (name, user, digest, roles, expiry) = (
        fields.next()?,
        fields.next()?,
        fields.next()?,
        fields.next()?,
        fields.next()?,
    );
    if fields.next().is_some() {
        return None;
    }
    let token = ApiToken::from_digest(name, user, TokenDigest::from_hex(digest)?).ok()?;
    let token = token
        .roles(roles.split(',').filter(|r| !r.is_empty()))
        .ok()?;
    Some(match expiry {
        "" => token,
        secs => token.expires(UNIX_EPOCH + Duration::from_secs(secs.parse().ok()?)),
    })
}

fn write_file(path: &Path, tokens: &Tokens) -> Result<(), AuthError> {
    let mut text =
        String::from("# name:user:sha256 of the secret:roles:expiry (Unix seconds, or empty)\n");
    for token in tokens.list() {
        let roles: Vec<&str> = token.granted_roles().iter().collect();
        let expiry = token
            .expiry()
            .and_then(|at| at.duration_since(UNIX_EPOCH).ok())
            .map_or_else(String::new, |d| d.as_secs().to_string());
        text.push_str(&format!(
            "{}:{}:{}:{}:{}\n",
            token.name(),
            token.user(),
            token.digest().to_hex(),
            roles.join(","),
            expiry
        ));
    }
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let temp = dir.join(format!(
        ".{}.tmp{}",
        path.file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("tokens"),
        std::process::id()
    ));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(&temp).map_err(io_error(&temp))?;
    file.write_all(text.as_bytes()).map_err(io_error(&temp))?;
    file.sync_all().map_err(io_error(&temp))?;
    std::fs::rename(&temp, path).map_err(io_error(path))
}
