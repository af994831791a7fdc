//! A bad `pastry.toml` gets the exact message an operator reads, and a
//! good one's tree never shows a secret.
#![cfg(all(
    feature = "config",
    feature = "gzip",
    feature = "sessions",
    feature = "redis",
    feature = "ratelimit"
))]

use std::path::Path;

use bytes::Bytes;
use http::HeaderValue;
use http_body_util::Full;
use pastry::BoxApp;
use pastry::config::{AppLayer, ConfigError, ConfigErrorKind, Loader, Registry};
use tower::util::MapResponseLayer;

#[path = "support/config.rs"]
mod support;
use support::load_in;

const TEXT_MOUNT: &str = "[[mount]]\napp = \"text\"\nsettings = { body = \"hi\" }\n";

fn error_of(text: &str) -> ConfigError {
    let dir = tempfile::tempdir().expect("tempdir");
    load_in(text, dir.path(), &Registry::new(), |_| None).expect_err("refused")
}

#[test]
fn toml_syntax_error() {
    let error = error_of("[server\naddr = \"x\"\n");
    assert_eq!(error.kind(), ConfigErrorKind::Syntax);
    assert_eq!(
        error.to_string(),
        "error: unclosed table, expected `]`\n --> pastry.toml:1:8\n  |\n1 | [server\n  |        ^"
    );
}

#[test]
fn unknown_top_level_key_suggests_the_right_one() {
    let error = error_of("[[mounts]]\napp = \"text\"\nsettings = { body = \"hi\" }\n");
    assert_eq!(error.kind(), ConfigErrorKind::UnknownKey);
    assert_eq!(
        error.to_string(),
        "error: unknown key `mounts` in the file\n --> pastry.toml:1:3\n  |\n1 | [[mounts]]\n  |   ^^^^^^\n  = help: did you mean `mount`?"
    );
}

#[test]
fn unknown_key_in_a_layer_suggests_the_right_one() {
    let error = error_of(&format!(
        "[[layer]]\nuse = \"gzip\"\nlevle = 9\n{TEXT_MOUNT}"
    ));
    assert_eq!(error.kind(), ConfigErrorKind::UnknownKey);
    assert_eq!(
        error.to_string(),
        "error: unknown key `levle` in layer `gzip`\n --> pastry.toml:3:1\n  |\n3 | levle = 9\n  | ^^^^^\n  = help: did you mean `level`?"
    );
}

#[test]
fn unknown_layer_name() {
    let error = error_of(&format!("[[layer]]\nuse = \"gzipp\"\n{TEXT_MOUNT}"));
    assert_eq!(error.kind(), ConfigErrorKind::UnknownName);
    assert_eq!(
        error.to_string(),
        "error: unknown layer `gzipp`\n --> pastry.toml:2:7\n  |\n2 | use = \"gzipp\"\n  |       ^^^^^^^\n  = help: did you mean `gzip`?"
    );
}

#[test]
fn unknown_app_name() {
    let error = error_of("[[mount]]\npath = \"/\"\napp = \"txt\"\n");
    assert_eq!(error.kind(), ConfigErrorKind::UnknownName);
    assert_eq!(
        error.to_string(),
        "error: unknown app `txt`\n --> pastry.toml:3:7\n  |\n3 | app = \"txt\"\n  |       ^^^^^\n  = help: did you mean `text`?"
    );
}

#[test]
fn mount_without_app() {
    let error = error_of("[[mount]]\npath = \"/blog\"\n");
    assert_eq!(error.kind(), ConfigErrorKind::MissingKey);
    assert_eq!(
        error.to_string(),
        "error: the mount at `/blog` needs `app`\n --> pastry.toml:1:1\n  |\n1 | [[mount]]\n  | ^^^^^^^^^"
    );
}

#[test]
fn layer_without_use() {
    let error = error_of(&format!("[[layer]]\nlevel = 9\n{TEXT_MOUNT}"));
    assert_eq!(error.kind(), ConfigErrorKind::MissingKey);
    assert_eq!(
        error.to_string(),
        "error: a [[layer]] needs `use = \"…\"`, the middleware's name\n --> pastry.toml:1:1\n  |\n1 | [[layer]]\n  | ^^^^^^^^^"
    );
}

#[test]
fn wrong_type_names_the_type_expected() {
    let error = error_of(&format!(
        "[[layer]]\nuse = \"gzip\"\nlevel = \"9\"\n{TEXT_MOUNT}"
    ));
    assert_eq!(error.kind(), ConfigErrorKind::Type);
    assert_eq!(
        error.to_string(),
        "error: `level` in layer `gzip` should be a whole number, found a string\n --> pastry.toml:3:9\n  |\n3 | level = \"9\"\n  |         ^^^"
    );
}

