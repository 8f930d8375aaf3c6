//! `patch-attrs`: `PATCH /ngsi-ld/v1/entities/{id}/attrs` with 2-3 freshly observed Properties
//! (e.g. waterLevel and flow) on random members of the seeded population.
//!
//! Measures the partial-update path; each request writes 2-3 attribute instances.

use bytes::Bytes;
use http::{Method, Uri};

use super::{API, BoxFuture, Entry, Request, Scenario, ScenarioConfig, Unit, seed_population, uri};
use crate::client::Client;
use crate::error::LoadError;
use crate::rng::{Rng, mix3};
use crate::workload::{Kind, patch, to_body};

/// Registry entry.
pub const ENTRY: Entry = Entry {
    name: NAME,
    about: "PATCH /entities/{id}/attrs with 2-3 observed Properties (expects 204)",
    build,
};

const NAME: &str = "patch-attrs";
const STREAM: u64 = 0x7061_7463;
/// Pre-serialised bodies per entity kind; enough variety that values do not repeat visibly.
const POOL: usize = 256;

struct PatchAttrs {
    cfg: ScenarioConfig,
    uris: Vec<Uri>,
    /// `bodies[kind.ordinal()][k]`.
    bodies: Vec<Vec<Bytes>>,
}

fn build(cfg: &ScenarioConfig) -> Box<dyn Scenario> {
    let pop = cfg.population();
    let uris = pop
        .numbers()
        .filter_map(|n| uri(format!("{API}/entities/{}/attrs", pop.id(n))))
        .collect();
    let mut rng = Rng::derive(cfg.seed, STREAM, 0);
    let bodies = Kind::ALL
        .iter()
        .map(|&kind| {
            (0..POOL)
                .map(|k| to_body(&patch(kind, &mut rng, cfg.now_unix + k as i64)))
                .collect()
        })
        .collect();
    Box::new(PatchAttrs {
        cfg: *cfg,
        uris,
        bodies,
    })
}

impl Scenario for PatchAttrs {
    fn name(&self) -> &'static str {
        NAME
    }

    fn unit(&self) -> Unit {
        Unit::Instances
    }

    fn prepare<'a>(&'a self, client: &'a Client) -> BoxFuture<'a, Result<(), LoadError>> {
        let pop = self.cfg.population();
        Box::pin(seed_population(client, NAME, pop, self.cfg.now_unix))
    }

    fn next_request(&self, worker: usize, i: u64) -> Request {
        let r = mix3(self.cfg.seed ^ STREAM, worker as u64, i);
        let pop = self.cfg.population();
        let index = r % self.uris.len().max(1) as u64;
        let kind = pop.kind(pop.nth(index));
        let pool = &self.bodies[kind.ordinal()];
        let body = pool[(r >> 40) as usize % pool.len()].clone();
        let uri = self.uris.get(index as usize).cloned().unwrap_or_default();
        Request::with_body(Method::PATCH, uri, body, &[204]).items(kind.patch_len() as u32)
    }
}
