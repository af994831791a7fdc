//! Loading a `pastry.toml` text in a test, as an operator's program would.

use std::path::Path;

use pastry::config::{ConfigError, Loader, Registry, Stack};

/// Builds `text` (named `pastry.toml` in errors) with `registry`'s names,
/// relative paths from `dir` and environment variables from `env`, inside
/// a runtime: some stores and clients want one as they are built.
pub fn load_in(
    text: &str,
    dir: &Path,
    registry: &Registry,
    env: impl Fn(&str) -> Option<String> + Send + Sync + 'static,
) -> Result<Stack, ConfigError> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let _guard = runtime.enter();
    Loader::new(registry)
        .env(env)
        .dir(dir)
        .load_str(text, "pastry.toml")
}
