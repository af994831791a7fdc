//! Every row of the reference table (src/config/reference.md) driven
//! through `pastry::config`: its example builds and shows in the tree, a
//! value of the wrong type is refused at its line, and its environment
//! variable overrides it.
#![cfg(all(
    feature = "config",
    feature = "proxy",
    feature = "accesslog",
    feature = "ratelimit",
    feature = "origin",
    feature = "cors",
    feature = "catch",
    feature = "gzip",
    feature = "br",
    feature = "zstd",
    feature = "conditional",
    feature = "sessions",
    feature = "auth",
    feature = "oidc",
    feature = "metrics"
))]

use std::collections::BTreeSet;
use std::path::Path;

use pastry::config::{ConfigError, ConfigErrorKind, Registry, Stack};

#[path = "support/config.rs"]
mod support;

const REFERENCE: &str = include_str!("../src/config/reference.md");
const LAYERS_RS: &str = include_str!("../src/config/layers.rs");
const APPS_RS: &str = include_str!("../src/config/apps.rs");

/// A self-signed certificate (EC P-256, `CN=pastry test root`, valid
/// until 2126), made with `openssl req -x509`.
const ROOT_PEM: &str = "-----BEGIN CERTIFICATE-----
MIIBjTCCATOgAwIBAgIUDhAlRnGV1XWIqFwzWJ6/sBNCsQUwCgYIKoZIzj0EAwIw
GzEZMBcGA1UEAwwQcGFzdHJ5IHRlc3Qgcm9vdDAgFw0yNjEyMDMyMDUwMTlaGA8y
MTI2MTEwOTIwNTAxOVowGzEZMBcGA1UEAwwQcGFzdHJ5IHRlc3Qgcm9vdDBZMBMG
ByqGSM49AgEGCCqGSM49AwEHA0IABMstdLkPGq50y42S1wqjxHn+d4oT8g8QwAvg
lE9QqnQdd33iULO2mn9/3nrIRny9iypL6VudlmEyLOyJOW5Pow6jUzBRMB0GA1Ud
DgQWBBQgOl96Hro+nf8RG2pGrBR3tGDbvDAfBgNVHSMEGDAWgBQgOl96Hro+nf8R
G2pGrBR3tGDbvDAPBgNVHRMBAf8EBTADAQH/MAoGCCqGSM49BAMCA0gAMEUCIQCi
bVb96Iegl8/xEFv9oYxAUEZVgRZc7t98NvphFfTw7QIgffxNf/V9N2D/9ihQIkJa
Q0KKXEVOccdk/WMGLiQdN80=
-----END CERTIFICATE-----
";

/// One row of the reference table.
#[derive(Clone, Debug)]
struct Row {
    /// `server`, `mount`, a layer's name or an app's name.
    owner: String,
    app: bool,
    key: String,
    default: String,
    env: Option<String>,
    example: String,
}

impl Row {
    fn label(&self) -> String {
        let kind = if self.app { " (app)" } else { "" };
        format!("{}{kind}.{}", self.owner, self.key)
    }

    fn has_key(&self) -> bool {
        self.key != "(none)"
    }
}

fn unquote(cell: &str) -> &str {
    cell.strip_prefix('`')
        .and_then(|c| c.strip_suffix('`'))
        .unwrap_or(cell)
}

fn rows() -> Vec<Row> {
    let mut rows = Vec::new();
    let mut in_table = false;
    for line in REFERENCE.lines() {
        let line = line.trim();
        if !line.starts_with('|') {
            in_table = false;
            continue;
        }
        if line.starts_with("|---") {
            in_table = true;
            continue;
        }
        if !in_table {
            continue;
        }
        let cells: Vec<&str> = line.trim_matches('|').split('|').map(str::trim).collect();
        assert_eq!(cells.len(), 6, "a row of six cells: {line}");
        let owner_cell = cells[0];
        let app = owner_cell.ends_with(" (app)");
        let owner = owner_cell
            .split(" (")
            .next()
            .expect("split yields one part")
            .to_owned();
        rows.push(Row {
            owner,
            app,
            key: cells[1].to_owned(),
            default: cells[3].to_owned(),
            env: Some(unquote(cells[4]).to_owned()).filter(|env| !env.is_empty()),
            example: unquote(cells[5]).to_owned(),
        });
    }
    rows
}

