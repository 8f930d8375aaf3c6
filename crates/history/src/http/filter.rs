//! The instance-based filters of clause 5.7.4.4 for `GET /temporal/entities`: an entity is kept
//! when some selected attribute has an instance in the temporal interval, when its state matched
//! `q` at some moment of the interval (its state at the interval's start, then after each
//! instance in it), and when some state of its GeoProperty during the interval meets the
//! geo-query. States are ordered by instance time: `observedAt`, or when recorded without one.

use ngsi::{Entity, NgsiError, Timestamp};

use crate::catalog::EntityInfo;
use crate::db::Db;
use crate::model::Inst;
use crate::read::Take;

use super::collect::wanted_series;
use super::params::TemporalRead;
use super::render::{Metas, attribute};
use super::select::EntitySelection;

/// Whether `e` passes the temporal, `q` and geo filters.
pub fn passes(
    db: &Db,
    e: &EntityInfo,
    r: &TemporalRead,
    sel: &EntitySelection,
) -> Result<bool, NgsiError> {
    let s = r.select();
    let mut any = false;
    for series in wanted_series(e, r) {
        if db.has_any(series.id, &s)? {
            any = true;
            break;
        }
    }
    if !any {
        return Ok(false);
    }
    if let Some(q) = &sel.q
        && !states(db, e, r, None, &mut |state| q.matches(state))?
    {
        return Ok(false);
    }
    if let (Some(geo), Some(prop)) = (&sel.geo, sel.geo_property())
        && !states(db, e, r, Some(prop), &mut |state| geo.matches_entity(state))?
    {
        return Ok(false);
    }
    Ok(true)
}

/// Walks the entity's states through the interval (only attribute `only`, if given) and tells
/// whether `test` held for any of them.
fn states(
    db: &Db,
    e: &EntityInfo,
    r: &TemporalRead,
    only: Option<&ngsi::Sym>,
    test: &mut dyn FnMut(&Entity) -> bool,
) -> Result<bool, NgsiError> {
    // States follow every instance in instance time, including those that lack the queried
    // temporal property (a location set once, without observedAt, is still where it is).
    let sel = crate::read::Select {
        filter: false,
        ..r.select()
    };
    let mut state = Entity::new(e.id.clone(), e.types.clone(), 0);
    state.scope = e.scope.clone();
    let mut metas = Metas::new();
    let mut events: Vec<(Timestamp, usize, Inst)> = Vec::new();
    let series: Vec<_> = e
        .series
        .iter()
        .filter(|s| only.is_none_or(|o| s.attr == *o))
        .collect();
    for (n, s) in series.iter().enumerate() {
        if sel.lo > i64::MIN
            && let Some(i) = db.as_of(s.id, sel.prop, sel.lo)?
        {
            set(&mut state, s, &i, &mut metas);
        }
        for (t, i) in db.instances(s.id, &sel, Take::All)? {
            events.push((t, n, i));
        }
    }
    if test(&state) {
        return Ok(true);
    }
    events.sort_by_key(|(t, _, i)| (*t, i.id));
    for (k, (t, n, i)) in events.iter().enumerate() {
        set(&mut state, series[*n], i, &mut metas);
        let last_at_t = events.get(k + 1).is_none_or(|(next, _, _)| next != t);
        if last_at_t && test(&state) {
            return Ok(true);
        }
    }
    Ok(false)
}

fn set(state: &mut Entity, s: &crate::catalog::SeriesInfo, i: &Inst, metas: &mut Metas) {
    if i.deleted() {
        state.remove_attr(&s.attr, s.dataset.as_deref());
    } else {
        state.put_attr(attribute(s, i, metas));
    }
}
