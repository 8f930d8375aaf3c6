//! Reading a series: the instances whose selected temporal property falls in a range, merged
//! from the memtable and the partition files, de-duplicated by identity, and cut to the first or
//! last N without decoding chunks that cannot contribute.
//!
//! Owns the read side of [`Db`]; renders nothing.

use std::collections::HashSet;
use std::sync::Arc;

use ngsi::{NgsiError, Timestamp};
use query::temporal::TimeProperty;

use crate::chunk::{self, Summary};
use crate::db::Db;
use crate::model::{Inst, InstKey, SeriesId};
use crate::partition::{By, Partition};

/// Which instances of a series a read selects, and by which time they are ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Select {
    /// The temporal property instances are filtered and ordered by.
    pub prop: TimeProperty,
    /// `[lo, hi)`; when `filter` is false, instances lacking `prop` are selected and ordered by
    /// their instance time instead.
    pub lo: Timestamp,
    pub hi: Timestamp,
    pub filter: bool,
}

impl Select {
    /// Everything, ordered by `prop`.
    pub fn all(prop: TimeProperty) -> Self {
        Self {
            prop,
            lo: i64::MIN,
            hi: i64::MAX,
            filter: false,
        }
    }

    /// The time an instance is selected and ordered by; None when not selected.
    pub fn key(&self, i: &Inst) -> Option<Timestamp> {
        let t = match i.time_of(self.prop) {
            Some(t) => t,
            None if self.filter => return None,
            None => i.t,
        };
        (t >= self.lo && t < self.hi).then_some(t)
    }

    /// Whether chunk time ranges bound the ordering times (they are kept for the instance time).
    fn prunable(&self) -> bool {
        self.prop == TimeProperty::ObservedAt
    }

    fn by(&self) -> By {
        match self.prop {
            TimeProperty::ObservedAt => By::T,
            _ if !self.filter => By::T,
            _ => By::Rec,
        }
    }
}

/// How many of the selected instances a read returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Take {
    All,
    /// The first n in time order.
    First(usize),
    /// The last n in time order.
    Last(usize),
}

/// A selected instance with its ordering time.
pub type Keyed = (Timestamp, Inst);

impl Db {
    /// The selected instances of `series`, in ascending time order (ties by identity).
    pub fn instances(
        &self,
        series: SeriesId,
        sel: &Select,
        take: Take,
    ) -> Result<Vec<Keyed>, NgsiError> {
        let mut found: Vec<Keyed> = Vec::new();
        let mut seen: HashSet<InstKey> = HashSet::new();
        self.mem_part(series, sel, &mut found, &mut seen);
        let (parts, desc) = self.plan(sel, take);
        for p in parts {
            if let Take::Last(n) = take
                && sel.prunable()
                && threshold(&mut found, n, true).is_some_and(|t| t >= p.end)
            {
                break;
            }
            self.scan_part(&p, series, sel, take, desc, &seen, &mut found)?;
        }
        found.sort_by_key(|(t, i)| (*t, i.id));
        match take {
            Take::All => {}
            Take::First(n) => found.truncate(n),
            Take::Last(n) => {
                let cut = found.len().saturating_sub(n);
                found.drain(..cut);
            }
        }
        Ok(found)
    }

    /// Calls `f` for every selected instance of `series`, in no particular order.
    pub fn fold(
        &self,
        series: SeriesId,
        sel: &Select,
        f: &mut dyn FnMut(Timestamp, &Inst),
    ) -> Result<(), NgsiError> {
        let mut mem: Vec<Keyed> = Vec::new();
        let mut seen: HashSet<InstKey> = HashSet::new();
        self.mem_part(series, sel, &mut mem, &mut seen);
        for (t, i) in &mem {
            f(*t, i);
        }
        let (parts, _) = self.plan(sel, Take::All);
        for p in parts {
            let mut rows = Vec::new();
            p.scan(series, sel.by(), (sel.lo, sel.hi), false, &mut |row| {
                rows.push(row);
                true
            })?;
            for row in rows {
                for i in chunk::decode(&row.data)? {
                    if let Some(t) = sel.key(&i)
                        && !seen.contains(&i.id)
                    {
                        f(t, &i);
                    }
                }
            }
        }
        Ok(())
    }

