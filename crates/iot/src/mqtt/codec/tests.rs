//! Codec tests: round trips through the encoders, partial reads, limits, malformed input.

use bytes::{BufMut, BytesMut};

use super::*;

fn connect_bytes(level: u8, flags: u8, tail: &[u8]) -> BytesMut {
    let mut body = BytesMut::new();
    body.put_u16(4);
    body.put_slice(b"MQTT");
    body.put_u8(level);
    body.put_u8(flags);
    body.put_u16(30);
    if level == 5 {
        body.put_u8(0);
    }
    body.put_slice(tail);
    let mut out = BytesMut::new();
    out.put_u8(0x10);
    out.put_u8(body.len() as u8);
    out.put_slice(&body);
    out
}

fn text(s: &str) -> Vec<u8> {
    let mut v = (s.len() as u16).to_be_bytes().to_vec();
    v.extend_from_slice(s.as_bytes());
    v
}

#[test]
fn connect_with_credentials_in_both_versions() {
    for level in [4u8, 5] {
        let mut tail = text("dev1");
        tail.extend(text("gauge01"));
        tail.extend(text("s3cret"));
        let mut buf = connect_bytes(level, 0xc2, &tail);
        let p = decode(&mut buf, None, 1024).unwrap().unwrap();
        let Packet::Connect(c) = p else {
            panic!("not a connect: {p:?}")
        };
        assert_eq!(c.client_id, "dev1");
        assert_eq!(c.username.as_deref(), Some("gauge01"));
        assert_eq!(c.password.as_deref(), Some("s3cret"));
        assert!(c.clean);
        assert_eq!(
            c.version,
            if level == 5 {
                Version::V5
            } else {
                Version::V311
            }
        );
        assert!(buf.is_empty());
    }
}

#[test]
fn publish_round_trips_and_partial_reads_wait() {
    for v in [Version::V311, Version::V5] {
        let mut out = BytesMut::new();
        publish(&mut out, v, "/json/k/d/attrs", br#"{"l":3.2}"#, 1, 7);
        let whole = out.clone();
        let mut partial = BytesMut::from(&whole[..5]);
        assert_eq!(decode(&mut partial, Some(v), 1024), Ok(None));
        partial.extend_from_slice(&whole[5..]);
        let p = decode(&mut partial, Some(v), 1024).unwrap().unwrap();
        let Packet::Publish(p) = p else {
            panic!("{p:?}")
        };
        assert_eq!((p.topic.as_str(), p.qos, p.pid), ("/json/k/d/attrs", 1, 7));
        assert_eq!(&p.payload[..], br#"{"l":3.2}"#);
    }
}

#[test]
fn oversized_packets_are_refused_from_the_header() {
    let mut buf = BytesMut::from(&[0x30u8, 0xff, 0xff, 0x03][..]);
    assert_eq!(
        decode(&mut buf, Some(Version::V311), 1000),
        Err(DecodeError::TooLarge(65535 + 4))
    );
}

#[test]
fn malformed_packets_are_errors() {
    let cases: Vec<(Option<Version>, Vec<u8>)> = vec![
        (None, vec![0x30, 2, 0, 0]),
        (Some(Version::V311), vec![0x10, 2, 0, 0]),
        (Some(Version::V311), vec![0x30, 1, 0]),
        (Some(Version::V311), vec![0x36, 4, 0, 1, b'a', 0]),
        (Some(Version::V311), vec![0x82, 2, 0, 1]),
        (Some(Version::V311), vec![0x80, 2, 0, 1]),
        (Some(Version::V311), vec![0x30, 0xff, 0xff, 0xff, 0xff, 1]),
        (Some(Version::V311), vec![0x32, 5, 0, 1, b'a', 0, 0]),
        (Some(Version::V311), vec![0x30, 3, 0, 1, b'#']),
        (Some(Version::V311), vec![0xf0, 0]),
        (None, vec![0x10, 6, 0, 4, b'M', b'Q', b'T', b'T']),
    ];
    for (v, bytes) in cases {
        let mut buf = BytesMut::from(&bytes[..]);
        let got = decode(&mut buf, v, 1 << 20);
        assert!(
            matches!(got, Err(DecodeError::Malformed(_))),
            "{bytes:?} gave {got:?}"
        );
    }
}

#[test]
fn subscribe_unsubscribe_and_acks() {
    let mut buf = BytesMut::new();
    buf.put_slice(&[0x82, 13, 0, 5]);
    buf.put_slice(&text("/k/+/cmd"));
    buf.put_u8(1);
    buf.put_slice(&[0xa2, 5, 0, 6, 0, 1, b'x']);
    buf.put_slice(&[0xc0, 0, 0xe0, 0]);
    let v = Some(Version::V311);
    assert_eq!(
        decode(&mut buf, v, 1024).unwrap(),
        Some(Packet::Subscribe {
            pid: 5,
            filters: vec![("/k/+/cmd".into(), 1)]
        })
    );
    assert_eq!(
        decode(&mut buf, v, 1024).unwrap(),
        Some(Packet::Unsubscribe {
            pid: 6,
            filters: vec!["x".into()]
        })
    );
    assert_eq!(decode(&mut buf, v, 1024).unwrap(), Some(Packet::PingReq));
    assert_eq!(decode(&mut buf, v, 1024).unwrap(), Some(Packet::Disconnect));
    let mut out = BytesMut::new();
    suback(&mut out, Version::V5, 5, &[1]);
    assert_eq!(&out[..], &[0x90, 4, 0, 5, 0, 1]);
    let mut out = BytesMut::new();
    connack(&mut out, Version::V5, ConnectCode::Accepted, 1024);
    assert_eq!(out[1] as usize, out.len() - 2);
}

#[test]
fn mqtt5_topic_aliases_are_refused() {
    let mut body = BytesMut::new();
    body.put_slice(&text("t"));
    body.put_slice(&[3, 0x23, 0, 1]);
    let mut buf = BytesMut::new();
    buf.put_u8(0x30);
    buf.put_u8(body.len() as u8);
    buf.put_slice(&body);
    assert!(decode(&mut buf, Some(Version::V5), 1024).is_err());
}
