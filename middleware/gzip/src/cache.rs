//! The opt-in cache of compressed bodies, keyed by strong ETag.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use bytes::Bytes;
use http::{HeaderValue, Request, Uri};
use pastry_core::ScriptName;

use crate::coding::Coding;

/// The bound of [`CompressionCache::default`]: 32 MiB of accounted bytes.
pub const DEFAULT_CACHE_BYTES: usize = 32 * 1024 * 1024;

/// Bytes charged to every entry on top of its compressed body and its key:
/// the map slot (key pointer, body handle, counters: about 75 bytes with
/// the map's spare capacity), the LRU index's share (about 40), the shared
/// key's and the body's allocation headers and the body's shared handle
/// (about 70), rounded up.
pub const CACHE_ENTRY_OVERHEAD: usize = 192;

/// A cache of compressed bodies shared by every [`GzipLayer`](crate::GzipLayer)
/// given a handle to it, so that a response the app sends again with the
/// same strong `ETag` is compressed once.
///
/// **What is in the key, and why.** The response's strong `ETag` (the app's
/// promise that the bytes are the same), the coding and its level (the same
/// bytes compress differently), the response's `Content-Type`, and the
/// request's `Host`, mount prefix ([`ScriptName`], when the layer sits
/// under a mount) and path with query: two resources that happen to reuse
/// an ETag, as a version number or a counter does, are not confused.
/// Responses with a weak `ETag` (`W/"…"`) or none are never stored: a weak
/// validator does not promise the same bytes.
///
/// **What is stored.** Only bodies the layer compresses in one call (an
/// exact size hint no larger than [`buffer_limit`](crate::GzipLayer::buffer_limit)),
/// read to their end without error and without trailers; streamed bodies
/// (no exact size hint, event streams) never are. An entry is charged its
/// compressed length plus its key plus [`CACHE_ENTRY_OVERHEAD`], and the
/// least recently used entries are evicted until the charged total is
/// within the bound; an entry larger than the bound on its own is not
/// stored.
///
/// **On a hit** the app still runs and answers (the cache saves the
/// compression, not the app's work); the layer drops its body unread and
/// sends the stored bytes with exactly the headers a fresh compression
/// gives (`Content-Encoding`, `Vary: accept-encoding`, the weakened ETag,
/// the compressed `Content-Length`). Two requests that miss the same key at
/// the same time both compress, and the second store replaces the first;
/// the bound holds throughout, since every store evicts under one lock.
///
/// A `CompressionCache` is a handle: clones share the same entries.
///
/// ```
/// use bytes::Bytes;
/// use http::{Request, Response, header};
/// use http_body_util::{BodyExt, Full};
/// use pastry_gzip::{CompressionCache, GzipLayer};
/// use tower::{ServiceBuilder, ServiceExt, service_fn};
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let cache = CompressionCache::new(4 * 1024 * 1024);
/// let app = ServiceBuilder::new()
///     .layer(GzipLayer::new().cache(cache.clone()))
///     .service(service_fn(|_req: Request<()>| async {
///         let res = Response::builder()
///             .header(header::CONTENT_TYPE, "text/plain")
///             .header(header::ETAG, "\"v1\"")
///             .body(Full::new(Bytes::from("the same text ".repeat(100))))
///             .unwrap();
///         Ok::<_, std::convert::Infallible>(res)
///     }));
///
/// for _ in 0..3 {
///     let req = Request::get("/doc").header(header::ACCEPT_ENCODING, "gzip").body(()).unwrap();
///     let res = app.clone().oneshot(req).await.unwrap();
///     assert_eq!(res.headers()[header::ETAG], "W/\"v1\"");
///     res.into_body().collect().await.unwrap();
/// }
/// assert_eq!((cache.misses(), cache.hits(), cache.len()), (1, 2, 1));
/// assert!(cache.used_bytes() <= cache.max_bytes());
/// # });
/// ```
#[derive(Clone)]
pub struct CompressionCache {
    shared: Arc<Shared>,
}

struct Shared {
    max_bytes: usize,
    entries: Mutex<Entries>,
    hits: AtomicU64,
    misses: AtomicU64,
}

#[derive(Default)]
struct Entries {
    map: HashMap<Arc<[u8]>, Entry>,
    /// Last use → key, oldest first.
    order: BTreeMap<u64, Arc<[u8]>>,
    clock: u64,
    used: usize,
}

