//! MQTT 3.1.1 and 5.0 packets: an incremental decoder over a read buffer and the encoders the
//! broker needs. MQTT 5 properties are read past (none changes what this broker does; topic
//! aliases are refused by advertising a maximum of 0).
//!
//! Every length is checked before it is trusted: a malformed packet is an error for its
//! connection, an oversized one is refused from its fixed header, before its body is read.

mod encode;

use bytes::{Buf, Bytes, BytesMut};

pub use encode::*;

/// The protocol level of a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Version {
    /// 3.1 (`MQIsdp`, level 3) and 3.1.1 (level 4): the same wire format here.
    V311,
    /// 5.0 (level 5).
    V5,
}

/// CONNECT.
#[derive(Debug, Clone, PartialEq)]
pub struct Connect {
    pub version: Version,
    pub client_id: String,
    pub clean: bool,
    pub keep_alive: u16,
    pub username: Option<String>,
    pub password: Option<String>,
}

/// PUBLISH.
#[derive(Debug, Clone, PartialEq)]
pub struct Publish {
    pub topic: String,
    pub qos: u8,
    pub retain: bool,
    pub pid: u16,
    pub payload: Bytes,
}

/// A decoded packet.
#[derive(Debug, Clone, PartialEq)]
pub enum Packet {
    Connect(Connect),
    Publish(Publish),
    PubAck(u16),
    PubRec(u16),
    PubRel(u16),
    PubComp(u16),
    Subscribe {
        pid: u16,
        filters: Vec<(String, u8)>,
    },
    Unsubscribe {
        pid: u16,
        filters: Vec<String>,
    },
    PingReq,
    Disconnect,
}

/// Why bytes are not a packet.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// The fixed header announces more than the limit.
    #[error("packet of {0} bytes is larger than the limit")]
    TooLarge(usize),
    /// Not valid MQTT.
    #[error("malformed packet: {0}")]
    Malformed(&'static str),
}

fn bad<T>(why: &'static str) -> Result<T, DecodeError> {
    Err(DecodeError::Malformed(why))
}

/// Takes one complete packet off the front of `buf`; Ok(None) when more bytes are needed.
/// `version` is None until CONNECT has been read.
pub fn decode(
    buf: &mut BytesMut,
    version: Option<Version>,
    max: usize,
) -> Result<Option<Packet>, DecodeError> {
    let Some((len, header_len)) = remaining_length(buf)? else {
        return Ok(None);
    };
    if len + header_len > max {
        return Err(DecodeError::TooLarge(len + header_len));
    }
    if buf.len() < header_len + len {
        buf.reserve(header_len + len - buf.len());
        return Ok(None);
    }
    let first = buf[0];
    buf.advance(header_len);
    let body = buf.split_to(len).freeze();
    let mut r = Reader(body);
    let v5 = version == Some(Version::V5);
    let packet = match (first >> 4, version) {
        (1, None) => Packet::Connect(connect(&mut r)?),
        (1, Some(_)) => return bad("a second CONNECT"),
        (_, None) => return bad("the first packet must be CONNECT"),
        (3, Some(_)) => Packet::Publish(read_publish(first, &mut r, v5)?),
        (4, _) => Packet::PubAck(r.u16()?),
        (5, _) => Packet::PubRec(r.u16()?),
        (6, _) if first & 0x0f == 2 => Packet::PubRel(r.u16()?),
        (7, _) => Packet::PubComp(r.u16()?),
        (8, _) if first & 0x0f == 2 => subscribe(&mut r, v5)?,
        (10, _) if first & 0x0f == 2 => unsubscribe(&mut r, v5)?,
        (12, _) => Packet::PingReq,
        (14, _) => Packet::Disconnect,
        _ => return bad("unknown packet type or wrong flags"),
    };
    Ok(Some(packet))
}

/// The remaining length and the size of the fixed header, once enough bytes are there.
fn remaining_length(buf: &[u8]) -> Result<Option<(usize, usize)>, DecodeError> {
    let mut value = 0usize;
    for i in 0..4 {
        let Some(&b) = buf.get(1 + i) else {
            return Ok(None);
        };
        value |= usize::from(b & 0x7f) << (7 * i);
        if b & 0x80 == 0 {
            return Ok(Some((value, 2 + i)));
        }
    }
    bad("remaining length longer than 4 bytes")
}

struct Reader(Bytes);

impl Reader {
    fn u8(&mut self) -> Result<u8, DecodeError> {
        if self.0.is_empty() {
            return bad("packet ends early");
        }
        Ok(self.0.get_u8())
    }

    fn u16(&mut self) -> Result<u16, DecodeError> {
        if self.0.len() < 2 {
            return bad("packet ends early");
        }
        Ok(self.0.get_u16())
    }

    fn bytes(&mut self) -> Result<Bytes, DecodeError> {
        let n = usize::from(self.u16()?);
        if self.0.len() < n {
            return bad("field longer than the packet");
        }
        Ok(self.0.split_to(n))
    }

