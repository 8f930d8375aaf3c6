//! Parse and evaluation costs of `q`, `type` and geo-queries over generated entities.
//! Plain std::time, no framework: `cargo bench -p query` (release, full size), or a quick
//! run in the dev profile: `cargo test -p query --bench q_bench` (also what `--all-targets`
//! runs, so that stays small).

use std::hint::black_box;
use std::time::{Duration, Instant};

use ngsi::model::AttrKind;
use ngsi::{AttrValue, Attribute, Entity, Sym, intern};
use serde_json::json;

fn expand(term: &str) -> Sym {
    match term {
        "location" => intern(ngsi::model::iri::LOCATION),
        t => intern(&format!("https://uri.etsi.org/ngsi-ld/default-context/{t}")),
    }
}

/// Deterministic entities: sensors scattered over Hainan with a few typical attributes.
fn entities(n: usize) -> Vec<Entity> {
    let mut seed = 0x2545_f491_4f6c_dd1d_u64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed % 10_000) as f64 / 10_000.0
    };
    (0..n)
        .map(|i| {
            let ty = if i % 3 == 0 { "AirQualityObserved" } else { "WeatherObserved" };
            let mut e = Entity::new(format!("urn:ngsi-ld:{ty}:{i}").into(), vec![expand(ty)], 0);
            let attr = |k, name: &str, v| Attribute::new(expand(name), AttrValue::new(k, v), 0);
            e.put_attr(attr(AttrKind::Property, "temperature", json!(15.0 + 20.0 * next())));
            e.put_attr(attr(AttrKind::Property, "humidity", json!((100.0 * next()).round())));
            e.put_attr(attr(AttrKind::Property, "status", json!(if next() < 0.9 { "ok" } else { "fault" })));
            e.put_attr(attr(AttrKind::Relationship, "refDevice", json!(format!("urn:ngsi-ld:Device:{}", i % 100))));
            let point = json!({"type": "Point", "coordinates": [108.6 + 2.4 * next(), 18.2 + 1.9 * next()]});
            e.put_attr(attr(AttrKind::GeoProperty, "location", point));
            e
        })
        .collect()
}

fn time<T>(label: &str, iterations: usize, mut f: impl FnMut() -> T) -> Duration {
    let start = Instant::now();
    for _ in 0..iterations {
        black_box(f());
    }
    let per = start.elapsed() / iterations as u32;
    println!("{label:<58} {per:>12.2?} per iteration ({iterations} iterations)");
    per
}

fn main() {
    // `cargo bench` passes --bench; anything else (cargo test) gets the quick run.
    let quick = !std::env::args().any(|a| a == "--bench");
    let (n, reps) = if quick {
        (20_000, 20)
    } else {
        (200_000, 2_000)
    };
    let all = entities(n);
    let queries = [
        "temperature>30",
        "temperature>=20;temperature<=25|humidity<=10",
        "status==\"fault\";refDevice==\"urn:ngsi-ld:Device:7\"",
        "status~=\"^fa\"",
        "temperature.observedAt>2020-01-01T00:00:00Z|!humidity",
    ];
    for src in queries {
        time(&format!("parse+resolve {src}"), reps, || {
            query::q::parse_q(src).unwrap().resolve(&expand).unwrap()
        });
        let q = query::q::parse_q(src).unwrap().resolve(&expand).unwrap();
        let per = time(&format!("evaluate over {n} entities"), 3, || {
            all.iter().filter(|e| q.matches(e)).count()
        });
        println!("{:<58} {:>12.1?} per entity", "", per / n as u32);
    }
    let types = query::types::parse_type_expr("AirQualityObserved|(WeatherObserved;Sensor)")
        .unwrap()
        .resolve(&expand);
    time(&format!("type selection over {n} entities"), 3, || {
        all.iter().filter(|e| types.matches(e)).count()
    });
    let haikou =
        "[[[110.107,20.027],[110.68,20.027],[110.68,19.53],[110.107,19.53],[110.107,20.027]]]";
    let geo = [
        ("within", "Polygon", haikou),
        ("near;maxDistance==20000", "Point", "[110.33119,20.031971]"),
    ];
    for (georel, geometry, coordinates) in geo {
        let q = query::geo::GeoQuery::parse(georel, geometry, coordinates, None)
            .unwrap()
            .resolve(&expand);
        time(&format!("geo {georel} over {n} entities"), 3, || {
            all.iter().filter(|e| q.matches_entity(e)).count()
        });
    }
}
