//! JSON-LD `@context` handling for NGSI-LD (ETSI GS CIM 009 clauses 4.4, 5.5.5, 5.5.7, 6.3.5 and
//! the @context store of 5.13 / 6.29-6.30).
//!
//! Owns: compiling each distinct @context once into term maps ([`CompiledContext`]) so that
//! expanding and compacting names per request is a hash lookup; resolving @context values
//! (vendored core, our own stored contexts, remote URLs fetched with a bounded HTTP client and
//! cached); parsing the JSON-LD `Link` header; and the store behind `/jsonldContexts`.
//!
//! Must not: run a general JSON-LD processor per request, hold a lock across `.await`, or grow
//! without bound (every cache and document here has a configured cap). Payload parsing (which
//! keys are attributes) belongs to the model; this module only tells it what names mean.

mod compile;
mod compiled;
mod link;
mod loader;
mod manage;
mod resolver;
mod store;
mod term;
#[cfg(test)]
mod test_server;
mod vendored;

use std::time::Duration;

use serde::{Deserialize, Serialize};

pub use compiled::CompiledContext;
pub use link::JSONLD_CONTEXT_REL;
pub use manage::StoredContext;
pub use resolver::ContextResolver;
pub use store::{ContextKind, JSONLD_CONTEXTS_PATH};
pub use term::{Container, TermDefinition, TypeMapping, is_keyword};
pub use vendored::{
    CORE_CONTEXT_ALIAS_URL, CORE_CONTEXT_URL, CoreVersion, DEFAULT_VOCAB, is_core_url,
};

/// Bounds and behaviour of @context resolution and the @context store.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ContextConfig {
    /// Time allowed to fetch one remote @context (connect and transfer), in seconds.
    #[serde(with = "secs")]
    pub fetch_timeout: Duration,
    /// Maximum number of remote @context documents kept (kind Cached); the least recently used
    /// is evicted to make room.
    pub max_cached: usize,
    /// Maximum number of hosted @contexts; adding one more is refused.
    pub max_hosted: usize,
    /// Maximum number of implicitly created @contexts; the least recently used is evicted.
    pub max_implicit: usize,
    /// Maximum number of compiled contexts kept for reuse; the least recently used is evicted.
    pub max_compiled: usize,
    /// Maximum size in bytes of one @context document (fetched, hosted, or inline).
    pub max_context_bytes: usize,
    /// Maximum nesting of remote @contexts that reference other remote @contexts.
    pub max_depth: usize,
    /// Maximum number of remote documents one @context may pull in.
    pub max_documents: usize,
    /// Maximum number of terms one compiled @context may define (the core not counted).
    pub max_terms: usize,
    /// Cache lifetime of a fetched @context whose response gives none (clause 6.3.16), seconds.
    #[serde(with = "secs")]
    pub default_ttl: Duration,
    /// Shortest cache lifetime, whatever the response says, so that no origin can make every
    /// request refetch; also how long a stale copy is used after a failed refetch. Seconds.
    #[serde(with = "secs")]
    pub min_ttl: Duration,
    /// Longest cache lifetime, whatever the response says, in seconds.
    #[serde(with = "secs")]
    pub max_ttl: Duration,
    /// Accept (and ignore) JSON-LD scoped contexts in user @contexts instead of rejecting them
    /// with BadRequestData as clause 5.5.7 asks.
    pub allow_scoped_contexts: bool,
    /// The core @context used when a request names none: the URL of a vendored version.
    pub core_context: String,
}

impl Default for ContextConfig {
    fn default() -> Self {
        Self {
            fetch_timeout: Duration::from_secs(5),
            max_cached: 256,
            max_hosted: 1024,
            max_implicit: 1024,
            max_compiled: 1024,
            max_context_bytes: 2 * 1024 * 1024,
            max_depth: 8,
            max_documents: 32,
            max_terms: 50_000,
            default_ttl: Duration::from_secs(3600),
            min_ttl: Duration::from_secs(30),
            max_ttl: Duration::from_secs(7 * 24 * 3600),
            allow_scoped_contexts: false,
            core_context: CORE_CONTEXT_URL.to_string(),
        }
    }
}

/// Member names of NGSI-LD entities and attributes (clauses 5.2.4-5.2.38) that are never
/// attribute names, whatever a user @context says: `id`/`type` (and `@id`/`@type`), `@context`,
/// `scope`, the system timestamps, and the value-carrying and metadata members of attributes.
pub const CORE_MEMBERS: &[&str] = &[
    "@context",
    "@id",
    "@type",
    "createdAt",
    "datasetId",
    "deletedAt",
    "expiresAt",
    "id",
    "instanceId",
    "json",
    "lang",
    "languageMap",
    "modifiedAt",
    "object",
    "objectList",
    "objectType",
    "observedAt",
    "previousJson",
    "previousLanguageMap",
    "previousObject",
    "previousObjectList",
    "previousValue",
    "previousValueList",
    "previousVocab",
    "scope",
    "type",
    "unitCode",
    "value",
    "valueList",
    "valueType",
    "vocab",
];

/// Whether `term` is an NGSI-LD core member name ([`CORE_MEMBERS`]) rather than an attribute.
pub fn is_core_member(term: &str) -> bool {
    CORE_MEMBERS.binary_search(&term).is_ok()
}

/// `Duration` as (fractional) seconds in config files.
mod secs {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer, Serializer, de::Error};

    pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_f64(d.as_secs_f64())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        Duration::try_from_secs_f64(f64::deserialize(d)?).map_err(D::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn core_members_are_sorted_for_binary_search() {
        assert!(CORE_MEMBERS.windows(2).all(|w| w[0] < w[1]));
        assert!(is_core_member("id") && is_core_member("observedAt") && is_core_member("@context"));
        assert!(!is_core_member("location") && !is_core_member("temperature"));
    }

    #[test]
    fn config_reads_seconds_and_rejects_unknown_fields() {
        let c: ContextConfig =
            serde_json::from_str(r#"{"fetch_timeout": 0.5, "max_cached": 3}"#).unwrap();
        assert_eq!(c.fetch_timeout, Duration::from_millis(500));
        assert_eq!(c.max_cached, 3);
        assert_eq!(c.max_depth, ContextConfig::default().max_depth);
        assert!(serde_json::from_str::<ContextConfig>(r#"{"nope": 1}"#).is_err());
        let round = serde_json::to_value(ContextConfig::default()).unwrap();
        assert_eq!(
            serde_json::from_value::<ContextConfig>(round).unwrap(),
            ContextConfig::default()
        );
    }
}
