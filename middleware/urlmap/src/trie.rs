//! A segment trie: longest-prefix lookup in O(path depth), whatever the
//! number of mounts.

use std::collections::HashMap;

/// One node per path segment; `mount` is set where a key ends.
#[derive(Debug, Default)]
pub(crate) struct Trie {
    mount: Option<usize>,
    children: HashMap<Box<str>, Trie>,
}

impl Trie {
    /// Adds `mount` at the normalised `prefix` (`""` or `/a/b`); gives back
    /// the mount already there, if any.
    pub(crate) fn insert(&mut self, prefix: &str, mount: usize) -> Result<(), usize> {
        let mut node = self;
        for segment in prefix.split('/').filter(|s| !s.is_empty()) {
            node = node.children.entry(segment.into()).or_default();
        }
        match node.mount {
            Some(existing) => Err(existing),
            None => {
                node.mount = Some(mount);
                Ok(())
            }
        }
    }

    /// The mount with the longest prefix of the normalised `path` on a
    /// segment boundary, and that prefix's length in bytes.
    pub(crate) fn lookup(&self, path: &str) -> Option<(usize, usize)> {
        let mut best = self.mount.map(|mount| (mount, 0));
        let mut node = self;
        let mut end = 0;
        while let Some(rest) = path.get(end + 1..) {
            let len = rest.find('/').unwrap_or(rest.len());
            if len == 0 {
                break;
            }
            let Some(child) = node.children.get(&rest[..len]) else {
                break;
            };
            node = child;
            end += 1 + len;
            if let Some(mount) = node.mount {
                best = Some((mount, end));
            }
        }
        best
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn trie() -> Trie {
        let mut trie = Trie::default();
        trie.insert("/blog", 1).unwrap();
        trie.insert("/blog/admin", 2).unwrap();
        trie.insert("/a/b/c", 3).unwrap();
        trie
    }

    #[test]
    fn longest_prefix_on_segment_boundaries() {
        let trie = trie();
        assert_eq!(trie.lookup("/blog"), Some((1, 5)));
        assert_eq!(trie.lookup("/blog/"), Some((1, 5)));
        assert_eq!(trie.lookup("/blog/x"), Some((1, 5)));
        assert_eq!(trie.lookup("/blog/admin/x"), Some((2, 11)));
        assert_eq!(trie.lookup("/blogger"), None);
        assert_eq!(trie.lookup("/a/b"), None);
        assert_eq!(trie.lookup("/a/b/c/d"), Some((3, 6)));
        assert_eq!(trie.lookup("/"), None);
    }

    #[test]
    fn root_mount_matches_everything() {
        let mut trie = trie();
        trie.insert("", 0).unwrap();
        assert_eq!(trie.lookup("/"), Some((0, 0)));
        assert_eq!(trie.lookup("/blogger"), Some((0, 0)));
        assert_eq!(trie.lookup("/blog/x"), Some((1, 5)));
    }

    #[test]
    fn duplicate_prefix_reports_the_first_mount() {
        let mut trie = trie();
        assert_eq!(trie.insert("/blog", 9), Err(1));
    }
}
