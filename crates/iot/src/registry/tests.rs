//! Registry tests: uniqueness rules, group defaults, persistence across reopen.

use std::sync::Arc;

use ngsi::context::{CompiledContext, ContextConfig, ContextResolver};
use serde_json::{Map, Value, json};

use super::*;
use crate::error::IotError;
use crate::model::{DeviceSpec, GroupSpec};

fn ctx(dir: &Path) -> Arc<CompiledContext> {
    ContextResolver::open(
        &dir.join("ctx"),
        "http://127.0.0.1:1026".into(),
        ContextConfig::default(),
    )
    .unwrap()
    .core()
}

fn group(v: Value) -> GroupSpec {
    serde_json::from_value(v).unwrap()
}

fn device(v: Value) -> DeviceSpec {
    serde_json::from_value(v).unwrap()
}

fn open(dir: &Path) -> Registry {
    Registry::open(&dir.join("iot"), ctx(dir), 600).unwrap()
}

#[test]
fn devices_inherit_the_group_key_type_and_attributes() {
    let dir = tempfile::tempdir().unwrap();
    let r = open(dir.path());
    r.create_groups(
        "hainan",
        "/",
        vec![group(
            json!({"apikey": "waterkey", "entity_type": "WaterObserved",
            "attributes": [{"object_id": "l", "name": "waterLevel", "type": "Number"}]}),
        )],
    )
    .unwrap();
    let d = r
        .create_devices("hainan", "/", vec![device(json!({"device_id": "gauge01"}))])
        .unwrap();
    assert_eq!(d[0].apikey, "waterkey");
    assert_eq!(&*d[0].entity_id, "urn:ngsi-ld:WaterObserved:gauge01");
    assert_eq!(&*d[0].device_entity_id, "urn:ngsi-ld:Device:gauge01");
    assert!(r.device("waterkey", "gauge01").is_some());
    assert!(
        r.device_by_entity("hainan", "urn:ngsi-ld:WaterObserved:gauge01")
            .is_some()
    );
    assert_eq!(r.devices_in("hainan", "/*", 0, 10).0, 1);
    assert_eq!(r.devices_in("other", "/*", 0, 10).0, 0);
}

#[test]
fn keys_belong_to_one_tenant_and_ids_are_unique() {
    let dir = tempfile::tempdir().unwrap();
    let r = open(dir.path());
    r.create_groups(
        "a",
        "/",
        vec![group(json!({"apikey": "k", "entity_type": "T"}))],
    )
    .unwrap();
    let again = r.create_groups(
        "b",
        "/",
        vec![group(json!({"apikey": "k", "entity_type": "T"}))],
    );
    assert!(matches!(again, Err(IotError::Conflict(_))));
    let foreign = r.create_devices(
        "b",
        "/",
        vec![device(
            json!({"device_id": "d", "apikey": "k", "entity_type": "T"}),
        )],
    );
    assert!(matches!(foreign, Err(IotError::Conflict(_))));
    r.create_devices("a", "/", vec![device(json!({"device_id": "d"}))])
        .unwrap();
    let dup = r.create_devices("a", "/", vec![device(json!({"device_id": "d"}))]);
    assert!(matches!(dup, Err(IotError::Conflict(_))));
    let no_group = r.create_devices("c", "/", vec![device(json!({"device_id": "x"}))]);
    assert!(matches!(no_group, Err(IotError::BadRequest(_))));
}

#[test]
fn everything_survives_a_reopen_including_tokens() {
    let dir = tempfile::tempdir().unwrap();
    {
        let r = open(dir.path());
        r.create_groups(
            "t",
            "/",
            vec![group(json!({"apikey": "k", "entity_type": "T"}))],
        )
        .unwrap();
        r.create_devices(
            "t",
            "/",
            vec![device(json!({"device_id": "d1", "token": "s"}))],
        )
        .unwrap();
        r.create_devices("t", "/", vec![device(json!({"device_id": "d2"}))])
            .unwrap();
        r.delete_device("t", "/", "d2").unwrap();
        let mut patch = Map::new();
        patch.insert("timeout".into(), json!(5));
        r.update_group("t", "/", "k", None, patch).unwrap();
    }
    let r = open(dir.path());
    let d1 = r.device("k", "d1").unwrap();
    assert_eq!(d1.token.as_deref(), Some("s"));
    assert_eq!(d1.timeout_s, 5);
    assert!(r.device("k", "d2").is_none());
    let lines = std::fs::read_to_string(dir.path().join("iot/registry.jsonl")).unwrap();
    assert_eq!(
        lines.lines().count(),
        2,
        "compacted to one group and one device"
    );
}

#[test]
fn autoprovisioning_and_fixed_fields() {
    let dir = tempfile::tempdir().unwrap();
    let r = open(dir.path());
    let g = r
        .create_groups(
            "t",
            "/",
            vec![group(json!({"apikey": "k", "entity_type": "Sensor"}))],
        )
        .unwrap();
    let d = r.autoprovision(&g[0], "new1").unwrap();
    assert!(d.autoprovisioned);
    assert_eq!(&*d.entity_id, "urn:ngsi-ld:Sensor:new1");
    let mut patch = Map::new();
    patch.insert("entity_name".into(), json!("urn:x:other"));
    assert!(r.update_device("t", "/", "new1", patch).is_err());
    let mut patch = Map::new();
    patch.insert("timeout".into(), json!(9));
    assert_eq!(
        r.update_device("t", "/", "new1", patch).unwrap().timeout_s,
        9
    );
    assert!(r.visible_device("t", "/other", "new1").is_err());
}
