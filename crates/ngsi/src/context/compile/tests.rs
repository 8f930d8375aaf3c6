use serde_json::json;

use super::*;
use crate::context::term::{Container, TypeMapping};
use crate::sym::intern;

const LIMITS: Limits = Limits {
    max_terms: 100,
    max_depth: 4,
    allow_scoped: false,
};

fn compile_with(ctx: Value, limits: Limits) -> Result<UserTerms> {
    let mut c = Compiler::for_user(CoreVersion::V1_8.defs(), None, limits);
    c.process(&ctx, None)?;
    Ok(c.finish())
}

fn compile(ctx: Value) -> Result<UserTerms> {
    compile_with(ctx, LIMITS)
}

fn iri(terms: &UserTerms, term: &str) -> String {
    terms.terms[term].iri.to_string()
}

fn bad_data(ctx: Value, needle: &str) {
    let e = compile(ctx.clone()).unwrap_err();
    assert_eq!(e.kind, ErrorKind::BadRequestData, "{ctx}");
    assert!(
        e.detail.contains(needle),
        "{ctx}: {} lacks {needle:?}",
        e.detail
    );
}

#[test]
fn simple_and_expanded_definitions() {
    let t = compile(json!({
        "ex": "http://example.org/",
        "Vehicle": "ex:Vehicle",
        "speed": {"@id": "http://example.org/speed", "@type": "http://www.w3.org/2001/XMLSchema#double"},
        "owner": {"@id": "ex:owner", "@type": "@id"},
        "category": {"@id": "ex:category", "@type": "@vocab", "@container": ["@set"]},
        "dateObserved": {"@id": "ex:dateObserved", "@type": "DateTime"}
    }))
    .unwrap();
    assert_eq!(iri(&t, "Vehicle"), "http://example.org/Vehicle");
    assert!(t.terms["ex"].prefix && !t.terms["Vehicle"].prefix);
    assert_eq!(t.terms["owner"].type_mapping, Some(TypeMapping::Id));
    assert_eq!(t.terms["category"].type_mapping, Some(TypeMapping::Vocab));
    assert!(t.terms["category"].container.contains(Container::SET));
    let xsd = TypeMapping::Datatype(intern("http://www.w3.org/2001/XMLSchema#double"));
    assert_eq!(t.terms["speed"].type_mapping, Some(xsd));
    // "DateTime" comes from the core, which is visible while user contexts compile.
    let dt = TypeMapping::Datatype(intern("https://uri.etsi.org/ngsi-ld/DateTime"));
    assert_eq!(t.terms["dateObserved"].type_mapping, Some(dt));
    assert!(t.terms.values().all(|d| !d.core));
}

#[test]
fn dependencies_between_terms_resolve_at_compile_time() {
    // Defined out of order on purpose: "Car" needs "Vehicle", which needs "ex".
    let t =
        compile(json!({"Car": "Vehicle", "Vehicle": "ex:Vehicle", "ex": "http://example.org/"}))
            .unwrap();
    assert_eq!(iri(&t, "Car"), "http://example.org/Vehicle");
    // Core prefixes and terms work in a user context even though the core is merged last.
    let t =
        compile(json!({"myLoc": "location", "brand": "ngsi-ld:brand", "ex:foo": {"@type": "@id"}}))
            .unwrap();
    assert_eq!(iri(&t, "myLoc"), "https://uri.etsi.org/ngsi-ld/location");
    assert_eq!(iri(&t, "brand"), "https://uri.etsi.org/ngsi-ld/brand");
    assert_eq!(iri(&t, "ex:foo"), "ex:foo");
}

#[test]
fn terms_without_id_use_the_vocab_in_force() {
    let t = compile(json!({"plain": {"@type": "@id"}, "self": "self"})).unwrap();
    assert_eq!(
        iri(&t, "plain"),
        "https://uri.etsi.org/ngsi-ld/default-context/plain"
    );
    assert_eq!(
        iri(&t, "self"),
        "https://uri.etsi.org/ngsi-ld/default-context/self"
    );
    let t = compile(
        json!([{"@vocab": "http://example.org/v#"}, {"plain": {"@type": "@id"}, "rel": "x"}]),
    )
    .unwrap();
    assert_eq!(iri(&t, "plain"), "http://example.org/v#plain");
    assert_eq!(iri(&t, "rel"), "http://example.org/v#x");
}

#[test]
fn prefix_flag_follows_json_ld_1_1() {
    let t = compile(json!({
        "slash": "http://a.org/",
        "hash": "http://b.org/ns#",
        "plain": "http://c.org/ns",
        "forced": {"@id": "http://d.org/ns", "@prefix": true},
        "expanded": {"@id": "http://e.org/"}
    }))
    .unwrap();
    assert!(t.terms["slash"].prefix && t.terms["hash"].prefix && t.terms["forced"].prefix);
    assert!(!t.terms["plain"].prefix && !t.terms["expanded"].prefix);
    // A non-prefix term does not expand compact IRIs.
    let t = compile(json!({"plain": "http://c.org/ns", "x": "plain:y"})).unwrap();
    assert_eq!(iri(&t, "x"), "plain:y");
}

