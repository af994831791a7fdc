use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use crate::session::{AtomicUpdate, Replay};
use crate::store::{BoxFuture, SaveOutcome, SessionStore};
use crate::{Record, SessionError, SessionKey};

const SUFFIX: &str = ".session";
const TEMP_SUFFIX: &str = ".tmp";
const LOCK_DIR: &str = ".locks";

/// Sessions as files in a directory: one JSON file per session, safe to
/// share between processes.
///
/// - File names are the hex SHA-256 of the session id (`<64 hex>.session`),
///   never cookie text, so no cookie can reach outside the directory.
/// - A save writes a temp file, fsyncs it and renames it over the old one:
///   a reader sees the old or the new record, never half of one.
/// - Saves and deletes hold an exclusive [`File::lock`] on one of 256 lock
///   files (in `.locks/`, chosen by the key's first byte), so the
///   compare-and-swap holds across processes. When a save conflicts, the
///   layer's replay holds that lock from reloading the record to writing it
///   back, so it cannot conflict again: concurrent requests on one session
///   never answer a 500.
/// - Expiry is checked on load; a corrupt or truncated file is logged and
///   treated as missing; [`delete_expired`](SessionStore::delete_expired)
///   removes expired and corrupt session files and temp files left by a
///   crash more than an hour earlier.
/// - All file I/O runs on tokio's blocking pool.
///
/// **Expired sessions stay on disk until a sweep removes them**: a load
/// ignores an expired file but does not delete it, so a directory grows by
/// one file per abandoned session until
/// [`delete_expired`](SessionStore::delete_expired) runs. Run it
/// periodically with [`spawn_cleanup`](crate::spawn_cleanup), started
/// beside the layer:
///
/// ```
/// use std::time::Duration;
/// use pastry_sessions::{FileStore, SessionLayer, spawn_cleanup};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let dir = tempfile::tempdir()?;
/// let store = FileStore::new(dir.path())?;
/// let _cleanup = spawn_cleanup(store.clone(), Duration::from_secs(10 * 60));
/// let layer = SessionLayer::new(store);
/// # let _ = layer;
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Debug)]
pub struct FileStore {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    dir: PathBuf,
    fsync: bool,
    stale_temp_after: Duration,
}

impl FileStore {
    /// A store in `dir`, created (with parents) if missing. Call it at
    /// start-up: it touches the file system directly.
    pub fn new(dir: impl AsRef<Path>) -> Result<Self, SessionError> {
        let dir = dir.as_ref().to_path_buf();
        fs::create_dir_all(dir.join(LOCK_DIR))?;
        Ok(Self {
            inner: Arc::new(Inner {
                dir,
                fsync: true,
                stale_temp_after: Duration::from_secs(60 * 60),
            }),
        })
    }

    /// Whether each save is fsynced before the rename (default on). Off
    /// trades durability across power loss for speed; a crashed process
    /// still never leaves a half-written session. The directory itself is
    /// not fsynced after the rename: after a power loss, a session saved in
    /// the last moments may come back at its previous version, never torn.
    pub fn fsync(self, fsync: bool) -> Self {
        self.with_inner(|inner| inner.fsync = fsync)
    }

    /// How old a leftover temp file must be before
    /// [`delete_expired`](SessionStore::delete_expired) removes it (default
    /// an hour).
    pub fn stale_temp_after(self, age: Duration) -> Self {
        self.with_inner(|inner| inner.stale_temp_after = age)
    }

    fn with_inner(self, f: impl FnOnce(&mut Inner)) -> Self {
        let mut inner = Inner {
            dir: self.inner.dir.clone(),
            fsync: self.inner.fsync,
            stale_temp_after: self.inner.stale_temp_after,
        };
        f(&mut inner);
        Self {
            inner: Arc::new(inner),
        }
    }

    /// The directory sessions are kept in.
    pub fn dir(&self) -> &Path {
        &self.inner.dir
    }

    async fn blocking<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Inner) -> Result<T, SessionError> + Send + 'static,
    ) -> Result<T, SessionError> {
        let inner = Arc::clone(&self.inner);
        tokio::task::spawn_blocking(move || f(&inner))
            .await
            .map_err(SessionError::worker)?
    }
}

impl Inner {
    fn path(&self, key: &SessionKey) -> PathBuf {
        self.dir.join(format!("{}{SUFFIX}", key.to_hex()))
    }

    /// Locks the stripe `key` belongs to until the returned file is dropped.
    fn lock(&self, key: &SessionKey) -> io::Result<File> {
        let path = self
            .dir
            .join(LOCK_DIR)
            .join(format!("{:02x}.lock", key.as_bytes()[0]));
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(path)?;
        file.lock()?;
        Ok(file)
    }

