use std::collections::HashMap;
use std::fs;
use std::future::Future;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant, SystemTime};

use argon2::password_hash::PasswordHash;

use crate::user::{check_role, check_user_name};
use crate::{AuthError, User, UserStore};

/// A bad line of a users file: its 1-based number and what is wrong. The
/// line's text is not kept (it may hold a hash).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LineProblem {
    /// The line number, from 1.
    pub line: usize,
    /// What is wrong with it.
    pub reason: &'static str,
}

/// Parses users-file text: one `name:$argon2id$...:role1,role2` line per
/// user (the roles field is optional), blank lines and `#` comments ignored.
/// Bad lines are returned as problems and skipped; a repeated name keeps its
/// first line.
///
/// ```
/// use pastry_auth::parse_users;
///
/// let text = "# users\nalice:$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA:admin,ops\nbroken line\n";
/// let (users, problems) = parse_users(text);
/// assert_eq!(users.len(), 1);
/// assert!(users[0].roles().contains("ops"));
/// assert_eq!(problems.len(), 1);
/// assert_eq!(problems[0].line, 3);
/// ```
pub fn parse_users(text: &str) -> (Vec<User>, Vec<LineProblem>) {
    let mut users: Vec<User> = Vec::new();
    let mut seen: HashMap<&str, ()> = HashMap::new();
    let mut problems = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let number = index + 1;
        match parse_line(line) {
            Ok(None) => {}
            Ok(Some((name, hash, roles))) => {
                if seen.insert(name, ()).is_some() {
                    problems.push(LineProblem {
                        line: number,
                        reason: "user name repeated; the first line wins",
                    });
                } else {
                    users.push(User::builder(name, hash).roles(roles).build());
                }
            }
            Err(reason) => problems.push(LineProblem {
                line: number,
                reason,
            }),
        }
    }
    (users, problems)
}

type Line<'a> = (&'a str, &'a str, Vec<&'a str>);

fn parse_line(line: &str) -> Result<Option<Line<'_>>, &'static str> {
    let line = line.strip_suffix('\r').unwrap_or(line);
    let trimmed = line.trim();
    if trimmed.is_empty() || trimmed.starts_with('#') {
        return Ok(None);
    }
    let mut fields = line.split(':');
    let name = fields.next().unwrap_or_default();
    let Some(hash) = fields.next() else {
        return Err("expected name:hash[:roles]");
    };
    let roles = fields.next().unwrap_or_default();
    if fields.next().is_some() {
        return Err("too many ':' separated fields");
    }
    if check_user_name(name).is_err() {
        return Err("invalid user name");
    }
    let hash = hash.trim();
    if PasswordHash::new(hash).is_err() {
        return Err("password hash is not a PHC string");
    }
    let roles: Vec<&str> = roles
        .split(',')
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .collect();
    if roles.iter().any(|r| check_role(r).is_err()) {
        return Err("invalid role name");
    }
    Ok(Some((name, hash, roles)))
}

/// Formats one users-file line (without the newline).
fn format_line(user: &User) -> Result<String, AuthError> {
    check_user_name(user.name())?;
    if PasswordHash::new(user.password_hash()).is_err()
        || user.password_hash().contains([':', '\n'])
    {
        return Err(AuthError::Hash("not a PHC string".into()));
    }
    for role in user.roles().iter() {
        check_role(role)?;
    }
    let roles: Vec<&str> = user.roles().iter().collect();
    Ok(format!(
        "{}:{}:{}",
        user.name(),
        user.password_hash(),
        roles.join(",")
    ))
}

/// What identifies one version of the file on disk.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Stamp {
    modified: Option<SystemTime>,
    len: u64,
    inode: u64,
}

impl Stamp {
    fn of(meta: &fs::Metadata) -> Self {
        #[cfg(unix)]
        let inode = std::os::unix::fs::MetadataExt::ino(meta);
        #[cfg(not(unix))]
        let inode = 0;
        Self {
            modified: meta.modified().ok(),
            len: meta.len(),
            inode,
        }
    }
}

struct Loaded {
    stamp: Option<Stamp>,
    users: HashMap<Arc<str>, User>,
    problems: Vec<LineProblem>,
}

struct Shared {
    path: PathBuf,
    check_every: Duration,
    loaded: RwLock<Arc<Loaded>>,
    last_check: Mutex<Option<Instant>>,
}

