//! Mapping tests: keys to names, types, units, expressions, explicitAttrs, observedAt.

use std::path::Path;
use std::sync::Arc;

use ngsi::context::{ContextConfig, ContextResolver};
use serde_json::json;

use super::*;
use crate::codec::{Codec, decode_measures};

fn ctx() -> Arc<CompiledContext> {
    let dir = tempfile::tempdir().unwrap();
    let r = ContextResolver::open(
        Path::new(&dir.path().join("c")),
        "http://127.0.0.1:1026".into(),
        ContextConfig::default(),
    )
    .unwrap();
    r.core()
}

fn attrs(v: serde_json::Value) -> Vec<AttrSpec> {
    serde_json::from_value(v).unwrap()
}

fn mapping(a: &[AttrSpec], explicit: bool, ctx: &CompiledContext) -> Mapping {
    let spec = MappingSpec {
        group_attrs: a,
        device_attrs: &[],
        commands: Vec::new(),
        explicit,
        timestamp: true,
        protocol: None,
    };
    Mapping::compile(&spec, ctx).unwrap()
}

fn value_of<'a>(m: &'a Mapped, name: &str) -> Option<&'a serde_json::Value> {
    m.attrs
        .iter()
        .find(|p| p.name.ends_with(&format!("/{name}")))
        .and_then(|p| p.value.as_ref())
}

#[test]
fn object_ids_become_names_with_units_and_observed_at() {
    let ctx = ctx();
    let a = attrs(
        json!([{"object_id": "l", "name": "waterLevel", "type": "Number",
        "metadata": {"unitCode": {"type": "Text", "value": "MTR"}}}]),
    );
    let m = mapping(&a, false, &ctx);
    let g = decode_measures(Codec::Ul, b"l|3.2|extra|x", 10).unwrap();
    let out = m.map_group(&g[0], 77, &ctx);
    assert!(out.failures.is_empty());
    assert_eq!(value_of(&out, "waterLevel"), Some(&json!(3.2)));
    assert_eq!(value_of(&out, "extra"), Some(&json!("x")));
    let level = &out.attrs[0];
    assert_eq!(level.unit_code, Member::Set(ngsi::intern("MTR")));
    assert_eq!(level.observed_at, Member::Set(77));
    assert_eq!(
        &*level.name,
        "https://uri.etsi.org/ngsi-ld/default-context/waterLevel"
    );
}

#[test]
fn time_instant_wins_over_reception_time() {
    let ctx = ctx();
    let m = mapping(&[], false, &ctx);
    let g = decode_measures(
        Codec::Json,
        br#"{"t": 1, "TimeInstant": "2026-01-01T00:00:00Z"}"#,
        10,
    )
    .unwrap();
    let out = m.map_group(&g[0], 5, &ctx);
    assert_eq!(
        out.attrs[0].observed_at,
        Member::Set(ngsi::time::parse("2026-01-01T00:00:00Z").unwrap())
    );
}

#[test]
fn expressions_convert_units_in_order() {
    let ctx = ctx();
    let a = attrs(json!([
        {"object_id": "f", "name": "temperature", "type": "Number", "expression": "(f - 32) / 1.8"},
        {"name": "level", "type": "Number"},
        {"name": "fillingLevel", "type": "Number", "expression": "level / 100"},
        {"name": "doubled", "type": "Number", "expression": "fillingLevel * 2"}
    ]));
    let m = mapping(&a, false, &ctx);
    let g = decode_measures(Codec::Json, br#"{"f": 212, "level": "85"}"#, 10).unwrap();
    let out = m.map_group(&g[0], 0, &ctx);
    assert!(out.failures.is_empty(), "{:?}", out.failures);
    assert_eq!(value_of(&out, "temperature"), Some(&json!(100)));
    assert_eq!(value_of(&out, "level"), Some(&json!(85)));
    assert_eq!(value_of(&out, "fillingLevel"), Some(&json!(0.85)));
    assert_eq!(value_of(&out, "doubled"), Some(&json!(1.7)));
}

#[test]
fn explicit_attrs_drop_unmapped_and_bad_values_fail_alone() {
    let ctx = ctx();
    let a = attrs(
        json!([{"object_id": "l", "name": "waterLevel", "type": "Number"},
                         {"object_id": "b", "name": "batteryLevel", "type": "Number"}]),
    );
    let m = mapping(&a, true, &ctx);
    let g = decode_measures(Codec::Json, br#"{"l": "high", "b": 0.9, "x": 1}"#, 10).unwrap();
    let out = m.map_group(&g[0], 0, &ctx);
    assert_eq!(out.attrs.len(), 1);
    assert_eq!(value_of(&out, "batteryLevel"), Some(&json!(0.9)));
    assert_eq!(out.failures.len(), 1);
    assert!(out.failures[0].contains("waterLevel"), "{:?}", out.failures);
}

#[test]
fn invalid_measure_names_are_failures() {
    let ctx = ctx();
    let m = mapping(&[], false, &ctx);
    let g = decode_measures(Codec::Json, br#"{"a b": 1, "id": 2, "ok": 3}"#, 10).unwrap();
    let out = m.map_group(&g[0], 0, &ctx);
    assert_eq!(out.attrs.len(), 1);
    assert_eq!(out.failures.len(), 2);
}

#[test]
fn bad_expressions_and_static_values_are_refused_at_provisioning() {
    let ctx = ctx();
    let a = attrs(json!([{"name": "x", "type": "Number", "expression": "x | trim"}]));
    let spec = MappingSpec {
        group_attrs: &a,
        device_attrs: &[],
        commands: Vec::new(),
        explicit: false,
        timestamp: true,
        protocol: None,
    };
    assert!(Mapping::compile(&spec, &ctx).is_err());
    let s: StaticAttr =
        serde_json::from_value(json!({"name": "n", "type": "Number", "value": "abc"})).unwrap();
    assert!(static_patches(&[&s], &ctx).is_err());
}
