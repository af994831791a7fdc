//! A segment trie: longest-prefix lookup in O(path depth), whatever the
//! number of mounts.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// One node per path segment; `mount` is set where a key ends.
#[derive(Debug, Default)]
pub(crate) struct Trie {
    mount: Option<usize>,
    children: HashMap<Box<str>, Trie, BuildHasherDefault<SegmentHasher>>,
}

/// A fast, unkeyed hash for path segments (FxHash's word mix plus a final
/// avalanche). Flooding is not a concern: only the operator's mount keys
/// are ever inserted; a client's segments are only looked up.
#[derive(Clone, Copy, Default)]
pub(crate) struct SegmentHasher(u64);

const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

impl SegmentHasher {
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(SEED);
    }
}

impl Hasher for SegmentHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let mut word = [0; 8];
            word.copy_from_slice(chunk);
            self.add(u64::from_le_bytes(word));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut word = [0; 8];
            word[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(word) ^ ((rest.len() as u64) << 59));
        }
    }

    fn write_u8(&mut self, byte: u8) {
        self.add(u64::from(byte));
    }

    fn finish(&self) -> u64 {
        let h = self.0;
        (h ^ (h >> 29)).wrapping_mul(SEED) ^ (h >> 32)
    }
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
        while !node.children.is_empty()
            && let Some(rest) = path.get(end + 1..)
        {
            let len = rest.bytes().position(|b| b == b'/').unwrap_or(rest.len());
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
    fn many_siblings_stay_distinct() {
        let mut trie = Trie::default();
        for i in 0..2000 {
            trie.insert(&format!("/app{i}"), i).unwrap();
        }
        for i in 0..2000 {
            let path = format!("/app{i}/x");
            assert_eq!(trie.lookup(&path), Some((i, path.len() - 2)));
        }
        assert_eq!(trie.lookup("/app2000"), None);
    }

    #[test]
    fn duplicate_prefix_reports_the_first_mount() {
        let mut trie = trie();
        assert_eq!(trie.insert("/blog", 9), Err(1));
    }
}
