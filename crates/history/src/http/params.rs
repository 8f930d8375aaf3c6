//! The parameters of a temporal read (clauses 6.18.3.2, 6.19.3.1, 6.3.10-6.3.12, 5.2.21): the
//! temporal query, `lastN`, the representation (`format`/`options`), aggregation methods and
//! period, projection, `datasetId` and `sysAttrs`, parsed and validated once per request.

use ngsi::context::CompiledContext;
use ngsi::render::Projection;
use ngsi::{NgsiError, Sym};
use query::temporal::{TemporalQuery, TimeProperty};

use api::extract::{MediaType, Params};

use crate::aggregate::Method;
use crate::duration::IsoDuration;
use crate::read::Select;

/// URL parameters of Retrieve Temporal Evolution of an Entity (Table 6.19.3.1-1).
pub const RETRIEVE_PARAMS: &[&str] = &[
    "aggrMethods",
    "aggrPeriodDuration",
    "attrs",
    "datasetId",
    "endTimeAt",
    "lang",
    "lastN",
    "omit",
    "pick",
    "timeAt",
    "timeproperty",
    "timerel",
    "options",
    "format",
    "local",
    "entityMap",
    "entityMapLifetime",
];

/// URL parameters of Query Temporal Evolution of Entities (Table 6.18.3.2-1), plus pagination.
pub const QUERY_PARAMS: &[&str] = &[
    "aggrMethods",
    "aggrPeriodDuration",
    "attrs",
    "collation",
    "coordinates",
    "csf",
    "datasetId",
    "endTimeAt",
    "entityMap",
    "entityMapLifetime",
    "expandValues",
    "geometry",
    "geoproperty",
    "georel",
    "id",
    "idPattern",
    "jsonKeys",
    "lang",
    "lastN",
    "omit",
    "orderBy",
    "pick",
    "q",
    "scopeQ",
    "splitEntities",
    "timeAt",
    "timeproperty",
    "timerel",
    "type",
    "limit",
    "offset",
    "count",
    "options",
    "format",
    "local",
];

/// The representation asked for (clause 6.3.12).
#[derive(Debug, Clone, PartialEq)]
pub enum Shape {
    /// Clauses 4.5.7, 4.5.8.
    Normalized,
    /// `temporalValues`, clause 4.5.9.
    Simplified,
    /// `aggregatedValues`, clause 4.5.19.
    Aggregated {
        methods: Vec<Method>,
        period: IsoDuration,
    },
}

/// A parsed temporal read.
#[derive(Debug, Clone)]
pub struct TemporalRead {
    pub tq: Option<TemporalQuery>,
    pub last_n: Option<usize>,
    pub shape: Shape,
    pub sys_attrs: bool,
    pub lang: Option<String>,
    pub projection: Projection,
    /// Whether attributes were named (`attrs`/`pick`): aggregation eligibility is then strict.
    pub attrs_named: bool,
    /// `datasetId` filter: `None` in the list stands for `@none` (the default instance).
    pub datasets: Option<Vec<Option<Sym>>>,
    pub accept: MediaType,
}

impl TemporalRead {
    /// Parses the representation and temporal parameters of `p`.
    pub fn parse(p: &Params, ctx: &CompiledContext, accept: MediaType) -> Result<Self, NgsiError> {
        let tq = TemporalQuery::parse(
            p.get("timerel"),
            p.get("timeAt"),
            p.get("endTimeAt"),
            p.get("timeproperty"),
        )?;
        let last_n = match p.get("lastN") {
            None => None,
            Some(v) => Some(v.parse::<usize>().ok().filter(|n| *n > 0).ok_or_else(|| {
                NgsiError::bad_data(format!("lastN must be a positive integer, not {v:?}"))
            })?),
        };
        let (shape, sys_attrs) = shape(p)?;
        let mut proj_pairs = Vec::new();
        for k in ["attrs", "pick", "omit", "lang"] {
            if let Some(v) = p.get(k) {
                proj_pairs.push((k.to_string(), v.to_string()));
            }
        }
        let shaped = api::respond::shape(&Params::from_pairs(proj_pairs), ctx, MediaType::Json)?;
        Ok(Self {
            tq,
            last_n,
            shape,
            sys_attrs,
            lang: shaped.lang,
            projection: shaped.projection,
            attrs_named: p.get("attrs").is_some() || p.get("pick").is_some(),
            datasets: datasets(p)?,
            accept,
        })
    }