    /// Whether `series` has any selected instance.
    pub fn has_any(&self, series: SeriesId, sel: &Select) -> Result<bool, NgsiError> {
        Ok(!self.instances(series, sel, Take::First(1))?.is_empty())
    }

    /// The latest instance strictly before `t` (by `prop`, or by instance time for instances
    /// without it): the attribute's state as of `t`.
    pub fn as_of(
        &self,
        series: SeriesId,
        prop: TimeProperty,
        t: Timestamp,
    ) -> Result<Option<Inst>, NgsiError> {
        let sel = Select {
            prop,
            lo: i64::MIN,
            hi: t,
            filter: false,
        };
        Ok(self
            .instances(series, &sel, Take::Last(1))?
            .pop()
            .map(|(_, i)| i))
    }

    fn mem_part(
        &self,
        series: SeriesId,
        sel: &Select,
        found: &mut Vec<Keyed>,
        seen: &mut HashSet<InstKey>,
    ) {
        let mut buf = Vec::new();
        self.mem
            .lock()
            .collect(series, &|i| sel.key(i).is_some(), &mut buf);
        for i in buf {
            seen.insert(i.id);
            if let Some(t) = sel.key(&i) {
                found.push((t, i));
            }
        }
    }

    fn plan(&self, sel: &Select, take: Take) -> (Vec<Arc<Partition>>, bool) {
        let mut parts = match sel.by() {
            By::T => self.parts_for(sel.lo, sel.hi, false),
            By::Rec => self.parts_for(sel.lo, sel.hi, true),
        };
        let desc = matches!(take, Take::Last(_));
        if desc {
            parts.reverse();
        }
        (parts, desc)
    }

    #[allow(clippy::too_many_arguments)]
    fn scan_part(
        &self,
        p: &Partition,
        series: SeriesId,
        sel: &Select,
        take: Take,
        desc: bool,
        seen: &HashSet<InstKey>,
        found: &mut Vec<Keyed>,
    ) -> Result<(), NgsiError> {
        let mut rows = Vec::new();
        p.scan(series, sel.by(), (sel.lo, sel.hi), desc, &mut |row| {
            rows.push(row);
            true
        })?;
        for row in rows {
            if !wanted(&row.summary, sel, take, found) {
                if sel.prunable() && matches!(take, Take::Last(_)) {
                    break;
                }
                continue;
            }
            for i in chunk::decode(&row.data)? {
                if let Some(t) = sel.key(&i)
                    && !seen.contains(&i.id)
                {
                    found.push((t, i));
                }
            }
        }
        Ok(())
    }
}

/// Whether a chunk can still contribute to the first/last n found so far.
fn wanted(s: &Summary, sel: &Select, take: Take, found: &mut Vec<Keyed>) -> bool {
    if !sel.prunable() {
        return true;
    }
    match take {
        Take::All => true,
        Take::First(n) => threshold(found, n, false).is_none_or(|t| s.tmin <= t),
        Take::Last(n) => threshold(found, n, true).is_none_or(|t| s.tmax >= t),
    }
}

/// The n-th best time found so far (smallest for first, largest for last), trimming `found`
/// to its best n so that it stays small.
fn threshold(found: &mut Vec<Keyed>, n: usize, last: bool) -> Option<Timestamp> {
    if n == 0 || found.len() < n {
        return None;
    }
    if last {
        found.sort_by_key(|(t, i)| std::cmp::Reverse((*t, i.id)));
    } else {
        found.sort_by_key(|(t, i)| (*t, i.id));
    }
    found.truncate(n);
    found.last().map(|(t, _)| *t)
}
