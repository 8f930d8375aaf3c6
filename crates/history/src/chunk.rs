//! The on-disk form of a run of instances of one series: a self-contained, column-wise compressed
//! block. Times are delta-of-delta varints; numbers are stored as scaled decimal integers when
//! they allow it (a gauge reading `1.237` costs a byte or two), else as raw f64; other values and
//! the instance members are dictionary-coded. A regular numeric series costs a few bytes per
//! instance.
//!
//! Owns the format only: no I/O, no knowledge of partitions.

use std::sync::Arc;

use ngsi::NgsiError;
use ngsi::model::AttrKind;
use serde_json::Value;

use crate::codec::{Reader, corrupt, put_dod, put_ints, put_runs, put_signed, put_varint};
use crate::model::{Inst, InstKey, Val};

const VERSION: u8 = 1;
const OBSERVED: u8 = 1;
const DELETED: u8 = 2;
const INT: u8 = 4;
const KIND_SHIFT: u8 = 3;

const MODE_NONE: u8 = 0;
const MODE_SCALED: u8 = 1;
const MODE_RAW: u8 = 2;
const MODE_JSON: u8 = 3;

const POW10: [i64; 7] = [1, 10, 100, 1_000, 10_000, 100_000, 1_000_000];
const MAX_EXACT: f64 = 9_007_199_254_740_992.0;
/// Most instances one chunk may hold (merges keep chunks at the configured size, at most 65,536).
const MAX_INSTANCES: usize = 1 << 20;

/// The time range and size of an encoded chunk, kept beside it for pruning.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Summary {
    pub n: usize,
    pub tmin: i64,
    pub tmax: i64,
    /// Lowest `createdAt` and highest `modifiedAt`.
    pub rmin: i64,
    pub rmax: i64,
}

/// The summary of `insts` (which must not be empty).
pub fn summary(insts: &[Inst]) -> Summary {
    let mut s = Summary {
        n: insts.len(),
        tmin: i64::MAX,
        tmax: i64::MIN,
        rmin: i64::MAX,
        rmax: i64::MIN,
    };
    for i in insts {
        s.tmin = s.tmin.min(i.t);
        s.tmax = s.tmax.max(i.t);
        s.rmin = s.rmin.min(i.rec);
        s.rmax = s.rmax.max(i.modified);
    }
    s
}

fn kind_code(k: AttrKind) -> u8 {
    AttrKind::ALL.iter().position(|x| *x == k).unwrap_or(0) as u8
}

fn flags(i: &Inst) -> u8 {
    let mut f = kind_code(i.kind) << KIND_SHIFT;
    if i.observed {
        f |= OBSERVED;
    }
    match i.value {
        Val::Deleted => f |= DELETED,
        Val::Int(_) => f |= INT,
        _ => {}
    }
    f
}

/// Encodes instances (in the order given, which readers rely on: ascending `t`).
pub fn encode(insts: &[Inst]) -> Vec<u8> {
    let mut out = Vec::with_capacity(16 + insts.len() * 6);
    out.push(VERSION);
    put_varint(&mut out, insts.len() as u64);
    put_dod(&mut out, insts.iter().map(|i| i.t));
    put_dod(&mut out, insts.iter().map(|i| i.rec));
    let mut prev = 0u64;
    let keys: Vec<u64> = insts
        .iter()
        .map(|i| {
            let d = crate::codec::zigzag(i.id.key.wrapping_sub(prev) as i64);
            prev = i.id.key;
            d
        })
        .collect();
    put_ints(&mut out, &keys);
    // Subs count up within a temporal API write and repeat within a commit: runs of deltas.
    let mut prev_sub = 0u32;
    put_runs(
        &mut out,
        insts.iter().map(|i| {
            let d = crate::codec::zigzag(i64::from(i.id.sub) - i64::from(prev_sub));
            prev_sub = i.id.sub;
            d
        }),
    );
    put_runs(&mut out, insts.iter().map(|i| u64::from(flags(i))));
    let overrides: Vec<(usize, i64)> = insts
        .iter()
        .enumerate()
        .filter(|(_, i)| i.modified != i.rec)
        .map(|(n, i)| (n, i.modified.wrapping_sub(i.rec)))
        .collect();
    put_varint(&mut out, overrides.len() as u64);
    for (n, d) in overrides {
        put_varint(&mut out, n as u64);
        put_signed(&mut out, d);
    }
    encode_meta(&mut out, insts);
    encode_values(&mut out, insts);
    out
}

