//! The Rust face of history for other twinisle components (the smart brain, the dashboard's
//! replay): record observed values, read the last N, aggregate over periods. Names are
//! expanded IRIs; the same storage and rules as the temporal API apply.

use std::sync::Arc;

use ngsi::model::AttrKind;
use ngsi::{NgsiError, Sym, Timestamp};
use query::temporal::TimeProperty;
use serde_json::Value;

use crate::aggregate::Method;
use crate::duration::{IsoDuration, Periods};
use crate::handle::History;
use crate::model::{Inst, InstKey, Val, instance_id};
use crate::read::{Select, Take};
use crate::write::AttrInstances;

/// One instance as the Rust API returns it.
#[derive(Debug, Clone, PartialEq)]
pub struct Point {
    /// Its `observedAt`, or when it was recorded if it has none.
    pub time: Timestamp,
    /// The value (`urn:ngsi-ld:null` for a deletion record).
    pub value: Value,
    pub instance_id: String,
}

/// Per aggregation method, `[value, period start, period end]` for each period with data.
pub type Aggregates = Vec<(String, Vec<(Value, Timestamp, Timestamp)>)>;

impl History {
    /// Adds observed values of attribute `attr` (a Property, default dataset) to an entity's
    /// temporal evolution, durably. Like `POST /temporal/entities`, it does not touch the
    /// entity's current state.
    pub async fn record(
        &self,
        tenant: &str,
        entity: &str,
        types: &[Sym],
        attr: &Sym,
        points: Vec<(Timestamp, Value)>,
    ) -> Result<(), NgsiError> {
        let now = ngsi::time::now();
        let insts = points
            .into_iter()
            .map(|(t, v)| Inst {
                t,
                observed: true,
                rec: now,
                modified: now,
                kind: AttrKind::Property,
                id: InstKey { key: 0, sub: 0 },
                value: Val::from_json(&v),
                meta: None,
            })
            .collect();
        let (tenant, entity, types) =
            (tenant.to_string(), Arc::<str>::from(entity), types.to_vec());
        let attrs = vec![AttrInstances {
            attr: attr.clone(),
            dataset: None,
            insts,
        }];
        self.write(move |db| db.insert_direct(&tenant, &entity, &types, attrs))
            .await
    }

    /// The last `n` instances (by `observedAt`) of an attribute's default dataset, most recent
    /// first. Shows every write acknowledged before the call.
    pub async fn last_n(
        &self,
        tenant: &str,
        entity: &str,
        attr: &str,
        n: usize,
    ) -> Result<Vec<Point>, NgsiError> {
        self.catch_up().await;
        let (tenant, entity, attr) = (tenant.to_string(), entity.to_string(), attr.to_string());
        self.read(move |db| {
            let Some(s) = series(db, &tenant, &entity, &attr) else {
                return Ok(Vec::new());
            };
            let found = db.instances(s, &Select::all(TimeProperty::ObservedAt), Take::Last(n))?;
            Ok(found
                .into_iter()
                .rev()
                .map(|(time, i)| Point {
                    time,
                    value: i.value.to_json(),
                    instance_id: instance_id(s, i.id),
                })
                .collect())
        })
        .await
    }

    /// Aggregates an attribute's default dataset over `[lo, hi)` in periods of `period` (ISO
    /// 8601, e.g. `PT1H`) with the given methods (`avg`, `max`, `totalCount`, ...).
    pub async fn aggregate(
        &self,
        tenant: &str,
        entity: &str,
        attr: &str,
        (lo, hi): (Timestamp, Timestamp),
        period: &str,
        methods: &[&str],
    ) -> Result<Aggregates, NgsiError> {
        let methods = methods
            .iter()
            .map(|m| {
                Method::parse(m)
                    .ok_or_else(|| NgsiError::bad_data(format!("unknown aggregation method {m:?}")))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let periods = Periods::new(lo, hi, &IsoDuration::parse(period)?)?;
        self.catch_up().await;
        let (tenant, entity, attr) = (tenant.to_string(), entity.to_string(), attr.to_string());
        self.read(move |db| {
            let Some(s) = series(db, &tenant, &entity, &attr) else {
                return Ok(Vec::new());
            };
            let sel = Select {
                prop: TimeProperty::ObservedAt,
                lo,
                hi,
                filter: true,
            };
            let a = db.aggregate(s, &sel, &periods, &methods)?;
            Ok(a.methods
                .into_iter()
                .map(|(m, rows)| (m.name().to_string(), rows))
                .collect())
        })
        .await
    }
}

fn series(
    db: &crate::db::Db,
    tenant: &str,
    entity: &str,
    attr: &str,
) -> Option<crate::model::SeriesId> {
    let cat = db.catalog.read();
    cat.entity(tenant, entity)?
        .series_of(attr, None)
        .map(|s| s.id)
}
