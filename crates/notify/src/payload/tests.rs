use ngsi::Entity;
use serde_json::json;

use super::*;

#[test]
fn notification_ids_are_unique_urns() {
    let ids = Ids::new();
    let (a, b) = (ids.next(), ids.next());
    assert!(a.starts_with("urn:ngsi-ld:Notification:") && ngsi::payload::is_uri(&a));
    assert_ne!(a, b);
    assert_ne!(Ids::new().next(), Ids::new().next(), "processes differ");
}

#[test]
fn previous_members_follow_the_attribute_kind() {
    assert_eq!(previous_member(AttrKind::Property), "previousValue");
    assert_eq!(previous_member(AttrKind::Relationship), "previousObject");
    assert_eq!(
        previous_member(AttrKind::LanguageProperty),
        "previousLanguageMap"
    );
    assert_eq!(
        previous_member(AttrKind::ListRelationship),
        "previousObjectList"
    );
}

fn def(endpoint: serde_json::Value, format: &str) -> Def {
    let stored = crate::subscription::Stored {
        tenant: String::new(),
        id: "urn:ngsi-ld:Subscription:p".into(),
        body: json!({"type": "Subscription", "entities": [{"type": "T"}],
            "notification": {"format": format, "endpoint": endpoint}})
        .as_object()
        .cloned()
        .unwrap_or_default(),
        context: json!(ngsi::context::CORE_CONTEXT_URL),
        created_at: 0,
        modified_at: 0,
        order: 1,
    };
    let dir = tempfile::tempdir().unwrap();
    let r = ngsi::context::ContextResolver::open(dir.path(), "http://x".into(), Default::default())
        .unwrap();
    Def::compile_with(stored, r.core()).unwrap()
}

fn sample() -> Entity {
    let mut e = Entity::new(
        "urn:ngsi-ld:T:1".into(),
        vec![ngsi::intern(
            "https://uri.etsi.org/ngsi-ld/default-context/T",
        )],
        0,
    );
    let loc = json!({"type": "Point", "coordinates": [110.3, 20.0]});
    e.put_attr(ngsi::Attribute::new(
        ngsi::intern(ngsi::model::iri::LOCATION),
        ngsi::AttrValue::GeoProperty(loc),
        0,
    ));
    e.put_attr(ngsi::Attribute::new(
        ngsi::intern("https://uri.etsi.org/ngsi-ld/default-context/n"),
        ngsi::AttrValue::Property(json!(3)),
        0,
    ));
    e
}

#[test]
fn notifications_are_valid_json_in_every_media_type() {
    let e = sample();
    let cases = [
        (json!({"uri": "http://h/n"}), true, false),
        (
            json!({"uri": "http://h/n", "accept": "application/ld+json"}),
            false,
            true,
        ),
        (
            json!({"uri": "http://h/n", "accept": "application/geo+json"}),
            false,
            true,
        ),
        (
            json!({"uri": "http://h/n", "accept": "application/geo+json", "receiverInfo": [{"key": "Prefer", "value": "body=json"}]}),
            true,
            false,
        ),
    ];
    for (endpoint, has_link, has_context) in cases {
        let d = def(endpoint.clone(), "keyValues");
        let data = vec![entity_bytes(&d, &e), entity_bytes(&d, &e)];
        let (body, link) = notification(
            &d,
            "urn:ngsi-ld:Notification:1",
            Some("attributeUpdated"),
            data,
            0,
        );
        let v: serde_json::Value =
            serde_json::from_slice(&body).unwrap_or_else(|err| panic!("{endpoint}: {err}"));
        assert_eq!(v["type"], "Notification");
        assert_eq!(v["subscriptionId"], "urn:ngsi-ld:Subscription:p");
        assert_eq!(v["triggerReason"], "attributeUpdated");
        assert_eq!(v["notifiedAt"], "1970-01-01T00:00:00.000Z");
        assert_eq!(!link.is_empty(), has_link, "{endpoint}");
        let geo = endpoint["accept"] == "application/geo+json";
        let entities = if geo {
            &v["data"]["features"]
        } else {
            &v["data"]
        };
        assert_eq!(
            entities.as_array().map(Vec::len),
            Some(2),
            "{endpoint}: {v}"
        );
        let context = if geo {
            &v["data"]["@context"]
        } else {
            &v["@context"]
        };
        assert_eq!(!context.is_null(), has_context, "{endpoint}: {v}");
        if geo {
            assert_eq!(v["data"]["type"], "FeatureCollection");
            assert_eq!(entities[0]["geometry"]["type"], "Point");
        } else {
            assert_eq!(
                entities[0],
                json!({"id": "urn:ngsi-ld:T:1", "type": "T", "location": {"type": "Point", "coordinates": [110.3, 20.0]}, "n": 3})
            );
        }
    }
}
