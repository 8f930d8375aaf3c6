//! [`ContextResolver`]: turns the @context of a request into a shared [`CompiledContext`],
//! compiling each distinct source text once. Resolution order for a URL: vendored core, our own
//! served contexts, the store's cached copy (while fresh), then one shared HTTP fetch.
//! Must not: hold a lock across `.await` (every lock here is taken and released between awaits),
//! or fetch the same URL twice concurrently.

use std::borrow::Cow;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use parking_lot::{Mutex, RwLock};
use serde_json::{Value, json};
use tokio::sync::OnceCell;

use super::ContextConfig;
use super::compile::{Compiler, DocSource, Limits};
use super::compiled::{CompiledContext, Meta};
use super::link;
use super::loader::Loader;
use super::store::{ContextKind, Entry, Expiry, Store, Usage};
use super::vendored::{CORE_CONTEXT_ALIAS_URL, CoreVersion, is_core_url};
use crate::error::{NgsiError, Result};
use crate::time;

mod load;

/// A stored document as one resolution uses it.
#[derive(Debug, Clone)]
pub(super) struct Loaded {
    doc: Arc<Value>,
    usage: Arc<Usage>,
    expires: Option<Instant>,
}

impl Loaded {
    fn of(entry: &Entry) -> Self {
        Self {
            doc: entry.document.clone(),
            usage: entry.usage.clone(),
            expires: entry.expires.map(|e| e.instant),
        }
    }
}

type Docs = HashMap<String, Loaded>;

impl DocSource for Docs {
    fn context_of(&self, url: &str) -> Option<&Value> {
        self.get(url)?.doc.get("@context")
    }
}

type Inflight = Mutex<HashMap<String, Arc<OnceCell<Result<Loaded>>>>>;

/// Resolves @context values to compiled contexts; owns the compiled-context cache and the
/// hosted/cached/implicit @context store (clause 5.13).
#[derive(Debug)]
pub struct ContextResolver {
    pub(super) config: ContextConfig,
    pub(super) default_core: CoreVersion,
    pub(super) dir: PathBuf,
    pub(super) loader: Loader,
    pub(super) store: RwLock<Store>,
    compiled: RwLock<HashMap<Box<str>, Arc<CompiledContext>>>,
    core: Arc<CompiledContext>,
    inflight: Inflight,
    tick: AtomicU64,
    /// Bumped whenever stored documents change, so a resolution that raced with the change does
    /// not cache a context compiled from the old document.
    generation: AtomicU64,
}

impl ContextResolver {
    /// Opens the resolver. `dir` holds hosted contexts across restarts (created if missing);
    /// `base_url` is the public base for links to contexts we serve, e.g. "http://127.0.0.1:1026"
    /// gives ".../ngsi-ld/v1/jsonldContexts/{id}".
    pub fn open(dir: &Path, base_url: String, config: ContextConfig) -> Result<Self> {
        let default_core = CoreVersion::from_url(&config.core_context)
            .filter(|v| v.url() == config.core_context)
            .ok_or_else(|| {
                let known = CoreVersion::ALL.map(CoreVersion::url).join(", ");
                NgsiError::internal(format!(
                    "core_context must be one of {known}, not {}",
                    config.core_context
                ))
            })?;
        let store = Store::open(dir, &base_url)?;
        let mut compiled = HashMap::new();
        let mut core_urls: Vec<(&str, CoreVersion)> =
            CoreVersion::ALL.map(|v| (v.url(), v)).to_vec();
        core_urls.push((CORE_CONTEXT_ALIAS_URL, default_core));
        for (url, version) in core_urls {
            let usage = store
                .by_url(version.url())
                .map(|e| e.usage.clone())
                .into_iter()
                .collect();
            let meta = meta(json!(url), json!(url), url.into(), version, usage);
            compiled.insert(
                url.into(),
                Arc::new(CompiledContext::new(HashMap::new(), meta)),
            );
        }
        let core = compiled[default_core.url()].clone();
        Ok(Self {
            loader: Loader::new(&config)?,
            config,
            default_core,
            dir: dir.to_path_buf(),
            store: RwLock::new(store),
            compiled: RwLock::new(compiled),
            core,
            inflight: Mutex::default(),
            tick: AtomicU64::new(0),
            generation: AtomicU64::new(0),
        })
    }

