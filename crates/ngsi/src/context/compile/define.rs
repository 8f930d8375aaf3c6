//! Create Term Definition and IRI Expansion (JSON-LD 1.1, 4.2 and 5.2) for one local context:
//! the part of [`super::Compiler`] that turns a term's value into a [`TermDefinition`], defining
//! the terms it depends on first. Must not: look beyond the active context, the local context
//! and the core fallback.

use std::collections::HashMap;

use serde_json::{Map, Value};

use super::{Compiler, bad, check};
use crate::context::term::{
    Container, TermDefinition, TypeMapping, is_absolute_or_blank, is_gen_delim, is_keyword,
    looks_like_keyword, split_compact,
};
use crate::error::Result;
use crate::sym::intern;

const DEFINITION_KEYS: &[&str] = &[
    "@id",
    "@reverse",
    "@type",
    "@container",
    "@context",
    "@language",
    "@direction",
    "@nest",
    "@index",
    "@prefix",
    "@protected",
];

impl Compiler<'_> {
    /// Create Term Definition for `term` of the local context `local`.
    pub(super) fn define<'m>(
        &mut self,
        local: &'m Map<String, Value>,
        term: &'m str,
        defined: &mut HashMap<&'m str, bool>,
    ) -> Result<()> {
        match defined.get(term) {
            Some(true) => return Ok(()),
            Some(false) => {
                return Err(bad(format!(
                    "cyclic IRI mapping: term \"{term}\" depends on itself"
                )));
            }
            None => {}
        }
        let Some(value) = local.get(term) else {
            return Ok(());
        };
        if term.is_empty() {
            return Err(bad(
                "invalid term definition: the empty string cannot be a term",
            ));
        }
        if term == "@type" {
            defined.insert(term, true);
            return check_type_redefinition(value);
        }
        if is_keyword(term) {
            return Err(bad(format!(
                "keyword redefinition: {term} cannot be redefined"
            )));
        }
        if looks_like_keyword(term) {
            tracing::debug!(
                term,
                "ignoring a @context term that has the form of a keyword"
            );
            defined.insert(term, true);
            return Ok(());
        }
        defined.insert(term, false);
        let def = match value {
            Value::Null => None,
            Value::String(_) => self
                .iri_mapping(local, term, Some(value), defined)?
                .map(|iri| {
                    // A simple term is a prefix when its IRI ends with a gen-delim (JSON-LD 1.1, 4.2.2).
                    let prefix = !term.contains([':', '/'])
                        && !iri.starts_with('@')
                        && (iri.ends_with(is_gen_delim) || iri.starts_with("_:"));
                    self.definition(
                        iri,
                        None,
                        Container::default(),
                        prefix,
                        self.local_protected,
                    )
                }),
            Value::Object(obj) => self.expanded_definition(local, term, obj, defined)?,
            other => {
                return Err(bad(format!(
                    "invalid term definition for \"{term}\": expected a string, an object or null, not {other}"
                )));
            }
        };
        if let (Some(d), Some((prefix, suffix))) = (&def, split_compact(term)) {
            // A term that reads as a compact IRI must mean that IRI (JSON-LD 1.1, 4.2.2 step 14.2.3;
            // lenient when the prefix is unknown), or compaction could write one for the other.
            self.define(local, prefix, defined)?;
            if let Some(p) = self.lookup(prefix).filter(|p| p.prefix)
                && format!("{}{suffix}", p.iri) != *d.iri
            {
                return Err(bad(format!(
                    "invalid IRI mapping: term \"{term}\" reads as {}{suffix} but maps to {}",
                    p.iri, d.iri
                )));
            }
        }
        if let Some(Some(previous)) = self.terms.get(term)
            && previous.protected
            && !def.as_ref().is_some_and(|d| d.same_meaning(previous))
        {
            return Err(bad(format!(
                "protected term redefinition: \"{term}\" is protected"
            )));
        }
        self.terms.insert(term.to_string(), def);
        defined.insert(term, true);
        Ok(())
    }

    fn expanded_definition<'m>(
        &mut self,
        local: &'m Map<String, Value>,
        term: &'m str,
        obj: &'m Map<String, Value>,
        defined: &mut HashMap<&'m str, bool>,
    ) -> Result<Option<TermDefinition>> {
        let invalid = |what: &str| bad(format!("invalid term definition for \"{term}\": {what}"));
        if let Some(key) = obj.keys().find(|k| !DEFINITION_KEYS.contains(&k.as_str())) {
            return Err(invalid(&format!("unknown member \"{key}\"")));
        }
        if obj.contains_key("@reverse") {
            return Err(invalid("@reverse properties are not supported"));
        }
        if obj.contains_key("@context") && self.fallback.is_some() && !self.limits.allow_scoped {
            return Err(invalid(
                "a user @context cannot contain scoped contexts (clause 5.5.7)",
            ));
        }
        let protected = match obj.get("@protected") {
            None => self.local_protected,
            Some(Value::Bool(b)) => *b,
            Some(_) => return Err(invalid("@protected must be a boolean")),
        };
        let prefix = match obj.get("@prefix") {
            None => false,
            Some(Value::Bool(_)) if term.contains([':', '/']) => {
                return Err(invalid(
                    "@prefix is not allowed on a compact IRI or IRI term",
                ));
            }
            Some(Value::Bool(b)) => *b,
            Some(_) => return Err(invalid("@prefix must be a boolean")),
        };
        check(
            obj,
            "@language",
            |v| v.is_null() || v.is_string(),
            "invalid language mapping",
        )?;
        check(obj, "@nest", Value::is_string, "invalid @nest value")?;
        check(obj, "@index", Value::is_string, "invalid @index value")?;
        let container = container_mapping(term, obj.get("@container"))?;
        let type_mapping = match obj.get("@type") {
            None => None,
            Some(Value::String(t)) => Some(self.type_mapping(local, term, t, defined)?),
            Some(_) => {
                return Err(bad(format!(
                    "invalid type mapping for \"{term}\": not a string"
                )));
            }
        };
        let iri = self.iri_mapping(local, term, obj.get("@id"), defined)?;
        Ok(iri.map(|iri| self.definition(iri, type_mapping, container, prefix, protected)))
    }

    fn definition(
        &self,
        iri: String,
        type_mapping: Option<TypeMapping>,
        container: Container,
        prefix: bool,
        protected: bool,
    ) -> TermDefinition {
        // The core is protected (clause 4.4) even in versions whose document does not say so (v1.6).
        let core = self.fallback.is_none();
        TermDefinition {
            iri: intern(&iri),
            type_mapping,
            container,
            prefix,
            protected: protected || core,
            core,
        }
    }

    fn type_mapping<'m>(
        &mut self,
        local: &'m Map<String, Value>,
        term: &str,
        t: &'m str,
        defined: &mut HashMap<&'m str, bool>,
    ) -> Result<TypeMapping> {
        Ok(match t {
            "@id" => TypeMapping::Id,
            "@vocab" => TypeMapping::Vocab,
            "@json" => TypeMapping::Json,
            "@none" => TypeMapping::None,
            _ => match self.expand(Some(local), t, defined)? {
                Some(iri) if is_absolute_or_blank(&iri) && !iri.starts_with("_:") => {
                    TypeMapping::Datatype(intern(&iri))
                }
                _ => return Err(bad(format!("invalid type mapping for \"{term}\": \"{t}\""))),
            },
        })
    }

    /// The IRI a term maps to, from its `@id` or, failing that, from the term itself.
    fn iri_mapping<'m>(
        &mut self,
        local: &'m Map<String, Value>,
        term: &'m str,
        id: Option<&'m Value>,
        defined: &mut HashMap<&'m str, bool>,
    ) -> Result<Option<String>> {
        match id {
            Some(Value::Null) => Ok(None),
            Some(Value::String(s)) if s != term => {
                if !is_keyword(s) && looks_like_keyword(s) {
                    return Ok(None);
                }
                match self.expand(Some(local), s, defined)? {
                    None => Ok(None),
                    Some(iri) if iri == "@context" => Err(bad(format!(
                        "invalid keyword alias: \"{term}\" cannot alias @context"
                    ))),
                    Some(iri) if is_keyword(&iri) || is_absolute_or_blank(&iri) => Ok(Some(iri)),
                    Some(_) => Err(bad(format!(
                        "invalid IRI mapping for \"{term}\": \"{s}\" does not expand to an absolute IRI"
                    ))),
                }
            }
            Some(Value::String(_)) | None => self.iri_from_term(local, term, defined).map(Some),
            Some(_) => Err(bad(format!(
                "invalid IRI mapping for \"{term}\": @id must be a string"
            ))),
        }
    }

    fn iri_from_term<'m>(
        &mut self,
        local: &'m Map<String, Value>,
        term: &'m str,
        defined: &mut HashMap<&'m str, bool>,
    ) -> Result<String> {
        if let Some((prefix, suffix)) = split_compact(term) {
            self.define(local, prefix, defined)?;
            return Ok(match self.lookup(prefix) {
                Some(def) => format!("{}{suffix}", def.iri),
                None => term.to_string(),
            });
        }
        if is_absolute_or_blank(term) {
            return Ok(term.to_string());
        }
        match self.vocab() {
            Some(vocab) => Ok(format!("{vocab}{term}")),
            _ => Err(bad(format!(
                "invalid IRI mapping: term \"{term}\" has no @id and cannot be expanded"
            ))),
        }
    }

    /// A term of the active context, falling back to the core while user contexts are processed.
    fn lookup(&self, term: &str) -> Option<&TermDefinition> {
        match self.terms.get(term) {
            Some(def) => def.as_ref(),
            None => self.fallback.and_then(|core| core.terms.get(term)),
        }
    }

    /// IRI Expansion with `vocab: true`, defining local dependencies first. `None` means the value
    /// maps to a null term (or looks like an unknown keyword) and expands to nothing.
    pub(super) fn expand<'m>(
        &mut self,
        local: Option<&'m Map<String, Value>>,
        value: &'m str,
        defined: &mut HashMap<&'m str, bool>,
    ) -> Result<Option<String>> {
        if is_keyword(value) {
            return Ok(Some(value.to_string()));
        }
        if looks_like_keyword(value) {
            return Ok(None);
        }
        if let Some(local) = local {
            self.define(local, value, defined)?;
        }
        match self.terms.get(value) {
            Some(def) => return Ok(def.as_ref().map(|d| d.iri.to_string())),
            None => {
                if let Some(def) = self.fallback.and_then(|core| core.terms.get(value)) {
                    return Ok(Some(def.iri.to_string()));
                }
            }
        }
        if let Some((prefix, suffix)) = split_compact(value) {
            if let Some(local) = local {
                self.define(local, prefix, defined)?;
            }
            if let Some(def) = self.lookup(prefix).filter(|d| d.prefix) {
                return Ok(Some(format!("{}{suffix}", def.iri)));
            }
        }
        if is_absolute_or_blank(value) {
            return Ok(Some(value.to_string()));
        }
        Ok(Some(match self.vocab() {
            Some(vocab) => format!("{vocab}{value}"),
            None => value.to_string(),
        }))
    }
}

/// `@type` may only be "redefined" to declare it a set (JSON-LD 1.1, 4.2.2 step 5).
fn check_type_redefinition(value: &Value) -> Result<()> {
    let ok = value.as_object().is_some_and(|obj| {
        obj.iter().all(|(k, v)| match k.as_str() {
            "@container" => v == "@set" || *v == Value::Array(vec![Value::from("@set")]),
            "@protected" => v.is_boolean(),
            _ => false,
        })
    });
    if ok {
        Ok(())
    } else {
        Err(bad(
            "keyword redefinition: @type can only be given a @set container",
        ))
    }
}

fn container_mapping(term: &str, value: Option<&Value>) -> Result<Container> {
    let invalid = || bad(format!("invalid container mapping for \"{term}\""));
    let one = |v: &Value| {
        v.as_str()
            .and_then(Container::from_keyword)
            .ok_or_else(invalid)
    };
    match value {
        None | Some(Value::Null) => Ok(Container::default()),
        Some(Value::Array(items)) => items
            .iter()
            .try_fold(Container::default(), |c, v| Ok(c.with(one(v)?))),
        Some(v) => one(v),
    }
}