#[test]
fn gzip_level_out_of_range() {
    let error = error_of(&format!(
        "[[layer]]\nuse = \"gzip\"\nlevel = 10\n{TEXT_MOUNT}"
    ));
    assert_eq!(error.kind(), ConfigErrorKind::Invalid);
    assert_eq!(
        error.to_string(),
        "error: gzip level 10 is out of range (0-9)\n --> pastry.toml:3:9\n  |\n3 | level = 10\n  |         ^^"
    );
}

#[test]
fn env_value_that_is_not_set() {
    let error = error_of("[[mount]]\napp = \"text\"\nsettings = { body = { env = \"UNSET\" } }\n");
    assert_eq!(error.kind(), ConfigErrorKind::Invalid);
    assert_eq!(
        error.to_string(),
        "error: `body` in the settings of app `text` names the environment variable UNSET, which is not set\n --> pastry.toml:3:29\n  |\n3 | settings = { body = { env = \"UNSET\" } }\n  |                             ^^^^^^^"
    );
}

#[test]
fn file_value_that_is_missing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let error = load_in(
        "[[mount]]\napp = \"text\"\nsettings = { body = { file = \"missing\" } }\n",
        dir.path(),
        &Registry::new(),
        |_| None,
    )
    .expect_err("missing file");
    assert_eq!(error.kind(), ConfigErrorKind::Invalid);
    assert_eq!(
        error.to_string(),
        format!(
            "error: `body` in the settings of app `text`: cannot read {}: No such file or directory (os error 2)\n --> pastry.toml:3:30\n  |\n3 | settings = {{ body = {{ file = \"missing\" }} }}\n  |                              ^^^^^^^^^",
            dir.path().join("missing").display()
        )
    );
}

#[test]
fn two_mounts_at_one_path() {
    let error = error_of(
        "[[mount]]\npath = \"/a\"\napp = \"text\"\nsettings = { body = \"1\" }\n\n[[mount]]\npath = \"/a\"\napp = \"text\"\nsettings = { body = \"2\" }\n",
    );
    assert_eq!(error.kind(), ConfigErrorKind::Invalid);
    assert_eq!(
        error.to_string(),
        "error: two mounts at `/a`\n --> pastry.toml:6:1\n  |\n6 | [[mount]]\n  | ^^^^^^^^^"
    );
}

#[test]
fn file_without_a_mount() {
    let error = error_of("[server]\naddr = \"127.0.0.1:0\"\n");
    assert_eq!(error.kind(), ConfigErrorKind::MissingKey);
    assert_eq!(
        error.to_string(),
        "error: the file mounts no app: add a [[mount]] with `app = \"…\"`\n --> pastry.toml:1:1\n  |\n1 | [server]\n  | ^"
    );
}

fn custom_registry() -> Registry {
    Registry::new()
        .app("greeter", |ctx| {
            let greeting = ctx.settings().required("greeting", |s, k| s.string(k))?;
            if greeting.is_empty() {
                return Err(ctx
                    .settings()
                    .error("greeting", "`greeting` may not be empty")
                    .into());
            }
            Ok(BoxApp::new(tower::service_fn(move |_req| {
                let body = Full::new(Bytes::from(greeting.clone()));
                async move { Ok::<_, std::convert::Infallible>(http::Response::new(body)) }
            })))
        })
        .app("broken", |_ctx| Err("the database is down".into()))
        .layer("server_header", |ctx| {
            let value = ctx.settings().required("value", |s, k| s.string(k))?;
            let value = HeaderValue::try_from(value).map_err(|_| {
                ctx.settings()
                    .error("value", "`value` is not a header value")
            })?;
            Ok(AppLayer::new(MapResponseLayer::new(
                move |mut res: http::Response<pastry::BoxBody>| {
                    res.headers_mut()
                        .insert(http::header::SERVER, value.clone());
                    res
                },
            )))
        })
        .layer("flaky", |_ctx| Err("no more layers today".into()))
}

fn custom_error_of(text: &str) -> ConfigError {
    let dir = tempfile::tempdir().expect("tempdir");
    load_in(text, dir.path(), &custom_registry(), |_| None).expect_err("refused")
}

#[test]
fn custom_app_settings_error_points_at_the_value() {
    let error = custom_error_of("[[mount]]\napp = \"greeter\"\nsettings = { greeting = \"\" }\n");
    assert_eq!(error.kind(), ConfigErrorKind::Invalid);
    assert_eq!(
        error.to_string(),
        "error: `greeting` may not be empty\n --> pastry.toml:3:25\n  |\n3 | settings = { greeting = \"\" }\n  |                         ^^"
    );
}

#[test]
fn custom_layer_settings_error_points_at_the_value() {
    let error = custom_error_of(&format!(
        "[[layer]]\nuse = \"server_header\"\nvalue = \"a\\nb\"\n{TEXT_MOUNT}"
    ));
    assert_eq!(error.kind(), ConfigErrorKind::Invalid);
    assert_eq!(
        error.to_string(),
        "error: `value` is not a header value\n --> pastry.toml:3:9\n  |\n3 | value = \"a\\nb\"\n  |         ^^^^^^"
    );
}