    /// The record in `path`: `None` when missing or corrupt (logged).
    fn read(&self, key: &SessionKey, path: &Path) -> Result<Option<Record>, SessionError> {
        let bytes = match fs::read(path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e.into()),
        };
        match Record::from_json(&bytes) {
            Ok(record) => Ok(Some(record)),
            Err(error) => {
                tracing::warn!(target: "pastry_sessions", session = %key.short(), error = %error, "corrupt session file treated as missing");
                Ok(None)
            }
        }
    }

    fn save(
        &self,
        key: &SessionKey,
        expected: u64,
        bytes: &[u8],
    ) -> Result<SaveOutcome, SessionError> {
        let path = self.path(key);
        let _lock = self.lock(key)?;
        let stored = self.read(key, &path)?.map_or(0, |r| r.version);
        if stored != expected {
            return Ok(SaveOutcome::Conflict);
        }
        self.write(key, &path, bytes)?;
        Ok(SaveOutcome::Saved)
    }

    /// Reloads, replays and saves under the stripe lock, so no other save
    /// or delete of the key (in any process) comes in between.
    fn update(
        &self,
        key: &SessionKey,
        now: SystemTime,
        replay: Replay,
    ) -> Result<Option<Record>, SessionError> {
        let path = self.path(key);
        let _lock = self.lock(key)?;
        let Some(latest) = self.read(key, &path)?.filter(|r| !r.is_expired(now)) else {
            return Ok(None);
        };
        let version = latest.next_version()?;
        let mut record = replay(latest);
        record.version = version;
        self.write(key, &path, &record.to_json())?;
        Ok(Some(record))
    }

    /// Writes `bytes` to a temp file and renames it over `path`; the
    /// caller holds the key's lock.
    fn write(&self, key: &SessionKey, path: &Path, bytes: &[u8]) -> Result<(), SessionError> {
        let temp = self.dir.join(format!(
            "{}.{}{TEMP_SUFFIX}",
            key.to_hex(),
            uuid::Uuid::new_v4().simple()
        ));
        let written = (|| {
            let mut file = File::create_new(&temp)?;
            file.write_all(bytes)?;
            if self.fsync {
                file.sync_all()?;
            }
            fs::rename(&temp, path)
        })();
        if let Err(e) = written {
            let _ = fs::remove_file(&temp);
            return Err(e.into());
        }
        Ok(())
    }

    fn delete(&self, key: &SessionKey) -> Result<(), SessionError> {
        let _lock = self.lock(key)?;
        remove_if_present(&self.path(key))
    }

    fn delete_expired(&self, now: SystemTime) -> Result<u64, SessionError> {
        let mut removed = 0;
        for entry in fs::read_dir(&self.dir)? {
            let entry = entry?;
            let name = entry.file_name();
            let Some(name) = name.to_str() else { continue };
            if name.ends_with(TEMP_SUFFIX) {
                let modified = entry.metadata()?.modified()?;
                let age = now.duration_since(modified).unwrap_or_default();
                if age >= self.stale_temp_after {
                    remove_if_present(&entry.path())?;
                }
                continue;
            }
            let Some(key) = name.strip_suffix(SUFFIX).and_then(SessionKey::from_hex) else {
                continue;
            };
            let path = entry.path();
            let dead = |record: Option<Record>| record.is_none_or(|r| r.is_expired(now));
            if !dead(self.read(&key, &path)?) {
                continue;
            }
            // Check again under the lock: a save may have just renewed it.
            let _lock = self.lock(&key)?;
            if path.exists() && dead(self.read(&key, &path)?) {
                remove_if_present(&path)?;
                removed += 1;
            }
        }
        Ok(removed)
    }
}

fn remove_if_present(path: &Path) -> Result<(), SessionError> {
    match fs::remove_file(path) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e.into()),
        _ => Ok(()),
    }
}

impl SessionStore for FileStore {
    async fn load(
        &self,
        key: &SessionKey,
        now: SystemTime,
    ) -> Result<Option<Record>, SessionError> {
        let key = *key;
        self.blocking(move |inner| {
            let record = inner.read(&key, &inner.path(&key))?;
            Ok(record.filter(|r| !r.is_expired(now)))
        })
        .await
    }

    async fn save(&self, key: &SessionKey, record: &Record) -> Result<SaveOutcome, SessionError> {
        let key = *key;
        let expected = record.version;
        let mut stored = record.clone();
        stored.version = record.next_version()?;
        let bytes = stored.to_json();
        self.blocking(move |inner| inner.save(&key, expected, &bytes))
            .await
    }

    async fn delete(&self, key: &SessionKey) -> Result<(), SessionError> {
        let key = *key;
        self.blocking(move |inner| inner.delete(&key)).await
    }

    async fn delete_expired(&self, now: SystemTime) -> Result<u64, SessionError> {
        self.blocking(move |inner| inner.delete_expired(now)).await
    }
}

impl AtomicUpdate for FileStore {
    fn update<'a>(
        &'a self,
        key: &'a SessionKey,
        now: SystemTime,
        replay: Replay,
    ) -> BoxFuture<'a, Result<Option<Record>, SessionError>> {
        let key = *key;
        Box::pin(self.blocking(move |inner| inner.update(&key, now, replay)))
    }
}