    fn string(&mut self) -> Result<String, DecodeError> {
        let b = self.bytes()?;
        let s = std::str::from_utf8(&b).map_err(|_| DecodeError::Malformed("text is not UTF-8"))?;
        if s.contains('\0') {
            return bad("text contains NUL");
        }
        Ok(s.to_string())
    }

    fn varint(&mut self) -> Result<usize, DecodeError> {
        let mut value = 0usize;
        for i in 0..4 {
            let b = self.u8()?;
            value |= usize::from(b & 0x7f) << (7 * i);
            if b & 0x80 == 0 {
                return Ok(value);
            }
        }
        bad("variable integer longer than 4 bytes")
    }

    /// Skips MQTT 5 properties; returns whether a topic alias was among them.
    fn skip_properties(&mut self) -> Result<bool, DecodeError> {
        let n = self.varint()?;
        if self.0.len() < n {
            return bad("properties longer than the packet");
        }
        let props = self.0.split_to(n);
        Ok(has_alias(&props))
    }

    fn rest(&mut self) -> Bytes {
        std::mem::take(&mut self.0)
    }
}

/// Walks a property list looking for Topic Alias (0x23).
fn has_alias(props: &[u8]) -> bool {
    let mut r = Reader(Bytes::copy_from_slice(props));
    while !r.0.is_empty() {
        let Ok(id) = r.u8() else { return false };
        let skip = match id {
            0x23 => return true,
            0x01 | 0x17 | 0x19 | 0x24 | 0x25 | 0x28 | 0x29 | 0x2a => 1,
            0x13 | 0x21 | 0x22 => 2,
            0x02 | 0x11 | 0x18 | 0x27 => 4,
            0x0b => match r.varint() {
                Ok(_) => 0,
                Err(_) => return false,
            },
            0x26 => {
                let ok = r.bytes().is_ok() && r.bytes().is_ok();
                if !ok {
                    return false;
                }
                0
            }
            _ => match r.bytes() {
                Ok(_) => 0,
                Err(_) => return false,
            },
        };
        if r.0.len() < skip {
            return false;
        }
        r.0.advance(skip);
    }
    false
}

fn connect(r: &mut Reader) -> Result<Connect, DecodeError> {
    let name = r.string()?;
    let level = r.u8()?;
    let version = match (name.as_str(), level) {
        ("MQTT", 4) | ("MQIsdp", 3) => Version::V311,
        ("MQTT", 5) => Version::V5,
        _ => return bad("unsupported protocol name or level"),
    };
    let flags = r.u8()?;
    if flags & 1 != 0 {
        return bad("reserved CONNECT flag set");
    }
    let keep_alive = r.u16()?;
    let v5 = version == Version::V5;
    if v5 {
        r.skip_properties()?;
    }
    let client_id = r.string()?;
    if flags & 0x04 != 0 {
        if v5 {
            r.skip_properties()?;
        }
        r.string()?;
        r.bytes()?;
    }
    let username = (flags & 0x80 != 0).then(|| r.string()).transpose()?;
    let password = (flags & 0x40 != 0)
        .then(|| r.bytes().map(|b| String::from_utf8_lossy(&b).into_owned()))
        .transpose()?;
    Ok(Connect {
        version,
        client_id,
        clean: flags & 0x02 != 0,
        keep_alive,
        username,
        password,
    })
}

fn read_publish(first: u8, r: &mut Reader, v5: bool) -> Result<Publish, DecodeError> {
    let qos = (first >> 1) & 3;
    if qos == 3 {
        return bad("PUBLISH with QoS 3");
    }
    let topic = r.string()?;
    let pid = if qos > 0 { r.u16()? } else { 0 };
    if qos > 0 && pid == 0 {
        return bad("PUBLISH with packet id 0");
    }
    if v5 && r.skip_properties()? {
        return bad("topic aliases are not accepted (maximum 0)");
    }
    if topic.is_empty() || topic.contains(['+', '#']) {
        return bad("PUBLISH topic is empty or has wildcards");
    }
    Ok(Publish {
        topic,
        qos,
        retain: first & 1 != 0,
        pid,
        payload: r.rest(),
    })
}

fn subscribe(r: &mut Reader, v5: bool) -> Result<Packet, DecodeError> {
    let pid = r.u16()?;
    if v5 {
        r.skip_properties()?;
    }
    let mut filters = Vec::new();
    while !r.0.is_empty() {
        let f = r.string()?;
        let options = r.u8()?;
        filters.push((f, (options & 3).min(2)));
    }
    if filters.is_empty() {
        return bad("SUBSCRIBE without topic filters");
    }
    Ok(Packet::Subscribe { pid, filters })
}

fn unsubscribe(r: &mut Reader, v5: bool) -> Result<Packet, DecodeError> {
    let pid = r.u16()?;
    if v5 {
        r.skip_properties()?;
    }
    let mut filters = Vec::new();
    while !r.0.is_empty() {
        filters.push(r.string()?);
    }
    if filters.is_empty() {
        return bad("UNSUBSCRIBE without topic filters");
    }
    Ok(Packet::Unsubscribe { pid, filters })
}

#[cfg(test)]
mod tests;