    /// The default core context: what a request without any @context uses (clause 5.5.5).
    pub fn core(&self) -> Arc<CompiledContext> {
        self.core.clone()
    }

    /// Fast path, no await: the already compiled context for this Link-header URL, if any.
    pub fn cached_url(&self, url: &str) -> Option<Arc<CompiledContext>> {
        self.lookup(url)
    }

    /// Parses an HTTP `Link` header value for the JSON-LD context link (clause 6.3.5): `None` if
    /// there is none; BadRequestData if malformed or if there is more than one. Join several
    /// header lines with ", " first.
    pub fn context_url_from_link(header: &str) -> Result<Option<String>> {
        link::context_url_from_link(header)
    }

    /// Compiles (or finds already compiled) a @context value: a URL string, an inline object, or
    /// an array of both. Core context URLs resolve to the vendored documents, our own
    /// `/jsonldContexts/{id}` URLs to the store, other http(s) URLs are fetched (nested contexts
    /// followed, bounded) and cached. Errors: LdContextNotAvailable (503) naming the URL when a
    /// document cannot be fetched; BadRequestData for an invalid @context (clause 5.5.6).
    pub async fn resolve(&self, context: &Value) -> Result<Arc<CompiledContext>> {
        let key = self.canonical_key(context)?;
        if let Some(hit) = self.lookup(&key) {
            return Ok(hit);
        }
        let generation = self.generation.load(Ordering::Acquire);
        let docs = self.load_all(context).await?;
        let compiled = Arc::new(self.compile(context, &key, &docs)?);
        compiled.touch(self.tick.fetch_add(1, Ordering::Relaxed));
        self.remember(&key, compiled.clone(), generation);
        Ok(compiled)
    }

    /// The cache key: the URL itself, or the JSON text of an inline value.
    fn canonical_key<'a>(&self, context: &'a Value) -> Result<Cow<'a, str>> {
        match context {
            Value::String(url) => Ok(Cow::Borrowed(url)),
            Value::Object(_) | Value::Array(_) => {
                let text = context.to_string();
                if text.len() > self.config.max_context_bytes {
                    let max = self.config.max_context_bytes;
                    return Err(NgsiError::bad_data(format!(
                        "the inline @context is larger than {max} bytes"
                    )));
                }
                Ok(Cow::Owned(text))
            }
            other => Err(NgsiError::bad_data(format!(
                "invalid @context: expected a URL, an object or an array, not {other}"
            ))),
        }
    }

    fn lookup(&self, key: &str) -> Option<Arc<CompiledContext>> {
        let hit = self.compiled.read().get(key)?.clone();
        if hit.meta.expires_at.is_some_and(|t| Instant::now() >= t) {
            return None;
        }
        hit.touch(self.tick.fetch_add(1, Ordering::Relaxed));
        Some(hit)
    }

    fn remember(&self, key: &str, compiled: Arc<CompiledContext>, generation: u64) {
        let mut map = self.compiled.write();
        if self.generation.load(Ordering::Acquire) != generation {
            return;
        }
        // The core contexts (every version and the alias) are pinned on top of the bound.
        let pinned = CoreVersion::ALL.len() + 1;
        if !map.contains_key(key) && map.len() >= self.config.max_compiled.max(1) + pinned {
            let victim = map
                .iter()
                .filter(|(k, _)| !is_core_url(k))
                .min_by_key(|(_, c)| c.meta.last_used.load(Ordering::Relaxed))
                .map(|(k, _)| k.clone());
            if let Some(victim) = victim {
                map.remove(&victim);
            }
        }
        map.insert(key.into(), compiled);
    }

    /// Drops compiled contexts built from any of `urls`, after the store changed them.
    pub(super) fn purge(&self, urls: &[Box<str>]) {
        if urls.is_empty() {
            return;
        }
        self.generation.fetch_add(1, Ordering::AcqRel);
        self.compiled
            .write()
            .retain(|_, c| !c.meta.deps.iter().any(|d| urls.contains(d)));
    }

    /// Checks a @context value compiles, without loading the URLs it references.
    pub(super) fn check_syntax(&self, context: &Value, base: Option<&str>) -> Result<()> {
        let mut compiler = Compiler::for_user(self.default_core.defs(), None, self.limits());
        compiler.process(context, base)
    }

    fn limits(&self) -> Limits {
        Limits {
            max_terms: self.config.max_terms,
            max_depth: self.config.max_depth,
            allow_scoped: self.config.allow_scoped_contexts,
        }
    }

    fn compile(&self, context: &Value, key: &str, docs: &Docs) -> Result<CompiledContext> {
        let mut compiler = Compiler::for_user(self.default_core.defs(), Some(docs), self.limits());
        compiler.process(context, None)?;
        let user = compiler.finish();
        let referenced = user
            .core
            .into_iter()
            .chain(user.alias.then_some(self.default_core))
            .max();
        let core = referenced.unwrap_or(self.default_core);
        let mut usage: Vec<Arc<Usage>> = docs.values().map(|d| d.usage.clone()).collect();
        let mut deps: Vec<Box<str>> = docs.keys().map(|u| u.as_str().into()).collect();
        let link_url = match link_target(context, user.terms.is_empty(), core) {
            Some(url) => url.to_string(),
            None => {
                let (url, implicit_usage) = self.ensure_implicit(key, context);
                usage.push(implicit_usage);
                deps.push(url.as_str().into());
                url
            }
        };
        let mut meta = meta(
            context.clone(),
            response_context(context, core),
            link_url.into(),
            core,
            usage,
        );
        meta.deps = deps;
        meta.expires_at = docs.values().filter_map(|d| d.expires).min();
        Ok(CompiledContext::new(user.terms, meta))
    }

    /// The implicitly created store entry for an inline or array context (clause 5.13.1).
    fn ensure_implicit(&self, key: &str, context: &Value) -> (String, Arc<Usage>) {
        let document = json!({ "@context": context });
        let (url, usage, evicted) = {
            let mut store = self.store.write();
            let id = store.derived_id(key, |e| {
                e.kind == ContextKind::ImplicitlyCreated && *e.document == document
            });
            let url = store.served_url(&id);
            if let Some(existing) = store.get(&id) {
                return (url, existing.usage.clone());
            }
            let evicted = store.make_room(ContextKind::ImplicitlyCreated, self.config.max_implicit);
            let usage = Arc::new(Usage::default());
            store.insert(Entry {
                id: id.into(),
                url: url.as_str().into(),
                kind: ContextKind::ImplicitlyCreated,
                created_at: time::now(),
                expires: None,
                document: Arc::new(document),
                usage: usage.clone(),
                builtin: false,
            });
            (url, usage, evicted)
        };
        self.purge(&evicted);
        (url, usage)
    }
}

