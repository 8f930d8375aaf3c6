//! `aggrPeriodDuration` (clause 4.5.19.1): ISO 8601 durations `P[n]Y[n]M[n]DT[n]H[n]M[n]S` or
//! `P[n]W`, and the aggregation periods they cut a time range into. Years and months are
//! calendar steps (UTC); weeks, days and smaller units are fixed lengths. A zero duration means
//! one period spanning the whole range.

use chrono::{DateTime, Months, Utc};
use ngsi::{NgsiError, Timestamp};

const US_PER_S: i64 = 1_000_000;
/// Most periods a calendar duration may cut a range into.
pub const MAX_CALENDAR_PERIODS: usize = 100_000;

/// A parsed duration: calendar months plus a fixed number of microseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IsoDuration {
    pub months: u32,
    pub micros: i64,
}

fn bad(text: &str, why: &str) -> NgsiError {
    NgsiError::bad_data(format!(
        "aggrPeriodDuration {text:?} is not an ISO 8601 duration (P[n]Y[n]M[n]DT[n]H[n]M[n]S or P[n]W): {why}"
    ))
}

impl IsoDuration {
    /// Parses an ISO 8601 duration; fractions are allowed on the seconds only.
    pub fn parse(text: &str) -> Result<Self, NgsiError> {
        let body = text
            .strip_prefix('P')
            .ok_or_else(|| bad(text, "it must start with P"))?;
        let (date, time) = match body.split_once('T') {
            Some((_, "")) => return Err(bad(text, "nothing follows T")),
            Some((d, t)) => (d, Some(t)),
            None => (body, None),
        };
        let mut d = IsoDuration {
            months: 0,
            micros: 0,
        };
        let mut any = false;
        for (n, unit) in elements(text, date)? {
            any = true;
            let whole = whole(text, &n)?;
            match unit {
                'Y' => d.months = add_months(text, d.months, whole, 12)?,
                'M' => d.months = add_months(text, d.months, whole, 1)?,
                'W' => d.micros = add_us(text, d.micros, whole, 7 * 86_400 * US_PER_S)?,
                'D' => d.micros = add_us(text, d.micros, whole, 86_400 * US_PER_S)?,
                _ => return Err(bad(text, &format!("unexpected {unit:?} before T"))),
            }
        }
        for (n, unit) in elements(text, time.unwrap_or(""))? {
            any = true;
            let us = match unit {
                'H' => whole(text, &n)?.checked_mul(3_600 * US_PER_S),
                'M' => whole(text, &n)?.checked_mul(60 * US_PER_S),
                'S' => seconds(text, &n)?,
                _ => return Err(bad(text, &format!("unexpected {unit:?} after T"))),
            };
            d.micros = us
                .and_then(|us| d.micros.checked_add(us))
                .ok_or_else(|| bad(text, "too long"))?;
        }
        if !any {
            return Err(bad(text, "no elements"));
        }
        Ok(d)
    }

    pub fn is_zero(&self) -> bool {
        self.months == 0 && self.micros == 0
    }

    /// `t` plus this duration (None past the representable range).
    pub fn add_to(&self, t: Timestamp) -> Option<Timestamp> {
        let t = if self.months > 0 {
            let dt = DateTime::<Utc>::from_timestamp_micros(t)?;
            dt.checked_add_months(Months::new(self.months))?
                .timestamp_micros()
        } else {
            t
        };
        t.checked_add(self.micros)
    }
}

/// Splits `5Y3M` into `[("5", 'Y'), ("3", 'M')]`, refusing repeated or out-of-order units.
fn elements(text: &str, part: &str) -> Result<Vec<(String, char)>, NgsiError> {
    let mut out: Vec<(String, char)> = Vec::new();
    let mut num = String::new();
    for c in part.chars() {
        if c.is_ascii_digit() || c == '.' || c == ',' {
            num.push(if c == ',' { '.' } else { c });
        } else if c.is_ascii_uppercase() {
            if num.is_empty() {
                return Err(bad(text, &format!("{c} has no number")));
            }
            if out.iter().any(|(_, u)| *u == c) {
                return Err(bad(text, &format!("{c} appears twice")));
            }
            out.push((std::mem::take(&mut num), c));
        } else {
            return Err(bad(text, &format!("unexpected character {c:?}")));
        }
    }
    if !num.is_empty() {
        return Err(bad(text, "a number has no unit"));
    }
    Ok(out)
}