    /// The temporal property instances are filtered and ordered by.
    pub fn prop(&self) -> TimeProperty {
        self.tq.map_or(TimeProperty::ObservedAt, |q| q.timeproperty)
    }

    /// The read's selection over a series.
    pub fn select(&self) -> Select {
        match self.tq {
            None => Select::all(TimeProperty::ObservedAt),
            Some(q) => {
                let (lo, hi) = q.bounds();
                Select {
                    prop: q.timeproperty,
                    lo: lo.unwrap_or(i64::MIN),
                    hi: hi.unwrap_or(i64::MAX),
                    filter: true,
                }
            }
        }
    }

    /// Whether the series of `dataset` is selected by `datasetId`.
    pub fn keeps_dataset(&self, dataset: Option<&Sym>) -> bool {
        self.datasets
            .as_ref()
            .is_none_or(|list| list.iter().any(|d| d.as_ref() == dataset))
    }
}

fn shape(p: &Params) -> Result<(Shape, bool), NgsiError> {
    let mut temporal = false;
    let mut aggregated = false;
    let mut sys_attrs = false;
    for o in p.list("options").unwrap_or_default() {
        match o {
            "temporalValues" => temporal = true,
            "aggregatedValues" => aggregated = true,
            "sysAttrs" => sys_attrs = true,
            "normalized" => {}
            other => {
                return Err(NgsiError::invalid(format!(
                    "option {other:?} is not supported by temporal operations (clause 6.3.20); use temporalValues, aggregatedValues or sysAttrs"
                )));
            }
        }
    }
    if temporal && aggregated {
        return Err(NgsiError::bad_data(
            "options may hold only one of temporalValues and aggregatedValues (clause 6.3.12)",
        ));
    }
    // `format` takes precedence over `options`.
    if let Some(f) = p.get("format") {
        (temporal, aggregated) = match f {
            "temporalValues" => (true, false),
            "aggregatedValues" => (false, true),
            "normalized" => (false, false),
            other => {
                return Err(NgsiError::bad_data(format!(
                    "format {other:?} is not a temporal representation; use temporalValues or aggregatedValues"
                )));
            }
        };
    }
    let shape = if aggregated {
        aggregation(p)?
    } else if temporal {
        Shape::Simplified
    } else {
        Shape::Normalized
    };
    Ok((shape, sys_attrs))
}

fn aggregation(p: &Params) -> Result<Shape, NgsiError> {
    let names = p
        .list("aggrMethods")
        .filter(|l| !l.is_empty())
        .ok_or_else(|| {
            NgsiError::bad_data(
                "aggrMethods is required with the aggregated representation (aggregatedValues)",
            )
        })?;
    let mut methods = Vec::new();
    for n in names {
        let m = Method::parse(n).ok_or_else(|| {
            NgsiError::bad_data(format!(
                "aggrMethods: unknown method {n:?}; expected totalCount, distinctCount, sum, avg, min, max, stddev or sumsq"
            ))
        })?;
        if !methods.contains(&m) {
            methods.push(m);
        }
    }
    let period = match p.get("aggrPeriodDuration") {
        None => IsoDuration {
            months: 0,
            micros: 0,
        },
        Some(text) => IsoDuration::parse(text)?,
    };
    Ok(Shape::Aggregated { methods, period })
}

fn datasets(p: &Params) -> Result<Option<Vec<Option<Sym>>>, NgsiError> {
    let Some(list) = p.list("datasetId") else {
        return Ok(None);
    };
    list.into_iter()
        .map(|d| match d {
            "@none" => Ok(None),
            d if ngsi::payload::is_uri(d) => Ok(Some(ngsi::intern(d))),
            d => Err(NgsiError::bad_data(format!(
                "datasetId {d:?} is neither a URI nor @none"
            ))),
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
}