/// Dictionary of distinct members, then one index per instance (0 = none).
fn encode_meta(out: &mut Vec<u8>, insts: &[Inst]) {
    let mut dict: Vec<&Arc<[u8]>> = Vec::new();
    let idx: Vec<u64> = insts
        .iter()
        .map(|i| match &i.meta {
            None => 0,
            Some(m) => {
                let pos = dict
                    .iter()
                    .position(|d| Arc::ptr_eq(d, m) || d[..] == m[..]);
                let pos = pos.unwrap_or_else(|| {
                    dict.push(m);
                    dict.len() - 1
                });
                pos as u64 + 1
            }
        })
        .collect();
    put_varint(out, dict.len() as u64);
    for d in dict {
        put_varint(out, d.len() as u64);
        out.extend_from_slice(d);
    }
    put_runs(out, idx.into_iter());
}

fn numbers(insts: &[Inst]) -> Option<Vec<f64>> {
    insts
        .iter()
        .filter(|i| !i.deleted())
        .map(|i| match i.value {
            Val::Int(v) => Some(v as f64),
            Val::Float(v) if v.is_finite() => Some(v),
            _ => None,
        })
        .collect()
}

/// The smallest decimal scale that stores every number exactly as an integer, if any.
fn scale_of(nums: &[f64]) -> Option<usize> {
    let fits = |k: usize| {
        let p = POW10[k] as f64;
        nums.iter().all(|v| {
            let s = (v * p).round();
            s.abs() < MAX_EXACT && s / p == *v
        })
    };
    (0..POW10.len()).find(|&k| fits(k))
}

fn encode_values(out: &mut Vec<u8>, insts: &[Inst]) {
    let live = insts.iter().filter(|i| !i.deleted()).count();
    if live == 0 {
        out.push(MODE_NONE);
        return;
    }
    let Some(nums) = numbers(insts) else {
        return encode_json(out, insts);
    };
    match scale_of(&nums) {
        Some(k) => {
            out.push(MODE_SCALED);
            out.push(k as u8);
            let p = POW10[k] as f64;
            let mut prev = 0i64;
            let deltas: Vec<u64> = nums
                .iter()
                .map(|v| {
                    let s = (v * p).round() as i64;
                    let d = crate::codec::zigzag(s.wrapping_sub(prev));
                    prev = s;
                    d
                })
                .collect();
            put_ints(out, &deltas);
        }
        None => {
            out.push(MODE_RAW);
            for v in nums {
                out.extend_from_slice(&v.to_le_bytes());
            }
        }
    }
}

fn encode_json(out: &mut Vec<u8>, insts: &[Inst]) {
    out.push(MODE_JSON);
    let mut dict: Vec<Vec<u8>> = Vec::new();
    let mut idx = Vec::new();
    for i in insts.iter().filter(|i| !i.deleted()) {
        let text = serde_json::to_vec(&i.value.to_json()).unwrap_or_else(|_| b"null".to_vec());
        let pos = dict.iter().position(|d| *d == text).unwrap_or_else(|| {
            dict.push(text);
            dict.len() - 1
        });
        idx.push(pos as u64);
    }
    put_varint(out, dict.len() as u64);
    for d in &dict {
        put_varint(out, d.len() as u64);
        out.extend_from_slice(d);
    }
    for i in idx {
        put_varint(out, i);
    }
}

