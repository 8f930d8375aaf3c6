//! `loadgen`: drives a running NGSI-LD server with closed-loop HTTP/1.1 load and reports
//! throughput and latency per scenario, relative to an in-process baseline responder.
//!
//! ```text
//! loadgen --target http://127.0.0.1:1026 --scenario get-entity,patch-attrs \
//!         --connections 16 --duration 10s --json results.json
//! ```
//!
//! The table goes to stdout, progress to stderr. Exit status: 0 when every scenario ran (request
//! errors are reported, not fatal), 1 when the target is unreachable or a scenario could not be
//! prepared, 2 on bad arguments.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::Parser;
use sim::LoadError;
use sim::baseline::Baseline;
use sim::client::{Client, Target};
use sim::report::{BASELINE_NOTE, RunReport, ScenarioReport};
use sim::rng::mix3;
use sim::runner::{self, RunSpec, Stop};
use sim::scenario::{self, Entry, Probe, REGISTRY, Scenario, ScenarioConfig};
use sim::timefmt::{rfc3339, unix_now};

/// Closed-loop HTTP/1.1 load generator for NGSI-LD servers.
#[derive(Debug, Parser)]
#[command(name = "loadgen", version)]
struct Args {
    /// Server root URL (http only).
    #[arg(long, default_value = "http://127.0.0.1:1026")]
    target: String,
    /// Scenario to run; repeat the flag or give a comma list; `all` runs every scenario.
    #[arg(
        long = "scenario",
        short = 's',
        value_name = "NAME",
        required_unless_present = "list"
    )]
    scenarios: Vec<String>,
    /// Concurrent keep-alive connections, one request in flight on each.
    #[arg(long, short = 'c', default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=4096))]
    connections: u16,
    /// How long each scenario (and the baseline) runs, e.g. 10s, 500ms, 2m.
    #[arg(long, short = 'd', default_value = "10s", value_parser = parse_duration)]
    duration: Duration,
    /// Run this many requests per scenario instead of for a duration.
    #[arg(long, short = 'n', conflicts_with = "duration", value_parser = clap::value_parser!(u64).range(1..))]
    requests: Option<u64>,
    /// Also write the results as JSON to this file.
    #[arg(long, value_name = "FILE")]
    json: Option<PathBuf>,
    /// Send `NGSILD-Tenant: T` with every request.
    #[arg(long, value_name = "T")]
    tenant: Option<String>,
    /// Seed for all generated data.
    #[arg(long, default_value_t = 2026)]
    seed: u64,
    /// Entities to pre-seed for get-entity and patch-attrs.
    #[arg(long, default_value_t = 10_000, value_parser = clap::value_parser!(u32).range(1..=2_000_000))]
    entities: u32,
    /// Skip the in-process baseline run (no ratio column then).
    #[arg(long)]
    no_baseline: bool,
    /// Client runtime worker threads (default: one per core).
    #[arg(long, value_parser = clap::value_parser!(u16).range(1..=256))]
    threads: Option<u16>,
    /// List the scenarios and exit.
    #[arg(long)]
    list: bool,
}

impl Args {
    fn spec(&self) -> RunSpec {
        RunSpec {
            connections: usize::from(self.connections),
            stop: self
                .requests
                .map_or(Stop::After(self.duration), Stop::Count),
        }
    }

    fn threads(&self) -> usize {
        self.threads.map_or_else(
            || std::thread::available_parallelism().map_or(2, usize::from),
            usize::from,
        )
    }
}

