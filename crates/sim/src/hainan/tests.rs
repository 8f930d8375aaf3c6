//! Checks of the embedded map data and the hand-placed tables against each other.

use super::places::*;
use super::*;

fn geo() -> &'static Hainan {
    hainan().expect("embedded map data parses")
}

#[test]
fn nineteen_divisions_with_unique_adcodes() {
    let counties = geo().counties();
    assert_eq!(counties.len(), 19);
    let mut codes: Vec<&str> = counties.iter().map(|c| c.adcode.as_str()).collect();
    codes.sort_unstable();
    codes.dedup();
    assert_eq!(codes.len(), 19);
    assert!(codes.iter().all(|c| c.len() == 6 && c.starts_with("46")));
    assert_eq!(geo().county("460100").map(|c| c.name_en), Some("Haikou"));
    assert_eq!(
        geo().county("460300").map(|c| c.rings.len() > 100),
        Some(true)
    );
}

#[test]
fn boundaries_are_valid_geojson() {
    for c in geo().counties() {
        assert!(c.positions() <= 10_000, "{} too detailed", c.name_en);
        for ring in &c.rings {
            assert!(ring.points().len() >= 4);
            assert_eq!(ring.points().first(), ring.points().last());
            assert!(ring.is_simple(), "{} has a self-touching ring", c.name_en);
            assert!(ring.signed_area2().abs() > 0.0);
        }
    }
    assert!(geo().coastline().is_simple());
    assert!(geo().park().is_simple());
}

#[test]
fn known_places_fall_where_they_should() {
    let g = geo();
    let county = |p| g.county_at(p).map(|c| c.slug);
    assert_eq!(county(ll(110.33, 20.03)), Some("haikou"));
    assert_eq!(county(ll(109.51, 18.26)), Some("sanya"));
    assert_eq!(county(ll(109.52, 18.78)), Some("wuzhishan"));
    assert_eq!(county(ll(112.335, 16.834)), Some("sansha"));
    assert!(g.on_island(ll(109.7, 19.0)));
    assert!(g.on_water(ll(110.3, 20.15)), "the Qiongzhou Strait");
    assert!(
        !g.on_water(ll(110.17, 20.32)),
        "Xuwen town is on the mainland"
    );
    assert!(g.on_water(ll(109.5, 17.5)), "the South China Sea");
    assert!(!g.on_water(ll(110.0, 19.5)));
}

#[test]
fn rivers_roads_and_park_are_on_land() {
    let g = geo();
    let lines = RIVERS
        .iter()
        .map(|r| r.course)
        .chain(HAIKOU_ROADS.iter().map(|r| r.course))
        .chain([G98, PARK_CORE]);
    for line in lines {
        for p in Polyline::new(line).sample(0.5) {
            assert!(g.on_island(p), "{p:?} is at sea");
        }
    }
    for (name, p) in RANGER_STATIONS {
        assert!(g.park().contains(p), "{name} station outside the park");
    }
}

#[test]
fn sea_lanes_ports_and_buoys_are_at_sea() {
    let g = geo();
    let lanes = [
        FERRY_XIUYING,
        FERRY_XINHAI,
        CARGO_STRAIT,
        CARGO_WEST,
        SANYA_APPROACH,
    ];
    for lane in lanes {
        for p in Polyline::new(lane.waypoints).sample(0.2) {
            assert!(
                g.at_sea_with_margin(p, 1.0),
                "{} touches land at {p:?}",
                lane.slug
            );
        }
    }
    for port in PORTS {
        assert!(
            g.at_sea_with_margin(port.berth, 1.0),
            "{} berth ashore",
            port.slug
        );
    }
    for (name, p) in BUOYS {
        assert!(
            g.at_sea_with_margin(p, 5.0),
            "buoy {name} too close to land"
        );
    }
    let (w, s, e, n) = FISHING_GROUND;
    let edge = [ll(w, s), ll(e, s), ll(e, n), ll(w, n), ll(w, s)];
    for p in Polyline::new(&edge).sample(0.5) {
        assert!(
            g.at_sea_with_margin(p, 5.0),
            "fishing ground edge near land at {p:?}"
        );
    }
    let shelter = Polyline::new(&[SHELTER_APPROACH, SANYA.berth]);
    assert!(
        shelter
            .sample(0.1)
            .iter()
            .all(|&p| g.at_sea_with_margin(p, 1.0))
    );
}

#[test]
fn station_sites_lie_in_their_divisions() {
    let g = geo();
    for (adcode, p) in WEATHER_SITES {
        assert_eq!(g.county_at(p).map(|c| c.adcode.as_str()), Some(adcode));
        if adcode != "460300" {
            assert!(g.on_island(p), "weather site {adcode} at sea");
        }
    }
    for (slug, p) in AIR_SITES {
        assert_eq!(g.county_at(p).map(|c| c.slug), Some(slug));
        assert!(g.on_island(p), "air site in {slug} at sea");
    }
}
