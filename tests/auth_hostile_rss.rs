//! argon2 working memory is pooled: 200 failed logins with OWASP's
//! parameters leave the resident set near `max_concurrent` x 19 MiB above
//! where it started, not hundreds of MiB (the allocator used to keep every
//! freed buffer of every blocking thread). Measured in a child process (this
//! test binary run again) so other tests do not disturb the figure.

use std::net::IpAddr;
use std::process::Command;
use std::time::Duration;

use pastry::auth::{Authenticator, MemoryUserStore, OWASP_MEMORY_KIB, PasswordHasher, User};

const CHILD_ENV: &str = "PASTRY_AUTH_RSS_CHILD";
const MAX_CONCURRENT: usize = 2;
const LOGINS: usize = 200;

fn rss_bytes() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap();
    let resident: u64 = statm.split_whitespace().nth(1).unwrap().parse().unwrap();
    resident * 4096
}

#[test]
fn failed_logins_keep_argon2_memory_within_the_pool() {
    if !std::path::Path::new("/proc/self/statm").exists() {
        eprintln!("no /proc/self/statm: skipped");
        return;
    }
    let out = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "measure_rss",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_ENV, "1")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    println!("{stdout}");
    assert!(
        out.status.success() && stdout.contains("rss before"),
        "child failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Run by the test above in a child process; does nothing on its own.
#[test]
#[ignore = "run as a child process by failed_logins_keep_argon2_memory_within_the_pool"]
fn measure_rss() {
    if std::env::var(CHILD_ENV).is_err() {
        return;
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let hasher = PasswordHasher::builder()
        .max_concurrent(MAX_CONCURRENT)
        .max_queue(LOGINS)
        .max_wait(Duration::from_secs(600))
        .build()
        .unwrap();
    let users = MemoryUserStore::new();
    users.insert(User::new(
        "alice",
        hasher.hash_blocking("wonderland").unwrap(),
    ));
    let auth = Authenticator::new(users).hasher(hasher.clone());
    let before = rss_bytes();
    runtime.block_on(async {
        let tasks: Vec<_> = (0..LOGINS)
            .map(|i| {
                let auth = auth.clone();
                tokio::spawn(async move {
                    // Unknown names from many addresses: every one costs a
                    // full argon2 run and none is throttled.
                    let name = format!("mallory{i}");
                    let addr = IpAddr::from([10, 1, (i / 250) as u8, (i % 250) as u8]);
                    auth.authenticate(&name, "guess", Some(addr)).await
                })
            })
            .collect();
        for task in tasks {
            assert!(matches!(
                task.await.unwrap(),
                Err(pastry::auth::AuthError::InvalidCredentials)
            ));
        }
    });
    let after = rss_bytes();
    let mib = |b: u64| b as f64 / (1024.0 * 1024.0);
    let pool = MAX_CONCURRENT as u64 * u64::from(OWASP_MEMORY_KIB) * 1024;
    println!(
        "rss before {:.1} MiB, after {LOGINS} failed logins {:.1} MiB (growth {:.1} MiB; pool bound {:.1} MiB; {} buffers; {} argon2 runs)",
        mib(before),
        mib(after),
        mib(after.saturating_sub(before)),
        mib(pool),
        hasher.memory_buffers(),
        hasher.argon2_runs(),
    );
    assert!(hasher.memory_buffers() <= MAX_CONCURRENT);
    assert!(
        after.saturating_sub(before) < pool + 64 * 1024 * 1024,
        "resident set grew by {:.1} MiB",
        mib(after.saturating_sub(before))
    );
}
