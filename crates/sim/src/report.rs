//! Run results as a plain aligned table and as a JSON document.
//!
//! Owns presentation: number formatting, column layout and the JSON field names scripts read.
//! It renders to strings; printing them is the binary's job.

use serde::Serialize;

use crate::runner::RunStats;
use crate::scenario::Unit;

/// What the table and the JSON say about the baseline's shared machine.
pub const BASELINE_NOTE: &str = "baseline = in-process hyper responder answering {\"ok\":true} \
     on 127.0.0.1; it shares this machine's cores with loadgen (and the server under test \
     shares them too), so ratios are indicative, not absolute";

/// One scenario's (or the baseline's) results.
#[derive(Clone, Debug, Serialize)]
pub struct ScenarioReport {
    /// Scenario name (`baseline` for the reference run).
    pub scenario: String,
    /// Requests attempted.
    pub requests: u64,
    /// Requests that failed (unexpected status, connection failure, timeout).
    pub errors: u64,
    /// Measured wall-clock seconds.
    pub elapsed_s: f64,
    /// Requests per second (attempted).
    pub req_per_s: f64,
    /// Entities or attribute instances per second (successful requests only).
    pub items_per_s: f64,
    /// What `items_per_s` counts.
    pub unit: Unit,
    /// Median latency, ms.
    pub p50_ms: f64,
    /// 99th percentile latency, ms.
    pub p99_ms: f64,
    /// 99.9th percentile latency, ms.
    pub p999_ms: f64,
    /// Maximum latency, ms.
    pub max_ms: f64,
    /// `req_per_s` divided by the baseline's, when a baseline ran.
    pub vs_baseline: Option<f64>,
    /// The first few distinct error descriptions.
    pub error_samples: Vec<String>,
    /// Why the scenario did not run (e.g. seeding failed); its figures are then zero.
    pub failure: Option<String>,
}

impl ScenarioReport {
    /// Summarises a finished run; `baseline_rate` is the baseline's req/s, if measured.
    pub fn from_stats(
        name: &str,
        unit: Unit,
        stats: &RunStats,
        baseline_rate: Option<f64>,
    ) -> Self {
        let secs = stats.elapsed.as_secs_f64().max(f64::MIN_POSITIVE);
        let req_per_s = stats.requests() as f64 / secs;
        Self {
            scenario: name.to_owned(),
            requests: stats.requests(),
            errors: stats.errors,
            elapsed_s: stats.elapsed.as_secs_f64(),
            req_per_s,
            items_per_s: stats.items as f64 / secs,
            unit,
            p50_ms: stats.latency.quantile_ms(0.5),
            p99_ms: stats.latency.quantile_ms(0.99),
            p999_ms: stats.latency.quantile_ms(0.999),
            max_ms: stats.latency.max_ms(),
            vs_baseline: baseline_rate.filter(|b| *b > 0.0).map(|b| req_per_s / b),
            error_samples: stats.error_samples.clone(),
            failure: None,
        }
    }

    /// A scenario that could not run.
    pub fn failed(name: &str, unit: Unit, why: String) -> Self {
        let mut report = Self::from_stats(name, unit, &RunStats::default(), None);
        report.failure = Some(why);
        report
    }
}

/// A whole invocation: settings, the baseline and every scenario.
#[derive(Clone, Debug, Serialize)]
pub struct RunReport {
    /// Always `twinisle-loadgen`.
    pub tool: &'static str,
    /// The loadgen version.
    pub version: &'static str,
    /// When the run started (RFC 3339, UTC).
    pub timestamp: String,
    /// The server under test.
    pub target: String,
    /// Concurrent connections per scenario.
    pub connections: usize,
    /// Requested seconds per scenario, when running for a duration.
    pub duration_s: Option<f64>,
    /// Requested requests per scenario, when running for a count.
    pub requests_per_scenario: Option<u64>,
    /// Client runtime worker threads.
    pub threads: usize,
    /// Data seed.
    pub seed: u64,
    /// Entities pre-seeded for read and update scenarios.
    pub entities: u32,
    /// The `NGSILD-Tenant` sent, if any.
    pub tenant: Option<String>,
    /// How to read `vs_baseline`.
    pub note: &'static str,
    /// The baseline run, unless disabled.
    pub baseline: Option<ScenarioReport>,
    /// One entry per scenario, in run order.
    pub scenarios: Vec<ScenarioReport>,
}

impl RunReport {
    /// The report as pretty-printed JSON.
    pub fn to_json(&self) -> serde_json::Result<String> {
        serde_json::to_string_pretty(self)
    }

    /// The report as an aligned plain-text table, followed by notes and error samples.
    pub fn to_table(&self) -> String {
        let mut rows = vec![HEADER.map(str::to_owned).to_vec()];
        rows.extend(self.baseline.iter().chain(&self.scenarios).map(row));
        let mut out = align(&rows);
        if let Some(b) = &self.baseline {
            out.push_str(&format!(
                "\n{BASELINE_NOTE}; baseline {:.0} req/s\n",
                b.req_per_s
            ));
        }
        for r in self.baseline.iter().chain(&self.scenarios) {
            if let Some(why) = &r.failure {
                let why = snippet(why.as_bytes(), 400);
                out.push_str(&format!("\n{} did not run: {why}\n", r.scenario));
            }
            if !r.error_samples.is_empty() {
                out.push_str(&format!("\n{} errors (first distinct):\n", r.scenario));
                for sample in &r.error_samples {
                    out.push_str(&format!("  {}\n", snippet(sample.as_bytes(), 240)));
                }
            }
        }
        out
    }
}

