//! The @context store of clause 5.13: hosted, cached and implicitly created @context documents
//! with their local ids, URLs, timestamps and usage counters, plus the on-disk persistence of
//! hosted ones (one JSON file per context, written atomically). Plain data under the resolver's
//! lock. Must not: fetch anything, compile anything, or do file I/O while a caller holds a lock
//! (the persistence helpers are free functions the resolver runs outside the lock).

use std::collections::HashMap;
use std::hash::BuildHasher;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::time::Instant;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::vendored::CoreVersion;
use crate::error::{NgsiError, Result};
use crate::time::{self, Timestamp};

mod disk;

pub(crate) use disk::{persist_hosted, unpersist_hosted};

/// The path under the API root where stored contexts are served (clause 6.30).
pub const JSONLD_CONTEXTS_PATH: &str = "/ngsi-ld/v1/jsonldContexts/";

/// The kind of a stored @context (clause 5.13.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ContextKind {
    /// Added by a client; served on demand; survives restarts.
    Hosted,
    /// Downloaded from its URL during normal operation; used as a cache only, never served.
    Cached,
    /// Created by the broker for an inline or array @context so a Link header can point at it.
    ImplicitlyCreated,
}

impl ContextKind {
    /// The name used in the API (`kind` query parameter and details).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Hosted => "Hosted",
            Self::Cached => "Cached",
            Self::ImplicitlyCreated => "ImplicitlyCreated",
        }
    }

    /// Parses the `kind` query parameter.
    pub fn parse(s: &str) -> Option<Self> {
        [Self::Hosted, Self::Cached, Self::ImplicitlyCreated]
            .into_iter()
            .find(|k| k.as_str() == s)
    }
}

/// How often and how recently a stored context was used (`numberOfHits`, `lastUsage`).
#[derive(Debug, Default)]
pub(crate) struct Usage {
    hits: AtomicU64,
    /// Microseconds since the epoch; 0 = never.
    last: AtomicI64,
}

impl Usage {
    pub fn hit(&self) {
        self.hits.fetch_add(1, Ordering::Relaxed);
        self.last.store(time::now(), Ordering::Relaxed);
    }

    fn hits(&self) -> u64 {
        self.hits.load(Ordering::Relaxed)
    }

    fn last(&self) -> Option<Timestamp> {
        Some(self.last.load(Ordering::Relaxed)).filter(|&t| t != 0)
    }
}

/// When a cached document must be fetched again.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Expiry {
    pub at: Timestamp,
    pub instant: Instant,
}

/// One stored @context.
#[derive(Debug, Clone)]
pub(crate) struct Entry {
    pub id: Box<str>,
    /// For Cached: the original URL; otherwise the URL we serve it under.
    pub url: Box<str>,
    pub kind: ContextKind,
    pub created_at: Timestamp,
    pub expires: Option<Expiry>,
    /// The whole document: an object with a `@context` member.
    pub document: Arc<Value>,
    pub usage: Arc<Usage>,
    /// A vendored core context: never fetched, never deleted.
    pub builtin: bool,
}

impl Entry {
    pub fn is_fresh(&self, now: Instant) -> bool {
        self.expires.is_none_or(|e| now < e.instant)
    }
}

/// The entries, by local id and by URL.
#[derive(Debug)]
pub(crate) struct Store {
    served_prefix: String,
    entries: HashMap<Box<str>, Entry>,
    by_url: HashMap<Box<str>, Box<str>>,
}

impl Store {
    /// Loads the hosted contexts persisted in `dir` (created if missing) and adds the vendored
    /// core contexts as built-in Cached entries.
    pub fn open(dir: &Path, base_url: &str) -> Result<Self> {
        // Normalised like every other URL here, so that our own links are recognised.
        let base =
            reqwest::Url::parse(base_url).map_or_else(|_| base_url.to_string(), String::from);
        let mut store = Self {
            served_prefix: format!("{}{JSONLD_CONTEXTS_PATH}", base.trim_end_matches('/')),
            entries: HashMap::new(),
            by_url: HashMap::new(),
        };
        let now = time::now();
        for version in CoreVersion::ALL {
            let document = serde_json::from_str(version.text())
                .map_err(|e| NgsiError::internal(format!("vendored core context: {e}")))?;
            let id = version
                .url()
                .rsplit('/')
                .next()
                .unwrap_or_default()
                .trim_end_matches(".jsonld");
            store.insert(Entry {
                id: id.into(),
                url: version.url().into(),
                kind: ContextKind::Cached,
                created_at: now,
                expires: None,
                document: Arc::new(document),
                usage: Arc::default(),
                builtin: true,
            });
        }
        for entry in disk::load_hosted(dir)? {
            let url = store.served_url(&entry.id).into();
            store.insert(Entry { url, ..entry });
        }
        Ok(store)
    }

    /// The URL a hosted or implicit context with this id is served under.
    pub fn served_url(&self, id: &str) -> String {
        format!("{}{id}", self.served_prefix)
    }

