//! Crash safety of the file and SQLite session stores: a writer process is
//! killed with SIGKILL at random moments, 50 times per store, and after
//! every kill each session loads as its last acknowledged version or the
//! one being written, never a torn mix; leftover temp files go at the next
//! sweep.
//!
//! The writer is this test binary itself, re-run with
//! `PASTRY_CRASH_WRITER` set, which turns `crash_writer_child` from a no-op
//! into an endless writer. It prints `ack <session> <generation>` after
//! each save returns; the parent reads those lines, so it knows for each
//! session the last generation stored for sure (`acked`) and the one
//! possibly in flight (`acked + 1`).
//!
//! Set `PASTRY_RELIABILITY_REPORT=1` to print the figures RELIABILITY.md
//! quotes.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, SystemTime};

use pastry::sessions::{FileStore, Record, SaveOutcome, SessionKey, SessionStore, SqliteStore};
use serde_json::Value;

const WRITER_ENV: &str = "PASTRY_CRASH_WRITER";
const SESSIONS: u8 = 16;
const KILLS: usize = 50;

fn key(session: u8) -> SessionKey {
    SessionKey::from_bytes([session; 32])
}

/// The padding generation `generation` of `session` carries: 2 to 18 KiB,
/// so a torn write would show as a wrong or short pad.
fn pad(session: u8, generation: u64) -> String {
    let len = 2048 + (generation as usize * 997 + usize::from(session) * 131) % 16384;
    let digit = char::from(b'a' + (generation % 26) as u8);
    std::iter::repeat_n(digit, len).collect()
}

fn record_for(session: u8, generation: u64, previous: Option<&Record>) -> Record {
    let now = SystemTime::now();
    let mut record = previous
        .cloned()
        .unwrap_or_else(|| Record::new(now, now + Duration::from_secs(3600)));
    record.expires_at = now + Duration::from_secs(3600);
    record.data.insert("session".into(), session.into());
    record.data.insert("generation".into(), generation.into());
    record
        .data
        .insert("pad".into(), pad(session, generation).into());
    record
}

/// The generation a loaded record holds, after checking it is whole.
fn generation_of(session: u8, record: &Record) -> u64 {
    assert_eq!(record.data.get("session"), Some(&Value::from(session)));
    let generation = record
        .data
        .get("generation")
        .and_then(Value::as_u64)
        .expect("a generation");
    assert_eq!(
        record.data.get("pad").and_then(Value::as_str),
        Some(pad(session, generation).as_str()),
        "session {session} generation {generation}: torn pad"
    );
    // Every save of a generation bumps the version by one.
    assert_eq!(record.version, generation);
    generation
}

enum Kind {
    File,
    Sqlite,
}

async fn open(kind: &Kind, place: &Path) -> StoreHandle {
    match kind {
        Kind::File => StoreHandle::File(
            FileStore::new(place)
                .expect("file store")
                .stale_temp_after(Duration::ZERO),
        ),
        Kind::Sqlite => StoreHandle::Sqlite(SqliteStore::open(place).expect("sqlite store")),
    }
}

enum StoreHandle {
    File(FileStore),
    Sqlite(SqliteStore),
}

impl StoreHandle {
    async fn load(&self, key: &SessionKey) -> Option<Record> {
        let now = SystemTime::now();
        match self {
            StoreHandle::File(s) => s.load(key, now).await,
            StoreHandle::Sqlite(s) => s.load(key, now).await,
        }
        .expect("load works")
    }

    async fn save(&self, key: &SessionKey, record: &Record) -> SaveOutcome {
        match self {
            StoreHandle::File(s) => s.save(key, record).await,
            StoreHandle::Sqlite(s) => s.save(key, record).await,
        }
        .expect("save works")
    }

    async fn sweep(&self) -> u64 {
        let now = SystemTime::now();
        match self {
            StoreHandle::File(s) => s.delete_expired(now).await,
            StoreHandle::Sqlite(s) => s.delete_expired(now).await,
        }
        .expect("sweep works")
    }
}

/// Not a test of its own: the writer process body, idle unless
/// `PASTRY_CRASH_WRITER` is `file:<dir>` or `sqlite:<path>`.
#[test]
fn crash_writer_child() {
    let Ok(target) = std::env::var(WRITER_ENV) else {
        return;
    };
    let (kind, place) = match target.split_once(':') {
        Some(("file", dir)) => (Kind::File, dir.to_owned()),
        Some(("sqlite", path)) => (Kind::Sqlite, path.to_owned()),
        _ => panic!("bad {WRITER_ENV}={target}"),
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let store = open(&kind, Path::new(&place)).await;
        let mut out = std::io::stdout().lock();
        let mut session = 0u8;
        loop {
            let previous = store.load(&key(session)).await;
            let generation = previous.as_ref().map_or(0, |r| generation_of(session, r)) + 1;
            let record = record_for(session, generation, previous.as_ref());
            assert_eq!(store.save(&key(session), &record).await, SaveOutcome::Saved);
            writeln!(out, "ack {session} {generation}").expect("stdout");
            out.flush().expect("stdout");
            session = (session + 1) % SESSIONS;
        }
    });
}