#[test]
fn null_definitions_and_arrays() {
    let t = compile(json!([{"a": "http://x.org/a", "b": "http://x.org/b"}, {"a": null}])).unwrap();
    assert!(!t.terms.contains_key("a"));
    assert_eq!(iri(&t, "b"), "http://x.org/b");
    let t = compile(json!([{"a": "http://x.org/a"}, null, {"c": "http://x.org/c"}])).unwrap();
    assert!(!t.terms.contains_key("a") && t.terms.contains_key("c"));
    let later = compile(json!([{"a": "http://x.org/1"}, {"a": "http://x.org/2"}])).unwrap();
    assert_eq!(iri(&later, "a"), "http://x.org/2");
}

#[test]
fn protected_terms_cannot_be_redefined_by_later_contexts() {
    let ctx = json!([{"@protected": true, "a": "http://x.org/a"}, {"a": "http://x.org/other"}]);
    bad_data(ctx, "protected term redefinition");
    let same =
        json!([{"a": {"@id": "http://x.org/a", "@protected": true}}, {"a": "http://x.org/a"}]);
    assert!(compile(same).is_ok());
    bad_data(
        json!([{"@protected": true, "a": "http://x.org/a"}, null]),
        "nullification",
    );
}

#[test]
fn core_urls_are_noted_not_processed() {
    let t = compile(json!([
        "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.9.jsonld",
        {"a": "http://x.org/a"},
        "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.6.jsonld"
    ]))
    .unwrap();
    assert_eq!(t.core, Some(CoreVersion::V1_9));
    assert!(!t.alias);
    let t = compile(json!(
        "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context.jsonld"
    ))
    .unwrap();
    assert!(t.alias && t.terms.is_empty());
    // Without a document source, other URLs are only checked for syntax.
    assert!(
        compile(json!(["http://example.org/ctx.jsonld", {}]))
            .unwrap()
            .terms
            .is_empty()
    );
    bad_data(json!("not a url"), "invalid @context reference");
}

#[test]
fn invalid_contexts_are_bad_request_data() {
    bad_data(json!(42), "invalid local context");
    bad_data(json!([["nested"]]), "cannot contain an array");
    bad_data(json!({"a": 1}), "invalid term definition");
    bad_data(json!({"": "http://x.org/"}), "empty string");
    bad_data(json!({"@id": "http://x.org/"}), "keyword redefinition");
    bad_data(json!({"@type": "http://x.org/"}), "keyword redefinition");
    bad_data(
        json!({"a": {"@id": "http://x.org/a", "@foo": 1}}),
        "unknown member",
    );
    bad_data(json!({"a": {"@reverse": "http://x.org/a"}}), "@reverse");
    bad_data(
        json!({"a": {"@id": "http://x.org/a", "@container": "@bag"}}),
        "container",
    );
    bad_data(
        json!({"a": {"@id": "http://x.org/a", "@type": 3}}),
        "type mapping",
    );
    bad_data(
        json!({"a": {"@id": "http://x.org/a", "@type": "_:b"}}),
        "type mapping",
    );
    bad_data(json!({"a": {"@id": 3}}), "@id must be a string");
    bad_data(json!({"a": "b", "b": "a"}), "cyclic IRI mapping");
    bad_data(json!({"a": "@context"}), "@context");
    bad_data(
        json!({"ex": "http://x.org/", "ex:a": "http://y.org/a"}),
        "reads as http://x.org/a",
    );
    bad_data(json!({"@version": 1.0}), "@version");
    bad_data(json!({"@vocab": 3}), "vocab");
    bad_data(json!({"@protected": "yes"}), "@protected");
    bad_data(json!({"@import": "http://x.org/c"}), "@import");
    bad_data(
        json!({"ex:a": {"@id": "http://x.org/a", "@prefix": true}}),
        "@prefix",
    );
    bad_data(
        json!({"a": {"@id": "http://x.org/a", "@context": {"b": "http://x.org/b"}}}),
        "scoped",
    );
    assert!(compile(json!({"@type": {"@container": "@set"}, "@ignored": "x"})).is_ok());
}

#[test]
fn limits_are_enforced() {
    let allow = Limits {
        allow_scoped: true,
        ..LIMITS
    };
    let scoped = json!({"a": {"@id": "http://x.org/a", "@context": {"b": "http://x.org/b"}}});
    assert!(compile_with(scoped, allow).is_ok());
    let many: Map<String, Value> = (0..5)
        .map(|i| (format!("t{i}"), json!("http://x.org/")))
        .collect();
    let small = Limits {
        max_terms: 4,
        ..LIMITS
    };
    let e = compile_with(Value::Object(many), small).unwrap_err();
    assert!(e.detail.contains("more than 4 terms"), "{}", e.detail);
}

#[test]
fn keyword_aliases_are_allowed() {
    let t = compile(json!({"kind": "@type", "identifier": {"@id": "@id"}})).unwrap();
    assert_eq!(iri(&t, "kind"), "@type");
    assert!(t.terms["kind"].is_keyword_alias() && !t.terms["kind"].prefix);
}
