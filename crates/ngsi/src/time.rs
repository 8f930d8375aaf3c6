//! NGSI-LD DateTime values: parsed from ISO 8601 / RFC 3339 text, held as microseconds since the
//! Unix epoch (UTC), and written back in the spec's `YYYY-MM-DDThh:mm:ss.sssZ` form.

use chrono::{DateTime, NaiveDate, NaiveDateTime, SecondsFormat, Utc};

/// Microseconds since 1970-01-01T00:00:00Z.
pub type Timestamp = i64;

/// The current time as a [`Timestamp`].
pub fn now() -> Timestamp {
    Utc::now().timestamp_micros()
}

/// Parses an NGSI-LD DateTime. A value without an offset is taken as UTC, as brokers commonly do.
pub fn parse(text: &str) -> Option<Timestamp> {
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Some(t.with_timezone(&Utc).timestamp_micros());
    }
    for fmt in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%dT%H:%M",
    ] {
        if let Ok(t) = NaiveDateTime::parse_from_str(text, fmt) {
            return Some(t.and_utc().timestamp_micros());
        }
    }
    None
}

/// Parses a plain date (`YYYY-MM-DD`) to the micros of its midnight, UTC.
pub fn parse_date(text: &str) -> Option<Timestamp> {
    let d = NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()?;
    Some(d.and_hms_opt(0, 0, 0)?.and_utc().timestamp_micros())
}

/// Formats a timestamp with millisecond precision (microseconds when they are not zero).
pub fn format(ts: Timestamp) -> String {
    let Some(t) = DateTime::<Utc>::from_timestamp_micros(ts) else {
        return String::from("1970-01-01T00:00:00.000Z");
    };
    let precision = if ts % 1000 == 0 {
        SecondsFormat::Millis
    } else {
        SecondsFormat::Micros
    };
    t.to_rfc3339_opts(precision, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_with_millis() {
        let ts = parse("2026-09-14T00:30:00Z").unwrap();
        assert_eq!(format(ts), "2026-09-14T00:30:00.000Z");
        assert_eq!(parse("2026-09-14T08:30:00+08:00"), Some(ts));
        assert_eq!(
            format(parse("2026-09-14T00:30:00.123456Z").unwrap()),
            "2026-09-14T00:30:00.123456Z"
        );
    }

    #[test]
    fn rejects_garbage() {
        assert_eq!(parse("yesterday"), None);
        assert_eq!(parse("2026-13-01T00:00:00Z"), None);
    }
}
