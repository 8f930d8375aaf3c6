//! The scenario abstraction: what a load run sends, what it expects back, and how it seeds the
//! server first; plus the registry that maps `--scenario` names to implementations.
//!
//! Owns the contract between workloads and the runner. Each scenario lives in its own file under
//! `scenario/`; adding one (query-type-q, geo-near, temporal-lastn, ...) means one new file and
//! one line in [`REGISTRY`]. Scenarios must not block or do I/O in [`Scenario::next_request`].

mod batch_upsert;
mod bulk_load;
mod create_entities;
mod get_entity;
mod history_ingest;
pub mod mqtt_ingest;
pub mod notify_fanout;
mod patch_attrs;
mod probe;
mod queries;
mod temporal_aggregate;
mod temporal_lastn;

use std::future::Future;
use std::pin::Pin;

use bytes::Bytes;
use http::{Method, Uri};
use serde::Serialize;
use tokio::task::JoinSet;

pub use probe::Probe;

use crate::client::Client;
use crate::error::LoadError;
use crate::report::snippet;
use crate::workload::Population;

/// A boxed, sendable future: what [`Scenario::prepare`] returns so the trait stays object-safe.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// The path prefix of the NGSI-LD API.
pub const API: &str = "/ngsi-ld/v1";
/// The batch upsert endpoint.
pub const UPSERT_PATH: &str = "/ngsi-ld/v1/entityOperations/upsert";
/// Entities per batch when seeding (and in the batch-upsert scenario).
pub const BATCH: u32 = 100;
/// How many seeding requests run at once: enough to overlap round trips, few enough to leave
/// the (shared, 2-core) machine to the server.
const SEED_PARALLELISM: usize = 2;

/// One request a scenario wants sent.
#[derive(Clone, Debug)]
pub struct Request {
    /// The HTTP method.
    pub method: Method,
    /// Path and query, e.g. `/ngsi-ld/v1/entities/urn:...`.
    pub uri: Uri,
    /// A JSON body (sent with `Content-Type: application/json` and the core-context `Link`).
    pub body: Option<Bytes>,
    /// The statuses that count as success.
    pub expect: &'static [u16],
    /// Entities or attribute instances this request carries (see [`Scenario::unit`]).
    pub items: u32,
}

impl Request {
    /// A request without a body.
    pub fn get(uri: Uri, expect: &'static [u16], items: u32) -> Self {
        Self {
            method: Method::GET,
            uri,
            body: None,
            expect,
            items,
        }
    }

    /// A request with a JSON body.
    pub fn with_body(method: Method, uri: Uri, body: Bytes, expect: &'static [u16]) -> Self {
        Self {
            method,
            uri,
            body: Some(body),
            expect,
            items: 1,
        }
    }

    /// Sets how many items the request carries.
    pub fn items(mut self, items: u32) -> Self {
        self.items = items;
        self
    }
}

/// What a scenario's item count measures.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Unit {
    /// Whole entities read or written.
    Entities,
    /// Attribute instances written.
    Instances,
}

impl Unit {
    /// The plural noun, as shown in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Unit::Entities => "entities",
            Unit::Instances => "instances",
        }
    }
}

/// A repeatable unit of load against an NGSI-LD server.
pub trait Scenario: Send + Sync {
    /// The `--scenario` name, e.g. `get-entity`.
    fn name(&self) -> &'static str;

    /// What [`Request::items`] counts.
    fn unit(&self) -> Unit {
        Unit::Entities
    }

    /// Seeds whatever the scenario reads or updates; runs once, before the clock starts.
    fn prepare<'a>(&'a self, client: &'a Client) -> BoxFuture<'a, Result<(), LoadError>>;

    /// The `i`-th request of connection `worker`. Must be cheap: it runs inside the timed loop.
    fn next_request(&self, worker: usize, i: u64) -> Request;
}

/// Settings every scenario is built from.
#[derive(Clone, Copy, Debug)]
pub struct ScenarioConfig {
    /// Seed for all generated data.
    pub seed: u64,
    /// How many entities to pre-seed for read and update scenarios.
    pub entities: u32,
    /// A value unique to this invocation, so created ids never collide across runs.
    pub nonce: u64,
    /// Unix seconds that generated `observedAt` values lead up to.
    pub now_unix: i64,
}

impl ScenarioConfig {
    /// The shared population read and updated by `get-entity` and `patch-attrs`.
    pub fn population(&self) -> Population {
        Population::new(self.seed, 0, self.entities.max(1))
    }
}