struct Entry {
    body: Bytes,
    last_used: u64,
    charge: usize,
}

impl CompressionCache {
    /// An empty cache holding at most `max_bytes` accounted bytes
    /// (compressed bodies, keys and [`CACHE_ENTRY_OVERHEAD`] per entry).
    /// `0` stores nothing.
    ///
    /// ```
    /// use pastry_gzip::CompressionCache;
    ///
    /// let cache = CompressionCache::new(1 << 20);
    /// assert_eq!(cache.max_bytes(), 1 << 20);
    /// assert!(cache.is_empty());
    /// ```
    pub fn new(max_bytes: usize) -> Self {
        CompressionCache {
            shared: Arc::new(Shared {
                max_bytes,
                entries: Mutex::new(Entries::default()),
                hits: AtomicU64::new(0),
                misses: AtomicU64::new(0),
            }),
        }
    }

    /// The bound on accounted bytes.
    ///
    /// ```
    /// use pastry_gzip::{CompressionCache, DEFAULT_CACHE_BYTES};
    ///
    /// assert_eq!(CompressionCache::default().max_bytes(), DEFAULT_CACHE_BYTES);
    /// ```
    pub fn max_bytes(&self) -> usize {
        self.shared.max_bytes
    }

    /// The bytes accounted to the entries held now; never above
    /// [`max_bytes`](Self::max_bytes).
    ///
    /// ```
    /// use pastry_gzip::CompressionCache;
    ///
    /// assert_eq!(CompressionCache::new(1024).used_bytes(), 0);
    /// ```
    pub fn used_bytes(&self) -> usize {
        self.lock().used
    }

    /// The number of entries held.
    ///
    /// ```
    /// use pastry_gzip::CompressionCache;
    ///
    /// assert_eq!(CompressionCache::new(1024).len(), 0);
    /// ```
    pub fn len(&self) -> usize {
        self.lock().map.len()
    }

    /// Whether no entry is held.
    ///
    /// ```
    /// use pastry_gzip::CompressionCache;
    ///
    /// assert!(CompressionCache::new(1024).is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.lock().map.is_empty()
    }

    /// Responses served from the cache so far.
    ///
    /// ```
    /// use pastry_gzip::CompressionCache;
    ///
    /// assert_eq!(CompressionCache::new(1024).hits(), 0);
    /// ```
    pub fn hits(&self) -> u64 {
        self.shared.hits.load(Ordering::Relaxed)
    }

    /// Cacheable responses (strong ETag, compressed in one call) that were
    /// not in the cache and were compressed.
    ///
    /// ```
    /// use pastry_gzip::CompressionCache;
    ///
    /// assert_eq!(CompressionCache::new(1024).misses(), 0);
    /// ```
    pub fn misses(&self) -> u64 {
        self.shared.misses.load(Ordering::Relaxed)
    }

    /// Drops every entry (the hit and miss counts stay).
    ///
    /// ```
    /// use pastry_gzip::CompressionCache;
    ///
    /// let cache = CompressionCache::new(1024);
    /// cache.clear();
    /// assert_eq!(cache.used_bytes(), 0);
    /// ```
    pub fn clear(&self) {
        let mut entries = self.lock();
        *entries = Entries {
            clock: entries.clock,
            ..Entries::default()
        };
    }

    fn lock(&self) -> MutexGuard<'_, Entries> {
        // Every update leaves the maps and the count consistent before it
        // can panic (it allocates last), so poisoning is ignored.
        self.shared
            .entries
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The stored body for `key`, marked as just used; counts a hit or a
    /// miss.
    pub(crate) fn get(&self, key: &CacheKey) -> Option<Bytes> {
        let found = {
            let mut entries = self.lock();
            let entries = &mut *entries;
            entries.clock += 1;
            let now = entries.clock;
            match entries.map.get_mut(&key.0[..]) {
                Some(entry) => {
                    if let Some(shared_key) = entries.order.remove(&entry.last_used) {
                        entries.order.insert(now, shared_key);
                    }
                    entry.last_used = now;
                    Some(entry.body.clone())
                }
                None => None,
            }
        };
        let counter = if found.is_some() {
            &self.shared.hits
        } else {
            &self.shared.misses
        };
        counter.fetch_add(1, Ordering::Relaxed);
        found
    }

    /// Stores `body` under `key`, evicting the least recently used entries
    /// to stay within the bound. A body that alone exceeds the bound is not
    /// stored.
    pub(crate) fn insert(&self, key: CacheKey, body: &Bytes) {
        let charge = body.len() + key.0.len() + CACHE_ENTRY_OVERHEAD;
        if charge > self.shared.max_bytes {
            return;
        }
        // An exact-size copy: the compressor's buffer may be larger than
        // what it wrote, and the charge must be what the entry holds.
        let body = Bytes::copy_from_slice(body);
        let key: Arc<[u8]> = Arc::from(key.0);
        let mut entries = self.lock();
        if let Some(old) = entries.map.remove(&key) {
            entries.order.remove(&old.last_used);
            entries.used -= old.charge;
        }
        while entries.used + charge > self.shared.max_bytes {
            let Some((_, oldest)) = entries.order.pop_first() else {
                break;
            };
            if let Some(evicted) = entries.map.remove(&oldest) {
                entries.used -= evicted.charge;
            }
        }
        entries.clock += 1;
        let now = entries.clock;
        entries.used += charge;
        entries.order.insert(now, Arc::clone(&key));
        entries.map.insert(
            key,
            Entry {
                body,
                last_used: now,
                charge,
            },
        );
    }
}