/// Decodes a chunk back into its instances.
pub fn decode(buf: &[u8]) -> Result<Vec<Inst>, NgsiError> {
    let mut r = Reader::new(buf);
    if r.byte()? != VERSION {
        return Err(corrupt("unknown version"));
    }
    // Columns may be runs, so the count is bounded absolutely rather than by the buffer.
    let n = usize::try_from(r.varint()?)
        .ok()
        .filter(|n| *n <= MAX_INSTANCES)
        .ok_or_else(|| corrupt("instance count"))?;
    let t = r.dod(n)?;
    let rec = r.dod(n)?;
    let mut key = 0u64;
    let keys: Vec<u64> = r
        .ints(n)?
        .into_iter()
        .map(|d| {
            key = key.wrapping_add(crate::codec::unzigzag(d) as u64);
            key
        })
        .collect();
    let mut sub = 0i64;
    let subs: Vec<i64> = r
        .runs(n)?
        .into_iter()
        .map(|d| {
            sub = sub.wrapping_add(crate::codec::unzigzag(d));
            sub
        })
        .collect();
    let fl = r.runs(n)?;
    let mut modified = rec.clone();
    for _ in 0..r.len(2)? {
        let at = usize::try_from(r.varint()?).map_err(|_| corrupt("index"))?;
        let d = r.signed()?;
        let slot = modified
            .get_mut(at)
            .ok_or_else(|| corrupt("override index"))?;
        *slot = slot.wrapping_add(d);
    }
    let metas = decode_meta(&mut r, n)?;
    let values = decode_values(&mut r, &fl)?;
    if !r.is_done() {
        return Err(corrupt("trailing bytes"));
    }
    let mut out = Vec::with_capacity(n);
    for (i, value) in values.into_iter().enumerate() {
        let f = fl[i] as u8;
        out.push(Inst {
            t: t[i],
            observed: f & OBSERVED != 0,
            rec: rec[i],
            modified: modified[i],
            kind: AttrKind::ALL
                .get(usize::from(f >> KIND_SHIFT))
                .copied()
                .ok_or_else(|| corrupt("kind"))?,
            id: InstKey {
                key: keys[i],
                sub: u32::try_from(subs[i]).map_err(|_| corrupt("sub"))?,
            },
            value,
            meta: metas[i].clone(),
        });
    }
    Ok(out)
}

fn decode_meta(r: &mut Reader<'_>, n: usize) -> Result<Vec<Option<Arc<[u8]>>>, NgsiError> {
    let count = r.len(1)?;
    let mut dict: Vec<Arc<[u8]>> = Vec::with_capacity(count);
    for _ in 0..count {
        let len = r.len(1)?;
        dict.push(Arc::from(r.bytes(len)?));
    }
    r.runs(n)?
        .into_iter()
        .map(|i| match i {
            0 => Ok(None),
            i => dict
                .get(i as usize - 1)
                .cloned()
                .map(Some)
                .ok_or_else(|| corrupt("member index")),
        })
        .collect()
}

fn decode_values(r: &mut Reader<'_>, fl: &[u64]) -> Result<Vec<Val>, NgsiError> {
    let mode = r.byte()?;
    let json_dict = if mode == MODE_JSON {
        let count = r.len(1)?;
        let mut dict = Vec::with_capacity(count);
        for _ in 0..count {
            let len = r.len(1)?;
            let v: Value =
                serde_json::from_slice(r.bytes(len)?).map_err(|_| corrupt("value json"))?;
            dict.push(Val::from_json(&v));
        }
        dict
    } else {
        Vec::new()
    };
    let k = if mode == MODE_SCALED {
        usize::from(r.byte()?)
    } else {
        0
    };
    let p = *POW10.get(k).ok_or_else(|| corrupt("scale"))?;
    let live = fl.iter().filter(|f| (**f as u8) & DELETED == 0).count();
    let mut deltas = if mode == MODE_SCALED {
        r.ints(live)?.into_iter()
    } else {
        Vec::new().into_iter()
    };
    let mut prev = 0i64;
    let mut out = Vec::with_capacity(fl.len());
    for f in fl {
        let f = *f as u8;
        if f & DELETED != 0 {
            out.push(Val::Deleted);
            continue;
        }
        let int = f & INT != 0;
        out.push(match mode {
            MODE_SCALED => {
                let d = deltas.next().ok_or_else(|| corrupt("values"))?;
                prev = prev.wrapping_add(crate::codec::unzigzag(d));
                if int {
                    Val::Int(prev / p)
                } else {
                    Val::Float(prev as f64 / p as f64)
                }
            }
            MODE_RAW => {
                let b: [u8; 8] = r.bytes(8)?.try_into().map_err(|_| corrupt("f64"))?;
                let v = f64::from_le_bytes(b);
                if int {
                    Val::Int(v as i64)
                } else {
                    Val::Float(v)
                }
            }
            MODE_JSON => {
                let i = usize::try_from(r.varint()?).map_err(|_| corrupt("value index"))?;
                json_dict
                    .get(i)
                    .cloned()
                    .ok_or_else(|| corrupt("value index"))?
            }
            _ => return Err(corrupt("value mode")),
        });
    }
    Ok(out)
}

#[cfg(test)]
#[path = "chunk/tests.rs"]
mod tests;