/// A directory with the files the examples name.
fn dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("users.txt"), "# users\n").expect("users.txt");
    std::fs::write(dir.path().join("tokens.txt"), "").expect("tokens.txt");
    std::fs::write(dir.path().join("ca.pem"), ROOT_PEM).expect("ca.pem");
    std::fs::write(dir.path().join("not-a.pem"), "hello\n").expect("not-a.pem");
    dir
}

fn load_with(
    text: &str,
    dir: &Path,
    env: impl Fn(&str) -> Option<String> + Send + Sync + 'static,
) -> Result<Stack, ConfigError> {
    support::load_in(text, dir, &Registry::new(), env)
}

/// The only variable an example names (`oidc`'s `client_secret`).
fn example_env(name: &str) -> Option<String> {
    (name == "OIDC_SECRET").then(|| "s3cret-from-env".to_owned())
}

/// The keys a row's table needs besides the row's own: the required keys
/// of its layer or app, as the table says.
fn required_others<'r>(all: &'r [Row], row: &Row) -> Vec<(&'r str, &'r str)> {
    all.iter()
        .filter(|r| r.owner == row.owner && r.app == row.app && r.key != row.key)
        .filter(|r| r.default == "(required)")
        .map(|r| (r.key.as_str(), r.example.as_str()))
        .chain(
            // `proxy` needs `trust` or `hops` (its Default column says so).
            (row.owner == "proxy" && row.key != "trust" && row.key != "hops")
                .then_some(("hops", "2")),
        )
        .collect()
}

/// A minimal file with `row`'s key set to `value`, and the line (from 1)
/// the key is on.
fn file_for(all: &[Row], row: &Row, value: &str) -> (String, usize) {
    const TEXT_MOUNT: &str = "[[mount]]\napp = \"text\"\nsettings = { body = \"hi\" }\n";
    let mut text = String::new();
    let key_line;
    match row.owner.as_str() {
        "server" => {
            text.push_str("[server]\n");
            text.push_str(&format!("{} = {value}\n", row.key));
            key_line = 2;
            text.push_str(TEXT_MOUNT);
        }
        "mount" => {
            text.push_str("[[mount]]\n");
            let mut lines = vec![
                ("app", "\"text\"".to_owned()),
                ("settings", "{ body = \"hi\" }".to_owned()),
            ];
            lines.retain(|(key, _)| *key != row.key);
            for (key, v) in &lines {
                text.push_str(&format!("{key} = {v}\n"));
            }
            text.push_str(&format!("{} = {value}\n", row.key));
            key_line = lines.len() + 2;
        }
        owner if row.app => {
            let mut settings: Vec<String> = required_others(all, row)
                .into_iter()
                .map(|(key, example)| format!("{key} = {example}"))
                .collect();
            if row.has_key() {
                settings.push(format!("{} = {value}", row.key));
            }
            text.push_str(&format!(
                "[[mount]]\npath = \"/\"\napp = \"{owner}\"\nsettings = {{ {} }}\n",
                settings.join(", ")
            ));
            key_line = 4;
        }
        owner => {
            text.push_str(&format!("[[layer]]\nuse = \"{owner}\"\n"));
            let others = required_others(all, row);
            for (key, example) in &others {
                text.push_str(&format!("{key} = {example}\n"));
            }
            key_line = others.len() + 3;
            if row.has_key() {
                text.push_str(&format!("{} = {value}\n", row.key));
            }
            text.push_str(TEXT_MOUNT);
        }
    }
    (text, key_line)
}

/// The line of the tree that stands for `row`'s layer, app or table.
fn tree_line<'t>(tree: &'t str, row: &Row) -> Option<&'t str> {
    tree.lines().find(|line| {
        let label = line.trim_start_matches(['│', '├', '└', '─', ' ']);
        match row.owner.as_str() {
            "server" => label.starts_with("server"),
            _ if row.app => label.contains(&format!("→ {}", row.owner)),
            owner => label == owner || label.starts_with(&format!("{owner}  ")),
        }
    })
}

