//! The vendored ETSI NGSI-LD core @context documents (v1.6, v1.8, v1.9; see `contexts/NOTICE`),
//! compiled once per process. Core context URLs resolve here and never touch the network.
//! Must not: let anything outside this module modify the core term maps.

use std::collections::HashMap;
use std::sync::LazyLock;

use serde_json::Value;

use super::compile::Compiler;
use super::term::TermDefinition;

/// The default core @context (clause 4.4): used when a request brings none (clause 5.5.5).
pub const CORE_CONTEXT_URL: &str =
    "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.8.jsonld";
/// The unversioned core @context URL; it resolves to the configured default core.
pub const CORE_CONTEXT_ALIAS_URL: &str =
    "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context.jsonld";
/// The core context's `@vocab`: where terms with no definition expand to.
pub const DEFAULT_VOCAB: &str = "https://uri.etsi.org/ngsi-ld/default-context/";

/// A vendored version of the core @context.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum CoreVersion {
    /// `ngsi-ld-core-context-v1.6.jsonld`.
    V1_6,
    /// `ngsi-ld-core-context-v1.8.jsonld`, the default.
    V1_8,
    /// `ngsi-ld-core-context-v1.9.jsonld`.
    V1_9,
}

impl CoreVersion {
    /// Every vendored version, oldest first.
    pub const ALL: [CoreVersion; 3] = [Self::V1_6, Self::V1_8, Self::V1_9];

    /// The URL under which ETSI publishes this version.
    pub fn url(self) -> &'static str {
        match self {
            Self::V1_6 => "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.6.jsonld",
            Self::V1_8 => CORE_CONTEXT_URL,
            Self::V1_9 => "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.9.jsonld",
        }
    }

    /// The vendored document text.
    pub(crate) fn text(self) -> &'static str {
        match self {
            Self::V1_6 => include_str!("../../contexts/ngsi-ld-core-context-v1.6.jsonld"),
            Self::V1_8 => include_str!("../../contexts/ngsi-ld-core-context-v1.8.jsonld"),
            Self::V1_9 => include_str!("../../contexts/ngsi-ld-core-context-v1.9.jsonld"),
        }
    }

    /// The version a core context URL names. The unversioned alias yields `None` here: it means
    /// whatever the resolver's default core is. Plain `http:` spellings are accepted too, because
    /// clients write them and fetching ETSI's server per request is never what they want.
    pub fn from_url(url: &str) -> Option<Self> {
        let rest = url
            .strip_prefix("https://")
            .or_else(|| url.strip_prefix("http://"))?;
        Self::ALL
            .into_iter()
            .find(|v| v.url().strip_prefix("https://") == Some(rest))
    }

    /// The compiled term definitions of this version.
    pub(crate) fn defs(self) -> &'static CoreDefs {
        match self {
            Self::V1_6 => &V1_6,
            Self::V1_8 => &V1_8,
            Self::V1_9 => &V1_9,
        }
    }
}

/// Whether `url` names a core @context (any vendored version or the unversioned alias).
pub fn is_core_url(url: &str) -> bool {
    CoreVersion::from_url(url).is_some() || is_alias(url)
}

pub(crate) fn is_alias(url: &str) -> bool {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"));
    rest.is_some() && rest == CORE_CONTEXT_ALIAS_URL.strip_prefix("https://")
}

/// A compiled core context: its terms and its `@vocab`.
#[derive(Debug)]
pub(crate) struct CoreDefs {
    pub terms: HashMap<String, TermDefinition>,
    pub vocab: String,
}

static V1_6: LazyLock<CoreDefs> = LazyLock::new(|| build(CoreVersion::V1_6));
static V1_8: LazyLock<CoreDefs> = LazyLock::new(|| build(CoreVersion::V1_8));
static V1_9: LazyLock<CoreDefs> = LazyLock::new(|| build(CoreVersion::V1_9));

/// Compiles a vendored document. The documents are part of the binary and covered by the tests
/// below, so a failure here is a build defect, not an input error.
fn build(version: CoreVersion) -> CoreDefs {
    let doc: Value = serde_json::from_str(version.text()).expect("vendored core context is JSON");
    let Some(Value::Object(ctx)) = doc.get("@context") else {
        panic!(
            "vendored core context {} has no @context object",
            version.url()
        );
    };
    let mut compiler = Compiler::for_core();
    if let Err(e) = compiler.process_object(ctx) {
        panic!(
            "vendored core context {} does not compile: {e}",
            version.url()
        );
    }
    let (terms, vocab) = compiler.into_parts();
    CoreDefs {
        terms,
        vocab: vocab.unwrap_or_else(|| DEFAULT_VOCAB.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_vendored_core_compiles_with_the_default_vocab() {
        for v in CoreVersion::ALL {
            let defs = v.defs();
            assert_eq!(defs.vocab, DEFAULT_VOCAB);
            assert!(
                defs.terms.len() > 140,
                "{v:?} has {} terms",
                defs.terms.len()
            );
            assert_eq!(
                &*defs.terms["location"].iri,
                "https://uri.etsi.org/ngsi-ld/location"
            );
            assert_eq!(&*defs.terms["id"].iri, "@id");
            let odd: Vec<_> = defs
                .terms
                .iter()
                .filter(|(_, t)| !(t.core && t.protected))
                .collect();
            assert!(odd.is_empty(), "{v:?}: {odd:?}");
        }
        // v1.8 maps attributeCount to itself, i.e. through @vocab; v1.9 moved it under ngsi-ld:.
        let count = |v: CoreVersion| v.defs().terms["attributeCount"].iri.to_string();
        assert_eq!(
            count(CoreVersion::V1_8),
            format!("{DEFAULT_VOCAB}attributeCount")
        );
        assert_eq!(
            count(CoreVersion::V1_9),
            "https://uri.etsi.org/ngsi-ld/attributeCount"
        );
    }

    #[test]
    fn core_urls_are_recognised_in_both_schemes() {
        assert_eq!(
            CoreVersion::from_url(CORE_CONTEXT_URL),
            Some(CoreVersion::V1_8)
        );
        let http19 = "http://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.9.jsonld";
        assert_eq!(CoreVersion::from_url(http19), Some(CoreVersion::V1_9));
        assert!(is_core_url(CORE_CONTEXT_ALIAS_URL) && is_alias(CORE_CONTEXT_ALIAS_URL));
        assert!(!is_core_url("https://uri.etsi.org/ngsi-ld/v1/other.jsonld"));
        assert!(!is_core_url(
            "ftp://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.8.jsonld"
        ));
    }
}
