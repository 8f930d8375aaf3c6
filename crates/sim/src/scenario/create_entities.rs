//! `create-entities`: `POST /ngsi-ld/v1/entities` of a new entity each time.
//!
//! Measures single-entity creation. Ids embed the run nonce, the connection and the request
//! number, so they are unique within and across runs and every request must answer 201.

use std::fmt::Write as _;

use http::{Method, Uri};

use super::{BoxFuture, Entry, Request, Scenario, ScenarioConfig};
use crate::client::Client;
use crate::error::LoadError;
use crate::workload::{Kind, Population, Template};

/// Registry entry.
pub const ENTRY: Entry = Entry {
    name: NAME,
    about: "POST /entities of a new, uniquely named entity each time (expects 201)",
    build,
};

const NAME: &str = "create-entities";
const PATH: &str = "/ngsi-ld/v1/entities";
/// Distinct pre-serialised entity bodies, cycling through the kinds.
const POOL: u32 = 96;
/// Entity numbers the templates are taken from (only their attributes are used).
const FIRST: u32 = 900_000;

struct CreateEntities {
    nonce: u64,
    templates: Vec<(Kind, &'static str, Template)>,
}

fn build(cfg: &ScenarioConfig) -> Box<dyn Scenario> {
    let pop = Population::new(cfg.seed, FIRST, POOL);
    let templates = pop
        .numbers()
        .map(|n| {
            let entity = pop.entity(n, cfg.now_unix);
            (pop.kind(n), pop.place(n).slug, Template::new(entity))
        })
        .collect();
    Box::new(CreateEntities {
        nonce: cfg.nonce,
        templates,
    })
}

impl Scenario for CreateEntities {
    fn name(&self) -> &'static str {
        NAME
    }

    fn prepare<'a>(&'a self, _client: &'a Client) -> BoxFuture<'a, Result<(), LoadError>> {
        Box::pin(async { Ok(()) })
    }

    fn next_request(&self, worker: usize, i: u64) -> Request {
        let slot = (i as usize).wrapping_add(worker.wrapping_mul(31)) % self.templates.len();
        let (kind, slug, template) = &self.templates[slot];
        let mut id = String::with_capacity(80);
        // Writing into a String cannot fail.
        let _ = write!(
            id,
            "urn:ngsi-ld:{}:{slug}-{:012x}-w{worker:03}-{i:09}",
            kind.type_name(),
            self.nonce & 0xFFFF_FFFF_FFFF,
        );
        let body = template.fill(&id);
        Request::with_body(Method::POST, Uri::from_static(PATH), body, &[201])
    }
}