/// An htpasswd-style users file, one `name:$argon2id$...:role1,role2` line
/// per user, reloaded when it changes on disk.
///
/// Lookups compare the file's modification time, size and inode at most once
/// per [`check_every`](Self::check_every) (default 1 s), on a blocking
/// thread, and re-read it when they differ. Bad lines are logged with their
/// line number, listed by [`problems`](Self::problems) and skipped. A missing
/// file means no users; a file that cannot be read keeps the users last
/// loaded. Write it with [`save_user`](Self::save_user) or the
/// `pastry-passwd` program, which replace it atomically.
///
/// ```
/// use pastry_auth::{PasswordHasher, User, FileUserStore};
///
/// let dir = tempfile::tempdir().unwrap();
/// let path = dir.path().join("users");
/// let hasher = PasswordHasher::builder().memory_kib(64).iterations(1).build().unwrap();
/// FileUserStore::save_user(&path, &User::builder("alice", hasher.hash_blocking("pw").unwrap()).roles(["admin"]).build()).unwrap();
///
/// let users = FileUserStore::open(&path).unwrap();
/// assert_eq!(users.len(), 1);
/// assert!(users.problems().is_empty());
/// ```
#[derive(Clone)]
pub struct FileUserStore {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for FileUserStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FileUserStore")
            .field("path", &self.shared.path)
            .field("check_every", &self.shared.check_every)
            .finish_non_exhaustive()
    }
}

impl FileUserStore {
    /// Loads the file at `path` now (blocking; call it at start-up). A
    /// missing file is an empty user list; an unreadable one is an error.
    pub fn open(path: impl Into<PathBuf>) -> Result<Self, AuthError> {
        let path = path.into();
        let loaded = load(&path)?;
        Ok(Self {
            shared: Arc::new(Shared {
                path,
                check_every: Duration::from_secs(1),
                loaded: RwLock::new(Arc::new(loaded)),
                last_check: Mutex::new(Some(Instant::now())),
            }),
        })
    }

    /// How often lookups may look at the file for changes (default 1 s;
    /// zero checks on every lookup).
    pub fn check_every(self, every: Duration) -> Self {
        let shared = match Arc::try_unwrap(self.shared) {
            Ok(mut shared) => {
                shared.check_every = every;
                shared
            }
            Err(shared) => Shared {
                path: shared.path.clone(),
                check_every: every,
                loaded: RwLock::new(Arc::clone(
                    &shared.loaded.read().unwrap_or_else(|e| e.into_inner()),
                )),
                last_check: Mutex::new(None),
            },
        };
        Self {
            shared: Arc::new(shared),
        }
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.shared.path
    }

    /// The bad lines of the version last loaded.
    pub fn problems(&self) -> Vec<LineProblem> {
        self.current().problems.clone()
    }

    /// How many users the version last loaded has.
    pub fn len(&self) -> usize {
        self.current().users.len()
    }

    /// Whether the version last loaded has no users.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn current(&self) -> Arc<Loaded> {
        Arc::clone(&self.shared.loaded.read().unwrap_or_else(|e| e.into_inner()))
    }

    /// Looks at the file now (on a blocking thread) and reloads it if it
    /// changed.
    pub async fn refresh(&self) {
        let shared = Arc::clone(&self.shared);
        let _ = tokio::task::spawn_blocking(move || refresh_blocking(&shared)).await;
    }

    async fn maybe_refresh(&self) {
        let due = {
            let mut last = self
                .shared
                .last_check
                .lock()
                .unwrap_or_else(|e| e.into_inner());
            let now = Instant::now();
            let due = last.is_none_or(|at| now.duration_since(at) >= self.shared.check_every);
            if due {
                *last = Some(now);
            }
            due
        };
        if due {
            self.refresh().await;
        }
    }

    /// Adds `user`'s line to the file at `path`, or replaces the line of the
    /// user with that name, keeping every other line as it was. Writes a
    /// temporary file beside it and renames it over the old one, so readers
    /// see the old or the new file, never half of one. Blocking.
    pub fn save_user(path: impl AsRef<Path>, user: &User) -> Result<(), AuthError> {
        let path = path.as_ref();
        let line = format_line(user)?;
        let io = |source| AuthError::Io {
            path: path.to_owned(),
            source,
        };
        let old = match fs::read_to_string(path) {
            Ok(text) => Some(text),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => return Err(io(e)),
        };
        let mut out = String::new();
        let mut replaced = false;
        for text in old.as_deref().unwrap_or_default().lines() {
            let is_user = !replaced
                && text
                    .split_once(':')
                    .is_some_and(|(name, _)| name == user.name());
            if is_user {
                out.push_str(&line);
                replaced = true;
            } else {
                out.push_str(text);
            }
            out.push('\n');
        }
        if !replaced {
            out.push_str(&line);
            out.push('\n');
        }
        let permissions = fs::metadata(path).ok().map(|m| m.permissions());
        write_atomically(path, out.as_bytes(), permissions).map_err(io)
    }
}

