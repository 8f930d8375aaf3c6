use serde_json::json;

use super::*;

fn stored(body: serde_json::Value) -> Stored {
    Stored {
        tenant: String::new(),
        id: "urn:ngsi-ld:Subscription:t".into(),
        body: body.as_object().cloned().unwrap_or_default(),
        context: json!(ngsi::context::CORE_CONTEXT_URL),
        created_at: 0,
        modified_at: 0,
        order: 1,
    }
}

fn compile(body: serde_json::Value) -> Result<Def, NgsiError> {
    let dir = tempfile::tempdir().unwrap();
    let r = ContextResolver::open(dir.path(), "http://x".into(), Default::default()).unwrap();
    Def::compile_with(stored(body), r.core())
}

#[test]
fn defaults_and_entity_updated_expansion() {
    let d = compile(json!({"type": "Subscription", "entities": [{"type": "T"}], "notification": {"endpoint": {"uri": "http://h/n"}}})).unwrap();
    assert_eq!(d.triggers, Triggers::default_set());
    assert!(d.is_active && d.status(0) == SubStatus::Active);
    assert_eq!(d.endpoint.accept, Accept::Json);
    let d = compile(json!({"type": "Subscription", "watchedAttributes": ["a"], "notificationTrigger": ["entityUpdated"],
        "notification": {"endpoint": {"uri": "mqtt://u:p@h/t/s"}}})).unwrap();
    assert!(d.triggers.contains(Triggers::ATTRIBUTE_DELETED));
    assert_eq!(
        (d.endpoint.protocol, d.endpoint.qos, d.endpoint.mqtt_version),
        (Protocol::Mqtt, 0, MqttVersion::V5)
    );
}

#[test]
fn status_follows_is_active_and_expires_at() {
    let d = compile(
        json!({"type": "Subscription", "entities": [{"type": "T"}], "isActive": false,
        "expiresAt": "2030-01-01T00:00:00Z", "notification": {"endpoint": {"uri": "http://h/n"}}}),
    )
    .unwrap();
    let t = ngsi::time::parse("2030-01-01T00:00:00Z").unwrap();
    assert_eq!(d.status(t - 1), SubStatus::Paused);
    assert_eq!(d.status(t), SubStatus::Expired);
}

#[test]
fn triggers_name_their_reason() {
    let t = Triggers::ATTRIBUTE_UPDATED.with(Triggers::ATTRIBUTE_CREATED);
    assert_eq!(t.reason(), "attributeCreated");
    assert_eq!(Triggers::ENTITY_DELETED.reason(), "entityDeleted");
    assert_eq!(
        Triggers::parse("entityCreated"),
        Some(Triggers::ENTITY_CREATED)
    );
    assert_eq!(Triggers::parse("nope"), None);
}

#[test]
fn subscription_ids_are_version_4_uuid_urns() {
    let id = new_subscription_id().unwrap();
    let uuid = id.strip_prefix("urn:ngsi-ld:Subscription:").unwrap();
    assert_eq!(uuid.len(), 36);
    assert_eq!(&uuid[14..15], "4");
    assert_ne!(id, new_subscription_id().unwrap());
}