/// xorshift64*: enough randomness for kill moments, seeded per run.
struct Rng(u64);

impl Rng {
    fn seeded() -> Self {
        let nanos = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(1, |d| d.as_nanos() as u64);
        Self(nanos | 1)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) % n
    }
}

fn spawn_writer(target: &str) -> Child {
    Command::new(std::env::current_exe().expect("test binary path"))
        .args([
            "crash_writer_child",
            "--exact",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(WRITER_ENV, target)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawning the writer")
}

#[derive(Default)]
struct Figures {
    acks: u64,
    in_flight_landed: u64,
    temp_files_swept: u64,
}

/// Runs the kill loop against `target`; checks after every kill.
fn kill_loop(kind: Kind, target: &str, place: &Path) -> Figures {
    let mut rng = Rng::seeded();
    let seed = rng.0;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let mut acked: HashMap<u8, u64> = HashMap::new();
    let mut figures = Figures::default();
    for round in 0..KILLS {
        let mut child = spawn_writer(target);
        let mut lines = BufReader::new(child.stdout.take().expect("piped stdout")).lines();
        // Let it acknowledge a random number of saves, then kill it a
        // random moment later: mostly in the middle of the next save.
        let wanted = 1 + rng.below(24);
        let mut seen = 0;
        while seen < wanted {
            let line = lines
                .next()
                .unwrap_or_else(|| panic!("writer died early (seed {seed}, round {round})"))
                .expect("reading the writer");
            let Some(rest) = ack(&line) else {
                continue;
            };
            let (session, generation) = rest.split_once(' ').expect("ack line");
            acked.insert(
                session.parse().expect("session"),
                generation.parse().expect("generation"),
            );
            seen += 1;
        }
        std::thread::sleep(Duration::from_micros(rng.below(3000)));
        child.kill().expect("SIGKILL");
        // Acks written before the kill but not read yet still count.
        for line in lines.map_while(Result::ok) {
            if let Some(rest) = ack(&line)
                && let Some((session, generation)) = rest.split_once(' ')
                && let (Ok(session), Ok(generation)) = (session.parse(), generation.parse())
            {
                acked.insert(session, generation);
                seen += 1;
            }
        }
        child.wait().expect("reaping the writer");
        figures.acks += seen;

        rt.block_on(async {
            let store = open(&kind, place).await;
            for session in 0..SESSIONS {
                let before = acked.get(&session).copied().unwrap_or(0);
                let found = store
                    .load(&key(session))
                    .await
                    .map_or(0, |r| generation_of(session, &r));
                assert!(
                    found == before || found == before + 1,
                    "session {session}: found generation {found}, acked {before} \
                     (seed {seed}, round {round})"
                );
                if found == before + 1 {
                    figures.in_flight_landed += 1;
                }
                acked.insert(session, found);
            }
            if let Kind::File = kind {
                let temps = count_temp_files(place);
                assert_eq!(store.sweep().await, 0, "no live session is swept");
                assert_eq!(
                    count_temp_files(place),
                    0,
                    "temp files left after the sweep"
                );
                figures.temp_files_swept += temps;
            } else {
                assert_eq!(store.sweep().await, 0, "no live session is swept");
            }
        });
    }
    figures
}

/// The `<session> <generation>` of an ack line. The first one shares its
/// line with the test harness's `test crash_writer_child ... `.
fn ack(line: &str) -> Option<&str> {
    line.find("ack ").map(|at| &line[at + 4..])
}

fn count_temp_files(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .expect("store dir")
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
        .count() as u64
}

fn report(store: &str, figures: &Figures) {
    if std::env::var_os("PASTRY_RELIABILITY_REPORT").is_some() {
        eprintln!(
            "{store}: {KILLS} kills, {} acknowledged saves, {} in-flight saves landed, \
             {} temp files swept",
            figures.acks, figures.in_flight_landed, figures.temp_files_swept
        );
    }
}

#[test]
fn file_store_sessions_survive_sigkill_whole() {
    let dir = tempfile::tempdir().expect("temp dir");
    let target = format!("file:{}", dir.path().display());
    let figures = kill_loop(Kind::File, &target, dir.path());
    assert!(figures.acks >= KILLS as u64);
    report("file", &figures);
}

#[test]
fn sqlite_store_sessions_survive_sigkill_whole() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("sessions.db");
    let target = format!("sqlite:{}", path.display());
    let figures = kill_loop(Kind::Sqlite, &target, &path);
    assert!(figures.acks >= KILLS as u64);
    let conn = rusqlite::Connection::open(&path).expect("open the database");
    let check: String = conn
        .query_row("PRAGMA integrity_check", [], |row| row.get(0))
        .expect("integrity check");
    assert_eq!(check, "ok");
    report("sqlite", &figures);
}
