//! Reading what a temporal answer holds, entity by entity, and cutting it to the configured
//! maximum of instances per attribute with the range semantics of clause 6.3.10: without
//! `lastN` the answer pages forwards (oldest first), with `lastN` backwards; every attribute is
//! cut at the same instant, and the `Content-Range` header says where the answer stops.

use std::sync::Arc;

use ngsi::{NgsiError, Timestamp, time};
use query::temporal::TimeRel;

use crate::catalog::{EntityInfo, SeriesInfo};
use crate::db::Db;
use crate::duration::Periods;
use crate::read::{Select, Take};

use super::params::{Shape, TemporalRead};
use super::render::SeriesData;

/// The data of one entity's answer.
pub struct EntityData {
    pub info: EntityInfo,
    pub series: Vec<(Arc<SeriesInfo>, SeriesData)>,
}

/// Truncation state across an answer.
#[derive(Debug, Default)]
pub struct Paging {
    truncated: bool,
    boundary: Option<Timestamp>,
}

/// The series of `e` the read asks for.
pub fn wanted_series<'a>(
    e: &'a EntityInfo,
    r: &'a TemporalRead,
) -> impl Iterator<Item = &'a Arc<SeriesInfo>> + 'a {
    e.series
        .iter()
        .filter(|s| r.projection.keeps(&s.attr) && r.keeps_dataset(s.dataset.as_ref()))
}

/// Reads one entity's answer; series without data are left out.
pub fn entity(
    db: &Db,
    e: &EntityInfo,
    r: &TemporalRead,
    cap: usize,
    paging: &mut Paging,
) -> Result<EntityData, NgsiError> {
    let sel = r.select();
    let mut series = Vec::new();
    for s in wanted_series(e, r) {
        let data = match &r.shape {
            Shape::Aggregated { methods, period } => {
                let Some(periods) = periods(db, s, &sel, r, period)? else {
                    continue;
                };
                let a = db.aggregate(s.id, &sel, &periods, methods)?;
                if let Some(m) = a.ineligible.filter(|_| r.attrs_named) {
                    return Err(NgsiError::invalid(format!(
                        "aggregation method {} does not apply to the values of attribute {} (clause 4.5.19.1)",
                        m.name(),
                        s.attr
                    )));
                }
                if a.methods.iter().all(|(_, rows)| rows.is_empty()) {
                    continue;
                }
                SeriesData::Aggregated(a)
            }
            _ => {
                let v = instances(db, s, &sel, r, cap, paging)?;
                if v.is_empty() {
                    continue;
                }
                SeriesData::Instances(v)
            }
        };
        series.push((s.clone(), data));
    }
    Ok(EntityData {
        info: e.clone(),
        series,
    })
}

fn instances(
    db: &Db,
    s: &SeriesInfo,
    sel: &Select,
    r: &TemporalRead,
    cap: usize,
    paging: &mut Paging,
) -> Result<Vec<crate::read::Keyed>, NgsiError> {
    let take = match r.last_n {
        Some(n) if n <= cap => Take::Last(n),
        Some(_) => Take::Last(cap + 1),
        None => Take::First(cap + 1),
    };
    let mut v = db.instances(s.id, sel, take)?;
    if v.len() > cap {
        paging.truncated = true;
        if r.last_n.is_some() {
            v.drain(..v.len() - cap);
            let first = v.first().map(|(t, _)| *t);
            paging.boundary = paging.boundary.max(first);
        } else {
            v.truncate(cap);
            let last = v.last().map(|(t, _)| *t);
            paging.boundary = match (paging.boundary, last) {
                (Some(b), Some(l)) => Some(b.min(l)),
                (b, l) => b.or(l),
            };
        }
    }
    Ok(v)
}

/// The aggregation periods of a series: from `timeAt` (or its first instance) to `endTimeAt`
/// (or `timeAt` for `before`, or just past its last instance). None when it has no instance.
fn periods(
    db: &Db,
    s: &SeriesInfo,
    sel: &Select,
    r: &TemporalRead,
    d: &crate::duration::IsoDuration,
) -> Result<Option<Periods>, NgsiError> {
    let rel = r.tq.map(|q| q.timerel);
    let lo = match (rel, r.tq) {
        (Some(TimeRel::After | TimeRel::Between), Some(q)) => q.time_at,
        _ => match db.instances(s.id, sel, Take::First(1))?.first() {
            Some((t, _)) => *t,
            None => return Ok(None),
        },
    };
    let hi = match (rel, r.tq) {
        (Some(TimeRel::Between), Some(q)) => q.end_time_at.unwrap_or(i64::MAX),
        (Some(TimeRel::Before), Some(q)) => q.time_at,
        _ => match db.instances(s.id, sel, Take::Last(1))?.last() {
            Some((t, _)) => t.saturating_add(1),
            None => return Ok(None),
        },
    };
    Periods::new(lo, hi, d).map(Some)
}

impl Paging {
    /// Cuts every attribute at the common boundary and returns the `Content-Range` value, when
    /// the answer is partial.
    pub fn finish(&self, answer: &mut [EntityData], r: &TemporalRead) -> Option<String> {
        let (true, Some(b)) = (self.truncated, self.boundary) else {
            return None;
        };
        let backward = r.last_n.is_some();
        let (mut min, mut max) = (i64::MAX, i64::MIN);
        for e in answer.iter_mut() {
            for (_, d) in e.series.iter_mut() {
                if let SeriesData::Instances(v) = d {
                    v.retain(|(t, _)| if backward { *t >= b } else { *t <= b });
                    for (t, _) in v.iter() {
                        min = min.min(*t);
                        max = max.max(*t);
                    }
                }
            }
            e.series
                .retain(|(_, d)| !matches!(d, SeriesData::Instances(v) if v.is_empty()));
        }
        let rel = r.tq.map(|q| q.timerel);
        let (start, end, size) = if backward {
            let start = match (rel, r.tq) {
                (Some(TimeRel::Before), Some(q)) => q.time_at,
                (Some(TimeRel::Between), Some(q)) => q.end_time_at.unwrap_or(max),
                _ => max,
            };
            (start, min, r.last_n.unwrap_or(0).to_string())
        } else {
            let start = match (rel, r.tq) {
                (Some(TimeRel::After | TimeRel::Between), Some(q)) => q.time_at,
                _ => min,
            };
            (start, max, "*".to_string())
        };
        Some(format!(
            "DateTime {}-{}/{size}",
            time::format(start),
            time::format(end)
        ))
    }
}