fn whole(text: &str, n: &str) -> Result<i64, NgsiError> {
    n.parse::<i64>()
        .map_err(|_| bad(text, &format!("{n:?} must be a whole number")))
}

fn seconds(text: &str, n: &str) -> Result<Option<i64>, NgsiError> {
    let (int, frac) = n.split_once('.').unwrap_or((n, ""));
    if int.is_empty() || frac.len() > 6 || !frac.chars().all(|c| c.is_ascii_digit()) {
        return Err(bad(
            text,
            &format!("{n:?} is not a number of seconds (µs precision)"),
        ));
    }
    let frac_us: i64 = format!("{frac:0<6}").parse().unwrap_or(0);
    Ok(whole(text, int)?
        .checked_mul(US_PER_S)
        .and_then(|s| s.checked_add(frac_us)))
}

fn add_months(text: &str, acc: u32, n: i64, per: i64) -> Result<u32, NgsiError> {
    n.checked_mul(per)
        .and_then(|m| u32::try_from(m).ok())
        .and_then(|m| acc.checked_add(m))
        .ok_or_else(|| bad(text, "too long"))
}

fn add_us(text: &str, acc: i64, n: i64, per: i64) -> Result<i64, NgsiError> {
    n.checked_mul(per)
        .and_then(|us| acc.checked_add(us))
        .ok_or_else(|| bad(text, "too long"))
}

/// The periods of an aggregation over `[lo, hi)`.
#[derive(Debug, Clone)]
pub enum Periods {
    /// One period: the whole range.
    Whole { lo: Timestamp, hi: Timestamp },
    /// Fixed-length periods from `lo`.
    Fixed {
        lo: Timestamp,
        hi: Timestamp,
        len: i64,
    },
    /// Calendar periods: their starts, then `hi`.
    Calendar {
        starts: Vec<Timestamp>,
        hi: Timestamp,
    },
}

impl Periods {
    /// Cuts `[lo, hi)` by `d`.
    pub fn new(lo: Timestamp, hi: Timestamp, d: &IsoDuration) -> Result<Self, NgsiError> {
        if d.is_zero() {
            return Ok(Self::Whole { lo, hi });
        }
        if d.months == 0 {
            return Ok(Self::Fixed {
                lo,
                hi,
                len: d.micros,
            });
        }
        // Each start is lo + k steps (not the previous start + 1 step), so that month ends do
        // not drift: Jan 31 + 2 months is Mar 31, not Mar 28.
        let mut starts = vec![lo];
        loop {
            let k = starts.len() as i64;
            let step = u32::try_from(k)
                .ok()
                .and_then(|k| d.months.checked_mul(k))
                .zip(d.micros.checked_mul(k))
                .map(|(months, micros)| IsoDuration { months, micros });
            let Some(next) = step.and_then(|s| s.add_to(lo)).filter(|n| *n < hi) else {
                break;
            };
            if starts.len() >= MAX_CALENDAR_PERIODS {
                return Err(NgsiError::new(
                    ngsi::ErrorKind::TooManyResults,
                    format!(
                        "aggrPeriodDuration cuts the time range into more than {MAX_CALENDAR_PERIODS} periods"
                    ),
                ));
            }
            starts.push(next);
        }
        Ok(Self::Calendar { starts, hi })
    }

    /// The index of the period holding `t`.
    pub fn index(&self, t: Timestamp) -> Option<u64> {
        match self {
            Self::Whole { lo, hi } => (t >= *lo && t < *hi).then_some(0),
            Self::Fixed { lo, hi, len } => (t >= *lo && t < *hi).then(|| ((t - lo) / len) as u64),
            Self::Calendar { starts, hi } => {
                if t >= *hi || starts.first().is_none_or(|s| t < *s) {
                    return None;
                }
                Some(starts.partition_point(|s| *s <= t) as u64 - 1)
            }
        }
    }

    /// The `[start, end)` of period `i`.
    pub fn bounds(&self, i: u64) -> (Timestamp, Timestamp) {
        match self {
            Self::Whole { lo, hi } => (*lo, *hi),
            Self::Fixed { lo, hi, len } => {
                let start = lo.saturating_add((i as i64).saturating_mul(*len));
                (start, start.saturating_add(*len).min(*hi))
            }
            Self::Calendar { starts, hi } => {
                let i = i as usize;
                let start = starts.get(i).copied().unwrap_or(*hi);
                (start, starts.get(i + 1).copied().unwrap_or(*hi))
            }
        }
    }
}

#[cfg(test)]
#[path = "duration/tests.rs"]
mod tests;
