//! JSON-LD 1.1 context processing ("Create Term Definition", "IRI Expansion"), restricted to what
//! NGSI-LD payloads use, producing plain term maps. Runs once per distinct @context, never per
//! request. Must not: do I/O (remote documents arrive already loaded through [`DocSource`]) or
//! allocate per-request state.
//!
//! NGSI-LD departures from plain JSON-LD, on purpose (clauses 4.4, 5.5.7, C.9): core context URLs
//! are skipped wherever they appear and the core is merged last by [`super::compiled`]; while user
//! contexts are processed, core terms and prefixes (`ngsi-ld:`, `DateTime`) are visible as a
//! fallback, as if the core had also come first; a user context may not contain scoped contexts.

use std::collections::HashMap;

use serde_json::{Map, Value};

use super::loader::resolve_ref;
use super::term::{TermDefinition, is_absolute_or_blank};
use super::vendored::{CoreDefs, CoreVersion, is_alias};
use crate::error::{ErrorKind, NgsiError, Result};

mod define;

/// Loaded remote context documents, by absolute URL.
pub(crate) trait DocSource {
    /// The `@context` member of the document loaded from `url`.
    fn context_of(&self, url: &str) -> Option<&Value>;
}

/// Bounds on one compilation.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    pub max_terms: usize,
    pub max_depth: usize,
    pub allow_scoped: bool,
}

/// What a user @context compiles to, before the core is merged in.
#[derive(Debug, Default)]
pub(crate) struct UserTerms {
    pub terms: HashMap<String, TermDefinition>,
    /// The newest core version the context referenced, if any.
    pub core: Option<CoreVersion>,
    /// Whether it referenced the unversioned core alias.
    pub alias: bool,
}

/// The active context being built. A term mapped to `None` was defined as `null`.
pub(crate) struct Compiler<'d> {
    fallback: Option<&'static CoreDefs>,
    docs: Option<&'d dyn DocSource>,
    limits: Limits,
    terms: HashMap<String, Option<TermDefinition>>,
    vocab: Option<String>,
    local_protected: bool,
    chain: Vec<String>,
    core: Option<CoreVersion>,
    alias: bool,
}

fn bad(detail: impl Into<String>) -> NgsiError {
    NgsiError::bad_data(detail)
}

const CONTEXT_KEYWORDS: &[&str] = &[
    "@version",
    "@import",
    "@base",
    "@vocab",
    "@language",
    "@direction",
    "@propagate",
    "@protected",
];

impl<'d> Compiler<'d> {
    /// A compiler for a vendored core document: no fallback, scoped contexts ignored.
    pub fn for_core() -> Self {
        let limits = Limits {
            max_terms: usize::MAX,
            max_depth: 0,
            allow_scoped: true,
        };
        Self::new(None, None, limits)
    }

    /// A compiler for user contexts. Without `docs` it only checks syntax and skips URLs.
    pub fn for_user(
        fallback: &'static CoreDefs,
        docs: Option<&'d dyn DocSource>,
        limits: Limits,
    ) -> Self {
        Self::new(Some(fallback), docs, limits)
    }

    fn new(
        fallback: Option<&'static CoreDefs>,
        docs: Option<&'d dyn DocSource>,
        limits: Limits,
    ) -> Self {
        Self {
            fallback,
            docs,
            limits,
            terms: HashMap::new(),
            vocab: None,
            local_protected: false,
            chain: Vec::new(),
            core: None,
            alias: false,
        }
    }

    /// The defined terms and `@vocab` (used for the core documents).
    pub fn into_parts(self) -> (HashMap<String, TermDefinition>, Option<String>) {
        let terms = self
            .terms
            .into_iter()
            .filter_map(|(k, v)| Some((k, v?)))
            .collect();
        (terms, self.vocab)
    }

    /// The user terms and the core references seen.
    pub fn finish(self) -> UserTerms {
        let (core, alias) = (self.core, self.alias);
        let (terms, _) = self.into_parts();
        UserTerms { terms, core, alias }
    }

    /// Processes one @context value: a URL, an inline object, `null`, or an array of those.
    /// `base` is the URL of the document the value came from, for relative references.
    pub fn process(&mut self, value: &Value, base: Option<&str>) -> Result<()> {
        match value {
            Value::Array(items) => items.iter().try_for_each(|item| match item {
                Value::Array(_) => Err(bad(
                    "invalid local context: a @context array cannot contain an array",
                )),
                _ => self.process(item, base),
            }),
            Value::Null => self.reset(),
            Value::String(reference) => self.process_ref(reference, base),
            Value::Object(ctx) => self.process_object(ctx),
            other => Err(bad(format!(
                "invalid local context: a @context must be a URL, an object or an array, not {other}"
            ))),
        }
    }

