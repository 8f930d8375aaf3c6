//! The writing half of a connection: drains its bounded queue, coalescing queued packets into
//! one write, and holds QoS 1 acknowledgements until their writes are durable.

use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use tokio::io::{AsyncWrite, AsyncWriteExt};
use tokio::sync::{mpsc, oneshot};

use crate::mqtt::codec::{self, Version};

/// Bytes gathered before a write is issued.
const COALESCE: usize = 64 * 1024;

/// What the connection's queue carries.
#[derive(Debug)]
pub(crate) enum Out {
    /// An encoded packet.
    Raw(Bytes),
    /// A message for the client (a forward or a command).
    Forward {
        topic: Arc<str>,
        payload: Bytes,
        qos: u8,
    },
    /// PUBACK `pid` once `rx` says the writes are durable (or failed).
    AckAfter {
        pid: u16,
        rx: oneshot::Receiver<Result<(), String>>,
    },
    /// Close, with an MQTT 5 reason.
    Close(u8),
}

/// Runs until the queue closes or a Close arrives.
pub(crate) async fn run<W: AsyncWrite + Unpin>(
    mut wr: W,
    mut rx: mpsc::Receiver<Out>,
    version: Version,
) {
    let mut buf = BytesMut::with_capacity(8 * 1024);
    let mut next_pid: u16 = 0;
    while let Some(first) = rx.recv().await {
        let mut item = Some(first);
        let mut closing = None;
        while let Some(out) = item.take() {
            match out {
                Out::Raw(b) => buf.extend_from_slice(&b),
                Out::Forward {
                    topic,
                    payload,
                    qos,
                } => {
                    next_pid = next_pid.checked_add(1).unwrap_or(1);
                    codec::publish(&mut buf, version, &topic, &payload, qos, next_pid);
                }
                Out::AckAfter { pid, rx } => {
                    // Acknowledge only durable data; a failed write is still acknowledged
                    // (MQTT 3.1.1 has no negative ack), it is dead-lettered and counted.
                    let _ = rx.await;
                    codec::ack(&mut buf, codec::PUBACK, pid);
                }
                Out::Close(reason) => {
                    codec::disconnect(&mut buf, version, reason);
                    closing = Some(reason);
                    break;
                }
            }
            if buf.len() < COALESCE {
                item = rx.try_recv().ok();
            }
        }
        if wr.write_all(&buf).await.is_err() {
            return;
        }
        buf.clear();
        if closing.is_some() {
            break;
        }
    }
    let _ = wr.flush().await;
    let _ = wr.shutdown().await;
}