impl Default for CompressionCache {
    /// A cache bounded by [`DEFAULT_CACHE_BYTES`].
    fn default() -> Self {
        CompressionCache::new(DEFAULT_CACHE_BYTES)
    }
}

impl fmt::Debug for CompressionCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let entries = self.lock();
        f.debug_struct("CompressionCache")
            .field("max_bytes", &self.shared.max_bytes)
            .field("used_bytes", &entries.used)
            .field("entries", &entries.map.len())
            .finish()
    }
}

/// What a request contributes to a cache key: its `Host`, the mount
/// prefix it is under ([`ScriptName`]) and its target.
#[derive(Debug)]
pub(crate) struct CacheTarget {
    uri: Uri,
    host: Option<HeaderValue>,
    script_name: Option<ScriptName>,
}

impl CacheTarget {
    pub(crate) fn of<B>(req: &Request<B>) -> Self {
        CacheTarget {
            uri: req.uri().clone(),
            host: req.headers().get(http::header::HOST).cloned(),
            script_name: req.extensions().get::<ScriptName>().cloned(),
        }
    }

    #[cfg(test)]
    fn new(uri: &Uri, host: Option<&HeaderValue>) -> Self {
        CacheTarget {
            uri: uri.clone(),
            host: host.cloned(),
            script_name: None,
        }
    }
}

/// A cache key, its fields length-prefixed so that no two field lists
/// share one encoding.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct CacheKey(Vec<u8>);

