//! `get-entity`: `GET /ngsi-ld/v1/entities/{id}` on random members of the seeded population.
//!
//! Measures the single-entity read path: id lookup, compaction and serialisation.

use http::Uri;

use super::{API, BoxFuture, Entry, Request, Scenario, ScenarioConfig, seed_population, uri};
use crate::client::Client;
use crate::error::LoadError;
use crate::rng::mix3;

/// Registry entry.
pub const ENTRY: Entry = Entry {
    name: NAME,
    about: "GET /entities/{id} on random pre-seeded entities (expects 200)",
    build,
};

const NAME: &str = "get-entity";
/// Separates this scenario's random choices from other scenarios' under the same seed.
const STREAM: u64 = 0x6765_7465;

struct GetEntity {
    cfg: ScenarioConfig,
    /// One pre-parsed URI per entity, so the timed loop only clones.
    uris: Vec<Uri>,
}

fn build(cfg: &ScenarioConfig) -> Box<dyn Scenario> {
    let pop = cfg.population();
    let uris = pop
        .numbers()
        .filter_map(|n| uri(format!("{API}/entities/{}", pop.id(n))))
        .collect();
    Box::new(GetEntity { cfg: *cfg, uris })
}

impl Scenario for GetEntity {
    fn name(&self) -> &'static str {
        NAME
    }

    fn prepare<'a>(&'a self, client: &'a Client) -> BoxFuture<'a, Result<(), LoadError>> {
        let pop = self.cfg.population();
        Box::pin(seed_population(client, NAME, pop, self.cfg.now_unix))
    }

    fn next_request(&self, worker: usize, i: u64) -> Request {
        let r = mix3(self.cfg.seed ^ STREAM, worker as u64, i);
        let len = self.uris.len().max(1) as u64;
        let uri = self
            .uris
            .get((r % len) as usize)
            .cloned()
            .unwrap_or_default();
        Request::get(uri, &[200], 1)
    }
}
