//! scopeQ, type, pick/omit, georel/coordinates and temporal parameters: refuse, never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use query::projection::{ProjectionKind, parse_projection};

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else { return };
    let _ = query::scope::parse_scope_q(s).map(|q| q.matches_scopes(&["/a/b".into()]));
    let _ = query::types::parse_type_expr(s).map(|t| t.resolve(&|x| ngsi::intern(x)).candidate_types());
    let _ = parse_projection(ProjectionKind::Omit, s);
    let _ = query::geo::GeoQuery::parse(s, "Polygon", s, Some(s));
    let _ = query::geo::GeoQuery::parse("near;maxDistance==100", "LineString", s, None);
    let _ = query::temporal::TemporalQuery::parse(Some(s), Some(s), Some(s), Some(s));
});
