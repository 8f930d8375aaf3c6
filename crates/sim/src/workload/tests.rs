//! Unit tests for the workload generator: determinism, geography and payload shape.

use super::*;

const AT: i64 = 1_795_910_400; // 2026-11-29T00:00:00Z

fn coords(entity: &Value) -> (f64, f64) {
    let c = &entity["location"]["value"]["coordinates"];
    (
        c[0].as_f64().unwrap_or(f64::NAN),
        c[1].as_f64().unwrap_or(f64::NAN),
    )
}

#[test]
fn deterministic_for_a_seed() {
    let a = Population::new(42, 0, 300);
    let b = Population::new(42, 0, 300);
    assert_eq!(a.batch_body(0..100, AT), b.batch_body(0..100, AT));
    let other = Population::new(43, 0, 300);
    assert_ne!(a.batch_body(0..100, AT), other.batch_body(0..100, AT));
}

#[test]
fn ids_look_like_hainan() {
    let pop = Population::new(1, 0, 10);
    assert_eq!(pop.id(0), "urn:ngsi-ld:WaterObserved:nandu-000000");
    assert_eq!(pop.id(1), "urn:ngsi-ld:AirQualityObserved:haikou-000001");
    assert_eq!(pop.id(2), "urn:ngsi-ld:TrafficFlowObserved:g98-000002");
    assert_eq!(pop.id(123), "urn:ngsi-ld:WaterObserved:wenlan-000123");
}

#[test]
fn coordinates_stay_on_the_island_box() {
    let pop = Population::new(9, 0, 5_000);
    for n in pop.numbers() {
        let (lon, lat) = pop.location(n);
        assert!((LON_RANGE.0..=LON_RANGE.1).contains(&lon), "lon {lon}");
        assert!((LAT_RANGE.0..=LAT_RANGE.1).contains(&lat), "lat {lat}");
        assert_eq!(coords(&pop.entity(n, AT)), (lon, lat));
    }
}

#[test]
fn batch_body_is_an_array_of_normalised_entities() {
    let pop = Population::new(5, 100, 300);
    let body = pop.batch_body(100..200, AT);
    let parsed: Value = serde_json::from_slice(&body).expect("valid JSON");
    let items = parsed.as_array().expect("array");
    assert_eq!(items.len(), 100);
    for e in items {
        let obj = e.as_object().expect("object");
        assert!(
            obj["id"]
                .as_str()
                .is_some_and(|id| id.starts_with("urn:ngsi-ld:"))
        );
        assert!(
            (8..=9).contains(&obj.len()),
            "id, type and 6-7 attributes: {e}"
        );
        assert_eq!(obj["location"]["type"], "GeoProperty");
        assert_eq!(obj["name"]["type"], "Property");
        let observed = obj
            .values()
            .filter(|a| a.get("observedAt").is_some_and(Value::is_string))
            .count();
        assert!(observed >= 3, "measurements carry observedAt: {e}");
    }
}

#[test]
fn water_entity_has_units() {
    let pop = Population::new(5, 0, 3);
    let e = pop.entity(0, AT);
    assert_eq!(e["type"], "WaterObserved");
    assert_eq!(e["waterLevel"]["unitCode"], "MTR");
    assert_eq!(e["flow"]["unitCode"], "MQS");
    assert!(
        e["waterLevel"]["value"]
            .as_f64()
            .is_some_and(|v| (0.0..10.0).contains(&v))
    );
}

#[test]
fn patch_carries_two_or_three_properties() {
    let mut rng = Rng::new(3);
    for kind in Kind::ALL {
        let p = patch(kind, &mut rng, AT);
        let obj = p.as_object().expect("object");
        assert_eq!(obj.len(), kind.patch_len());
        assert!(
            obj.values()
                .all(|a| a["type"] == "Property" && a["observedAt"].is_string())
        );
    }
    let water = patch(Kind::Water, &mut rng, AT);
    assert!(water.get("waterLevel").is_some() && water.get("flow").is_some());
}

#[test]
fn template_fills_the_id() {
    let pop = Population::new(5, 0, 3);
    let t = Template::new(pop.entity(1, AT));
    let body = t.fill("urn:ngsi-ld:AirQualityObserved:run1-w0-1");
    let parsed: Value = serde_json::from_slice(&body).expect("valid JSON");
    assert_eq!(parsed["id"], "urn:ngsi-ld:AirQualityObserved:run1-w0-1");
    assert_eq!(parsed["type"], "AirQualityObserved");
}
