//! Aggregation of a series over periods (clause 4.5.19): the methods, what each means for each
//! kind of value (Tables 4.5.19.1-1 to -3), and the accumulators, fed straight from the stored
//! chunks by [`Db::fold`] so that no instance list is built.
//!
//! Standard deviation is the population one (the instances of a period are all of its values,
//! not a sample). Periods without any instance are left out, as in the example of clause C.5.14.

use std::collections::{BTreeMap, HashSet};

use ngsi::model::AttrKind;
use ngsi::{NgsiError, Timestamp};
use serde_json::Value;

use crate::db::Db;
use crate::duration::Periods;
use crate::model::{Inst, SeriesId, Val};
use crate::read::Select;

/// An aggregation method.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Method {
    TotalCount,
    DistinctCount,
    Sum,
    Avg,
    Min,
    Max,
    Stddev,
    Sumsq,
}

impl Method {
    pub const ALL: [Method; 8] = [
        Self::TotalCount,
        Self::DistinctCount,
        Self::Sum,
        Self::Avg,
        Self::Min,
        Self::Max,
        Self::Stddev,
        Self::Sumsq,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Self::TotalCount => "totalCount",
            Self::DistinctCount => "distinctCount",
            Self::Sum => "sum",
            Self::Avg => "avg",
            Self::Min => "min",
            Self::Max => "max",
            Self::Stddev => "stddev",
            Self::Sumsq => "sumsq",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.name() == s)
    }

    /// Whether the method applies to a value of this kind and JSON shape.
    pub fn applies(self, kind: AttrKind, v: &Val) -> bool {
        use Method::*;
        if matches!(self, TotalCount | DistinctCount) {
            return true;
        }
        if kind != AttrKind::Property {
            return false;
        }
        match v {
            Val::Int(_) | Val::Float(_) => true,
            Val::Json(j) => match &**j {
                Value::Bool(_) => true,
                Value::String(_) => matches!(self, Min | Max),
                Value::Array(_) => matches!(self, Sum | Avg | Min | Max),
                _ => false,
            },
            Val::Deleted => false,
        }
    }
}

/// What a period's instances add up to.
#[derive(Debug, Default)]
struct Acc {
    /// Whether distinct values are tracked (only when distinctCount is asked for).
    distinct_on: bool,
    count: u64,
    distinct: HashSet<String>,
    n: u64,
    sum: f64,
    sumsq: f64,
    mean: f64,
    m2: f64,
    min: Option<f64>,
    max: Option<f64>,
    min_s: Option<String>,
    max_s: Option<String>,
}

impl Acc {
    fn add(&mut self, v: &Val) {
        self.count += 1;
        if self.distinct_on {
            self.distinct.insert(distinct_key(v));
        }
        let number = match v {
            Val::Json(j) => match &**j {
                Value::Array(a) => Some(a.len() as f64),
                Value::String(s) => {
                    keep(&mut self.min_s, s, |a, b| a < b);
                    keep(&mut self.max_s, s, |a, b| a > b);
                    None
                }
                _ => v.number(),
            },
            _ => v.number(),
        };
        if let Some(x) = number {
            self.n += 1;
            self.sum += x;
            self.sumsq += x * x;
            let d = x - self.mean;
            self.mean += d / self.n as f64;
            self.m2 += d * (x - self.mean);
            self.min = Some(self.min.map_or(x, |m| m.min(x)));
            self.max = Some(self.max.map_or(x, |m| m.max(x)));
        }
    }

    fn value(&self, m: Method) -> Value {
        let num = |x: f64| serde_json::Number::from_f64(x).map_or(Value::Null, Value::Number);
        let has = self.n > 0;
        match m {
            Method::TotalCount => Value::from(self.count),
            Method::DistinctCount => Value::from(self.distinct.len() as u64),
            Method::Sum if has => num(self.sum),
            Method::Avg if has => num(self.sum / self.n as f64),
            Method::Stddev if has => num((self.m2 / self.n as f64).max(0.0).sqrt()),
            Method::Sumsq if has => num(self.sumsq),
            Method::Min => self
                .min
                .map(num)
                .or_else(|| self.min_s.clone().map(Value::String))
                .unwrap_or(Value::Null),
            Method::Max => self
                .max
                .map(num)
                .or_else(|| self.max_s.clone().map(Value::String))
                .unwrap_or(Value::Null),
            _ => Value::Null,
        }
    }
}

fn keep(slot: &mut Option<String>, s: &str, better: fn(&str, &str) -> bool) {
    if slot.as_deref().is_none_or(|cur| better(s, cur)) {
        *slot = Some(s.to_string());
    }
}