fn write_atomically(
    path: &Path,
    bytes: &[u8],
    permissions: Option<fs::Permissions>,
) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut attempt = 0u32;
    let (tmp_path, mut file) = loop {
        let suffix: u64 = rand::random();
        let tmp_path = dir.join(format!(".{file_name}.{suffix:016x}.tmp"));
        let mut options = fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        match options.open(&tmp_path) {
            Ok(file) => break (tmp_path, file),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && attempt < 8 => attempt += 1,
            Err(e) => return Err(e),
        }
    };
    let written = (|| {
        file.write_all(bytes)?;
        if let Some(permissions) = permissions {
            file.set_permissions(permissions)?;
        }
        file.sync_all()?;
        drop(file);
        fs::rename(&tmp_path, path)?;
        if let Ok(dir) = fs::File::open(dir) {
            let _ = dir.sync_all();
        }
        Ok(())
    })();
    if written.is_err() {
        let _ = fs::remove_file(&tmp_path);
    }
    written
}

fn load(path: &Path) -> Result<Loaded, AuthError> {
    let io = |source| AuthError::Io {
        path: path.to_owned(),
        source,
    };
    let meta = match fs::metadata(path) {
        Ok(meta) => meta,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            tracing::warn!(target: "pastry_auth", path = %path.display(), "users file missing: no users");
            return Ok(Loaded {
                stamp: None,
                users: HashMap::new(),
                problems: Vec::new(),
            });
        }
        Err(e) => return Err(io(e)),
    };
    let text = fs::read_to_string(path).map_err(io)?;
    let (list, problems) = parse_users(&text);
    for problem in &problems {
        tracing::warn!(
            target: "pastry_auth",
            path = %path.display(),
            line = problem.line,
            reason = problem.reason,
            "bad line in users file skipped"
        );
    }
    let users = list.into_iter().map(|u| (Arc::from(u.name()), u)).collect();
    Ok(Loaded {
        stamp: Some(Stamp::of(&meta)),
        users,
        problems,
    })
}

fn refresh_blocking(shared: &Shared) {
    let current = Arc::clone(&shared.loaded.read().unwrap_or_else(|e| e.into_inner()));
    let stamp = match fs::metadata(&shared.path) {
        Ok(meta) => Some(Stamp::of(&meta)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => {
            tracing::warn!(target: "pastry_auth", path = %shared.path.display(), error = %e, "cannot stat users file");
            return;
        }
    };
    if stamp == current.stamp {
        return;
    }
    match load(&shared.path) {
        Ok(loaded) => {
            tracing::info!(target: "pastry_auth", path = %shared.path.display(), users = loaded.users.len(), "users file reloaded");
            *shared.loaded.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(loaded);
        }
        Err(e) => {
            tracing::warn!(target: "pastry_auth", error = %e, "users file reload failed; keeping the users loaded before");
        }
    }
}

impl UserStore for FileUserStore {
    async fn find(&self, name: &str) -> Result<Option<User>, AuthError> {
        self.maybe_refresh().await;
        Ok(self.current().users.get(name).cloned())
    }

    fn update_password_hash(
        &self,
        name: &str,
        password_hash: &str,
    ) -> impl Future<Output = Result<bool, AuthError>> + Send {
        let this = self.clone();
        let name = name.to_owned();
        let password_hash = password_hash.to_owned();
        async move {
            let job = tokio::task::spawn_blocking(move || {
                refresh_blocking(&this.shared);
                let Some(user) = this.current().users.get(name.as_str()).cloned() else {
                    return Ok(false);
                };
                FileUserStore::save_user(
                    &this.shared.path,
                    &user.with_password_hash(password_hash),
                )?;
                refresh_blocking(&this.shared);
                Ok(true)
            });
            job.await.map_err(|e| AuthError::Store(e.into()))?
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HASH: &str = "$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA";

    #[test]
    fn bad_lines_are_numbered_and_skipped() {
        let text = format!(
            "\n# comment\nalice:{HASH}\nnocolon\n:{HASH}\nbob:plaintext\ncarol:{HASH}:a b\ndave:{HASH}:x:y\nalice:{HASH}:late\nerin:{HASH}: ops , dev \r\n"
        );
        let (users, problems) = parse_users(&text);
        let names: Vec<_> = users.iter().map(User::name).collect();
        assert_eq!(names, ["alice", "erin"]);
        assert!(users[0].roles().is_empty());
        assert_eq!(users[1].roles().iter().collect::<Vec<_>>(), ["ops", "dev"]);
        let lines: Vec<_> = problems.iter().map(|p| p.line).collect();
        assert_eq!(lines, [4, 5, 6, 7, 8, 9]);
    }

    #[test]
    fn format_refuses_what_parse_would_reject() {
        assert!(format_line(&User::new("a:b", HASH)).is_err());
        assert!(format_line(&User::new("a", "plain")).is_err());
        assert!(format_line(&User::builder("a", HASH).roles(["x,y"]).build()).is_err());
        assert_eq!(
            format_line(&User::builder("a", HASH).roles(["x", "y"]).build()).unwrap(),
            format!("a:{HASH}:x,y")
        );
    }
}