const HEADER: [&str; 11] = [
    "scenario",
    "requests",
    "req/s",
    "items/s",
    "unit",
    "p50 ms",
    "p99 ms",
    "p999 ms",
    "max ms",
    "errors",
    "vs baseline",
];
/// Columns aligned left (the rest align right, as numbers do).
const LEFT: [usize; 2] = [0, 4];

fn row(r: &ScenarioReport) -> Vec<String> {
    if r.failure.is_some() {
        let mut cells = vec![r.scenario.clone(), "-".into()];
        cells.extend((2..HEADER.len() - 1).map(|_| "-".to_owned()));
        cells.push("FAILED".into());
        return cells;
    }
    vec![
        r.scenario.clone(),
        r.requests.to_string(),
        rate(r.req_per_s),
        rate(r.items_per_s),
        r.unit.as_str().to_owned(),
        millis(r.p50_ms),
        millis(r.p99_ms),
        millis(r.p999_ms),
        millis(r.max_ms),
        r.errors.to_string(),
        r.vs_baseline
            .map_or("-".into(), |x| format!("{}×", ratio(x))),
    ]
}

fn align(rows: &[Vec<String>]) -> String {
    let columns = rows.first().map_or(0, Vec::len);
    let widths: Vec<usize> = (0..columns)
        .map(|c| {
            rows.iter()
                .map(|r| r.get(c).map_or(0, |s| s.chars().count()))
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for r in rows {
        let cells: Vec<String> = r
            .iter()
            .zip(&widths)
            .enumerate()
            .map(|(c, (cell, &w))| {
                if LEFT.contains(&c) {
                    format!("{cell:<w$}")
                } else {
                    format!("{cell:>w$}")
                }
            })
            .collect();
        out.push_str(cells.join("  ").trim_end());
        out.push('\n');
    }
    out
}

/// A rate with three or more significant digits, without pointless decimals.
pub fn rate(x: f64) -> String {
    match x {
        x if x >= 100.0 => format!("{x:.0}"),
        x if x >= 10.0 => format!("{x:.1}"),
        x => format!("{x:.2}"),
    }
}

/// Milliseconds to about three significant digits.
pub fn millis(x: f64) -> String {
    match x {
        x if x >= 100.0 => format!("{x:.0}"),
        x if x >= 10.0 => format!("{x:.1}"),
        x if x >= 1.0 => format!("{x:.2}"),
        x => format!("{x:.3}"),
    }
}

/// A ratio to two significant digits, however small (a slow server must not read `0.00×`).
pub fn ratio(x: f64) -> String {
    match x {
        x if x >= 0.095 => format!("{x:.2}"),
        x if x >= 0.0095 => format!("{x:.3}"),
        x => format!("{x:.4}"),
    }
}

/// Text for one line of a report: control characters and runs of whitespace collapse to one
/// space, and anything past `max_chars` is cut with an ellipsis.
pub fn snippet(bytes: &[u8], max_chars: usize) -> String {
    let text = String::from_utf8_lossy(bytes);
    let mut flat = String::with_capacity(text.len().min(max_chars * 4));
    for (n, word) in text
        .split(|c: char| c.is_whitespace() || c.is_control())
        .filter(|w| !w.is_empty())
        .enumerate()
    {
        if n > 0 {
            flat.push(' ');
        }
        flat.push_str(word);
    }
    match flat.char_indices().nth(max_chars) {
        Some((cut, _)) => format!("{}…", &flat[..cut]),
        None => flat,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn number_formats() {
        assert_eq!(millis(0.1234), "0.123");
        assert_eq!(millis(1.234), "1.23");
        assert_eq!(millis(12.34), "12.3");
        assert_eq!(millis(1234.6), "1235");
        assert_eq!(rate(12345.6), "12346");
        assert_eq!(rate(4.567), "4.57");
        assert_eq!(ratio(0.6234), "0.62");
        assert_eq!(ratio(0.0226), "0.023");
        assert_eq!(ratio(0.00226), "0.0023");
        assert_eq!(snippet(b"<p>\n   a\tb </p>\n", 100), "<p> a b </p>");
        assert_eq!(snippet("ééé".as_bytes(), 2), "éé…");
    }

    #[test]
    fn table_aligns_and_marks_failures() {
        let mut ok = ScenarioReport::failed("get-entity", Unit::Entities, String::new());
        ok.failure = None;
        ok.requests = 1000;
        ok.req_per_s = 500.0;
        ok.vs_baseline = Some(0.5);
        let bad = ScenarioReport::failed("patch-attrs", Unit::Instances, "boom".into());
        let report = RunReport {
            tool: "twinisle-loadgen",
            version: "0",
            timestamp: "2026-11-29T00:00:00Z".into(),
            target: "http://127.0.0.1:1026".into(),
            connections: 4,
            duration_s: Some(1.0),
            requests_per_scenario: None,
            threads: 2,
            seed: 1,
            entities: 10,
            tenant: None,
            note: BASELINE_NOTE,
            baseline: None,
            scenarios: vec![ok, bad],
        };
        let table = report.to_table();
        let lines: Vec<&str> = table.lines().collect();
        assert!(lines[0].starts_with("scenario "));
        assert!(lines[1].contains("0.50×"));
        assert!(lines[2].ends_with("FAILED"));
        assert!(table.contains("patch-attrs did not run: boom"));
        let json: serde_json::Value =
            serde_json::from_str(&report.to_json().unwrap_or_default()).unwrap_or_default();
        assert_eq!(json["scenarios"][0]["unit"], "entities");
    }
}
