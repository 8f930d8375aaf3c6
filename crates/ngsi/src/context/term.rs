//! Term definitions as compiled from a JSON-LD `@context`, and the small lexical helpers (keywords,
//! gen-delims, IRI schemes) that both compilation and the per-request expand/compact paths share.
//! Pure data and predicates: no context processing and no I/O here.

use crate::sym::Sym;

/// The `@type` of a term definition (JSON-LD 1.1 "type mapping").
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TypeMapping {
    /// `"@type": "@id"`: string values are IRIs, expanded document-relative (Relationship objects).
    Id,
    /// `"@type": "@vocab"`: string values are terms, expanded like names (VocabProperty values).
    Vocab,
    /// `"@type": "@json"`: the value is a JSON literal, never expanded.
    Json,
    /// `"@type": "@none"`.
    None,
    /// A datatype IRI, expanded (e.g. `https://uri.etsi.org/ngsi-ld/DateTime`).
    Datatype(Sym),
}

/// The `@container` of a term definition, as a set of flags.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Container(u8);

impl Container {
    /// `@list`: an ordered list (ListProperty values, `coordinates`).
    pub const LIST: Self = Self(1);
    /// `@set`.
    pub const SET: Self = Self(1 << 1);
    /// `@index` (e.g. the core's `dataset`).
    pub const INDEX: Self = Self(1 << 2);
    /// `@language`: a language map (LanguageProperty `languageMap`).
    pub const LANGUAGE: Self = Self(1 << 3);
    /// `@id`.
    pub const ID: Self = Self(1 << 4);
    /// `@type`.
    pub const TYPE: Self = Self(1 << 5);
    /// `@graph`.
    pub const GRAPH: Self = Self(1 << 6);

    /// The flag for one `@container` keyword, or `None` if it is not a container keyword.
    pub fn from_keyword(keyword: &str) -> Option<Self> {
        Some(match keyword {
            "@list" => Self::LIST,
            "@set" => Self::SET,
            "@index" => Self::INDEX,
            "@language" => Self::LANGUAGE,
            "@id" => Self::ID,
            "@type" => Self::TYPE,
            "@graph" => Self::GRAPH,
            _ => return None,
        })
    }

    /// Whether every flag of `other` (not empty) is set.
    pub fn contains(self, other: Self) -> bool {
        self.0 & other.0 == other.0 && other.0 != 0
    }

    /// Whether no container is declared.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The union of both sets of flags.
    pub fn with(self, other: Self) -> Self {
        Self(self.0 | other.0)
    }
}

/// One compiled term: what a short name stands for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TermDefinition {
    /// The expanded IRI, or a keyword (`@id`, `@type`) for keyword aliases such as `id`/`type`.
    pub iri: Sym,
    /// The declared `@type`, if any.
    pub type_mapping: Option<TypeMapping>,
    /// The declared `@container` (empty if none).
    pub container: Container,
    /// Whether the term may be used as the prefix of a compact IRI (`prefix:suffix`).
    pub prefix: bool,
    /// Whether a later context may not redefine the term (`@protected`).
    pub protected: bool,
    /// Whether the definition comes from the NGSI-LD core context.
    pub core: bool,
}

impl TermDefinition {
    /// Whether two definitions say the same thing (what a protected term may be "redefined" to).
    pub(crate) fn same_meaning(&self, other: &Self) -> bool {
        self.iri == other.iri
            && self.type_mapping == other.type_mapping
            && self.container == other.container
            && self.prefix == other.prefix
    }

    /// Whether the term expands to a keyword (`id` -> `@id`, `type` -> `@type`).
    pub fn is_keyword_alias(&self) -> bool {
        self.iri.starts_with('@')
    }
}

/// The JSON-LD 1.1 keywords.
const KEYWORDS: &[&str] = &[
    "@base",
    "@container",
    "@context",
    "@direction",
    "@graph",
    "@id",
    "@import",
    "@included",
    "@index",
    "@json",
    "@language",
    "@list",
    "@nest",
    "@none",
    "@prefix",
    "@propagate",
    "@protected",
    "@reverse",
    "@set",
    "@type",
    "@value",
    "@version",
    "@vocab",
];

/// Whether `s` is a JSON-LD keyword.
pub fn is_keyword(s: &str) -> bool {
    s.starts_with('@') && KEYWORDS.contains(&s)
}

/// Whether `s` has the form of a keyword (`@` followed by letters): JSON-LD ignores such terms.
pub(crate) fn looks_like_keyword(s: &str) -> bool {
    s.len() > 1 && s.starts_with('@') && s[1..].bytes().all(|b| b.is_ascii_alphabetic())
}

/// RFC 3986 gen-delims: an IRI ending in one of these can act as a compact-IRI prefix.
pub(crate) fn is_gen_delim(c: char) -> bool {
    matches!(c, ':' | '/' | '?' | '#' | '[' | ']' | '@')
}

/// Whether `s` starts with an RFC 3986 scheme followed by `:`, i.e. has the form of an absolute IRI.
pub(crate) fn has_scheme(s: &str) -> bool {
    let Some((scheme, _)) = s.split_once(':') else {
        return false;
    };
    let mut bytes = scheme.bytes();
    bytes.next().is_some_and(|b| b.is_ascii_alphabetic())
        && bytes.all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'))
}

/// Whether `s` is an absolute IRI or a blank node identifier, i.e. a valid IRI mapping.
pub(crate) fn is_absolute_or_blank(s: &str) -> bool {
    s.starts_with("_:") || has_scheme(s)
}

/// Splits a compact IRI into `(prefix, suffix)`, or `None` when `s` cannot be one: no colon, an
/// empty prefix, a blank node (`_:`) or a hierarchical absolute IRI (`scheme://`).
pub(crate) fn split_compact(s: &str) -> Option<(&str, &str)> {
    let (prefix, suffix) = s.split_once(':')?;
    if prefix.is_empty() || prefix == "_" || suffix.starts_with("//") {
        return None;
    }
    Some((prefix, suffix))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lexical_helpers() {
        assert!(is_keyword("@id") && !is_keyword("@foo") && !is_keyword("id"));
        assert!(
            looks_like_keyword("@foo") && !looks_like_keyword("@") && !looks_like_keyword("@a1")
        );
        assert!(has_scheme("urn:ngsi-ld:X:1") && has_scheme("http://a") && has_scheme("ngsi-ld:x"));
        assert!(!has_scheme("1a:b") && !has_scheme("foo") && !has_scheme(":x"));
        assert_eq!(split_compact("ex:foo"), Some(("ex", "foo")));
        assert_eq!(split_compact("http://x"), None);
        assert_eq!(split_compact("_:b0"), None);
        assert_eq!(split_compact("foo"), None);
        let c = Container::default()
            .with(Container::LIST)
            .with(Container::SET);
        assert!(c.contains(Container::LIST) && !c.contains(Container::INDEX) && !c.is_empty());
    }
}
