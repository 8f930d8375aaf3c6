//! Loading the documents a @context references: our own served contexts, fresh cached copies,
//! or one shared HTTP fetch per URL (stored as Cached), following nested references breadth
//! first within the configured depth and count. Must not: hold a store lock across `.await`.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Instant;

use serde_json::Value;

use super::{ContextResolver, Docs, Loaded, expiry_in};
use crate::context::loader::resolve_ref;
use crate::context::store::{ContextKind, Entry};
use crate::context::vendored::is_core_url;
use crate::error::{ErrorKind, NgsiError, Result};
use crate::time;

impl ContextResolver {
    /// Loads every remote document the context needs, breadth first, within the bounds.
    pub(super) async fn load_all(&self, context: &Value) -> Result<Docs> {
        let mut pending = VecDeque::new();
        collect_refs(context, None, 0, &mut pending)?;
        let mut docs = Docs::new();
        while let Some((url, depth)) = pending.pop_front() {
            if docs.contains_key(&url) || is_core_url(&url) {
                continue;
            }
            if depth >= self.config.max_depth {
                let max = self.config.max_depth;
                return Err(NgsiError::bad_data(format!(
                    "@context {url} is nested deeper than {max} levels"
                )));
            }
            if docs.len() >= self.config.max_documents {
                let max = self.config.max_documents;
                return Err(NgsiError::bad_data(format!(
                    "the @context references more than {max} documents"
                )));
            }
            let loaded = self.load_one(&url).await?;
            collect_refs(
                loaded.doc.get("@context").unwrap_or(&Value::Null),
                Some(&url),
                depth + 1,
                &mut pending,
            )?;
            docs.insert(url, loaded);
        }
        Ok(docs)
    }

    async fn load_one(&self, url: &str) -> Result<Loaded> {
        let stale = {
            let store = self.store.read();
            if let Some(id) = store.served_id(url) {
                return match store.get(id).filter(|e| e.kind != ContextKind::Cached) {
                    Some(entry) => Ok(Loaded::of(entry)),
                    None => Err(NgsiError::new(
                        ErrorKind::LdContextNotAvailable,
                        format!(
                            "@context {url} is not available: no hosted or implicitly created @context has that id"
                        ),
                    )),
                };
            }
            match store.by_url(url) {
                Some(entry) if entry.is_fresh(Instant::now()) => return Ok(Loaded::of(entry)),
                stale => stale.map(Loaded::of),
            }
        };
        match (self.fetch_shared(url).await, stale) {
            (Err(e), Some(stale)) if e.kind == ErrorKind::LdContextNotAvailable => {
                tracing::warn!(url, error = %e.detail, "refetch of a cached @context failed; using the stale copy");
                Ok(self.extend_stale(url).unwrap_or(stale))
            }
            (result, _) => result,
        }
    }

    /// Keeps a stale cached copy for another `min_ttl` after a failed refetch, so that a dead
    /// origin costs one timeout per `min_ttl`, not one per request.
    fn extend_stale(&self, url: &str) -> Option<Loaded> {
        let mut store = self.store.write();
        let mut entry = store.by_url(url)?.clone();
        entry.expires = Some(expiry_in(self.config.min_ttl));
        let loaded = Loaded::of(&entry);
        store.insert(entry);
        Some(loaded)
    }

    /// One fetch per URL at a time; concurrent resolutions wait for it and share the result.
    async fn fetch_shared(&self, url: &str) -> Result<Loaded> {
        let cell = self
            .inflight
            .lock()
            .entry(url.to_string())
            .or_default()
            .clone();
        let result = cell.get_or_init(|| self.fetch_and_store(url)).await.clone();
        let mut inflight = self.inflight.lock();
        if inflight.get(url).is_some_and(|c| Arc::ptr_eq(c, &cell)) {
            inflight.remove(url);
        }
        result
    }

    /// Fetches `url`, checks it is a valid context, and stores it as Cached (replacing an older
    /// copy, keeping its id and counters).
    pub(in crate::context) async fn fetch_and_store(&self, url: &str) -> Result<Loaded> {
        let fetched = self.loader.fetch(url).await?;
        self.check_syntax(
            fetched.document.get("@context").unwrap_or(&Value::Null),
            Some(url),
        )?;
        let (loaded, evicted) = {
            let mut store = self.store.write();
            let previous = store.by_url(url).cloned();
            let id = match &previous {
                Some(p) => p.id.to_string(),
                None => store.derived_id(url, |e| &*e.url == url),
            };
            let evicted = if previous.is_some() {
                Vec::new()
            } else {
                store.make_room(ContextKind::Cached, self.config.max_cached)
            };
            let entry = Entry {
                id: id.into(),
                url: url.into(),
                kind: ContextKind::Cached,
                created_at: time::now(),
                expires: Some(expiry_in(fetched.ttl)),
                document: Arc::new(fetched.document),
                usage: previous.map(|p| p.usage).unwrap_or_default(),
                builtin: false,
            };
            let loaded = Loaded::of(&entry);
            store.insert(entry);
            (loaded, evicted)
        };
        self.purge(&evicted);
        Ok(loaded)
    }
}

/// The URLs a @context value references directly (strings at the top level or in its array).
fn collect_refs(
    value: &Value,
    base: Option<&str>,
    depth: usize,
    out: &mut VecDeque<(String, usize)>,
) -> Result<()> {
    let items = match value {
        Value::Array(items) => items.as_slice(),
        other => std::slice::from_ref(other),
    };
    for reference in items.iter().filter_map(Value::as_str) {
        out.push_back((resolve_ref(base, reference)?, depth));
    }
    Ok(())
}

#[cfg(test)]
mod tests;
