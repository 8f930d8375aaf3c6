//! [`CompiledContext`]: one @context (user terms + the core, core last so core terms win) turned
//! into hash maps for the per-request hot path: term -> IRI for expansion, IRI -> term and
//! namespace -> prefix for compaction. Must not: allocate on a term hit, take a lock on a term hit,
//! or change after construction (it is shared across requests behind an `Arc`).

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use parking_lot::RwLock;
use serde_json::Value;

use super::store::Usage;
use super::term::{TermDefinition, is_absolute_or_blank, is_gen_delim, split_compact};
use super::vendored::CoreVersion;
use crate::sym::{Sym, intern};

/// How many expansions of undefined names (the `@vocab` and compact-IRI paths) each context
/// remembers; beyond it they are recomputed, so hostile input cannot grow it.
const MEMO_CAP: usize = 4096;

/// A compiled context: user terms + the core context. Core terms cannot be overridden (clauses
/// 4.4, 5.5.7): the core is merged last, whatever position it had in the @context array.
pub struct CompiledContext {
    terms: HashMap<Box<str>, TermDefinition>,
    /// IRI (or keyword) -> the term compaction picks for it.
    reverse: HashMap<Box<str>, Box<str>>,
    /// Prefix IRI ending in a gen-delim -> the prefix term compaction picks for it.
    prefixes: HashMap<Box<str>, Box<str>>,
    /// Prefix IRIs that do not end in a gen-delim (`"@prefix": true`), scanned linearly.
    odd_prefixes: Vec<(Box<str>, Box<str>)>,
    vocab: Box<str>,
    memo: RwLock<HashMap<Box<str>, Sym>>,
    user_terms: usize,
    pub(crate) meta: Meta,
}

/// Where a compiled context came from and how the resolver keeps it.
#[derive(Debug)]
pub(crate) struct Meta {
    pub source: Value,
    pub response_context: Value,
    pub link_url: Box<str>,
    pub core: CoreVersion,
    /// URLs of the stored documents it was compiled from or links to (cached, hosted, implicit).
    pub deps: Vec<Box<str>>,
    /// When the earliest cached document it depends on expires.
    pub expires_at: Option<Instant>,
    /// Usage counters of the store entries it stands for, bumped on every resolution.
    pub usage: Vec<Arc<Usage>>,
    /// LRU tick of the compiled-context cache.
    pub last_used: AtomicU64,
}

impl CompiledContext {
    pub(crate) fn new(user: HashMap<String, TermDefinition>, meta: Meta) -> Self {
        let core = meta.core.defs();
        let user_terms = user.len();
        let mut terms: HashMap<Box<str>, TermDefinition> =
            HashMap::with_capacity(user.len() + core.terms.len());
        terms.extend(user.into_iter().map(|(k, v)| (k.into_boxed_str(), v)));
        terms.extend(
            core.terms
                .iter()
                .map(|(k, v)| (k.as_str().into(), v.clone())),
        );
        // Visiting terms best-first lets the first term seen for an IRI win.
        let mut ranked: Vec<(&Box<str>, &TermDefinition)> = terms.iter().collect();
        ranked.sort_by(|a, b| rank(a.0, a.1).cmp(&rank(b.0, b.1)));
        let mut reverse: HashMap<Box<str>, Box<str>> = HashMap::with_capacity(terms.len());
        let mut prefixes: HashMap<Box<str>, Box<str>> = HashMap::new();
        let mut odd_prefixes = Vec::new();
        for (term, def) in ranked {
            reverse
                .entry(Box::from(&*def.iri))
                .or_insert_with(|| term.clone());
            if def.prefix && &**term != "_" && !def.is_keyword_alias() {
                if def.iri.ends_with(is_gen_delim) {
                    prefixes
                        .entry(Box::from(&*def.iri))
                        .or_insert_with(|| term.clone());
                } else {
                    odd_prefixes.push((Box::from(&*def.iri), term.clone()));
                }
            }
        }
        odd_prefixes.sort();
        Self {
            terms,
            reverse,
            prefixes,
            odd_prefixes,
            vocab: core.vocab.as_str().into(),
            memo: RwLock::new(HashMap::new()),
            user_terms,
            meta,
        }
    }

    /// Term -> IRI (JSON-LD IRI expansion with `vocab: true`): a defined term gives its IRI (or its
    /// keyword: `id` -> `@id`); `prefix:suffix` with a known prefix gives the prefix IRI + suffix;
    /// an absolute IRI or blank node is kept; anything else is appended to the core `@vocab`
    /// (`https://uri.etsi.org/ngsi-ld/default-context/`). Keywords are returned unchanged, so a
    /// result starting with `@` means "not an attribute". A term that a user context defined as
    /// `null` is treated as undefined (plain JSON-LD would drop it).
    pub fn expand(&self, term: &str) -> Sym {
        if let Some(def) = self.terms.get(term) {
            return def.iri.clone();
        }
        if let Some(sym) = self.memo.read().get(term) {
            return sym.clone();
        }
        let sym = intern(&self.expand_undefined(term));
        let mut memo = self.memo.write();
        if memo.len() < MEMO_CAP {
            memo.insert(term.into(), sym.clone());
        }
        sym
    }

