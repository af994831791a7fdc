//! `pastry check FILE` and `pastry serve FILE`: a `pastry.toml` checked,
//! or served with Pastry's built-in apps (`static`, `text`, `redirect`,
//! `metrics`). A program with apps of its own registers them in a
//! `pastry::config::Registry` and calls `pastry::config::load` itself.

use std::process::ExitCode;

use pastry::config::{Registry, load};

const HELP: &str = "\
pastry: check or serve a pastry.toml

USAGE:
    pastry check FILE    build the stack FILE describes and print it as a tree
    pastry serve FILE    serve it (built-in apps only: static, text, redirect, metrics)

Environment variables override the keys the reference table names
(PASTRY_ADDR, PASTRY_SESSIONS, PASTRY_DEBUG, ...); RUST_LOG sets the log level.
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (command, file) = match args.as_slice() {
        [command, file] if command == "check" || command == "serve" => (command.as_str(), file),
        [flag] if flag == "-h" || flag == "--help" => {
            print!("{HELP}");
            return ExitCode::SUCCESS;
        }
        _ => {
            eprint!("{HELP}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("pastry: cannot start the runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    // Some stores connect as they are built, so the stack is built inside
    // the runtime for `check` too.
    let stack = match runtime.block_on(async { load(file, &Registry::new()) }) {
        Ok(stack) => stack,
        Err(error) => {
            eprintln!("{error}");
            return ExitCode::FAILURE;
        }
    };
    if command == "check" {
        print!("{}", stack.tree());
        return ExitCode::SUCCESS;
    }
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    #[cfg(feature = "metrics")]
    if let Some(metrics) = stack.metrics()
        && let Err(error) = metrics.install()
    {
        eprintln!("pastry: {error}");
        return ExitCode::FAILURE;
    }
    match runtime.block_on(stack.serve()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("pastry: {error}");
            ExitCode::FAILURE
        }
    }
}
