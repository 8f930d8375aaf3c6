//! The publisher against an in-process broker stand-in; the stand-in is shared with the demo
//! driver's tests.

use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use super::*;

/// Publications a stand-in broker has received: (topic, payload).
pub(crate) type Received = Arc<Mutex<Vec<(String, Vec<u8>)>>>;

/// A broker stand-in: accepts connections, acknowledges CONNECT, QoS 1 PUBLISH and PINGREQ,
/// and records every publication as (topic, payload).
pub(crate) struct FakeBroker {
    pub addr: SocketAddr,
    pub received: Received,
}

impl FakeBroker {
    pub async fn start() -> FakeBroker {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let received = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&received);
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(serve(stream, Arc::clone(&sink)));
            }
        });
        FakeBroker { addr, received }
    }

    pub fn messages(&self) -> Vec<(String, Vec<u8>)> {
        self.received.lock().map(|v| v.clone()).unwrap_or_default()
    }
}

async fn serve(mut stream: TcpStream, sink: Received) {
    loop {
        let Ok(first) = stream.read_u8().await else {
            return;
        };
        let mut len = 0usize;
        let mut shift = 0;
        loop {
            let Ok(b) = stream.read_u8().await else {
                return;
            };
            len |= usize::from(b & 0x7F) << shift;
            shift += 7;
            if b & 0x80 == 0 {
                break;
            }
        }
        let mut body = vec![0u8; len];
        if stream.read_exact(&mut body).await.is_err() {
            return;
        }
        let reply: Option<Vec<u8>> = match first & 0xF0 {
            0x10 => Some(vec![0x20, 2, 0, 0]),
            0x30 => {
                let tlen = usize::from(u16::from_be_bytes([body[0], body[1]]));
                let topic = String::from_utf8_lossy(&body[2..2 + tlen]).into_owned();
                let qos1 = first & 0x06 == 0x02;
                let start = 2 + tlen + if qos1 { 2 } else { 0 };
                if let Ok(mut v) = sink.lock() {
                    v.push((topic, body[start..].to_vec()));
                }
                qos1.then(|| vec![0x40, 2, body[2 + tlen], body[3 + tlen]])
            }
            0xC0 => Some(vec![0xD0, 0]),
            0xE0 => return,
            _ => None,
        };
        if let Some(r) = reply
            && stream.write_all(&r).await.is_err()
        {
            return;
        }
    }
}

#[test]
fn packets_match_the_specification() {
    let connect = connect_packet(&MqttOptions::new("twin")).expect("connect");
    // Fixed header, remaining length 16, "MQTT", level 4, clean session, keep-alive 60, id.
    let expected: &[u8] = &[
        0x10, 16, 0, 4, b'M', b'Q', b'T', b'T', 4, 0x02, 0, 60, 0, 4, b't', b'w', b'i', b'n',
    ];
    assert_eq!(connect, expected);
    let publish = publish_packet("a/b", b"xy", Some(7)).expect("publish");
    assert_eq!(publish, [0x32, 9, 0, 3, b'a', b'/', b'b', 0, 7, b'x', b'y']);
    let big = publish_packet("t", &[0u8; 200], None).expect("publish");
    // 200 + 3 bytes of body need two length bytes: 203 = 0xCB → [0xCB, 0x01].
    assert_eq!(&big[..3], &[0x30, 0xCB, 0x01]);
    assert!(publish_packet(&"x".repeat(70_000), b"", None).is_err());
}

#[tokio::test]
async fn publishes_at_qos1_and_counts_acknowledgements() {
    let broker = FakeBroker::start().await;
    let mut opts = MqttOptions::new("sim-test");
    opts.max_inflight = 4;
    let mut client = MqttClient::connect(broker.addr, &opts)
        .await
        .expect("connect");
    for i in 0..50 {
        client
            .publish("/json/k/d/attrs", format!("{{\"n\":{i}}}").as_bytes())
            .await
            .expect("publish");
    }
    assert_eq!(client.published(), 50);
    client.flush().await.expect("flush");
    for _ in 0..100 {
        if client.acknowledged() == 50 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(client.acknowledged(), 50);
    client
        .disconnect(Duration::from_secs(5))
        .await
        .expect("disconnect");
    tokio::time::sleep(Duration::from_millis(50)).await;
    let got = broker.messages();
    assert_eq!(got.len(), 50);
    assert_eq!(got[49].1, b"{\"n\":49}");
}

#[tokio::test]
async fn refused_and_unreachable_brokers_are_errors() {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        if let Ok((mut s, _)) = listener.accept().await {
            let mut buf = [0u8; 64];
            let _ = s.read(&mut buf).await;
            let _ = s.write_all(&[0x20, 2, 0, 5]).await;
        }
    });
    let refused = MqttClient::connect(addr, &MqttOptions::new("x")).await;
    assert!(matches!(refused, Err(MqttError::Refused { code: 5, .. })));
    let closed = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let gone = closed.local_addr().expect("addr");
    drop(closed);
    let unreachable = MqttClient::connect(gone, &MqttOptions::new("x")).await;
    assert!(matches!(unreachable, Err(MqttError::Io { .. })));
}