    fn expand_undefined<'a>(&self, term: &'a str) -> Cow<'a, str> {
        if term.starts_with('@') {
            return Cow::Borrowed(term);
        }
        if let Some((prefix, suffix)) = split_compact(term)
            && let Some(def) = self.terms.get(prefix).filter(|d| d.prefix)
        {
            return Cow::Owned(format!("{}{suffix}", def.iri));
        }
        if is_absolute_or_blank(term) {
            return Cow::Borrowed(term);
        }
        Cow::Owned(format!("{}{term}", self.vocab))
    }

    /// Expands a VocabProperty value, or the value of a term whose definition has
    /// `"@type": "@vocab"`. In JSON-LD these expand exactly like names, so this is [`Self::expand`].
    pub fn expand_vocab(&self, value: &str) -> Sym {
        self.expand(value)
    }

    /// IRI -> shortest term (JSON-LD IRI compaction with `vocab: true`): the term that maps to
    /// exactly this IRI (the shortest, then the lexicographically least; `@id`/`@type` always
    /// give the core `id`/`type`); else the remainder after the `@vocab` when it is not itself a
    /// term; else the shortest `prefix:suffix`; else the IRI itself (clause 5.5.7). The result
    /// always expands back to `iri`. Allocates only for compact IRIs.
    pub fn compact<'a>(&'a self, iri: &'a str) -> Cow<'a, str> {
        if let Some(term) = self.reverse.get(iri) {
            return Cow::Borrowed(term);
        }
        if let Some(suffix) = iri.strip_prefix(&*self.vocab)
            && !suffix.is_empty()
            && !suffix.starts_with('@')
            && !suffix.contains(':')
            && !self.terms.contains_key(suffix)
        {
            return Cow::Borrowed(suffix);
        }
        match self.compact_iri(iri) {
            Some(compact) => Cow::Owned(compact),
            None => Cow::Borrowed(iri),
        }
    }

    fn compact_iri(&self, iri: &str) -> Option<String> {
        let mut best: Option<String> = None;
        let mut consider = |term: &str, suffix: &str| {
            // A suffix starting with "//" would read back as an absolute IRI.
            if suffix.is_empty() || suffix.starts_with("//") {
                return;
            }
            let candidate = format!("{term}:{suffix}");
            if self
                .terms
                .get(candidate.as_str())
                .is_some_and(|d| &*d.iri != iri)
            {
                return;
            }
            if best
                .as_ref()
                .is_none_or(|b| (candidate.len(), &candidate) < (b.len(), b))
            {
                best = Some(candidate);
            }
        };
        for (i, c) in iri.char_indices().filter(|&(_, c)| is_gen_delim(c)) {
            let end = i + c.len_utf8();
            if let Some(term) = self.prefixes.get(&iri[..end]) {
                consider(term, &iri[end..]);
            }
        }
        for (ns, term) in &self.odd_prefixes {
            if let Some(suffix) = iri.strip_prefix(&**ns) {
                consider(term, suffix);
            }
        }
        best
    }

    /// Compacts a VocabProperty value (or a `"@type": "@vocab"` value); same rules as
    /// [`Self::compact`].
    pub fn compact_vocab<'a>(&'a self, iri: &'a str) -> Cow<'a, str> {
        self.compact(iri)
    }

    /// The definition of a term (user or core), e.g. to see its `@type` (`@id`, `@vocab`, ...).
    pub fn definition(&self, term: &str) -> Option<&TermDefinition> {
        self.terms.get(term)
    }

    /// Whether `term` is defined by the core context (and therefore cannot be redefined).
    pub fn is_core_term(&self, term: &str) -> bool {
        self.terms.get(term).is_some_and(|d| d.core)
    }

    /// The `@vocab` undefined names expand under (the core's default vocabulary).
    pub fn vocab(&self) -> &str {
        &self.vocab
    }

    /// The @context value as received (a URL string, an inline object, or an array); for the
    /// default context, [`super::CORE_CONTEXT_URL`]. Store this to re-resolve the context later.
    pub fn source(&self) -> &Value {
        &self.meta.source
    }

    /// The @context to put in `application/ld+json` responses (clauses 4.4, 5.2.3): the user
    /// parts of [`Self::source`] as received, then the core context URL last; the core URL alone
    /// when there are no user parts.
    pub fn response_context(&self) -> &Value {
        &self.meta.response_context
    }

    /// The URL for the `Link` header of `application/json` responses: the context's single user
    /// URL, the core URL when there are no user terms, or else the URL of the implicitly created
    /// copy the resolver serves under `/ngsi-ld/v1/jsonldContexts/{id}` (clause 5.13.1).
    pub fn link_url(&self) -> &str {
        &self.meta.link_url
    }

    /// Whether the context defines nothing beyond the core.
    pub fn is_core_only(&self) -> bool {
        self.user_terms == 0
    }

    /// The URL of the core context version that was merged in.
    pub fn core_url(&self) -> &'static str {
        self.meta.core.url()
    }

    /// Records one use: bumps the usage counters of the store entries behind this context.
    pub(crate) fn touch(&self, tick: u64) {
        self.meta.last_used.store(tick, Ordering::Relaxed);
        self.meta.usage.iter().for_each(|u| u.hit());
    }
}

/// The order in which terms compete for an IRI: core aliases for keywords, then shortest, then
/// lexicographically least (JSON-LD's inverse-context order).
fn rank<'a>(term: &'a str, def: &TermDefinition) -> (bool, usize, &'a str) {
    (def.is_keyword_alias() && !def.core, term.len(), term)
}

impl fmt::Debug for CompiledContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CompiledContext")
            .field("source", &self.meta.source)
            .field("link_url", &self.meta.link_url)
            .field("core", &self.meta.core)
            .field("user_terms", &self.user_terms)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests;