fn main() -> ExitCode {
    let args = Args::parse();
    if args.list {
        print_list();
        return ExitCode::SUCCESS;
    }
    let entries = match scenario::resolve(&args.scenarios) {
        Ok(entries) => entries,
        Err(e) => {
            eprintln!("loadgen: {e}");
            return ExitCode::from(2);
        }
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(args.threads())
        .enable_all()
        .build();
    let result = match runtime {
        Ok(rt) => rt.block_on(run(&args, &entries)),
        Err(e) => {
            eprintln!("loadgen: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match result {
        Ok(report) => finish(&args, &report),
        Err(e) => {
            eprintln!("loadgen: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Runs the baseline, then every scenario in order.
async fn run(args: &Args, entries: &[&'static Entry]) -> Result<RunReport, LoadError> {
    let started = unix_now();
    let client = Client::new(Target::resolve(&args.target).await?, args.tenant.as_deref())?;
    // Fail in one line, before spending time on the baseline, if nothing listens there.
    drop(client.connect().await?);
    let spec = args.spec();
    let baseline = if args.no_baseline {
        None
    } else {
        Some(run_baseline(spec).await?)
    };
    let cfg = ScenarioConfig {
        seed: args.seed,
        entities: args.entities,
        nonce: run_nonce(),
        now_unix: started,
    };
    let rate = baseline.as_ref().map(|b| b.req_per_s);
    let mut scenarios = Vec::with_capacity(entries.len());
    for entry in entries {
        scenarios.push(run_scenario(&client, entry, &cfg, spec, rate).await?);
    }
    Ok(RunReport {
        tool: "twinisle-loadgen",
        version: env!("CARGO_PKG_VERSION"),
        timestamp: rfc3339(started),
        target: client.target().url().to_owned(),
        connections: spec.connections,
        duration_s: args
            .requests
            .is_none()
            .then_some(args.duration.as_secs_f64()),
        requests_per_scenario: args.requests,
        threads: args.threads(),
        seed: args.seed,
        entities: args.entities,
        tenant: args.tenant.clone(),
        note: BASELINE_NOTE,
        baseline,
        scenarios,
    })
}

/// Measures the client against the in-process responder with the same connections and stop.
async fn run_baseline(spec: RunSpec) -> Result<ScenarioReport, LoadError> {
    let responder = Baseline::start().await?;
    let client = Client::new(Target::from_addr(responder.addr()), None)?;
    progress(
        "baseline",
        &format!("in-process responder {}", responder.addr()),
        spec,
    );
    let probe = Arc::new(Probe);
    let stats = runner::run(&client, probe.clone(), spec).await?;
    Ok(ScenarioReport::from_stats(
        probe.name(),
        probe.unit(),
        &stats,
        None,
    ))
}

/// Prepares and runs one scenario; a failed preparation becomes a FAILED row, not an abort.
async fn run_scenario(
    client: &Client,
    entry: &Entry,
    cfg: &ScenarioConfig,
    spec: RunSpec,
    baseline_rate: Option<f64>,
) -> Result<ScenarioReport, LoadError> {
    let scenario: Arc<dyn Scenario> = Arc::from((entry.build)(cfg));
    eprintln!("loadgen: {}: preparing", entry.name);
    match scenario.prepare(client).await {
        Ok(()) => {}
        Err(e @ LoadError::Unreachable { .. }) => return Err(e),
        Err(e) => {
            eprintln!("loadgen: {}: {e}", entry.name);
            return Ok(ScenarioReport::failed(
                entry.name,
                scenario.unit(),
                e.to_string(),
            ));
        }
    }
    progress(entry.name, client.target().url(), spec);
    let stats = runner::run(client, scenario.clone(), spec).await?;
    let report = ScenarioReport::from_stats(entry.name, scenario.unit(), &stats, baseline_rate);
    Ok(report)
}

/// Prints the table, writes the JSON, and picks the exit status.
fn finish(args: &Args, report: &RunReport) -> ExitCode {
    print!("{}", report.to_table());
    if let Some(path) = &args.json {
        let written = report
            .to_json()
            .map_err(std::io::Error::from)
            .and_then(|json| std::fs::write(path, json + "\n"));
        if let Err(e) = written {
            eprintln!("loadgen: cannot write {}: {e}", path.display());
            return ExitCode::FAILURE;
        }
        eprintln!("loadgen: wrote {}", path.display());
    }
    if report.scenarios.iter().any(|s| s.failure.is_some()) {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

fn progress(name: &str, against: &str, spec: RunSpec) {
    let how_long = match spec.stop {
        Stop::After(d) => format!("for {:.1} s", d.as_secs_f64()),
        Stop::Count(n) => format!("for {n} requests"),
    };
    eprintln!(
        "loadgen: {name}: {} connections {how_long} against {against}",
        spec.connections
    );
}

fn print_list() {
    let width = REGISTRY.iter().map(|e| e.name.len()).max().unwrap_or(0);
    for entry in REGISTRY {
        println!("{:<width$}  {}", entry.name, entry.about);
    }
}

/// A value unique to this invocation (time and process id), so created ids never collide.
fn run_nonce() -> u64 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    mix3(nanos, u64::from(std::process::id()), 0)
}

/// Parses `10s`, `500ms`, `2m`, `1.5s` or a bare number of seconds.
fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let value: f64 = number
        .parse()
        .map_err(|_| format!("{text:?} is not a duration like 10s, 500ms or 2m"))?;
    let seconds = match unit.trim() {
        "" | "s" => value,
        "ms" => value / 1000.0,
        "m" | "min" => value * 60.0,
        "h" => value * 3600.0,
        other => {
            return Err(format!(
                "unknown duration unit {other:?} (use ms, s, m or h)"
            ));
        }
    };
    if !(seconds > 0.0 && seconds < 1e7) {
        return Err(format!("{text:?} must be positive"));
    }
    Ok(Duration::from_secs_f64(seconds))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse() {
        assert_eq!(parse_duration("10s"), Ok(Duration::from_secs(10)));
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("1.5"), Ok(Duration::from_millis(1500)));
        assert!(parse_duration("0s").is_err());
        assert!(parse_duration("ten").is_err());
        assert!(parse_duration("5d").is_err());
    }

    #[test]
    fn cli_shape() {
        let args = Args::try_parse_from([
            "loadgen",
            "--target",
            "http://127.0.0.1:1026",
            "--scenario",
            "get-entity",
            "--scenario",
            "patch-attrs,batch-upsert",
            "--connections",
            "4",
            "--duration",
            "2s",
            "--json",
            "out.json",
        ]);
        let args = args.map_err(|e| e.to_string());
        assert!(args.is_ok(), "{args:?}");
        let bad = Args::try_parse_from(["loadgen", "-s", "x", "-d", "1s", "-n", "5"]);
        assert!(bad.is_err(), "--duration and --requests conflict");
        assert!(Args::try_parse_from(["loadgen", "--list"]).is_ok());
    }
}
