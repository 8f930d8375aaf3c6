//! `batch-upsert`: `POST /ngsi-ld/v1/entityOperations/upsert` with 100 entities of about six
//! attributes each (numbers with observedAt, a Point location, a text Property).
//!
//! Measures bulk ingest. Its entities are numbered from [`FIRST`], apart from the population the
//! read scenarios use, so running it does not disturb their data.

use bytes::Bytes;
use http::{Method, Uri};

use super::{BATCH, BoxFuture, Entry, Request, Scenario, ScenarioConfig, UPSERT_PATH};
use crate::client::Client;
use crate::error::LoadError;
use crate::rng::mix3;
use crate::workload::Population;

/// Registry entry.
pub const ENTRY: Entry = Entry {
    name: NAME,
    about: "POST /entityOperations/upsert, 100 entities x 6 attributes (expects 201/204)",
    build,
};

const NAME: &str = "batch-upsert";
const STREAM: u64 = 0x6261_7463;
/// Distinct pre-serialised batches (about 30 KB each), covering `POOL * BATCH` entities.
const POOL: u32 = 64;
/// First entity number of this scenario's own population.
const FIRST: u32 = 500_000;

struct BatchUpsert {
    seed: u64,
    bodies: Vec<Bytes>,
}

fn build(cfg: &ScenarioConfig) -> Box<dyn Scenario> {
    let pop = Population::new(cfg.seed, FIRST, POOL * BATCH);
    let bodies = (0..POOL)
        .map(|k| {
            let start = FIRST + k * BATCH;
            pop.batch_body(start..start + BATCH, cfg.now_unix + i64::from(k))
        })
        .collect();
    Box::new(BatchUpsert {
        seed: cfg.seed,
        bodies,
    })
}

impl Scenario for BatchUpsert {
    fn name(&self) -> &'static str {
        NAME
    }

    fn prepare<'a>(&'a self, _client: &'a Client) -> BoxFuture<'a, Result<(), LoadError>> {
        // Upsert creates what is missing, so there is nothing to seed.
        Box::pin(async { Ok(()) })
    }

    fn next_request(&self, worker: usize, i: u64) -> Request {
        let r = mix3(self.seed ^ STREAM, worker as u64, i);
        let body = self.bodies[r as usize % self.bodies.len()].clone();
        let uri = Uri::from_static(UPSERT_PATH);
        Request::with_body(Method::POST, uri, body, &[201, 204]).items(BATCH)
    }
}
