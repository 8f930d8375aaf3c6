//! Encoders for the packets the broker sends.

use bytes::{BufMut, BytesMut};

use super::Version;

/// CONNACK return / reason codes the broker uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConnectCode {
    Accepted,
    BadCredentials,
    NotAuthorized,
    ServerBusy,
}

impl ConnectCode {
    fn byte(self, v: Version) -> u8 {
        match (self, v) {
            (Self::Accepted, _) => 0,
            (Self::BadCredentials, Version::V311) => 4,
            (Self::NotAuthorized, Version::V311) => 5,
            (Self::ServerBusy, Version::V311) => 3,
            (Self::BadCredentials, Version::V5) => 0x86,
            (Self::NotAuthorized, Version::V5) => 0x87,
            (Self::ServerBusy, Version::V5) => 0x89,
        }
    }
}

/// MQTT 5 DISCONNECT reasons the broker sends.
pub const REASON_PACKET_TOO_LARGE: u8 = 0x95;
pub const REASON_KEEP_ALIVE: u8 = 0x8d;
pub const REASON_PROTOCOL_ERROR: u8 = 0x82;
pub const REASON_TAKEN_OVER: u8 = 0x8e;
pub const REASON_SHUTTING_DOWN: u8 = 0x8b;

fn put_varint(buf: &mut BytesMut, mut n: usize) {
    loop {
        let mut b = (n % 128) as u8;
        n /= 128;
        if n > 0 {
            b |= 0x80;
        }
        buf.put_u8(b);
        if n == 0 {
            break;
        }
    }
}

fn put_str(buf: &mut BytesMut, s: &str) {
    buf.put_u16(s.len().min(u16::MAX as usize) as u16);
    buf.put_slice(&s.as_bytes()[..s.len().min(u16::MAX as usize)]);
}

fn header(buf: &mut BytesMut, first: u8, len: usize) {
    buf.put_u8(first);
    put_varint(buf, len);
}

/// CONNACK; for MQTT 5 it announces the packet size limit and no retain, aliases or sharing.
pub fn connack(buf: &mut BytesMut, v: Version, code: ConnectCode, max_packet: usize) {
    match v {
        Version::V311 => {
            header(buf, 0x20, 2);
            buf.put_slice(&[0, code.byte(v)]);
        }
        Version::V5 => {
            let m = (max_packet.min(u32::MAX as usize) as u32).to_be_bytes();
            // Maximum Packet Size, Retain Available 0, Shared Subscription Available 0,
            // Topic Alias Maximum 0.
            let props = [0x27, m[0], m[1], m[2], m[3], 0x25, 0, 0x2a, 0, 0x22, 0, 0];
            header(buf, 0x20, 2 + 1 + props.len());
            buf.put_slice(&[0, code.byte(v)]);
            put_varint(buf, props.len());
            buf.put_slice(&props);
        }
    }
}

/// PUBLISH (never retained; `pid` only with QoS 1).
pub fn publish(buf: &mut BytesMut, v: Version, topic: &str, payload: &[u8], qos: u8, pid: u16) {
    let mut len = 2 + topic.len() + payload.len();
    if qos > 0 {
        len += 2;
    }
    if v == Version::V5 {
        len += 1;
    }
    header(buf, 0x30 | (qos.min(1) << 1), len);
    put_str(buf, topic);
    if qos > 0 {
        buf.put_u16(pid);
    }
    if v == Version::V5 {
        buf.put_u8(0);
    }
    buf.put_slice(payload);
}

/// PUBACK, PUBREC, PUBREL or PUBCOMP (success: the short form is valid in both versions).
pub fn ack(buf: &mut BytesMut, first: u8, pid: u16) {
    header(buf, first, 2);
    buf.put_u16(pid);
}

/// First bytes of the acknowledgement packets.
pub const PUBACK: u8 = 0x40;
pub const PUBREC: u8 = 0x50;
pub const PUBREL: u8 = 0x62;
pub const PUBCOMP: u8 = 0x70;

/// SUBACK with one code per filter (granted QoS, or 0x80 / 0x8F for a refused filter).
pub fn suback(buf: &mut BytesMut, v: Version, pid: u16, codes: &[u8]) {
    let props = usize::from(v == Version::V5);
    header(buf, 0x90, 2 + props + codes.len());
    buf.put_u16(pid);
    if props == 1 {
        buf.put_u8(0);
    }
    buf.put_slice(codes);
}

/// UNSUBACK for `n` filters.
pub fn unsuback(buf: &mut BytesMut, v: Version, pid: u16, n: usize) {
    match v {
        Version::V311 => ack(buf, 0xb0, pid),
        Version::V5 => {
            header(buf, 0xb0, 3 + n);
            buf.put_u16(pid);
            buf.put_u8(0);
            buf.put_bytes(0, n);
        }
    }
}

/// PINGRESP.
pub fn pingresp(buf: &mut BytesMut) {
    buf.put_slice(&[0xd0, 0]);
}

/// DISCONNECT from the server: MQTT 5 only (3.1.1 just closes the connection).
pub fn disconnect(buf: &mut BytesMut, v: Version, reason: u8) {
    if v == Version::V5 {
        buf.put_slice(&[0xe0, 1, reason]);
    }
}
