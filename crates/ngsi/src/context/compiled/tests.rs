use std::collections::BTreeMap;

use proptest::prelude::*;
use serde_json::json;

use super::*;
use crate::context::compile::{Compiler, Limits};
use crate::context::term::TypeMapping;

const NGSI: &str = "https://uri.etsi.org/ngsi-ld/";
const DEFAULT: &str = "https://uri.etsi.org/ngsi-ld/default-context/";

fn build(ctx: Value) -> CompiledContext {
    let limits = Limits {
        max_terms: 10_000,
        max_depth: 4,
        allow_scoped: false,
    };
    let mut c = Compiler::for_user(CoreVersion::V1_8.defs(), None, limits);
    c.process(&ctx, None).unwrap();
    let meta = Meta {
        source: ctx.clone(),
        response_context: ctx,
        link_url: "http://example.org/link".into(),
        core: CoreVersion::V1_8,
        deps: Vec::new(),
        expires_at: None,
        usage: Vec::new(),
        last_used: AtomicU64::new(0),
    };
    CompiledContext::new(c.finish().terms, meta)
}

fn core() -> CompiledContext {
    build(json!({}))
}

#[test]
fn core_context_expansion() {
    let c = core();
    assert_eq!(&*c.expand("location"), format!("{NGSI}location"));
    assert_eq!(&*c.expand("level"), format!("{DEFAULT}level"));
    assert_eq!(&*c.expand("createdAt"), format!("{NGSI}createdAt"));
    assert_eq!(&*c.expand("Property"), format!("{NGSI}Property"));
    assert_eq!(&*c.expand("value"), format!("{NGSI}hasValue"));
    assert_eq!(
        &*c.expand("description"),
        "http://purl.org/dc/terms/description"
    );
    assert_eq!(&*c.expand("Point"), "https://purl.org/geojson/vocab#Point");
    assert_eq!(&*c.expand("id"), "@id");
    assert_eq!(&*c.expand("type"), "@type");
    assert_eq!(&*c.expand("@id"), "@id");
    assert_eq!(&*c.expand("ngsi-ld:brand"), format!("{NGSI}brand"));
    assert_eq!(&*c.expand("geojson:x"), "https://purl.org/geojson/vocab#x");
    for absolute in [
        "urn:ngsi-ld:Vehicle:A1",
        "http://example.org/speed",
        "_:b0",
        "unknown:thing",
    ] {
        assert_eq!(&*c.expand(absolute), absolute);
    }
    assert!(c.is_core_only() && c.is_core_term("location") && !c.is_core_term("level"));
    assert_eq!(c.vocab(), DEFAULT);
    // Interned: the same allocation as every other copy of that IRI.
    assert!(Arc::ptr_eq(
        &c.expand("level"),
        &intern(&format!("{DEFAULT}level"))
    ));
}

#[test]
fn core_context_compaction() {
    let c = core();
    assert_eq!(c.compact(&format!("{NGSI}location")), "location");
    assert_eq!(c.compact(&format!("{DEFAULT}level")), "level");
    assert_eq!(c.compact(&format!("{NGSI}createdAt")), "createdAt");
    assert_eq!(c.compact("@id"), "id");
    assert_eq!(c.compact("@type"), "type");
    assert_eq!(c.compact(&format!("{NGSI}brand")), "ngsi-ld:brand");
    assert_eq!(
        c.compact("http://example.org/speed"),
        "http://example.org/speed"
    );
    // "location" is taken by the core, so the default-context IRI cannot use it.
    let shadowed = format!("{DEFAULT}location");
    assert_eq!(c.compact(&shadowed), "ngsi-ld:default-context/location");
    assert_eq!(&*c.expand(&c.compact(&shadowed)), shadowed);
    assert!(matches!(
        c.compact(&format!("{NGSI}location")),
        Cow::Borrowed(_)
    ));
    assert!(matches!(
        c.compact(&format!("{DEFAULT}level")),
        Cow::Borrowed(_)
    ));
}

#[test]
fn user_terms_prefixes_and_core_precedence() {
    let c = build(json!([{
        "ex": "http://example.org/",
        "schema": "https://schema.org/",
        "Vehicle": "ex:Vehicle",
        "speed": "http://example.org/speed",
        "location": "https://schema.org/location",
        "name": "https://schema.org/name",
        "category": {"@id": "ex:category", "@type": "@vocab"},
        "Sedan": "ex:types/Sedan"
    }, crate::context::CORE_CONTEXT_URL]));
    assert_eq!(&*c.expand("Vehicle"), "http://example.org/Vehicle");
    assert_eq!(&*c.expand("ex:other"), "http://example.org/other");
    assert_eq!(&*c.expand("schema:location"), "https://schema.org/location");
    // Clause 5.5.7 / C.9: the core wins over a user redefinition of "location".
    assert_eq!(&*c.expand("location"), format!("{NGSI}location"));
    assert!(!c.is_core_only() && c.is_core_term("location") && !c.is_core_term("name"));
    assert_eq!(c.compact("http://example.org/Vehicle"), "Vehicle");
    assert_eq!(c.compact("http://example.org/other"), "ex:other");
    assert_eq!(c.compact("https://schema.org/location"), "schema:location");
    assert_eq!(c.compact("https://schema.org/name"), "name");
    assert_eq!(
        c.definition("category")
            .and_then(|d| d.type_mapping.clone()),
        Some(TypeMapping::Vocab)
    );
    assert_eq!(&*c.expand_vocab("Sedan"), "http://example.org/types/Sedan");
    assert_eq!(c.compact_vocab("http://example.org/types/Sedan"), "Sedan");
    assert_eq!(c.compact_vocab(&format!("{DEFAULT}Hatchback")), "Hatchback");
}