fn distinct_key(v: &Val) -> String {
    match v.number() {
        Some(x) if !matches!(v, Val::Json(_)) => format!("n{}", x.to_bits()),
        _ => v.to_json().to_string(),
    }
}

/// Per period with instances: the aggregated value, the period's start and end.
pub type Rows = Vec<(Value, Timestamp, Timestamp)>;

/// The aggregated values of one series: per method, `[value, start, end]` for each period
/// that holds instances.
#[derive(Debug, Default, PartialEq)]
pub struct Aggregated {
    pub kind: Option<AttrKind>,
    pub methods: Vec<(Method, Rows)>,
    /// A method that does not apply to some instance's value (clause 5.7.4.4: InvalidRequest
    /// when the attribute was asked for explicitly).
    pub ineligible: Option<Method>,
}

impl Db {
    /// Aggregates the instances `sel` selects from `series` over `periods`.
    pub fn aggregate(
        &self,
        series: SeriesId,
        sel: &Select,
        periods: &Periods,
        methods: &[Method],
    ) -> Result<Aggregated, NgsiError> {
        let mut accs: BTreeMap<u64, Acc> = BTreeMap::new();
        let mut kind = None;
        let mut ineligible = None;
        let distinct_on = methods.contains(&Method::DistinctCount);
        self.fold(series, sel, &mut |t, i: &Inst| {
            if i.deleted() {
                return;
            }
            let Some(p) = periods.index(t) else { return };
            kind.get_or_insert(i.kind);
            if ineligible.is_none() {
                ineligible = methods
                    .iter()
                    .copied()
                    .find(|m| !m.applies(i.kind, &i.value));
            }
            accs.entry(p)
                .or_insert_with(|| Acc {
                    distinct_on,
                    ..Acc::default()
                })
                .add(&i.value);
        })?;
        let methods = methods
            .iter()
            .map(|&m| {
                let rows = accs
                    .iter()
                    .map(|(p, acc)| {
                        let (start, end) = periods.bounds(*p);
                        (acc.value(m), start, end)
                    })
                    .collect();
                (m, rows)
            })
            .collect();
        Ok(Aggregated {
            kind,
            methods,
            ineligible,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::sync::Arc;

    fn acc(vals: &[Val]) -> Acc {
        let mut a = Acc {
            distinct_on: true,
            ..Acc::default()
        };
        for v in vals {
            a.add(v);
        }
        a
    }

    #[test]
    fn numbers_booleans_strings_and_arrays() {
        let a = acc(&[Val::Int(2), Val::Float(4.0), Val::Int(2)]);
        assert_eq!(a.value(Method::Avg), json!(8.0 / 3.0));
        assert_eq!(a.value(Method::DistinctCount), json!(2));
        assert_eq!(a.value(Method::TotalCount), json!(3));
        assert_eq!(a.value(Method::Sumsq), json!(24.0));
        let sd = a.value(Method::Stddev).as_f64().unwrap();
        assert!((sd - (8.0f64 / 9.0).sqrt()).abs() < 1e-12);
        let b = acc(&[
            Val::Json(Arc::new(json!(true))),
            Val::Json(Arc::new(json!(false))),
        ]);
        assert_eq!(
            (b.value(Method::Avg), b.value(Method::Max)),
            (json!(0.5), json!(1.0))
        );
        let s = acc(&[
            Val::Json(Arc::new(json!("b"))),
            Val::Json(Arc::new(json!("a"))),
        ]);
        assert_eq!(
            (s.value(Method::Min), s.value(Method::Max)),
            (json!("a"), json!("b"))
        );
        let arr = acc(&[
            Val::Json(Arc::new(json!([1, 2]))),
            Val::Json(Arc::new(json!([1]))),
        ]);
        assert_eq!(arr.value(Method::Sum), json!(3.0));
    }

    #[test]
    fn eligibility_follows_the_tables() {
        let s = Val::Json(Arc::new(json!("x")));
        assert!(!Method::Avg.applies(AttrKind::Property, &s));
        assert!(Method::Max.applies(AttrKind::Property, &s));
        let rel = Val::Json(Arc::new(json!("urn:x:1")));
        assert!(!Method::Max.applies(AttrKind::Relationship, &rel));
        assert!(Method::DistinctCount.applies(AttrKind::Relationship, &rel));
        let obj = Val::Json(Arc::new(json!({"a": 1})));
        assert!(!Method::Min.applies(AttrKind::Property, &obj));
        assert_eq!(Method::parse("stddev"), Some(Method::Stddev));
        assert_eq!(Method::parse("median"), None);
    }
}
