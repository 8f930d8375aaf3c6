use super::*;

const H: i64 = 3_600_000_000;

fn t(s: &str) -> Timestamp {
    ngsi::time::parse(s).unwrap()
}

#[test]
fn parses_the_iso_forms() {
    let p = |s| IsoDuration::parse(s).unwrap();
    assert_eq!(p("PT1H").micros, H);
    assert_eq!(p("PT4M").micros, 4 * 60_000_000);
    assert_eq!(p("P2W").micros, 14 * 24 * H);
    assert_eq!(p("PT1.5S").micros, 1_500_000);
    assert_eq!(
        p("P3Y6M4DT12H30M5S"),
        IsoDuration {
            months: 42,
            micros: 4 * 24 * H + 12 * H + 30 * 60_000_000 + 5_000_000
        }
    );
    assert!(p("PT0S").is_zero() && p("P0D").is_zero());
}

#[test]
fn rejects_what_is_not_a_duration() {
    for bad in [
        "",
        "P",
        "PT",
        "1H",
        "PT1",
        "P1H",
        "PTH",
        "PT1M1M",
        "P1.5D",
        "PT1.1234567S",
        "P-1D",
        "R5/PT1H",
    ] {
        let e = IsoDuration::parse(bad).unwrap_err();
        assert_eq!(e.kind, ngsi::ErrorKind::BadRequestData, "{bad}");
        assert!(e.detail.contains("aggrPeriodDuration"), "{bad}");
    }
}

#[test]
fn fixed_periods_start_at_lo_and_the_last_is_clipped() {
    let lo = t("2026-09-14T00:00:00Z");
    let per = Periods::new(
        lo,
        lo + 90 * 60_000_000,
        &IsoDuration::parse("PT1H").unwrap(),
    )
    .unwrap();
    assert_eq!(per.index(lo), Some(0));
    assert_eq!(per.index(lo + H - 1), Some(0));
    assert_eq!(per.index(lo + H), Some(1));
    assert_eq!(per.index(lo + 90 * 60_000_000), None);
    assert_eq!(per.index(lo - 1), None);
    assert_eq!(per.bounds(1), (lo + H, lo + 90 * 60_000_000));
}

#[test]
fn calendar_months_follow_the_calendar() {
    let lo = t("2026-01-31T00:00:00Z");
    let per = Periods::new(
        lo,
        t("2026-05-01T00:00:00Z"),
        &IsoDuration::parse("P1M").unwrap(),
    )
    .unwrap();
    assert_eq!(per.bounds(0), (lo, t("2026-02-28T00:00:00Z")));
    assert_eq!(per.index(t("2026-03-01T00:00:00Z")), Some(1));
    let whole = Periods::new(lo, lo + 5, &IsoDuration::parse("PT0S").unwrap()).unwrap();
    assert_eq!(
        (whole.index(lo + 4), whole.bounds(0)),
        (Some(0), (lo, lo + 5))
    );
}
