//! The NGSI-LD Temporal Query Language (clause 4.11; parameters of clause 6.18.3.2 and the
//! TemporalQuery type of 5.2.21): `timerel`, `timeAt`, `endTimeAt`, `timeproperty`.
//! `before` is exclusive of `timeAt`; `after` is inclusive; `between` is `[timeAt, endTimeAt)`.
//! Every problem is `BadRequestData`. `endTimeAt` is ignored unless `timerel=between` (the spec
//! says it is only used there).

use ngsi::Timestamp;

use crate::error::{QueryError, Result};

/// A temporal relation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeRel {
    Before,
    After,
    Between,
}

/// The temporal property a temporal query applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TimeProperty {
    #[default]
    ObservedAt,
    CreatedAt,
    ModifiedAt,
    DeletedAt,
}

impl TimeProperty {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ObservedAt => "observedAt",
            Self::CreatedAt => "createdAt",
            Self::ModifiedAt => "modifiedAt",
            Self::DeletedAt => "deletedAt",
        }
    }
}

/// A validated temporal query.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TemporalQuery {
    pub timerel: TimeRel,
    pub time_at: Timestamp,
    /// Set exactly when `timerel` is `between`, and then later than `time_at`.
    pub end_time_at: Option<Timestamp>,
    pub timeproperty: TimeProperty,
}

impl TemporalQuery {
    /// From the (URL-decoded) parameters. `Ok(None)` when no temporal restriction is given
    /// (neither `timerel`, `timeAt` nor `endTimeAt`); `timeproperty` is still validated.
    pub fn parse(
        timerel: Option<&str>,
        time_at: Option<&str>,
        end_time_at: Option<&str>,
        timeproperty: Option<&str>,
    ) -> Result<Option<Self>> {
        let timeproperty = timeproperty
            .map(parse_timeproperty)
            .transpose()?
            .unwrap_or_default();
        let Some(timerel) = timerel else {
            if time_at.is_some() || end_time_at.is_some() {
                return Err(QueryError::invalid(
                    "timerel",
                    "required when timeAt or endTimeAt is given",
                ));
            }
            return Ok(None);
        };
        let timerel = parse_timerel(timerel)?;
        let rel_name = || format!("required with timerel={}", timerel_name(timerel));
        let time_at = parse_date_time(
            "timeAt",
            time_at.ok_or_else(|| QueryError::invalid("timeAt", rel_name()))?,
        )?;
        let end_time_at = match timerel {
            TimeRel::Between => {
                let text =
                    end_time_at.ok_or_else(|| QueryError::invalid("endTimeAt", rel_name()))?;
                let end = parse_date_time("endTimeAt", text)?;
                if end <= time_at {
                    return Err(QueryError::invalid(
                        "endTimeAt",
                        "must be later than timeAt",
                    ));
                }
                Some(end)
            }
            TimeRel::Before | TimeRel::After => None,
        };
        Ok(Some(Self {
            timerel,
            time_at,
            end_time_at,
            timeproperty,
        }))
    }

    /// Whether a value of the temporal property satisfies the relation.
    pub fn contains(&self, t: Timestamp) -> bool {
        let (lo, hi) = self.bounds();
        lo.is_none_or(|lo| t >= lo) && hi.is_none_or(|hi| t < hi)
    }

    /// The half-open interval `[lo, hi)` of matching times (None: unbounded), for range scans.
    pub fn bounds(&self) -> (Option<Timestamp>, Option<Timestamp>) {
        match self.timerel {
            TimeRel::Before => (None, Some(self.time_at)),
            TimeRel::After => (Some(self.time_at), None),
            TimeRel::Between => (Some(self.time_at), self.end_time_at),
        }
    }
}

fn timerel_name(r: TimeRel) -> &'static str {
    match r {
        TimeRel::Before => "before",
        TimeRel::After => "after",
        TimeRel::Between => "between",
    }
}

fn parse_timerel(s: &str) -> Result<TimeRel> {
    match s {
        "before" => Ok(TimeRel::Before),
        "after" => Ok(TimeRel::After),
        "between" => Ok(TimeRel::Between),
        _ => Err(QueryError::invalid(
            "timerel",
            format!("unknown value {s:?}; expected before, after or between"),
        )),
    }
}