    /// The local id in one of our own served URLs.
    pub fn served_id<'a>(&self, url: &'a str) -> Option<&'a str> {
        url.strip_prefix(&self.served_prefix)
            .filter(|id| !id.is_empty() && !id.contains('/'))
    }

    pub fn get(&self, id: &str) -> Option<&Entry> {
        self.entries.get(id)
    }

    pub fn by_url(&self, url: &str) -> Option<&Entry> {
        self.entries.get(self.by_url.get(url)?)
    }

    /// By local id, by URL (original or served), as clauses 5.13.4.3 and 5.13.5.3 allow.
    pub fn find(&self, id_or_url: &str) -> Option<&Entry> {
        self.get(id_or_url)
            .or_else(|| self.by_url(id_or_url))
            .or_else(|| self.get(self.served_id(id_or_url)?))
    }

    /// Inserts or replaces (by id) an entry.
    pub fn insert(&mut self, entry: Entry) {
        if let Some(old) = self.entries.get(&entry.id) {
            self.by_url.remove(&old.url);
        }
        self.by_url.insert(entry.url.clone(), entry.id.clone());
        self.entries.insert(entry.id.clone(), entry);
    }

    pub fn remove(&mut self, id: &str) -> Option<Entry> {
        let entry = self.entries.remove(id)?;
        self.by_url.remove(&entry.url);
        Some(entry)
    }

    pub fn count(&self, kind: ContextKind) -> usize {
        self.entries
            .values()
            .filter(|e| e.kind == kind && !e.builtin)
            .count()
    }

    /// Evicts the least recently used entries of `kind` until one more fits under `max`;
    /// returns the URLs of the evicted ones.
    pub fn make_room(&mut self, kind: ContextKind, max: usize) -> Vec<Box<str>> {
        let mut evicted = Vec::new();
        while self.count(kind) >= max.max(1) {
            let victim = self
                .entries
                .values()
                .filter(|e| e.kind == kind && !e.builtin)
                .min_by_key(|e| (e.usage.last().unwrap_or(e.created_at), e.created_at))
                .map(|e| e.id.clone());
            match victim.and_then(|id| self.remove(&id)) {
                Some(gone) => evicted.push(gone.url),
                None => break,
            }
        }
        evicted
    }

    /// A fresh, unpredictable local id for a hosted context.
    pub fn new_id(&self) -> String {
        loop {
            let seed = (time::now(), std::process::id(), self.entries.len());
            let id = format!(
                "{:016x}",
                std::collections::hash_map::RandomState::new().hash_one(seed)
            );
            if !self.entries.contains_key(id.as_str()) {
                return id;
            }
        }
    }

    /// A local id derived from `key` (stable across restarts and builds), skipping ids taken by
    /// a different entry.
    pub fn derived_id(&self, key: &str, same: impl Fn(&Entry) -> bool) -> String {
        (0u64..)
            .map(|salt| format!("{:016x}", fnv1a(key.as_bytes()) ^ salt))
            .find(|id| self.entries.get(id.as_str()).is_none_or(&same))
            .unwrap_or_default()
    }

    /// Clause 5.13.3: URLs, or details objects, of the entries of `kind` (all when `None`).
    pub fn list(&self, details: bool, kind: Option<ContextKind>) -> Value {
        let mut entries: Vec<&Entry> = self
            .entries
            .values()
            .filter(|e| kind.is_none_or(|k| e.kind == k))
            .collect();
        entries.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
        let items = entries.into_iter().map(|e| {
            if details {
                self.details(e)
            } else {
                json!(e.url)
            }
        });
        Value::Array(items.collect())
    }

    /// Clause 5.13.3.5: the metadata of one entry.
    pub fn details(&self, e: &Entry) -> Value {
        let mut out = Map::new();
        out.insert("URL".into(), json!(e.url));
        out.insert("localId".into(), json!(e.id));
        out.insert("kind".into(), json!(e.kind.as_str()));
        out.insert("createdAt".into(), json!(time::format(e.created_at)));
        if let Some(expiry) = e.expires {
            out.insert("expiresAt".into(), json!(time::format(expiry.at)));
        }
        if let Some(last) = e.usage.last() {
            out.insert("lastUsage".into(), json!(time::format(last)));
        }
        out.insert("numberOfHits".into(), json!(e.usage.hits()));
        if e.builtin {
            out.insert("extraInfo".into(), json!({"builtIn": true}));
        }
        Value::Object(out)
    }
}

/// 64-bit FNV-1a: a stable hash (std's hashers may change between releases).
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_round_trip_and_hashes_are_stable() {
        for k in [
            ContextKind::Hosted,
            ContextKind::Cached,
            ContextKind::ImplicitlyCreated,
        ] {
            assert_eq!(ContextKind::parse(k.as_str()), Some(k));
        }
        assert_eq!(ContextKind::parse("hosted"), None);
        assert_eq!(fnv1a(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a(b"a"), 0xaf63_dc4c_8601_ec8c);
    }
}
