//! The real OpenID provider of the OIDC end-to-end tests: `oidc-provider`
//! (npm) run by Node.js from `tests/oidc-provider/` on a free loopback
//! port, killed when dropped.
//!
//! Without `node` or the installed package the tests say why and pass,
//! unless `PASTRY_REQUIRE_OIDC` is set (CI sets it): then they fail.

#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

pub const CLIENT_ID: &str = "pastry-demo";
pub const CLIENT_SECRET: &str = "pastry-demo-secret";

/// How long the provider may take to start listening.
const START: Duration = Duration::from_secs(30);

pub struct NodeProvider {
    child: Child,
    pub issuer: String,
}

impl Drop for NodeProvider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn provider_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/oidc-provider")
}

fn on_path(name: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|dir| dir.join(name))
        .find(|path| path.is_file())
}

/// Node.js and the installed provider package, or why they cannot be used.
fn available() -> Result<PathBuf, String> {
    let node = on_path("node").ok_or("node is not installed")?;
    if !provider_dir().join("node_modules/oidc-provider").is_dir() {
        return Err("tests/oidc-provider has no node_modules (run `npm ci` there)".to_owned());
    }
    Ok(node)
}

/// Starts the provider with one client whose redirect URI is
/// `redirect_uri`; `None` (after saying why) when Node.js or the package
/// is missing and `PASTRY_REQUIRE_OIDC` is unset.
pub fn start_or_skip(test: &str, redirect_uri: &str) -> Option<NodeProvider> {
    let node = match available() {
        Ok(node) => node,
        Err(why) if std::env::var_os("PASTRY_REQUIRE_OIDC").is_some() => {
            panic!("{test}: {why}, and PASTRY_REQUIRE_OIDC is set")
        }
        Err(why) => {
            eprintln!("{test} skipped: {why}");
            return None;
        }
    };
    let mut child = Command::new(node)
        .arg("provider.mjs")
        .current_dir(provider_dir())
        .env("PASTRY_OIDC_CLIENT_ID", CLIENT_ID)
        .env("PASTRY_OIDC_CLIENT_SECRET", CLIENT_SECRET)
        .env("PASTRY_OIDC_REDIRECT_URI", redirect_uri)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("node starts");
    let stdout = child.stdout.take().expect("piped stdout");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { return };
            if let Some(issuer) = line.strip_prefix("listening ") {
                let _ = tx.send(issuer.to_owned());
            }
        }
    });
    let issuer = match rx.recv_timeout(START) {
        Ok(issuer) => issuer,
        Err(_) => {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{test}: oidc-provider did not start listening within {START:?}");
        }
    };
    Some(NodeProvider { child, issuer })
}

/// The action and fields of the first form in `html`: hidden inputs with
/// their values, other inputs empty.
pub fn form(html: &str) -> (String, Vec<(String, String)>) {
    let start = html.find("<form").expect("a form");
    let form = &html[start..];
    let end = form.find('>').unwrap();
    let action = attribute(&form[..end], "action").expect("a form action");
    let mut fields = Vec::new();
    let mut rest = form;
    while let Some(at) = rest.find("<input") {
        rest = &rest[at..];
        let end = rest.find('>').unwrap();
        let tag = &rest[..end];
        if let Some(name) = attribute(tag, "name") {
            fields.push((name, attribute(tag, "value").unwrap_or_default()));
        }
        rest = &rest[end..];
    }
    (action.replace("&amp;", "&"), fields)
}

fn attribute(tag: &str, name: &str) -> Option<String> {
    let needle = format!(" {name}=\"");
    let at = tag.find(&needle)? + needle.len();
    let len = tag[at..].find('"')?;
    Some(tag[at..at + len].to_owned())
}
