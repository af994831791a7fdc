//! The built dispatch table: host tables, then the host-less trie.

use std::collections::HashMap;
use std::sync::Arc;

use http::Request;
use pastry_core::ScriptName;

use crate::app::ErasedApp;
use crate::host::{HostKey, request_host, wildcard_suffixes};
use crate::path::normalise_path;
use crate::trie::Trie;
use crate::{Mount, UrlMapError};

/// One mount as dispatch needs it.
pub(crate) struct Mounted<B> {
    pub(crate) app: Arc<dyn ErasedApp<B>>,
    /// The normalised prefix: `""` for the root, else `/a/b`.
    pub(crate) prefix: Arc<str>,
    /// `prefix` as a script name, cloned for requests outside any map.
    pub(crate) script_name: ScriptName,
    pub(crate) slash_redirect: bool,
    pub(crate) rewrite_location: bool,
}

/// The tries of one host key: port-specific ones first, then any port.
#[derive(Default)]
struct HostTries {
    ports: Vec<(u16, Trie)>,
    any_port: Trie,
}

impl HostTries {
    fn trie_mut(&mut self, port: Option<u16>) -> &mut Trie {
        let Some(port) = port else {
            return &mut self.any_port;
        };
        let at = match self.ports.iter().position(|(p, _)| *p == port) {
            Some(at) => at,
            None => {
                self.ports.push((port, Trie::default()));
                self.ports.len() - 1
            }
        };
        &mut self.ports[at].1
    }

    fn lookup(&self, port: u16, path: &str) -> Option<(usize, usize)> {
        self.ports
            .iter()
            .find(|(p, _)| *p == port)
            .and_then(|(_, trie)| trie.lookup(path))
            .or_else(|| self.any_port.lookup(path))
    }
}

pub(crate) struct Table<B> {
    mounts: Vec<Mounted<B>>,
    paths: Trie,
    hosts: HashMap<Box<str>, HostTries>,
    wildcards: HashMap<Box<str>, HostTries>,
}

impl<B> Table<B> {
    pub(crate) fn build(entries: Vec<(Mount, Arc<dyn ErasedApp<B>>)>) -> Result<Self, UrlMapError> {
        let mut table = Table {
            mounts: Vec::with_capacity(entries.len()),
            paths: Trie::default(),
            hosts: HashMap::new(),
            wildcards: HashMap::new(),
        };
        for (mount, app) in entries {
            let prefix =
                normalise_prefix(&mount.prefix).ok_or_else(|| UrlMapError::InvalidPrefix {
                    prefix: mount.prefix.clone(),
                })?;
            let host = match &mount.host {
                None => None,
                Some(text) => Some(
                    HostKey::parse(text)
                        .ok_or_else(|| UrlMapError::InvalidHost { host: text.clone() })?,
                ),
            };
            let trie = match &host {
                None => &mut table.paths,
                Some(key) => {
                    let hosts = if key.wildcard {
                        &mut table.wildcards
                    } else {
                        &mut table.hosts
                    };
                    hosts
                        .entry(key.name.as_str().into())
                        .or_default()
                        .trie_mut(key.port)
                }
            };
            if trie.insert(&prefix, table.mounts.len()).is_err() {
                return Err(UrlMapError::DuplicateMount {
                    host: host.as_ref().map(display_host),
                    prefix,
                });
            }
            table.mounts.push(Mounted {
                app,
                script_name: ScriptName::new(&prefix),
                prefix: prefix.into(),
                slash_redirect: mount.slash_redirect,
                rewrite_location: mount.rewrite_location,
            });
        }
        Ok(table)
    }

    /// The mount for a request whose normalised path is `path`, and the
    /// length of the prefix it matched: exact hosts (port-specific, then
    /// any port), wildcard hosts (most specific first), then host-less
    /// mounts, each by longest prefix.
    pub(crate) fn find<X>(&self, req: &Request<X>, path: &str) -> Option<(&Mounted<B>, usize)> {
        let by_host = if self.hosts.is_empty() && self.wildcards.is_empty() {
            None
        } else {
            request_host(req).and_then(|(name, port)| {
                self.hosts
                    .get(&*name)
                    .and_then(|tries| tries.lookup(port, path))
                    .or_else(|| {
                        if self.wildcards.is_empty() {
                            return None;
                        }
                        wildcard_suffixes(&name).find_map(|suffix| {
                            self.wildcards
                                .get(suffix)
                                .and_then(|tries| tries.lookup(port, path))
                        })
                    })
            })
        };
        by_host
            .or_else(|| self.paths.lookup(path))
            .map(|(index, len)| (&self.mounts[index], len))
    }

    pub(crate) fn len(&self) -> usize {
        self.mounts.len()
    }
}

/// A mount key's prefix in the form matching compares: normalised like a
/// request path, without its trailing slash (`""` for the root).
fn normalise_prefix(raw: &str) -> Option<String> {
    if raw.contains(['?', '#']) {
        return None;
    }
    let normal = normalise_path(raw).ok()?;
    Some(normal.trim_end_matches('/').to_owned())
}

fn display_host(key: &HostKey) -> String {
    let mut text = String::new();
    if key.wildcard {
        text.push_str("*.");
    }
    text.push_str(&key.name);
    if let Some(port) = key.port {
        text.push(':');
        text.push_str(&port.to_string());
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_are_normalised_without_trailing_slash() {
        assert_eq!(normalise_prefix("/blog/").as_deref(), Some("/blog"));
        assert_eq!(normalise_prefix("blog").as_deref(), Some("/blog"));
        assert_eq!(normalise_prefix("/").as_deref(), Some(""));
        assert_eq!(normalise_prefix("").as_deref(), Some(""));
        assert_eq!(normalise_prefix("//a/./%62/").as_deref(), Some("/a/b"));
        assert_eq!(normalise_prefix("/a?b"), None);
        assert_eq!(normalise_prefix("/a%zz"), None);
    }

    #[test]
    fn host_keys_display_canonically() {
        let key = HostKey::parse("*.Example.COM:8443").unwrap();
        assert_eq!(display_host(&key), "*.example.com:8443");
    }
}