#[test]
fn custom_app_plain_error_is_a_build_error_at_the_name() {
    let error = custom_error_of("[[mount]]\npath = \"/db\"\napp = \"broken\"\n");
    assert_eq!(error.kind(), ConfigErrorKind::Build);
    assert_eq!(
        error.to_string(),
        "error: app `broken`: the database is down\n --> pastry.toml:3:7\n  |\n3 | app = \"broken\"\n  |       ^^^^^^^^"
    );
}

#[test]
fn custom_layer_plain_error_is_a_build_error_at_the_name() {
    let error = custom_error_of(&format!("[[layer]]\nuse = \"flaky\"\n{TEXT_MOUNT}"));
    assert_eq!(error.kind(), ConfigErrorKind::Build);
    assert_eq!(
        error.to_string(),
        "error: layer `flaky`: no more layers today\n --> pastry.toml:2:7\n  |\n2 | use = \"flaky\"\n  |       ^^^^^^^"
    );
}

#[test]
fn custom_names_are_suggested() {
    let error = custom_error_of("[[mount]]\napp = \"greter\"\n");
    assert_eq!(error.kind(), ConfigErrorKind::UnknownName);
    assert_eq!(error.help_text(), Some("did you mean `greeter`?"));
    let stack = load_in(
        "[[layer]]\nuse = \"server_header\"\nvalue = \"pastry\"\n[[mount]]\napp = \"greeter\"\nsettings = { greeting = \"hello\" }\n",
        Path::new("."),
        &custom_registry(),
        |_| None,
    )
    .expect("builds");
    assert_eq!(
        stack.tree(),
        "pastry.toml\n├─ server\n├─ server_header  value = \"pastry\"\n└─ url map\n   └─ / → greeter  greeting = \"hello\"\n"
    );
}

#[test]
fn missing_file_is_a_read_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("pastry.toml");
    let error = Loader::new(&Registry::new())
        .env(|_| None)
        .load(&path)
        .expect_err("missing");
    assert_eq!(error.kind(), ConfigErrorKind::Read);
    assert_eq!(error.line_column(), None);
    assert_eq!(
        error.to_string(),
        format!(
            "error: cannot read {p}: No such file or directory (os error 2)\n --> {p}",
            p = path.display()
        )
    );
}

#[test]
fn secrets_from_env_and_file_stay_out_of_the_tree() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("secret.txt"), "hunter2-file\nsecond line\n").expect("write");
    let stack = load_in(
        "[[mount]]\npath = \"/a\"\napp = \"text\"\nsettings = { body = { env = \"BODY\" } }\n\
         [[mount]]\npath = \"/b\"\napp = \"text\"\nsettings = { body = { file = \"secret.txt\" } }\n",
        dir.path(),
        &Registry::new(),
        |name| (name == "BODY").then(|| "hunter2-env".to_owned()),
    )
    .expect("builds");
    let tree = stack.tree();
    assert!(!tree.contains("hunter2"), "{tree}");
    assert_eq!(
        tree,
        "pastry.toml\n├─ server\n└─ url map\n   ├─ /a → text  body = (from $BODY)\n   └─ /b → text  body = (from file secret.txt)\n"
    );
}

#[test]
fn store_passwords_are_redacted_in_the_tree() {
    let dir = tempfile::tempdir().expect("tempdir");
    let stack = load_in(
        &format!(
            "[[layer]]\nuse = \"sessions\"\nstore = \"redis://:hunter2@127.0.0.1:1/0\"\n\
             [[layer]]\nuse = \"rate_limit\"\nrate = \"5/s\"\nstore = \"redis://app:hunter2@127.0.0.1:1/0\"\n{TEXT_MOUNT}"
        ),
        dir.path(),
        &Registry::new(),
        |_| None,
    )
    .expect("builds without connecting");
    let tree = stack.tree();
    assert!(!tree.contains("hunter2"), "{tree}");
    assert_eq!(
        tree,
        "pastry.toml\n├─ server\n├─ sessions  store = \"redis://:***@127.0.0.1:1/0\"\n├─ rate_limit  rate = \"5/s\", store = \"redis://app:***@127.0.0.1:1/0\"\n└─ url map\n   └─ / → text  body = \"hi\"\n"
    );
}

#[test]
fn the_first_mistake_in_the_file_is_the_one_reported() {
    // The layers are built outermost first, so the typo in the first
    // layer is reported, not the bad level in the one below it.
    let error = error_of(&format!(
        "[[layer]]\nuse = \"catch\"\ndebgu = true\n\n[[layer]]\nuse = \"gzip\"\nlevel = 12\n\n{TEXT_MOUNT}"
    ));
    assert_eq!(error.kind(), ConfigErrorKind::UnknownKey);
    assert_eq!(error.line_column(), Some((3, 1)));
    assert_eq!(error.help_text(), Some("did you mean `debug`?"));
}
