//! Two `altdemo` processes on one Redis share one rate limit: a client
//! alternating between them gets one burst in all, not one per process.
//! With the counts in each process's memory instead, it gets one burst
//! from each: what the shared store is for.
//!
//! The Redis server is named by `PASTRY_TEST_REDIS_URL` (unset: the Redis
//! test is skipped with a line saying so; `.ci/run` sets it). The demo is
//! the binary cargo builds beside the tests:
//! `cargo build --example altdemo --all-features && cargo test --all-features --test ratelimit_fleet`.

#![cfg(all(feature = "ratelimit", feature = "redis"))]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{SystemTime, UNIX_EPOCH};

use http::StatusCode;

/// The altdemo binary built beside this test binary.
fn altdemo_exe() -> std::path::PathBuf {
    let test_exe = std::env::current_exe().unwrap();
    let profile_dir = test_exe.parent().unwrap().parent().unwrap();
    profile_dir.join("examples").join("altdemo")
}

/// An altdemo process on a free port; killed when dropped.
struct Demo {
    child: Child,
    base: String,
}

impl Demo {
    fn start(args: &[&str]) -> Demo {
        let exe = altdemo_exe();
        assert!(
            exe.exists(),
            "{} was not built (cargo build --example altdemo --all-features)",
            exe.display()
        );
        let mut child = Command::new(exe)
            .args(["--addr", "127.0.0.1:0"])
            .args(args)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("altdemo starts");
        // The banner names the address: "Pastry altdemo on http://ADDR/ (…)".
        let mut banner = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut banner)
            .expect("the banner");
        let base = banner
            .split_whitespace()
            .find(|w| w.starts_with("http://"))
            .unwrap_or_else(|| panic!("no address in {banner:?}"))
            .trim_end_matches('/')
            .to_owned();
        Demo { child, base }
    }
}

impl Drop for Demo {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// 60 an hour with a burst of 10: no request comes back during the test,
/// so exactly one burst passes, however slow the machine.
const POLICY: &str = "60/h,burst=10";
const BURST: usize = 10;

/// Sends `count` requests alternating between `demos`; the statuses in
/// order, each 429 checked for its `Retry-After` and `RateLimit` fields.
async fn alternate(demos: &[Demo; 2], count: usize) -> Vec<u16> {
    let client = reqwest::Client::new();
    let mut statuses = Vec::new();
    for i in 0..count {
        let url = format!("{}/api/health", demos[i % 2].base);
        let res = client.get(url).send().await.expect("the demo answers");
        let status = res.status();
        assert!(
            res.headers().contains_key("ratelimit-policy"),
            "the fields are on every answer"
        );
        if status == StatusCode::TOO_MANY_REQUESTS {
            let retry: u64 = res.headers()["retry-after"]
                .to_str()
                .unwrap()
                .parse()
                .unwrap();
            assert!((1..=60).contains(&retry), "one request every 60 s: {retry}");
            assert!(
                res.headers()["ratelimit"]
                    .to_str()
                    .unwrap()
                    .contains(";r=0;"),
                "{:?}",
                res.headers()["ratelimit"]
            );
        }
        statuses.push(status.as_u16());
    }
    statuses
}

#[tokio::test]
async fn two_demo_processes_on_one_redis_limit_a_client_at_the_shared_rate() {
    let Ok(url) = std::env::var("PASTRY_TEST_REDIS_URL") else {
        eprintln!(
            "skipped: the rate-limit fleet test (PASTRY_TEST_REDIS_URL is not set; e.g. PASTRY_TEST_REDIS_URL=redis://127.0.0.1:6379/0)"
        );
        return;
    };
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let prefix = format!(
        "pastry-test:ratelimit-fleet:{}:{nanos}:",
        std::process::id()
    );
    let args = [
        "--rate-limit",
        POLICY,
        "--rate-limit-store",
        url.as_str(),
        "--rate-limit-prefix",
        prefix.as_str(),
    ];
    let demos = [Demo::start(&args), Demo::start(&args)];
    assert_ne!(demos[0].base, demos[1].base);
    let statuses = alternate(&demos, 3 * BURST).await;
    let passed = statuses.iter().filter(|&&s| s == 200).count();
    assert_eq!(passed, BURST, "one burst between the two: {statuses:?}");
    assert!(
        statuses[..BURST].iter().all(|&s| s == 200) && statuses[BURST..].iter().all(|&s| s == 429),
        "{statuses:?}"
    );
    // Both processes refused: each knew what the other had let through.
    let refused_by = |demo: usize| {
        statuses
            .iter()
            .skip(demo)
            .step_by(2)
            .filter(|&&s| s == 429)
            .count()
    };
    assert_eq!(
        (refused_by(0), refused_by(1)),
        (BURST, BURST),
        "{statuses:?}"
    );
    println!(
        "{} requests alternating over 2 processes on one Redis: {passed} passed (burst {BURST})",
        statuses.len()
    );
}

#[tokio::test]
async fn with_counts_in_memory_each_process_gives_its_own_burst() {
    let args = ["--rate-limit", POLICY, "--rate-limit-store", "memory:"];
    let demos = [Demo::start(&args), Demo::start(&args)];
    let statuses = alternate(&demos, 3 * BURST).await;
    let passed = statuses.iter().filter(|&&s| s == 200).count();
    assert_eq!(passed, 2 * BURST, "a burst from each: {statuses:?}");
}
