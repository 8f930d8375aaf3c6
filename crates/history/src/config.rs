//! The `[history]` configuration section: how much a temporal answer may hold, how history is
//! partitioned and buffered, and how long each entity type's instances are kept.
//!
//! Owns parsing and validation of these settings; it does not apply them (the store and the
//! applier do).

use std::collections::BTreeMap;
use std::time::Duration;

use ngsi::NgsiError;
use serde::{Deserialize, Serialize};

/// Settings of the attribute history and the temporal API.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HistoryConfig {
    /// Most instances of one attribute in one temporal answer. When more match, the answer is
    /// `206 Partial Content` with a `Content-Range` header (clause 6.3.10) telling where to resume.
    pub max_instances_per_attribute: usize,
    /// Entities per page of `GET /temporal/entities` when the request gives no `limit`.
    pub default_entities_per_page: usize,
    /// Largest `limit` accepted by `GET /temporal/entities`; above it, `TooManyResults`.
    pub max_entities_per_page: usize,
    /// Length of one time partition (one database file per retention class), e.g. `7d`.
    /// Instances are placed by their `observedAt` (or, without one, by when they were recorded).
    pub partition: String,
    /// How long instances are kept, per entity type: a type name (matched against the last
    /// segment of the expanded type IRI) or a full type IRI, mapped to a duration such as `90d`.
    /// An entity with several configured types keeps its history for the longest of them.
    pub retention: BTreeMap<String, String>,
    /// Retention of entity types not listed in `retention`; empty keeps them forever.
    pub default_retention: String,
    /// How often buffered instances are written to disk (milliseconds). Buffered instances are
    /// already durable in the store's log and visible to temporal reads.
    pub flush_interval_ms: u64,
    /// Write buffered instances to disk early once this many are buffered.
    pub max_buffered_instances: usize,
    /// Instances per compressed chunk on disk (small chunks are merged up to this size).
    pub chunk_instances: usize,
    /// How long a temporal read waits for history to catch up with the store's last durable
    /// commit (read-your-writes) before answering anyway (milliseconds).
    pub catch_up_timeout_ms: u64,
    /// How often expired partitions are looked for and dropped (seconds).
    pub retention_check_interval_s: u64,
}

impl Default for HistoryConfig {
    fn default() -> Self {
        Self {
            max_instances_per_attribute: 10_000,
            default_entities_per_page: 20,
            max_entities_per_page: 10_000,
            partition: "7d".into(),
            retention: BTreeMap::new(),
            default_retention: String::new(),
            flush_interval_ms: 1000,
            max_buffered_instances: 2_000_000,
            chunk_instances: 512,
            catch_up_timeout_ms: 2000,
            retention_check_interval_s: 3600,
        }
    }
}

/// The validated, parsed form of [`HistoryConfig`].
#[derive(Debug, Clone)]
pub(crate) struct Settings {
    pub max_instances: usize,
    pub default_page: usize,
    pub max_page: usize,
    /// Partition length in microseconds.
    pub partition_us: i64,
    /// (type name or IRI, retention in microseconds).
    pub retention: Vec<(String, i64)>,
    /// None keeps forever.
    pub default_retention_us: Option<i64>,
    pub flush_interval: Duration,
    pub max_buffered: usize,
    pub chunk_instances: usize,
    pub catch_up: Duration,
    pub retention_check: Duration,
}