pub(super) fn expiry_in(ttl: std::time::Duration) -> Expiry {
    let micros = i64::try_from(ttl.as_micros()).unwrap_or(i64::MAX);
    Expiry {
        at: time::now().saturating_add(micros),
        instant: Instant::now() + ttl,
    }
}

fn meta(
    source: Value,
    response: Value,
    link_url: Box<str>,
    core: CoreVersion,
    usage: Vec<Arc<Usage>>,
) -> Meta {
    Meta {
        source,
        response_context: response,
        link_url,
        core,
        deps: Vec::new(),
        expires_at: None,
        usage,
        last_used: AtomicU64::new(0),
    }
}

/// The URL a Link header can carry without creating anything: the context's only user URL, or
/// the core URL when it defines no user terms. `None`: an implicit copy is needed.
fn link_target(context: &Value, core_only: bool, core: CoreVersion) -> Option<&str> {
    let user_items: Vec<&Value> = match context {
        Value::String(url) => return Some(url),
        Value::Array(items) => items
            .iter()
            .filter(|v| !v.as_str().is_some_and(is_core_url))
            .collect(),
        _ => vec![context],
    };
    match user_items.as_slice() {
        [Value::String(url)] => Some(url),
        _ if core_only => Some(core.url()),
        _ => None,
    }
}

/// The @context for ld+json responses: the user parts as received, then the core URL last
/// (clause 4.4: the core is rendered as if it had been placed last).
fn response_context(source: &Value, core: CoreVersion) -> Value {
    let user: Vec<Value> = match source {
        Value::Array(items) => items
            .iter()
            .filter(|v| !v.as_str().is_some_and(is_core_url))
            .cloned()
            .collect(),
        Value::String(url) if is_core_url(url) => Vec::new(),
        other => vec![other.clone()],
    };
    if user.is_empty() {
        return json!(core.url());
    }
    Value::Array(user.into_iter().chain([json!(core.url())]).collect())
}

#[cfg(test)]
mod tests;
