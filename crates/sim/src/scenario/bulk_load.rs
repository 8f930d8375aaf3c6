//! `bulk-load`: batch upserts of entities that are all distinct (entity numbers count up across
//! every connection), for filling a server to a given size, e.g. one million entities with
//! `--requests 10000`. Unlike `batch-upsert`, which rewrites a fixed pool, every request here
//! grows the twin.

use std::sync::atomic::{AtomicU32, Ordering};

use http::{Method, Uri};

use super::{BATCH, BoxFuture, Entry, Request, Scenario, ScenarioConfig, UPSERT_PATH};
use crate::client::Client;
use crate::error::LoadError;
use crate::workload::Population;

/// Registry entry.
pub const ENTRY: Entry = Entry {
    name: NAME,
    about: "POST /entityOperations/upsert of ever new entities, 100 per request (fills a server)",
    build,
};

const NAME: &str = "bulk-load";
/// First entity number, apart from the other scenarios' populations.
const FIRST: u32 = 10_000_000;

struct BulkLoad {
    population: Population,
    next_block: AtomicU32,
    at_unix: i64,
}

fn build(cfg: &ScenarioConfig) -> Box<dyn Scenario> {
    Box::new(BulkLoad {
        population: Population::new(cfg.seed, FIRST, u32::MAX - FIRST),
        next_block: AtomicU32::new(0),
        at_unix: cfg.now_unix,
    })
}

impl Scenario for BulkLoad {
    fn name(&self) -> &'static str {
        NAME
    }

    fn prepare<'a>(&'a self, _client: &'a Client) -> BoxFuture<'a, Result<(), LoadError>> {
        Box::pin(async { Ok(()) })
    }

    fn next_request(&self, _worker: usize, _i: u64) -> Request {
        let block = self.next_block.fetch_add(1, Ordering::Relaxed);
        let start = FIRST + block * BATCH;
        let body = self
            .population
            .batch_body(start..start + BATCH, self.at_unix);
        Request::with_body(
            Method::POST,
            Uri::from_static(UPSERT_PATH),
            body,
            &[201, 204],
        )
        .items(BATCH)
    }
}
