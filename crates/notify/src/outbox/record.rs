//! The outbox's on-disk record format: `[len u32][crc32 u32][payload]`, little endian. A payload
//! is an entry (one rendered notification for one subscription) or a mark (the feed position
//! everything before it was matched through, and the next sequence number). A torn or corrupt
//! record ends a segment: everything after it was never acknowledged.

use std::io::Read;

use crate::subscription::SubKey;

const KIND_ENTRY: u8 = 1;
const KIND_MARK: u8 = 2;
/// Bytes before the payload.
pub const HEADER: usize = 8;
/// Largest payload accepted when reading (a corrupt length must not allocate gigabytes).
const MAX_PAYLOAD: usize = 256 << 20;

/// One decoded record, with the body's place in the file.
#[derive(Debug, Clone, PartialEq)]
pub enum Record {
    Entry(EntryHead),
    Mark { lsn: u64, next_seq: u64 },
}

/// An entry without its body: where the body is instead.
#[derive(Debug, Clone, PartialEq)]
pub struct EntryHead {
    pub seq: u64,
    pub lsn: u64,
    pub accept: u8,
    pub key: SubKey,
    pub link: String,
    pub notification_id: String,
    /// Offset of the body in the segment file.
    pub body_offset: u64,
    pub body_len: u32,
}

/// The fields of an entry to write.
pub struct EntryOut<'a> {
    pub seq: u64,
    pub lsn: u64,
    pub accept: u8,
    pub key: &'a SubKey,
    pub link: &'a str,
    pub notification_id: &'a str,
    pub body: &'a [u8],
}

fn put_str(out: &mut Vec<u8>, s: &str) {
    let b = &s.as_bytes()[..s.len().min(u16::MAX as usize)];
    out.extend_from_slice(&(b.len() as u16).to_le_bytes());
    out.extend_from_slice(b);
}

fn frame(out: &mut Vec<u8>, payload: &[u8]) {
    out.extend_from_slice(&(payload.len() as u32).to_le_bytes());
    out.extend_from_slice(&crc32fast::hash(payload).to_le_bytes());
    out.extend_from_slice(payload);
}

/// Appends an entry record to `out`; returns the body's offset within `out`.
pub fn encode_entry(out: &mut Vec<u8>, e: &EntryOut<'_>) -> usize {
    let mut p = Vec::with_capacity(64 + e.body.len());
    p.push(KIND_ENTRY);
    p.extend_from_slice(&e.seq.to_le_bytes());
    p.extend_from_slice(&e.lsn.to_le_bytes());
    p.push(e.accept);
    put_str(&mut p, &e.key.tenant);
    put_str(&mut p, &e.key.id);
    put_str(&mut p, e.link);
    put_str(&mut p, e.notification_id);
    p.extend_from_slice(&(e.body.len() as u32).to_le_bytes());
    let body_in_payload = p.len();
    p.extend_from_slice(e.body);
    let start = out.len();
    frame(out, &p);
    start + HEADER + body_in_payload
}

/// Appends a mark record to `out`.
pub fn encode_mark(out: &mut Vec<u8>, lsn: u64, next_seq: u64) {
    let mut p = Vec::with_capacity(17);
    p.push(KIND_MARK);
    p.extend_from_slice(&lsn.to_le_bytes());
    p.extend_from_slice(&next_seq.to_le_bytes());
    frame(out, &p);
}

struct Cursor<'a> {
    b: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let s = self.b.get(self.pos..self.pos.checked_add(n)?)?;
        self.pos += n;
        Some(s)
    }
    fn u8(&mut self) -> Option<u8> {
        self.take(1).map(|b| b[0])
    }
    fn u16(&mut self) -> Option<u16> {
        self.take(2)?.try_into().ok().map(u16::from_le_bytes)
    }
    fn u32(&mut self) -> Option<u32> {
        self.take(4)?.try_into().ok().map(u32::from_le_bytes)
    }
    fn u64(&mut self) -> Option<u64> {
        self.take(8)?.try_into().ok().map(u64::from_le_bytes)
    }
    fn str(&mut self) -> Option<String> {
        let n = self.u16()? as usize;
        String::from_utf8(self.take(n)?.to_vec()).ok()
    }
}

