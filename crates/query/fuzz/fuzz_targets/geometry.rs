//! GeoJSON validation and geo-query evaluation on any JSON.
#![no_main]

use libfuzzer_sys::fuzz_target;
use serde_json::Value;

fuzz_target!(|data: &[u8]| {
    let Ok(v) = serde_json::from_slice::<Value>(data) else { return };
    let valid = ngsi::geojson::validate_geometry(&v).is_ok();
    let _ = ngsi::geojson::validate_geojson_geometry(&v);
    let _ = query::geo::envelope_of(&v);
    if valid {
        assert!(query::geo::geometry_from_json(&v).is_some(), "a valid geometry converts");
    }
    for georel in ["within", "intersects", "near;maxDistance==5000", "overlaps"] {
        let q = query::geo::GeoQuery::parse(georel, "Point", "[110.3,20.0]", None).unwrap();
        let _ = q.resolve(&|t| ngsi::intern(t)).matches(&v);
    }
});
