//! The query scenarios of the queries issue, all over the seeded population (`--entities`, e.g.
//! one million): a selective type + `q` filter, `near` and `within` geo-queries, and a deep page.
//! Parameters are chosen so each request returns about a page of 100 entities, and are drawn
//! from the seeded RNG so runs are repeatable.

use super::{API, BoxFuture, Entry, Request, Scenario, ScenarioConfig, seed_population, uri};
use crate::client::Client;
use crate::error::LoadError;
use crate::rng::mix3;

/// `query-type-q`: `type=WaterObserved&q=waterLevel==a..b` with a band about 100 gauges wide.
pub const TYPE_Q: Entry = Entry {
    name: "query-type-q",
    about: "GET /entities?type=WaterObserved&q=waterLevel==a..b, ~100 matches (expects 200)",
    build: |c| build(c, Shape::TypeQ),
};
/// `geo-near`: `near;maxDistance==1000` around a random seeded location.
pub const GEO_NEAR: Entry = Entry {
    name: "geo-near",
    about: "GET /entities?georel=near;maxDistance==1000 around seeded points (expects 200)",
    build: |c| build(c, Shape::Near),
};
/// `geo-within`: a box of Hainan sized for about 100 entities of one type.
pub const GEO_WITHIN: Entry = Entry {
    name: "geo-within",
    about: "GET /entities?type=...&georel=within a polygon around a town, limit 100 (expects 200)",
    build: |c| build(c, Shape::Within),
};
/// `deep-page`: `offset` at half the population, `limit=100`.
pub const DEEP_PAGE: Entry = Entry {
    name: "deep-page",
    about: "GET /entities?type=...&offset=N/2&limit=100 (expects 200)",
    build: |c| build(c, Shape::DeepPage),
};

#[derive(Clone, Copy)]
enum Shape {
    TypeQ,
    Near,
    Within,
    DeepPage,
}

struct Queries {
    cfg: ScenarioConfig,
    shape: Shape,
}

fn build(cfg: &ScenarioConfig, shape: Shape) -> Box<dyn Scenario> {
    Box::new(Queries { cfg: *cfg, shape })
}

impl Queries {
    fn path(&self, r: u64) -> String {
        let pop = self.cfg.population();
        let n = self.cfg.entities.max(1);
        match self.shape {
            Shape::TypeQ => {
                // Levels are uniform in [0.4, 8.0) over a third of the population.
                let width = (7.6 * 100.0 / (f64::from(n) / 3.0)).min(7.6);
                let lo = 0.4 + (r % 10_000) as f64 / 10_000.0 * (7.6 - width);
                format!(
                    "{API}/entities?type=WaterObserved&q=waterLevel%3D%3D{lo:.5}..{:.5}&limit=100",
                    lo + width
                )
            }
            Shape::Near => {
                let (lon, lat) = pop.location((r % u64::from(n)) as u32);
                format!(
                    "{API}/entities?georel=near%3BmaxDistance%3D%3D1000&geometry=Point&coordinates=%5B{lon:.5}%2C{lat:.5}%5D&limit=100"
                )
            }
            Shape::Within => {
                let (lon, lat) = pop.location((r % u64::from(n)) as u32);
                let d = 0.05;
                let (a, b, c, e) = (lon - d, lat - d, lon + d, lat + d);
                format!(
                    "{API}/entities?type=AirQualityObserved&georel=within&geometry=Polygon&coordinates=%5B%5B%5B{a:.4}%2C{b:.4}%5D%2C%5B{c:.4}%2C{b:.4}%5D%2C%5B{c:.4}%2C{e:.4}%5D%2C%5B{a:.4}%2C{e:.4}%5D%2C%5B{a:.4}%2C{b:.4}%5D%5D%5D&limit=100"
                )
            }
            Shape::DeepPage => {
                let offset = (f64::from(n) / 3.0 / 2.0) as u64 + r % 1000;
                format!("{API}/entities?type=TrafficFlowObserved&offset={offset}&limit=100")
            }
        }
    }
}

impl Scenario for Queries {
    fn name(&self) -> &'static str {
        match self.shape {
            Shape::TypeQ => TYPE_Q.name,
            Shape::Near => GEO_NEAR.name,
            Shape::Within => GEO_WITHIN.name,
            Shape::DeepPage => DEEP_PAGE.name,
        }
    }

    fn prepare<'a>(&'a self, client: &'a Client) -> BoxFuture<'a, Result<(), LoadError>> {
        Box::pin(seed_population(
            client,
            self.name(),
            self.cfg.population(),
            self.cfg.now_unix,
        ))
    }

    fn next_request(&self, worker: usize, i: u64) -> Request {
        let r = mix3(self.cfg.seed ^ 0x7175_6572, worker as u64, i);
        Request::get(uri(self.path(r)).unwrap_or_default(), &[200], 100)
    }
}
