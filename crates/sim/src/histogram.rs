//! A log-linear latency histogram: constant-time recording, fixed memory, mergeable.
//!
//! Owns percentile arithmetic only. Values are nanoseconds; each power of two is split into
//! 2^[`SUB_BITS`] linear buckets, so any reported value is within 1/128 (< 0.8 %) of the truth:
//! enough for the 2-3 significant digits a latency report shows.

use std::time::Duration;

/// Linear sub-buckets per power of two, as a bit count.
const SUB_BITS: u32 = 7;
const SUB_COUNT: usize = 1 << SUB_BITS;
/// Largest exponent tracked: 2^40 ns is about 18 minutes; longer values are clamped.
const MAX_BITS: u32 = 40;
const BUCKETS: usize = ((MAX_BITS - SUB_BITS + 1) as usize + 1) * SUB_COUNT;
const MAX_VALUE: u64 = (1 << MAX_BITS) - 1;

/// Latency counts in log-linear buckets, plus the exact minimum and maximum.
#[derive(Clone, Debug)]
pub struct Histogram {
    counts: Vec<u64>,
    total: u64,
    min: u64,
    max: u64,
}

impl Default for Histogram {
    fn default() -> Self {
        Self::new()
    }
}

impl Histogram {
    /// An empty histogram (about 35 KB).
    pub fn new() -> Self {
        Self {
            counts: vec![0; BUCKETS],
            total: 0,
            min: u64::MAX,
            max: 0,
        }
    }

    /// Records one duration.
    pub fn record(&mut self, d: Duration) {
        self.record_nanos(u64::try_from(d.as_nanos()).unwrap_or(u64::MAX));
    }

    /// Records one value in nanoseconds.
    pub fn record_nanos(&mut self, ns: u64) {
        let v = ns.min(MAX_VALUE);
        self.counts[index(v)] += 1;
        self.total += 1;
        self.min = self.min.min(v);
        self.max = self.max.max(v);
    }

    /// Adds every count of `other` into `self`.
    pub fn merge(&mut self, other: &Histogram) {
        for (a, b) in self.counts.iter_mut().zip(&other.counts) {
            *a += b;
        }
        self.total += other.total;
        self.min = self.min.min(other.min);
        self.max = self.max.max(other.max);
    }

    /// How many values were recorded.
    pub fn count(&self) -> u64 {
        self.total
    }

    /// The largest value recorded, exactly (0 when empty).
    pub fn max_nanos(&self) -> u64 {
        self.max
    }

    /// The value at quantile `q` in `[0, 1]` (0 when empty): the smallest recorded bucket that
    /// holds at least `ceil(q * count)` values, reported at its midpoint and clamped to the
    /// exact minimum and maximum.
    pub fn quantile_nanos(&self, q: f64) -> u64 {
        if self.total == 0 {
            return 0;
        }
        let rank = ((q.clamp(0.0, 1.0) * self.total as f64).ceil() as u64).max(1);
        let mut seen = 0;
        for (i, &c) in self.counts.iter().enumerate() {
            seen += c;
            if seen >= rank {
                return midpoint(i).clamp(self.min, self.max);
            }
        }
        self.max
    }

    /// [`Histogram::quantile_nanos`] in milliseconds.
    pub fn quantile_ms(&self, q: f64) -> f64 {
        self.quantile_nanos(q) as f64 / 1e6
    }

    /// The maximum in milliseconds.
    pub fn max_ms(&self) -> f64 {
        self.max as f64 / 1e6
    }
}

/// The bucket holding `v` (which must be at most [`MAX_VALUE`]).
fn index(v: u64) -> usize {
    if v < SUB_COUNT as u64 {
        return v as usize;
    }
    let shift = 63 - v.leading_zeros() - SUB_BITS;
    let mantissa = (v >> shift) as usize; // in [SUB_COUNT, 2 * SUB_COUNT)
    ((shift as usize + 1) << SUB_BITS) + (mantissa - SUB_COUNT)
}

/// The lowest value in bucket `i` and the bucket's width.
fn bounds(i: usize) -> (u64, u64) {
    if i < SUB_COUNT {
        return (i as u64, 1);
    }
    let shift = (i >> SUB_BITS) as u32 - 1;
    let mantissa = (i & (SUB_COUNT - 1)) as u64 + SUB_COUNT as u64;
    (mantissa << shift, 1 << shift)
}

fn midpoint(i: usize) -> u64 {
    let (lo, width) = bounds(i);
    lo + width / 2
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_and_bounds_agree() {
        for v in (0..100_000u64).chain([1 << 20, (1 << 33) + 12_345, MAX_VALUE]) {
            let (lo, width) = bounds(index(v));
            assert!(lo <= v && v < lo + width, "v={v} lo={lo} w={width}");
            assert!(
                width == 1 || width * 128 <= lo,
                "relative width too big at {v}"
            );
        }
        assert!(index(MAX_VALUE) < BUCKETS);
    }

    #[test]
    fn uniform_percentiles() {
        let mut h = Histogram::new();
        for ms in 1..=1000u64 {
            h.record(Duration::from_millis(ms));
        }
        let close = |got: f64, want: f64| (got - want).abs() <= want * 0.01;
        assert!(close(h.quantile_ms(0.5), 500.0), "{}", h.quantile_ms(0.5));
        assert!(close(h.quantile_ms(0.99), 990.0), "{}", h.quantile_ms(0.99));
        assert!(
            close(h.quantile_ms(0.999), 999.0),
            "{}",
            h.quantile_ms(0.999)
        );
        assert_eq!(h.max_ms(), 1000.0);
        assert!(close(h.quantile_ms(0.0), 1.0), "{}", h.quantile_ms(0.0));
        assert_eq!(h.count(), 1000);
    }

    #[test]
    fn tail_is_visible() {
        let mut h = Histogram::new();
        for _ in 0..990 {
            h.record(Duration::from_micros(200));
        }
        for _ in 0..10 {
            h.record(Duration::from_millis(50));
        }
        assert!((h.quantile_ms(0.5) - 0.2).abs() < 0.002);
        assert!((h.quantile_ms(0.99) - 0.2).abs() < 0.002);
        assert!((h.quantile_ms(0.999) - 50.0).abs() < 0.5);
    }

    #[test]
    fn merge_and_empty() {
        let empty = Histogram::new();
        assert_eq!(empty.quantile_nanos(0.5), 0);
        let mut a = Histogram::new();
        let mut b = Histogram::new();
        a.record_nanos(100);
        b.record_nanos(300);
        a.merge(&b);
        a.merge(&empty);
        assert_eq!(a.count(), 2);
        assert_eq!(a.quantile_nanos(1.0), 300);
        assert_eq!(a.quantile_nanos(0.5), 100);
    }
}
