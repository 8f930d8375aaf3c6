//! `temporal-aggregate`: hourly `avg,min,max` over the last 30 days of one random sensor of the
//! seeded history (`GET /temporal/entities/{id}?timerel=between&...&format=aggregatedValues`):
//! 720 periods from about 8,640 instances per request.
//!
//! The history is the one `temporal-lastn` seeds (see there for its size).

use http::Uri;

use super::temporal_lastn::{END_UNIX, seed_history, sensor_id, sensors};
use super::{BoxFuture, Entry, Request, Scenario, ScenarioConfig, uri};
use crate::client::Client;
use crate::error::LoadError;
use crate::rng::mix3;
use crate::timefmt::rfc3339;

/// Registry entry.
pub const ENTRY: Entry = Entry {
    name: NAME,
    about: "GET /temporal/entities/{id} hourly avg,min,max over 30 days on a seeded history (expects 200)",
    build,
};

const NAME: &str = "temporal-aggregate";
const STREAM: u64 = 0x6167_6772;
const DAYS: i64 = 30;

struct TemporalAggregate {
    seed: u64,
    uris: Vec<Uri>,
}

fn build(cfg: &ScenarioConfig) -> Box<dyn Scenario> {
    let from = rfc3339(END_UNIX - DAYS * 86_400);
    let to = rfc3339(END_UNIX);
    let uris = (0..sensors())
        .filter_map(|n| {
            uri(format!(
                "/ngsi-ld/v1/temporal/entities/{}?timerel=between&timeAt={from}&endTimeAt={to}&aggrMethods=avg,min,max&aggrPeriodDuration=PT1H&format=aggregatedValues",
                sensor_id(n)
            ))
        })
        .collect();
    Box::new(TemporalAggregate {
        seed: cfg.seed,
        uris,
    })
}

impl Scenario for TemporalAggregate {
    fn name(&self) -> &'static str {
        NAME
    }

    fn prepare<'a>(&'a self, client: &'a Client) -> BoxFuture<'a, Result<(), LoadError>> {
        Box::pin(seed_history(client, NAME))
    }

    fn next_request(&self, worker: usize, i: u64) -> Request {
        let r = mix3(self.seed ^ STREAM, worker as u64, i);
        let len = self.uris.len().max(1) as u64;
        let uri = self
            .uris
            .get((r % len) as usize)
            .cloned()
            .unwrap_or_default();
        Request::get(uri, &[200], 1)
    }
}
