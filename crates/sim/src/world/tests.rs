//! The world's contract: determinism, geography invariants, physical ranges, and the
//! typhoon's consequences. Most tests share one 48-hour run of the scale-1 island.

mod decode;
mod invariants;
mod storm;

use std::sync::OnceLock;

use super::*;

/// 2026-11-29T00:00:00Z, 08:00 in Hainan.
const START: i64 = 1_795_910_400;
const HOUR_S: i64 = 3600;

/// The devices and messages of one long run.
struct Run {
    world: World,
    messages: Vec<Message>,
}

/// 48 simulated hours of the scale-1 island with seed 7, computed once.
fn long_run() -> &'static Run {
    static RUN: OnceLock<Run> = OnceLock::new();
    RUN.get_or_init(|| {
        let mut world = World::new(WorldConfig::new(7, 1.0, START)).expect("world");
        let mut messages = Vec::new();
        while world.next_time().is_some_and(|t| t < START + 48 * HOUR_S) {
            messages.extend(world.next_message());
        }
        Run { world, messages }
    })
}

fn world(seed: u64) -> World {
    World::new(WorldConfig::new(seed, 1.0, START)).expect("world")
}

#[test]
fn same_seed_gives_the_same_first_messages() {
    let a: Vec<Message> = world(42).take(3000).collect();
    let b: Vec<Message> = world(42).take(3000).collect();
    assert_eq!(a, b);
    let c: Vec<Message> = world(43).take(3000).collect();
    assert_ne!(a, c);
    assert!(
        a.windows(2).all(|w| w[0].sim_time <= w[1].sim_time),
        "time order"
    );
}

#[test]
fn catalogue_scales_and_ids_are_unique() {
    let w = world(1);
    let count = |k: Kind| w.devices().iter().filter(|d| d.kind == k).count();
    assert_eq!(count(Kind::Gauge), 12);
    assert_eq!(count(Kind::Air), 15);
    assert_eq!(count(Kind::Weather), 19);
    assert!(count(Kind::Vessel) >= 30);
    let mut ids: Vec<&str> = w.devices().iter().map(|d| d.device_id.as_str()).collect();
    let mut entities: Vec<&str> = w.devices().iter().map(|d| d.entity_id.as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    entities.sort_unstable();
    entities.dedup();
    assert_eq!(ids.len(), w.devices().len());
    assert_eq!(entities.len(), w.devices().len());

    let big = World::new(WorldConfig::new(1, 3.0, START)).expect("world");
    assert!((big.devices().len() as f64) > 2.8 * w.devices().len() as f64);
    let mut big_ids: Vec<&str> = big.devices().iter().map(|d| d.device_id.as_str()).collect();
    big_ids.sort_unstable();
    big_ids.dedup();
    assert_eq!(big_ids.len(), big.devices().len());
    let none = World::new(WorldConfig::new(1, 0.0, START)).expect("world");
    assert!(none.devices().is_empty());
}

#[test]
fn devices_report_often_enough_for_a_short_demo() {
    // The acceptance check runs `--speed 120` for ~20 s: 40 simulated minutes.
    let w = world(1);
    let air: Vec<&str> = w
        .devices()
        .iter()
        .filter(|d| d.kind == Kind::Air)
        .map(|d| d.device_id.as_str())
        .collect();
    let early: Vec<Message> = world(1)
        .take_while(|m| m.sim_time < START + 40 * 60)
        .collect();
    for id in air {
        let reports = early
            .iter()
            .filter(|m| m.topic.contains(&format!("/{id}/")))
            .count();
        assert!(reports >= 3, "{id} reported {reports} times");
    }
    let vessels: std::collections::HashSet<&str> = early
        .iter()
        .filter(|m| m.sim_time < START + 10 * 60 && m.topic.starts_with("/json/hn-maritime/"))
        .map(|m| m.topic.as_str())
        .collect();
    assert!(
        vessels.len() >= 10,
        "{} vessels in 10 minutes",
        vessels.len()
    );
}

#[test]
fn provisioning_bodies_cover_every_device() {
    let w = world(3);
    let groups = service_groups();
    let services = groups["services"].as_array().cloned().unwrap_or_default();
    assert_eq!(services.len(), Kind::ALL.len());
    let mut keys: Vec<&str> = services
        .iter()
        .filter_map(|s| s["apikey"].as_str())
        .collect();
    keys.sort_unstable();
    keys.dedup();
    assert_eq!(keys.len(), services.len());
    let batches = device_batches(w.devices(), 120.0);
    let mut total = 0;
    for batch in &batches {
        let list = batch["devices"].as_array().cloned().unwrap_or_default();
        assert!(!list.is_empty() && list.len() <= DEVICE_BATCH);
        for d in &list {
            for field in [
                "device_id",
                "entity_name",
                "entity_type",
                "protocol",
                "transport",
            ] {
                assert!(d[field].is_string(), "{field} missing in {d}");
            }
            assert!(d["timeout"].as_u64().is_some_and(|t| t >= 5));
            assert!(d["attributes"].as_array().is_some_and(|a| !a.is_empty()));
        }
        total += list.len();
    }
    assert_eq!(total, w.devices().len());
}