fn decode(payload: &[u8], payload_offset: u64) -> Option<Record> {
    let mut c = Cursor { b: payload, pos: 0 };
    match c.u8()? {
        KIND_ENTRY => {
            let (seq, lsn, accept) = (c.u64()?, c.u64()?, c.u8()?);
            let (tenant, id) = (c.str()?, c.str()?);
            let (link, notification_id) = (c.str()?, c.str()?);
            let body_len = c.u32()?;
            let body_offset = payload_offset + c.pos as u64;
            c.take(body_len as usize)?;
            Some(Record::Entry(EntryHead {
                seq,
                lsn,
                accept,
                key: SubKey::new(&tenant, &id),
                link,
                notification_id,
                body_offset,
                body_len,
            }))
        }
        KIND_MARK => Some(Record::Mark {
            lsn: c.u64()?,
            next_seq: c.u64()?,
        }),
        _ => None,
    }
}

/// Reads records until the end or the first torn/corrupt one. Returns the records and the
/// length of the valid prefix (where the next append must start).
pub fn read_all(r: &mut impl Read) -> std::io::Result<(Vec<Record>, u64)> {
    let mut records = Vec::new();
    let mut valid = 0u64;
    let mut head = [0u8; HEADER];
    loop {
        if !read_full(r, &mut head)? {
            break;
        }
        let len = u32::from_le_bytes([head[0], head[1], head[2], head[3]]) as usize;
        let crc = u32::from_le_bytes([head[4], head[5], head[6], head[7]]);
        if len > MAX_PAYLOAD {
            break;
        }
        let mut payload = vec![0u8; len];
        if !read_full(r, &mut payload)? || crc32fast::hash(&payload) != crc {
            break;
        }
        match decode(&payload, valid + HEADER as u64) {
            Some(rec) => records.push(rec),
            None => break,
        }
        valid += (HEADER + len) as u64;
    }
    Ok((records, valid))
}

/// Fills `buf`; false at a clean or torn end of input.
fn read_full(r: &mut impl Read, buf: &mut [u8]) -> std::io::Result<bool> {
    let mut got = 0;
    while got < buf.len() {
        match r.read(&mut buf[got..]) {
            Ok(0) => return Ok(false),
            Ok(n) => got += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_and_marks_round_trip_and_a_torn_tail_is_cut() {
        let key = SubKey::new("t1", "urn:ngsi-ld:Subscription:1");
        let mut buf = Vec::new();
        let body = br#"{"id":"n"}"#;
        let e = EntryOut {
            seq: 7,
            lsn: 42,
            accept: 1,
            key: &key,
            link: "http://ctx",
            notification_id: "urn:ngsi-ld:Notification:7",
            body,
        };
        let at = encode_entry(&mut buf, &e);
        assert_eq!(&buf[at..at + body.len()], body);
        encode_mark(&mut buf, 42, 8);
        let whole = buf.len() as u64;
        buf.extend_from_slice(&[9, 0, 0, 0, 1, 2]);
        let (recs, valid) = read_all(&mut buf.as_slice()).unwrap();
        assert_eq!(valid, whole);
        assert_eq!(recs.len(), 2);
        let Record::Entry(h) = &recs[0] else {
            panic!("entry expected")
        };
        assert_eq!((h.seq, h.lsn, h.accept, &h.key), (7, 42, 1, &key));
        assert_eq!(h.body_offset as usize, at);
        assert_eq!(
            recs[1],
            Record::Mark {
                lsn: 42,
                next_seq: 8
            }
        );
    }

    #[test]
    fn a_flipped_bit_ends_the_segment() {
        let mut buf = Vec::new();
        encode_mark(&mut buf, 1, 2);
        encode_mark(&mut buf, 3, 4);
        let last = buf.len() - 1;
        buf[last] ^= 1;
        let (recs, valid) = read_all(&mut buf.as_slice()).unwrap();
        assert_eq!(recs.len(), 1);
        assert_eq!(valid, 25);
    }
}