/// What the tree shows of a mount key set to its example.
fn mount_shown(row: &Row) -> Option<&'static str> {
    match row.key.as_str() {
        "path" => Some("/blog → text"),
        "host" => Some("example.com/ → text"),
        "app" => Some("/ → text"),
        "settings" => Some("/ → text  body = \"hi\""),
        "layer" => Some("└─ catch"),
        "rewrite_location" => Some("/ → text  rewrite_location = true"),
        _ => None,
    }
}

/// The rows whose example is not a value: driven by hand below.
const BY_HAND: &[&str] = &["gzip.br_level", "gzip.zstd_level", "oidc.root_certificate"];

#[test]
fn the_table_has_rows_for_every_part() {
    let rows = rows();
    assert!(rows.len() >= 110, "{} rows", rows.len());
    let owners: BTreeSet<&str> = rows.iter().map(|r| r.owner.as_str()).collect();
    for owner in [
        "server", "mount", "gzip", "sessions", "oidc", "text", "static",
    ] {
        assert!(owners.contains(owner), "no rows for {owner}");
    }
    let by_hand: Vec<String> = rows
        .iter()
        .filter(|r| r.has_key() && (r.example.starts_with('(') || r.example.is_empty()))
        .map(Row::label)
        .collect();
    assert_eq!(by_hand, BY_HAND, "rows without an example value");
}