/// A registered scenario: its name, a one-line description, and a constructor.
pub struct Entry {
    /// The `--scenario` name.
    pub name: &'static str,
    /// One line for `--list`.
    pub about: &'static str,
    /// Builds the scenario (pre-serialising its bodies).
    pub build: fn(&ScenarioConfig) -> Box<dyn Scenario>,
}

/// Every scenario `--scenario` accepts, in the order `all` runs them.
pub const REGISTRY: &[Entry] = &[
    get_entity::ENTRY,
    patch_attrs::ENTRY,
    batch_upsert::ENTRY,
    create_entities::ENTRY,
    bulk_load::ENTRY,
    queries::TYPE_Q,
    queries::GEO_NEAR,
    queries::GEO_WITHIN,
    queries::DEEP_PAGE,
    mqtt_ingest::ENTRY,
    notify_fanout::ENTRY,
    history_ingest::ENTRY,
    temporal_lastn::ENTRY,
    temporal_aggregate::ENTRY,
];

/// Expands names (comma lists, repeated flags, `all`) into registry entries, without duplicates.
pub fn resolve<S: AsRef<str>>(names: &[S]) -> Result<Vec<&'static Entry>, LoadError> {
    let mut out: Vec<&'static Entry> = Vec::new();
    for name in names.iter().flat_map(|n| n.as_ref().split(',')) {
        let name = name.trim();
        let found: Vec<&'static Entry> = match name {
            "" => continue,
            "all" => REGISTRY.iter().collect(),
            _ => REGISTRY.iter().filter(|e| e.name == name).collect(),
        };
        if found.is_empty() {
            let known: Vec<&str> = REGISTRY.iter().map(|e| e.name).collect();
            return Err(LoadError::UnknownScenario {
                name: name.to_owned(),
                known: known.join(", "),
            });
        }
        for entry in found {
            if !out.iter().any(|e| e.name == entry.name) {
                out.push(entry);
            }
        }
    }
    Ok(out)
}

/// A path-and-query URI from text the generator made; `None` if it is somehow not valid.
pub fn uri(path: String) -> Option<Uri> {
    Uri::try_from(path).ok()
}

/// Upserts `population` in batches of [`BATCH`] (once per client), failing on any status other
/// than 201/204.
pub async fn seed_population(
    client: &Client,
    scenario: &'static str,
    population: Population,
    now_unix: i64,
) -> Result<(), LoadError> {
    let key = format!("population:{population:?}");
    if population.is_empty() || !client.first_time(&key) {
        return Ok(());
    }
    let mut tasks = JoinSet::new();
    for lane in 0..SEED_PARALLELISM {
        let client = client.clone();
        tasks.spawn(async move {
            let numbers = population.numbers();
            let starts = numbers.clone().step_by(BATCH as usize);
            for start in starts.skip(lane).step_by(SEED_PARALLELISM) {
                let end = start.saturating_add(BATCH).min(numbers.end);
                let body = population.batch_body(start..end, now_unix);
                upsert(&client, scenario, body).await?;
            }
            Ok::<(), LoadError>(())
        });
    }
    while let Some(done) = tasks.join_next().await {
        done??;
    }
    Ok(())
}

/// One batch upsert that must succeed.
async fn upsert(client: &Client, scenario: &'static str, body: Bytes) -> Result<(), LoadError> {
    let uri = Uri::from_static(UPSERT_PATH);
    let req = Request::with_body(Method::POST, uri, body, &[201, 204]);
    let reply = client.send(req).await?;
    if matches!(reply.status.as_u16(), 201 | 204) {
        return Ok(());
    }
    Err(LoadError::Prepare {
        scenario,
        method: "POST".into(),
        path: UPSERT_PATH.into(),
        status: reply.status.as_u16(),
        body: snippet(&reply.body, 300),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolve_expands_lists_and_all() {
        let names = |v: Vec<&'static Entry>| v.iter().map(|e| e.name).collect::<Vec<_>>();
        let got = resolve(&["get-entity,patch-attrs", "get-entity"]).map(names);
        assert_eq!(got.ok(), Some(vec!["get-entity", "patch-attrs"]));
        let all = resolve(&["all"]).map(names).unwrap_or_default();
        assert_eq!(all.len(), REGISTRY.len());
        assert!(resolve(&["nope"]).is_err());
    }
}