#[test]
fn shortest_term_wins_but_keywords_keep_core_aliases() {
    let c =
        build(json!({"loc": "https://uri.etsi.org/ngsi-ld/location", "kind": "@type", "a": "@id"}));
    assert_eq!(c.compact(&format!("{NGSI}location")), "loc");
    assert_eq!(c.compact("@type"), "type");
    assert_eq!(c.compact("@id"), "id");
    assert_eq!(&*c.expand("kind"), "@type");
    let tie =
        build(json!({"bb": "http://x.org/t", "ab": "http://x.org/t", "abc": "http://x.org/t"}));
    assert_eq!(tie.compact("http://x.org/t"), "ab");
}

#[test]
fn compact_iris_never_collide_with_terms() {
    // "ex:a" stays a term for http://x.org/a after "ex" is redefined, so http://w.org/a cannot
    // be written "ex:a".
    let c =
        build(json!([{"ex": "http://x.org/", "ex:a": "http://x.org/a"}, {"ex": "http://w.org/"}]));
    assert_eq!(c.compact("http://w.org/a"), "http://w.org/a");
    assert_eq!(c.compact("http://w.org/b"), "ex:b");
    assert_eq!(c.compact("http://x.org/a"), "ex:a");
    let odd = build(json!({"ns": {"@id": "http://z.org/ns", "@prefix": true}}));
    assert_eq!(odd.compact("http://z.org/nsFoo"), "ns:Foo");
    assert_eq!(&*odd.expand("ns:Foo"), "http://z.org/nsFoo");
}

#[test]
fn null_user_terms_fall_back_to_vocab() {
    let c = build(json!([{"a": "http://x.org/a"}, {"a": null, "location": null}]));
    assert_eq!(&*c.expand("a"), format!("{DEFAULT}a"));
    // A user context cannot un-define a core term.
    assert_eq!(&*c.expand("location"), format!("{NGSI}location"));
}

#[test]
fn memo_of_undefined_names_is_bounded() {
    let c = core();
    for i in 0..MEMO_CAP + 100 {
        assert_eq!(&*c.expand(&format!("n{i}")), format!("{DEFAULT}n{i}"));
    }
    assert_eq!(c.memo.read().len(), MEMO_CAP);
    assert_eq!(&*c.expand("n1"), format!("{DEFAULT}n1"));
}

fn term_name() -> impl Strategy<Value = String> {
    "[a-zA-Z][a-zA-Z0-9_]{0,10}".prop_filter("not a core term", |t| {
        !CoreVersion::V1_8.defs().terms.contains_key(t)
    })
}

fn any_iri() -> impl Strategy<Value = String> {
    prop_oneof![
        "http://example\\.org/[a-z0-9/#]{0,10}",
        "https://schema\\.org/[a-zA-Z]{1,8}",
        "urn:[a-z]{1,5}:[a-z0-9:]{1,10}",
        "https://uri\\.etsi\\.org/ngsi-ld/(default-context/)?[a-zA-Z0-9:/@]{0,10}",
        "https://purl\\.org/geojson/vocab#[a-zA-Z]{0,6}",
    ]
}

/// A user context of uniquely mapped terms plus two prefixes.
fn user_context() -> impl Strategy<Value = (BTreeMap<String, String>, Value)> {
    proptest::collection::btree_map(term_name(), "[a-z]{1,8}(/[a-z]{1,8})?", 0..24).prop_map(
        |terms| {
            let mut seen = std::collections::HashSet::new();
            let terms: BTreeMap<String, String> = terms
                .into_iter()
                .filter(|(t, _)| t != "ex" && t != "schema")
                .filter(|(_, suffix)| seen.insert(suffix.clone()))
                .map(|(t, suffix)| (t, format!("http://example.org/{suffix}")))
                .collect();
            let mut ctx = serde_json::Map::new();
            ctx.insert("ex".into(), json!("http://example.org/"));
            ctx.insert("schema".into(), json!("https://schema.org/"));
            for (t, iri) in &terms {
                ctx.insert(t.clone(), json!(iri));
            }
            (terms, Value::Object(ctx))
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn defined_and_vocab_terms_round_trip(
        (terms, ctx) in user_context(),
        names in proptest::collection::vec(term_name(), 0..16),
    ) {
        let c = build(ctx);
        for (t, iri) in &terms {
            let expanded = c.expand(t);
            prop_assert_eq!(&*expanded, iri.as_str());
            prop_assert_eq!(c.compact(&expanded), t.as_str());
        }
        for n in names.iter().filter(|n| !terms.contains_key(*n) && n.as_str() != "ex" && n.as_str() != "schema") {
            let (expanded, vocab) = (c.expand(n), c.expand_vocab(n));
            prop_assert_eq!(c.compact(&expanded), n.as_str());
            prop_assert_eq!(c.compact_vocab(&vocab), n.as_str());
        }
    }

    #[test]
    fn any_iri_round_trips((_, ctx) in user_context(), iris in proptest::collection::vec(any_iri(), 1..16)) {
        let c = build(ctx);
        for iri in &iris {
            let compacted = c.compact(iri);
            prop_assert_eq!(&*c.expand(&compacted), iri.as_str(), "via {}", compacted);
        }
    }
}