    fn reset(&mut self) -> Result<()> {
        if self.terms.values().flatten().any(|t| t.protected) {
            return Err(bad(
                "invalid context nullification: the active context has protected terms",
            ));
        }
        self.terms.clear();
        self.vocab = None;
        Ok(())
    }

    fn process_ref(&mut self, reference: &str, base: Option<&str>) -> Result<()> {
        let url = resolve_ref(base, reference)?;
        if let Some(version) = CoreVersion::from_url(&url) {
            self.core = self.core.max(Some(version));
            return Ok(());
        }
        if is_alias(&url) {
            self.alias = true;
            return Ok(());
        }
        let Some(docs) = self.docs else { return Ok(()) };
        if self.chain.contains(&url) {
            return Err(bad(format!(
                "recursive context inclusion: {url} includes itself"
            )));
        }
        if self.chain.len() >= self.limits.max_depth {
            return Err(bad(format!(
                "@context {url} is nested deeper than the limit of {} remote contexts",
                self.limits.max_depth
            )));
        }
        let Some(ctx) = docs.context_of(&url) else {
            let detail = format!("@context {url} could not be loaded");
            return Err(NgsiError::new(ErrorKind::LdContextNotAvailable, detail));
        };
        self.chain.push(url.clone());
        let result = self.process(ctx, Some(&url));
        self.chain.pop();
        result
    }

    /// Processes one local context object (JSON-LD 1.1 Context Processing, step 5).
    pub fn process_object(&mut self, ctx: &Map<String, Value>) -> Result<()> {
        if ctx.get("@version").is_some_and(|v| v.as_f64() != Some(1.1)) {
            return Err(bad("invalid @version value: only 1.1 is allowed"));
        }
        if ctx.contains_key("@import") {
            return Err(bad(
                "@import in a @context is not supported: list the imported context in the @context array instead",
            ));
        }
        check(
            ctx,
            "@base",
            |v| v.is_null() || v.is_string(),
            "invalid base IRI",
        )?;
        check(
            ctx,
            "@language",
            |v| v.is_null() || v.is_string(),
            "invalid default language",
        )?;
        let direction = |v: &Value| v.is_null() || v == "ltr" || v == "rtl";
        check(ctx, "@direction", direction, "invalid base direction")?;
        check(
            ctx,
            "@propagate",
            Value::is_boolean,
            "invalid @propagate value",
        )?;
        check(
            ctx,
            "@protected",
            Value::is_boolean,
            "invalid @protected value",
        )?;
        if let Some(v) = ctx.get("@vocab") {
            self.set_vocab(v)?;
        }
        self.local_protected = ctx
            .get("@protected")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        let mut defined = HashMap::new();
        for term in ctx
            .keys()
            .filter(|k| !CONTEXT_KEYWORDS.contains(&k.as_str()))
        {
            self.define(ctx, term, &mut defined)?;
        }
        if self.terms.len() > self.limits.max_terms {
            return Err(bad(format!(
                "@context defines more than {} terms",
                self.limits.max_terms
            )));
        }
        Ok(())
    }

    fn set_vocab(&mut self, value: &Value) -> Result<()> {
        self.vocab = match value {
            Value::Null => None,
            Value::String(s) => match self.expand(None, s, &mut HashMap::new())? {
                Some(iri) if is_absolute_or_blank(&iri) => Some(iri),
                _ => {
                    return Err(bad(format!(
                        "invalid vocab mapping: \"{s}\" is not an absolute IRI"
                    )));
                }
            },
            _ => {
                return Err(bad(
                    "invalid vocab mapping: @vocab must be a string or null",
                ));
            }
        };
        Ok(())
    }

    fn vocab(&self) -> Option<&str> {
        self.vocab
            .as_deref()
            .or(self.fallback.map(|c| c.vocab.as_str()))
    }
}

fn check(
    obj: &Map<String, Value>,
    key: &str,
    ok: impl Fn(&Value) -> bool,
    what: &str,
) -> Result<()> {
    match obj.get(key) {
        Some(v) if !ok(v) => Err(bad(format!("{what}: {key} cannot be {v}"))),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests;
