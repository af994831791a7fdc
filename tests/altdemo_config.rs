//! The altdemo built from `examples/altdemo/pastry.toml` answers the demo's
//! black-box tests as the stack built in code does (`support/altdemo_cases.rs`
//! runs in both), and `--config` takes no stack flag beside it.
#![cfg(feature = "config")]

#[path = "../examples/altdemo/app.rs"]
#[allow(dead_code)]
mod app;

use std::path::PathBuf;

use pastry::config::Loader;
use pastry_testkit::TestClient;

fn config_file() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("examples/altdemo/pastry.toml")
}

/// The file's stack; `debug` through `PASTRY_DEBUG`, as an operator would.
/// The access log goes to `tracing` rather than the test's stderr.
fn client_with(debug: bool) -> TestClient {
    let text = std::fs::read_to_string(config_file()).unwrap();
    let quiet = text.replace("to = \"stderr\"", "to = \"tracing\"");
    assert_ne!(quiet, text, "the demo's file names where the log goes");
    let stack = Loader::new(&app::registry(app::chat::Hub::default()))
        .env(move |name| (name == "PASTRY_DEBUG" && debug).then(|| "1".to_owned()))
        .dir(config_file().parent().unwrap())
        .load_str(&quiet, "pastry.toml")
        .unwrap_or_else(|error| panic!("{error}"));
    TestClient::new(stack.app())
}

fn client() -> TestClient {
    client_with(false)
}

#[path = "support/altdemo_cases.rs"]
mod cases;

#[test]
fn the_file_builds_the_tree_of_the_default_flags() {
    let stack = Loader::new(&app::registry(app::chat::Hub::default()))
        .env(|_| None)
        .load(config_file())
        .unwrap();
    let tree = stack.tree();
    let layers: Vec<&str> = tree
        .lines()
        .filter_map(|line| line.strip_prefix("├─ "))
        .map(|line| line.split_whitespace().next().unwrap())
        .collect();
    assert_eq!(
        layers,
        [
            "server",
            "access_log",
            "cross_origin",
            "catch",
            "gzip",
            "sessions",
            "session_auth",
            "site_root"
        ]
    );
    assert!(tree.contains("/admin → admin"), "{tree}");
    assert!(
        tree.contains("basic_auth  users = \"users.txt\", realm = \"pastry admin\""),
        "{tree}"
    );
    assert_eq!(stack.server().addr, "127.0.0.1:8080");
}

#[test]
fn config_goes_with_addr_only() {
    let none = |_: &str| None;
    let args = |list: &[&str]| list.iter().map(|arg| arg.to_string()).collect::<Vec<_>>();
    let options = app::Options::from_args_and_env(
        args(&["--config", "pastry.toml", "--addr", "127.0.0.1:0"]),
        none,
    )
    .unwrap()
    .unwrap();
    assert_eq!(options.config, Some(PathBuf::from("pastry.toml")));
    let error =
        app::Options::from_args_and_env(args(&["--config", "pastry.toml", "--debug"]), none)
            .unwrap_err();
    assert_eq!(
        error,
        "--debug and --config: the file describes the whole stack; set it there"
    );
}
