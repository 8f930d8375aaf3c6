//! Byte-level building blocks of the chunk format: LEB128 varints, zigzag signed integers,
//! delta-of-delta time columns and run-length columns. Pure functions over byte buffers; a
//! truncated or corrupt buffer is an error, never a panic.

use ngsi::NgsiError;

pub fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

pub fn zigzag(v: i64) -> u64 {
    ((v << 1) ^ (v >> 63)) as u64
}

pub fn unzigzag(v: u64) -> i64 {
    ((v >> 1) as i64) ^ -((v & 1) as i64)
}

pub fn put_signed(out: &mut Vec<u8>, v: i64) {
    put_varint(out, zigzag(v));
}

/// Writes a sequence as its first value and then deltas of deltas (wrapping, so any i64 works):
/// a regular series is one run of zeros.
pub fn put_dod(out: &mut Vec<u8>, values: impl Iterator<Item = i64>) {
    let (mut prev, mut prev_delta) = (0i64, 0i64);
    let mut stream = Vec::new();
    for (i, v) in values.enumerate() {
        if i == 0 {
            stream.push(zigzag(v));
        } else {
            let delta = v.wrapping_sub(prev);
            stream.push(zigzag(delta.wrapping_sub(prev_delta)));
            prev_delta = delta;
        }
        prev = v;
    }
    put_ints(out, &stream);
}

const PLAIN: u8 = 0;
const RUNS: u8 = 1;

/// Writes unsigned integers as plain varints or as runs, whichever is shorter (a mode byte
/// says which).
pub fn put_ints(out: &mut Vec<u8>, stream: &[u64]) {
    let mut plain = Vec::with_capacity(stream.len());
    for v in stream {
        put_varint(&mut plain, *v);
    }
    let mut runs = Vec::new();
    put_runs(&mut runs, stream.iter().copied());
    if runs.len() < plain.len() {
        out.push(RUNS);
        out.extend_from_slice(&runs);
    } else {
        out.push(PLAIN);
        out.extend_from_slice(&plain);
    }
}

/// Writes runs of equal values as (value, run length) pairs.
pub fn put_runs(out: &mut Vec<u8>, values: impl Iterator<Item = u64>) {
    let mut current: Option<(u64, u64)> = None;
    for v in values {
        current = match current {
            Some((x, n)) if x == v => Some((x, n + 1)),
            Some((x, n)) => {
                put_varint(out, x);
                put_varint(out, n);
                Some((v, 1))
            }
            None => Some((v, 1)),
        };
    }
    if let Some((x, n)) = current {
        put_varint(out, x);
        put_varint(out, n);
    }
}

/// A cursor over an encoded buffer.
pub struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

pub fn corrupt(what: &str) -> NgsiError {
    NgsiError::internal(format!("history: a stored chunk is corrupt ({what})"))
}

impl<'a> Reader<'a> {
    pub fn new(buf: &'a [u8]) -> Self {
        Self { buf, pos: 0 }
    }

    pub fn byte(&mut self) -> Result<u8, NgsiError> {
        let b = *self.buf.get(self.pos).ok_or_else(|| corrupt("truncated"))?;
        self.pos += 1;
        Ok(b)
    }

    pub fn varint(&mut self) -> Result<u64, NgsiError> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.byte()?;
            v |= u64::from(b & 0x7f) << shift;
            if b < 0x80 {
                return Ok(v);
            }
        }
        Err(corrupt("varint too long"))
    }

    pub fn signed(&mut self) -> Result<i64, NgsiError> {
        self.varint().map(unzigzag)
    }

    /// A length that must fit what is left of the buffer, so corrupt input cannot make us
    /// allocate without bound.
    pub fn len(&mut self, per_item_min: usize) -> Result<usize, NgsiError> {
        let n = usize::try_from(self.varint()?).map_err(|_| corrupt("length"))?;
        let left = self.buf.len() - self.pos;
        if n.saturating_mul(per_item_min.max(1)) > left.saturating_add(1) * 8 {
            return Err(corrupt("length beyond the buffer"));
        }
        Ok(n)
    }

    pub fn bytes(&mut self, n: usize) -> Result<&'a [u8], NgsiError> {
        let end = self.pos.checked_add(n).ok_or_else(|| corrupt("length"))?;
        let s = self
            .buf
            .get(self.pos..end)
            .ok_or_else(|| corrupt("truncated"))?;
        self.pos = end;
        Ok(s)
    }

    pub fn dod(&mut self, n: usize) -> Result<Vec<i64>, NgsiError> {
        let stream = self.ints(n)?;
        let mut out = Vec::with_capacity(n);
        let (mut prev, mut delta) = (0i64, 0i64);
        for (i, z) in stream.into_iter().enumerate() {
            let v = if i == 0 {
                unzigzag(z)
            } else {
                delta = delta.wrapping_add(unzigzag(z));
                prev.wrapping_add(delta)
            };
            out.push(v);
            prev = v;
        }
        Ok(out)
    }

    /// Reads what [`put_ints`] wrote.
    pub fn ints(&mut self, n: usize) -> Result<Vec<u64>, NgsiError> {
        match self.byte()? {
            PLAIN => (0..n).map(|_| self.varint()).collect(),
            RUNS => self.runs(n),
            _ => Err(corrupt("integer column mode")),
        }
    }

    pub fn runs(&mut self, n: usize) -> Result<Vec<u64>, NgsiError> {
        let mut out = Vec::with_capacity(n);
        while out.len() < n {
            let v = self.varint()?;
            let run = usize::try_from(self.varint()?).map_err(|_| corrupt("run"))?;
            if run == 0 || out.len() + run > n {
                return Err(corrupt("run length"));
            }
            out.extend(std::iter::repeat_n(v, run));
        }
        Ok(out)
    }

    pub fn is_done(&self) -> bool {
        self.pos == self.buf.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_round_trip() {
        let times = [i64::MIN, -5, 0, 1_700_000_000_000_000, i64::MAX, 3];
        let mut buf = Vec::new();
        put_dod(&mut buf, times.iter().copied());
        put_runs(&mut buf, [1u64, 1, 1, 7, 7, 1].into_iter());
        put_varint(&mut buf, u64::MAX);
        let mut r = Reader::new(&buf);
        assert_eq!(r.dod(times.len()).unwrap(), times);
        assert_eq!(r.runs(6).unwrap(), vec![1, 1, 1, 7, 7, 1]);
        assert_eq!(r.varint().unwrap(), u64::MAX);
        assert!(r.is_done());
    }

    #[test]
    fn regular_series_cost_a_byte_each_and_garbage_is_an_error() {
        let mut buf = Vec::new();
        put_dod(
            &mut buf,
            (0..100).map(|i| 1_700_000_000_000_000 + i * 300_000_000),
        );
        assert!(buf.len() < 100 + 16, "{}", buf.len());
        let mut r = Reader::new(&[0xff, 0xff]);
        assert!(r.varint().is_err());
        assert!(Reader::new(&[2, 0]).runs(2).is_err());
        assert!(Reader::new(&[0xff, 0xff, 0xff, 0x7f]).len(1).is_err());
    }
}
