//! Serves one whole stack on loopback for the over-HTTP benches.
//!
//! `stack-server --stack pastry|peer --store memory|sqlite [--threads N]`
//! binds `127.0.0.1:0`, prints `listening on ADDR` on stdout, and serves
//! (ours with `pastry::serve`, the peer's with `axum::serve`) on a tokio
//! runtime of `N` worker threads (default 1) until SIGTERM or Ctrl-C. The
//! SQLite store lives in a temp dir removed on exit.

use std::io::Write;

use pastry_benches::{ours, peer};
use tokio::net::TcpListener;

type Error = Box<dyn std::error::Error + Send + Sync>;

struct Options {
    pastry: bool,
    sqlite: bool,
    threads: usize,
}

fn parse_args() -> Result<Options, String> {
    let mut opts = Options {
        pastry: true,
        sqlite: false,
        threads: 1,
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value = args.next().ok_or(format!("{flag} needs a value"))?;
        match (flag.as_str(), value.as_str()) {
            ("--stack", "pastry") => opts.pastry = true,
            ("--stack", "peer") => opts.pastry = false,
            ("--store", "memory") => opts.sqlite = false,
            ("--store", "sqlite") => opts.sqlite = true,
            ("--threads", n) => {
                opts.threads = n
                    .parse()
                    .ok()
                    .filter(|n| (1..=64).contains(n))
                    .ok_or("--threads must be 1..=64")?;
            }
            _ => return Err(format!("unknown argument {flag} {value}")),
        }
    }
    Ok(opts)
}

async fn terminated() {
    use tokio::signal::unix::{SignalKind, signal};
    match signal(SignalKind::terminate()) {
        Ok(mut term) => {
            tokio::select! {
                _ = term.recv() => {}
                _ = tokio::signal::ctrl_c() => {}
            }
        }
        Err(_) => {
            tokio::signal::ctrl_c().await.ok();
        }
    }
}

async fn run(opts: Options) -> Result<(), Error> {
    let dir = tempfile::tempdir()?;
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    match (opts.pastry, opts.sqlite) {
        (true, false) => {
            let app = ours::stack(pastry_sessions::MemoryStore::new());
            announce(addr)?;
            pastry::serve(listener, app).await?;
        }
        (true, true) => {
            let store = pastry_sessions::SqliteStore::open(dir.path().join("pastry.db"))?;
            let app = ours::stack(store);
            announce(addr)?;
            pastry::serve(listener, app).await?;
        }
        (false, sqlite) => {
            let app = if sqlite {
                peer::sqlite_stack(&dir.path().join("peer.db")).await?
            } else {
                peer::memory_stack()
            };
            announce(addr)?;
            axum::serve(listener, app)
                .with_graceful_shutdown(terminated())
                .await?;
        }
    }
    Ok(())
}

fn announce(addr: std::net::SocketAddr) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    writeln!(out, "listening on {addr}")?;
    out.flush()
}

fn main() {
    let opts = match parse_args() {
        Ok(opts) => opts,
        Err(message) => {
            eprintln!("stack-server: {message}");
            std::process::exit(2);
        }
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(opts.threads)
        .enable_all()
        .build()
        .expect("a tokio runtime");
    if let Err(err) = rt.block_on(run(opts)) {
        eprintln!("stack-server: {err}");
        std::process::exit(1);
    }
}