fn parse_timeproperty(s: &str) -> Result<TimeProperty> {
    let all = [
        TimeProperty::ObservedAt,
        TimeProperty::CreatedAt,
        TimeProperty::ModifiedAt,
        TimeProperty::DeletedAt,
    ];
    all.into_iter().find(|p| p.as_str() == s).ok_or_else(|| {
        let detail =
            format!("unknown value {s:?}; expected observedAt, createdAt, modifiedAt or deletedAt");
        QueryError::invalid("timeproperty", detail)
    })
}

fn parse_date_time(param: &'static str, s: &str) -> Result<Timestamp> {
    ngsi::time::parse(s).ok_or_else(|| {
        QueryError::invalid(
            param,
            format!("{s:?} is not a DateTime (YYYY-MM-DDThh:mm:ssZ)"),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> Timestamp {
        ngsi::time::parse(s).unwrap()
    }

    #[test]
    fn relations_and_bounds() {
        let q = TemporalQuery::parse(Some("before"), Some("2017-12-13T14:20:00Z"), None, None)
            .unwrap()
            .unwrap();
        assert!(q.contains(t("2017-12-13T14:19:59Z")) && !q.contains(t("2017-12-13T14:20:00Z")));
        assert_eq!(q.timeproperty, TimeProperty::ObservedAt);
        let q = TemporalQuery::parse(
            Some("after"),
            Some("2017-12-13T14:20:00Z"),
            None,
            Some("createdAt"),
        )
        .unwrap()
        .unwrap();
        assert!(q.contains(t("2017-12-13T14:20:00Z")) && q.timeproperty == TimeProperty::CreatedAt);
        let q = TemporalQuery::parse(
            Some("between"),
            Some("2017-12-13T14:20:00Z"),
            Some("2017-12-13T14:40:00Z"),
            Some("modifiedAt"),
        )
        .unwrap()
        .unwrap();
        assert!(q.contains(t("2017-12-13T14:20:00Z")) && !q.contains(t("2017-12-13T14:40:00Z")));
        assert_eq!(
            q.bounds(),
            (
                Some(t("2017-12-13T14:20:00Z")),
                Some(t("2017-12-13T14:40:00Z"))
            )
        );
        assert_eq!(TemporalQuery::parse(None, None, None, None), Ok(None));
    }

    #[test]
    fn errors_are_bad_request_data() {
        let e = |r: Result<Option<TemporalQuery>>| ngsi::NgsiError::from(r.unwrap_err());
        let err = e(TemporalQuery::parse(
            Some("during"),
            Some("2017-12-13T14:20:00Z"),
            None,
            None,
        ));
        assert_eq!(err.kind, ngsi::ErrorKind::BadRequestData);
        assert!(err.detail.starts_with("timerel: unknown value \"during\""));
        assert_eq!(
            e(TemporalQuery::parse(Some("after"), None, None, None)).detail,
            "timeAt: required with timerel=after"
        );
        let between =
            TemporalQuery::parse(Some("between"), Some("2017-12-13T14:20:00Z"), None, None);
        assert_eq!(
            e(between).detail,
            "endTimeAt: required with timerel=between"
        );
        let reversed = TemporalQuery::parse(
            Some("between"),
            Some("2017-12-13T14:20:00Z"),
            Some("2017-12-13T14:00:00Z"),
            None,
        );
        assert_eq!(e(reversed).detail, "endTimeAt: must be later than timeAt");
        assert!(
            e(TemporalQuery::parse(
                Some("before"),
                Some("yesterday"),
                None,
                None
            ))
            .detail
            .contains("not a DateTime")
        );
        assert!(
            e(TemporalQuery::parse(
                None,
                Some("2017-12-13T14:20:00Z"),
                None,
                None
            ))
            .detail
            .starts_with("timerel: required")
        );
        assert!(
            e(TemporalQuery::parse(None, None, None, Some("expiresAt")))
                .detail
                .starts_with("timeproperty: unknown")
        );
    }
}