impl HistoryConfig {
    /// Checks every setting and reports all problems at once.
    pub(crate) fn settings(&self) -> Result<Settings, NgsiError> {
        let mut problems = Vec::new();
        let mut dur = |what: &str, text: &str| match parse_span(text) {
            Some(us) if us > 0 => us,
            _ => {
                problems.push(format!(
                    "history.{what}: {text:?} is not a duration like 90d, 12h, 30m or 45s"
                ));
                1
            }
        };
        let partition_us = dur("partition", &self.partition);
        let retention = self
            .retention
            .iter()
            .map(|(ty, d)| (ty.clone(), dur(&format!("retention.{ty}"), d)))
            .collect();
        let default_retention_us = match self.default_retention.trim() {
            "" => None,
            text => Some(dur("default_retention", text)),
        };
        for (name, v) in [
            (
                "max_instances_per_attribute",
                self.max_instances_per_attribute,
            ),
            ("max_entities_per_page", self.max_entities_per_page),
            ("chunk_instances", self.chunk_instances),
            ("max_buffered_instances", self.max_buffered_instances),
        ] {
            if v == 0 {
                problems.push(format!("history.{name} must be at least 1"));
            }
        }
        if self.chunk_instances > 65_536 {
            problems.push("history.chunk_instances must be at most 65536".into());
        }
        if !problems.is_empty() {
            return Err(NgsiError::internal(problems.join("; ")));
        }
        Ok(Settings {
            max_instances: self.max_instances_per_attribute,
            default_page: self.default_entities_per_page,
            max_page: self.max_entities_per_page,
            partition_us,
            retention,
            default_retention_us,
            flush_interval: Duration::from_millis(self.flush_interval_ms.max(1)),
            max_buffered: self.max_buffered_instances,
            chunk_instances: self.chunk_instances,
            catch_up: Duration::from_millis(self.catch_up_timeout_ms),
            retention_check: Duration::from_secs(self.retention_check_interval_s.max(1)),
        })
    }
}

impl Settings {
    /// The retention (µs) of an entity with these expanded types; None keeps forever.
    pub fn retention_for(&self, types: &[ngsi::Sym]) -> Option<i64> {
        let configured = types
            .iter()
            .flat_map(|t| {
                self.retention
                    .iter()
                    .filter(move |(name, _)| type_matches(t, name))
            })
            .map(|(_, us)| *us)
            .max();
        configured.or(self.default_retention_us)
    }
}

/// Whether the expanded type IRI `ty` is the configured `name` (a full IRI or its last segment).
fn type_matches(ty: &str, name: &str) -> bool {
    ty == name || ty.rsplit(['/', '#']).next() == Some(name)
}

/// Parses a span like `90d`, `2w`, `12h`, `30m`, `45s` or `500ms` to microseconds.
pub fn parse_span(text: &str) -> Option<i64> {
    let text = text.trim();
    let split = text.find(|c: char| !c.is_ascii_digit())?;
    let (num, unit) = text.split_at(split);
    let n: i64 = num.parse().ok()?;
    let unit_us: i64 = match unit {
        "ms" => 1_000,
        "s" => 1_000_000,
        "m" => 60_000_000,
        "h" => 3_600_000_000,
        "d" => 86_400_000_000,
        "w" => 7 * 86_400_000_000,
        _ => return None,
    };
    n.checked_mul(unit_us)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_and_retention_by_type() {
        assert_eq!(parse_span("90d"), Some(90 * 86_400_000_000));
        assert_eq!(parse_span("500ms"), Some(500_000));
        assert_eq!(parse_span("d"), None);
        assert_eq!(parse_span("3x"), None);
        let mut c = HistoryConfig::default();
        c.retention.insert("WaterObserved".into(), "90d".into());
        c.retention
            .insert("https://example.org/Long".into(), "400d".into());
        c.default_retention = "30d".into();
        let s = c.settings().unwrap();
        let ty = |t: &str| vec![ngsi::intern(t)];
        let day = 86_400_000_000;
        assert_eq!(
            s.retention_for(&ty("https://smartdatamodels.org/WaterObserved")),
            Some(90 * day)
        );
        assert_eq!(
            s.retention_for(&ty("https://example.org/Long")),
            Some(400 * day)
        );
        assert_eq!(s.retention_for(&ty("urn:x:Other")), Some(30 * day));
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let c = HistoryConfig {
            partition: "weekly".into(),
            chunk_instances: 0,
            ..HistoryConfig::default()
        };
        let e = c.settings().unwrap_err();
        assert!(e.detail.contains("history.partition"), "{}", e.detail);
        assert!(e.detail.contains("chunk_instances"), "{}", e.detail);
    }
}