impl CacheKey {
    /// The key of a response with strong `etag`, or `None` when the ETag
    /// is weak or malformed.
    pub(crate) fn new(
        target: &CacheTarget,
        etag: &HeaderValue,
        content_type: Option<&HeaderValue>,
        coding: Coding,
        level: u32,
    ) -> Option<Self> {
        let etag = etag.as_bytes();
        if !etag.starts_with(b"\"") || !etag.ends_with(b"\"") || etag.len() < 2 {
            return None;
        }
        let host = target
            .host
            .as_ref()
            .map(HeaderValue::as_bytes)
            .or_else(|| target.uri.authority().map(|a| a.as_str().as_bytes()))
            .unwrap_or_default();
        let path = target
            .uri
            .path_and_query()
            .map_or("/", |pq| pq.as_str())
            .as_bytes();
        let content_type = content_type.map(HeaderValue::as_bytes).unwrap_or_default();
        let script_name = target
            .script_name
            .as_ref()
            .map(|name| name.as_str().as_bytes())
            .unwrap_or_default();
        let fields: [&[u8]; 6] = [
            coding.as_str().as_bytes(),
            host,
            script_name,
            path,
            content_type,
            etag,
        ];
        let mut key = Vec::with_capacity(4 + fields.iter().map(|f| f.len() + 4).sum::<usize>());
        key.extend_from_slice(&level.to_le_bytes());
        for field in fields {
            let len = u32::try_from(field.len()).ok()?;
            key.extend_from_slice(&len.to_le_bytes());
            key.extend_from_slice(field);
        }
        Some(CacheKey(key))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(path: &'static str, etag: &'static str) -> CacheKey {
        let target = CacheTarget::new(&Uri::from_static(path), None);
        CacheKey::new(
            &target,
            &HeaderValue::from_static(etag),
            None,
            Coding::Gzip,
            6,
        )
        .unwrap()
    }

    #[test]
    fn weak_and_malformed_etags_make_no_key() {
        let target = CacheTarget::new(&Uri::from_static("/"), None);
        for etag in ["W/\"a\"", "a", "\"", ""] {
            let made = CacheKey::new(
                &target,
                &HeaderValue::from_static(etag),
                None,
                Coding::Gzip,
                6,
            );
            assert!(made.is_none(), "{etag}");
        }
    }

    #[test]
    fn every_field_is_part_of_the_key() {
        let target = CacheTarget::new(&Uri::from_static("/a"), None);
        let etag = HeaderValue::from_static("\"1\"");
        let text = HeaderValue::from_static("text/plain");
        let base = CacheKey::new(&target, &etag, Some(&text), Coding::Gzip, 6);
        assert_ne!(base, CacheKey::new(&target, &etag, None, Coding::Gzip, 6));
        assert_ne!(
            base,
            CacheKey::new(&target, &etag, Some(&text), Coding::Gzip, 5)
        );
        let other_host = CacheTarget::new(
            &Uri::from_static("/a"),
            Some(&HeaderValue::from_static("b.example")),
        );
        assert_ne!(
            base,
            CacheKey::new(&other_host, &etag, Some(&text), Coding::Gzip, 6)
        );
        let mut mounted = Request::get("/a").body(()).unwrap();
        mounted.extensions_mut().insert(ScriptName::new("/blog"));
        assert_ne!(
            base,
            CacheKey::new(
                &CacheTarget::of(&mounted),
                &etag,
                Some(&text),
                Coding::Gzip,
                6
            )
        );
        assert_ne!(key("/a", "\"1\""), key("/a?x", "\"1\""));
        assert_ne!(key("/a", "\"1\""), key("/a", "\"2\""));
    }

    #[test]
    fn the_least_recently_used_entry_goes_first() {
        let body = Bytes::from(vec![7u8; 1000]);
        let one = 1000 + key("/0", "\"e\"").0.len() + CACHE_ENTRY_OVERHEAD;
        let cache = CompressionCache::new(3 * one);
        for path in ["/0", "/1", "/2"] {
            cache.insert(key(path, "\"e\""), &body);
        }
        assert_eq!(cache.used_bytes(), 3 * one);
        assert!(cache.get(&key("/0", "\"e\"")).is_some());
        cache.insert(key("/3", "\"e\""), &body);
        assert_eq!(cache.len(), 3);
        assert!(cache.get(&key("/1", "\"e\"")).is_none(), "oldest use went");
        for path in ["/0", "/2", "/3"] {
            assert!(cache.get(&key(path, "\"e\"")).is_some(), "{path}");
        }
        assert!(cache.used_bytes() <= cache.max_bytes());
    }

    #[test]
    fn replacing_an_entry_keeps_the_count_exact() {
        let cache = CompressionCache::new(1 << 20);
        cache.insert(key("/", "\"e\""), &Bytes::from(vec![1u8; 500]));
        cache.insert(key("/", "\"e\""), &Bytes::from(vec![1u8; 100]));
        assert_eq!(cache.len(), 1);
        assert_eq!(
            cache.used_bytes(),
            100 + key("/", "\"e\"").0.len() + CACHE_ENTRY_OVERHEAD
        );
        cache.clear();
        assert_eq!((cache.len(), cache.used_bytes()), (0, 0));
    }

    #[test]
    fn an_entry_larger_than_the_bound_is_not_stored() {
        let cache = CompressionCache::new(1000);
        cache.insert(key("/", "\"e\""), &Bytes::from(vec![1u8; 1000]));
        assert!(cache.is_empty());
        let zero = CompressionCache::new(0);
        zero.insert(key("/", "\"e\""), &Bytes::from_static(b"x"));
        assert!(zero.is_empty());
    }
}