#[test]
fn every_example_builds_and_shows_in_the_tree() {
    let rows = rows();
    let dir = dir();
    let mut failures = Vec::new();
    let mut checked = 0;
    for row in &rows {
        if BY_HAND.contains(&row.label().as_str()) {
            continue;
        }
        let (text, _) = file_for(&rows, row, &row.example);
        let stack = match load_with(&text, dir.path(), example_env) {
            Ok(stack) => stack,
            Err(error) => {
                failures.push(format!("{}: does not build:\n{text}\n{error}", row.label()));
                continue;
            }
        };
        checked += 1;
        let tree = stack.tree();
        if row.owner == "mount" {
            if let Some(shown) = mount_shown(row) {
                if !tree.contains(shown) {
                    failures.push(format!(
                        "{}: the tree lacks {shown:?}:\n{tree}",
                        row.label()
                    ));
                }
            } else {
                failures.push(format!("{}: no expectation for the tree", row.label()));
            }
            continue;
        }
        let Some(line) = tree_line(tree, row) else {
            failures.push(format!("{}: not in the tree:\n{tree}", row.label()));
            continue;
        };
        if row.has_key() && !line.contains(&format!("{} = ", row.key)) {
            failures.push(format!(
                "{}: the tree does not name it:\n{tree}",
                row.label()
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    assert_eq!(checked, rows.len() - BY_HAND.len());
}

#[test]
fn the_examples_show_their_values() {
    // A few values as the tree prints them: strings quoted, durations in
    // their largest unit, lists as lists, secrets by their source.
    let rows = rows();
    let dir = dir();
    let cases = [
        ("server", "idle_timeout", "idle_timeout = 2m"),
        ("server", "max_connections", "max_connections = 500"),
        ("gzip", "level", "gzip  level = 9"),
        ("proxy", "trust", "trust = [\"10.0.0.0/8\"]"),
        ("access_log", "format", "format = \"detailed\""),
        ("cors", "max_age", "max_age = 10m"),
        ("sessions", "idle_timeout", "idle_timeout = 2h"),
        (
            "oidc",
            "client_secret",
            "client_secret = (from $OIDC_SECRET)",
        ),
        ("text", "status", "body = \"hello\", status = 503"),
    ];
    for (owner, key, shown) in cases {
        let row = rows
            .iter()
            .find(|r| r.owner == owner && r.key == key)
            .expect("row");
        let (text, _) = file_for(&rows, row, &row.example);
        let stack = load_with(&text, dir.path(), example_env).expect("builds");
        assert!(
            stack.tree().contains(shown),
            "{shown:?} in\n{}",
            stack.tree()
        );
        assert!(!stack.tree().contains("s3cret-from-env"));
    }
}

#[test]
fn a_value_of_the_wrong_type_is_refused_at_its_line() {
    let rows = rows();
    let dir = dir();
    let mut failures = Vec::new();
    let mut checked = 0;
    for row in rows.iter().filter(|r| r.has_key()) {
        // A list of numbers is the wrong type for every key in the table.
        let (text, line) = file_for(&rows, row, "[1, 2]");
        match load_with(&text, dir.path(), example_env) {
            Ok(_) => failures.push(format!("{}: [1, 2] was taken:\n{text}", row.label())),
            Err(error) => {
                checked += 1;
                if !matches!(
                    error.kind(),
                    ConfigErrorKind::Type | ConfigErrorKind::Invalid
                ) {
                    failures.push(format!(
                        "{}: kind {:?}:\n{error}",
                        row.label(),
                        error.kind()
                    ));
                }
                if error.line_column().map(|(l, _)| l) != Some(line) {
                    failures.push(format!("{}: not at line {line}:\n{error}", row.label()));
                }
                if !error.message().contains(&row.key) {
                    failures.push(format!(
                        "{}: the message does not name it:\n{error}",
                        row.label()
                    ));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    assert_eq!(checked, rows.iter().filter(|r| r.has_key()).count());
}

/// A value each environment variable of the table can take, unlike the
/// file's.
fn env_value(var: &str) -> &'static str {
    match var {
        "PASTRY_ADDR" => "127.0.0.1:9999",
        "PASTRY_MAX_CONNECTIONS" => "77",
        "PASTRY_TRUSTED_PROXIES" => "192.168.0.0/16, 10.1.0.0/16",
        "PASTRY_RATE_LIMIT" => "7/m",
        "PASTRY_RATE_LIMIT_STORE" => "memory:",
        "PASTRY_DEBUG" => "off",
        "PASTRY_SESSIONS" => "memory:",
        "PASTRY_SECURE_COOKIES" => "no",
        other => panic!("no value for {other}: add one"),
    }
}

#[test]
fn every_environment_variable_overrides_its_key() {
    let rows = rows();
    let dir = dir();
    let env_rows: Vec<&Row> = rows.iter().filter(|r| r.env.is_some()).collect();
    assert_eq!(env_rows.len(), 8, "rows with an Env column");
    for row in env_rows {
        let var = row.env.clone().expect("filtered");
        let value = env_value(&var);
        // The file's value is of the wrong type: only the override can
        // make it build.
        let (text, _) = file_for(&rows, row, "[1, 2]");
        let env_var = var.clone();
        let stack = load_with(&text, dir.path(), move |name| {
            (name == env_var)
                .then(|| value.to_owned())
                .or_else(|| example_env(name))
        })
        .unwrap_or_else(|error| panic!("{}: ${var} does not override:\n{error}", row.label()));
        match row.key.as_str() {
            "addr" => assert_eq!(stack.server().addr, value),
            "max_connections" => assert_eq!(stack.server().max_connections, Some(77)),
            _ => {
                let line = tree_line(stack.tree(), row).expect("in the tree");
                assert!(
                    line.contains(&format!("{} = ", row.key)) && line.contains(&format!("${var}")),
                    "{}: {line:?}",
                    row.label()
                );
            }
        }
        // Unset, the file's value counts again.
        assert!(load_with(&text, dir.path(), example_env).is_err());
    }
}

#[test]
fn an_override_that_is_not_a_value_is_refused() {
    let rows = rows();
    let dir = dir();
    let cases = [
        (
            "server",
            "max_connections",
            "PASTRY_MAX_CONNECTIONS",
            "many",
        ),
        ("catch", "debug", "PASTRY_DEBUG", "maybe"),
        ("rate_limit", "rate", "PASTRY_RATE_LIMIT", "lots"),
        ("sessions", "store", "PASTRY_SESSIONS", "nosuch:"),
    ];
    for (owner, key, var, bad) in cases {
        let row = rows
            .iter()
            .find(|r| r.owner == owner && r.key == key)
            .expect("row");
        let (text, _) = file_for(&rows, row, &row.example);
        let error = load_with(&text, dir.path(), move |name| {
            (name == var).then(|| bad.to_owned())
        })
        .expect_err(var);
        assert_eq!(error.kind(), ConfigErrorKind::Invalid, "{var}: {error}");
        assert!(
            error.to_string().contains(var) || error.to_string().contains(key),
            "{error}"
        );
    }
}

#[test]
fn every_layer_and_app_name_is_in_the_table_and_known() {
    let rows = rows();
    let table_layers: BTreeSet<&str> = (rows
        .iter()
        .filter(|r| !r.app && r.owner != "server" && r.owner != "mount"))
    .map(|r| r.owner.as_str())
    .collect();
    let table_apps: BTreeSet<&str> = (rows.iter().filter(|r| r.app))
        .map(|r| r.owner.as_str())
        .collect();

    // Pastry's own layers and apps, as src/config/ lists them.
    let built_in_layers: BTreeSet<&str> = LAYERS_RS
        .lines()
        .filter_map(|line| line.trim().strip_prefix("name: \""))
        .map(|rest| rest.trim_end_matches("\","))
        .collect();
    let apps_line = APPS_RS
        .lines()
        .find(|line| line.contains("const BUILT_IN"))
        .expect("apps::BUILT_IN");
    let built_in_apps: BTreeSet<&str> = apps_line.split('"').skip(1).step_by(2).collect();
    assert_eq!(built_in_layers.len(), 17);
    assert_eq!(table_layers, built_in_layers);
    assert_eq!(table_apps, built_in_apps);

    let dir = dir();
    for layer in &table_layers {
        let row = rows
            .iter()
            .find(|r| r.owner == *layer && !r.app)
            .expect("row");
        let (text, _) = file_for(&rows, row, &row.example);
        if let Err(error) = load_with(&text, dir.path(), example_env) {
            assert_ne!(error.kind(), ConfigErrorKind::UnknownName, "{error}");
        }
    }
    for app in &table_apps {
        let text = format!("[[mount]]\napp = \"{app}\"\n");
        if let Err(error) = load_with(&text, dir.path(), |_| None) {
            assert_ne!(error.kind(), ConfigErrorKind::UnknownName, "{error}");
        }
    }
    let unknown = |text: &str| load_with(text, dir.path(), |_| None).expect_err(text);
    let error = unknown(
        "[[layer]]\nuse = \"zzz\"\n[[mount]]\napp = \"text\"\nsettings = { body = \"hi\" }\n",
    );
    assert_eq!(error.kind(), ConfigErrorKind::UnknownName);
    assert_eq!(error.help_text(), None);
    let error = unknown("[[mount]]\napp = \"zzz\"\n");
    assert_eq!(error.kind(), ConfigErrorKind::UnknownName);
    // A name one letter off each table name is taken for it.
    for layer in &table_layers {
        let typo = format!("{layer}x");
        let error = unknown(&format!(
            "[[layer]]\nuse = \"{typo}\"\n[[mount]]\napp = \"text\"\nsettings = {{ body = \"hi\" }}\n"
        ));
        assert_eq!(
            error.help_text(),
            Some(format!("did you mean `{layer}`?").as_str()),
            "{typo}"
        );
    }
}

fn hand_row(owner: &str, key: &str) -> Row {
    rows()
        .into_iter()
        .find(|r| r.owner == owner && r.key == key)
        .expect("row")
}

#[test]
fn br_level_takes_0_to_11() {
    let dir = dir();
    let file = |level: &str| {
        format!(
            "[[layer]]\nuse = \"gzip\"\nbr = true\nbr_level = {level}\n[[mount]]\napp = \"text\"\nsettings = {{ body = \"hi\" }}\n"
        )
    };
    assert_eq!(hand_row("gzip", "br_level").default, "4");
    let stack = load_with(&file("11"), dir.path(), |_| None).expect("builds");
    assert!(
        stack.tree().contains("gzip  br = true, br_level = 11"),
        "{}",
        stack.tree()
    );
    let error = load_with(&file("12"), dir.path(), |_| None).expect_err("12");
    assert_eq!(error.kind(), ConfigErrorKind::Invalid, "{error}");
    assert_eq!(error.line_column(), Some((4, 12)), "{error}");
}

#[test]
fn zstd_level_takes_1_to_22() {
    let dir = dir();
    let file = |level: &str| {
        format!(
            "[[layer]]\nuse = \"gzip\"\nzstd = true\nzstd_level = {level}\n[[mount]]\napp = \"text\"\nsettings = {{ body = \"hi\" }}\n"
        )
    };
    assert_eq!(hand_row("gzip", "zstd_level").default, "3");
    let stack = load_with(&file("19"), dir.path(), |_| None).expect("builds");
    assert!(
        stack.tree().contains("gzip  zstd = true, zstd_level = 19"),
        "{}",
        stack.tree()
    );
    for bad in ["0", "23"] {
        let error = load_with(&file(bad), dir.path(), |_| None).expect_err(bad);
        assert_eq!(error.kind(), ConfigErrorKind::Invalid, "{error}");
        assert_eq!(error.line_column(), Some((4, 14)), "{error}");
    }
}

fn oidc_file(root_certificate: &str) -> String {
    format!(
        "[[layer]]\n\
         use = \"oidc\"\n\
         issuer = \"https://id.example.com\"\n\
         client_id = \"pastry\"\n\
         redirect_url = \"https://app.example.com/auth/oidc/callback\"\n\
         users = \"users.txt\"\n\
         root_certificate = \"{root_certificate}\"\n\
         [[mount]]\n\
         app = \"text\"\n\
         settings = {{ body = \"hi\" }}\n"
    )
}

#[test]
fn root_certificate_takes_a_pem_file() {
    let dir = dir();
    let stack = load_with(&oidc_file("ca.pem"), dir.path(), |_| None).expect("builds");
    assert!(
        stack.tree().contains("root_certificate = \"ca.pem\""),
        "{}",
        stack.tree()
    );
}

#[test]
fn root_certificate_that_is_not_a_pem_is_a_build_error_at_the_layer() {
    let dir = dir();
    let error = load_with(&oidc_file("not-a.pem"), dir.path(), |_| None).expect_err("not a PEM");
    assert_eq!(error.kind(), ConfigErrorKind::Build, "{error}");
    assert_eq!(error.line_column(), Some((2, 7)), "{error}");
    assert!(error.message().starts_with("layer `oidc`: "), "{error}");

    let error = load_with(&oidc_file("missing.pem"), dir.path(), |_| None).expect_err("missing");
    assert_eq!(error.kind(), ConfigErrorKind::Invalid, "{error}");
    assert_eq!(error.line_column(), Some((7, 20)), "{error}");
    assert!(error.message().contains("cannot read"), "{error}");
}

const MOD_RS: &str = include_str!("../src/config/mod.rs");

/// The keys src/config/ reads through a getter (`s.duration("idle_timeout")`).
fn keys_read() -> BTreeSet<&'static str> {
    const GETTERS: &[&str] = &[
        "string(",
        "string_redacted(",
        "string_or_env(",
        "string_or_env_redacted(",
        "bool(",
        "bool_or_env(",
        "u64(",
        "u32(",
        "usize(",
        "duration(",
        "strings(",
        "strings_or_env(",
        "path(",
        "required(",
        "value(",
        "status(ctx, ",
        // The proxy's header counts, read in a loop.
        "(",
    ];
    let mut keys = BTreeSet::new();
    for source in [LAYERS_RS, APPS_RS, MOD_RS] {
        for getter in GETTERS {
            for (i, _) in source.match_indices(&format!("{getter}\"")) {
                let rest = &source[i + getter.len() + 1..];
                let end = rest
                    .find(|c: char| !(c.is_ascii_lowercase() || c == '_'))
                    .unwrap_or(rest.len());
                let key = &rest[..end];
                // `("x_for", ProxyLayerBuilder::x_for)` and the like; other
                // `("…"` are messages.
                if *getter == "(" && !(key.starts_with("x_") && rest[end..].starts_with("\", ")) {
                    continue;
                }
                if !key.is_empty() && rest[end..].starts_with('"') {
                    keys.insert(key);
                }
            }
        }
    }
    keys
}

#[test]
fn every_key_src_config_reads_is_in_the_table() {
    let rows = rows();
    let documented: BTreeSet<&str> = rows.iter().map(|r| r.key.as_str()).collect();
    let read = keys_read();
    assert!(read.len() >= 90, "{} keys read: {read:?}", read.len());
    let undocumented: Vec<&str> = read
        .iter()
        .copied()
        .filter(|key| !documented.contains(key))
        // The names of layers (`use`) and the `[server]` table itself.
        .filter(|key| !["use", "server"].contains(key))
        .collect();
    assert!(
        undocumented.is_empty(),
        "keys read but not in the table: {undocumented:?}"
    );
}
