//! A minimal MQTT 3.1.1 publisher over a tokio TCP stream: CONNECT, PUBLISH at QoS 0 or 1
//! with a bounded window of unacknowledged messages, PINGREQ and DISCONNECT.
//!
//! Owns only what a field device (or a load generator) needs to push measurements. It never
//! subscribes, never retains, has no TLS, and it treats every packet from the broker other
//! than CONNACK, PUBACK and PINGRESP as noise. A full client library would pull dozens of
//! crates for features the simulator does not use.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt, BufReader, BufWriter};
use tokio::net::TcpStream;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::sync::Semaphore;
use tokio::task::JoinHandle;
use tokio::time::{Instant, timeout};

/// Packet type nibbles (MQTT 3.1.1 §2.2.1), already shifted into the high half.
const CONNECT: u8 = 0x10;
const CONNACK: u8 = 0x20;
const PUBLISH: u8 = 0x30;
const PUBACK: u8 = 0x40;
const PINGREQ: u8 = 0xC0;
const DISCONNECT: u8 = 0xE0;
/// The largest "remaining length" the protocol can express.
const MAX_REMAINING: usize = 268_435_455;
/// How long the broker has to answer CONNECT.
const CONNACK_TIMEOUT: Duration = Duration::from_secs(10);

/// Delivery guarantee for publications.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum QoS {
    /// Fire and forget.
    AtMostOnce,
    /// Acknowledged by the broker (PUBACK); re-delivery on reconnect is not implemented.
    AtLeastOnce,
}

/// Connection settings.
#[derive(Clone, Debug)]
pub struct MqttOptions {
    /// The client identifier (1-23 characters is the portable range).
    pub client_id: String,
    /// Keep-alive interval announced to the broker.
    pub keep_alive: Duration,
    /// The QoS of every publication.
    pub qos: QoS,
    /// How many QoS 1 publications may await their PUBACK at once.
    pub max_inflight: usize,
}

impl MqttOptions {
    /// QoS 1, a 60-second keep-alive and a window of 256 messages.
    pub fn new(client_id: impl Into<String>) -> Self {
        Self {
            client_id: client_id.into(),
            keep_alive: Duration::from_secs(60),
            qos: QoS::AtLeastOnce,
            max_inflight: 256,
        }
    }
}

/// Why MQTT failed.
#[derive(Debug, thiserror::Error)]
pub enum MqttError {
    /// The socket failed.
    #[error("MQTT connection to {addr} failed: {source}")]
    Io {
        /// The broker address.
        addr: SocketAddr,
        /// The socket error.
        source: std::io::Error,
    },
    /// The broker refused the connection (CONNACK return code).
    #[error("MQTT broker {addr} refused the connection (code {code})")]
    Refused {
        /// The broker address.
        addr: SocketAddr,
        /// The CONNACK return code (1-5).
        code: u8,
    },
    /// The broker sent something that is not MQTT 3.1.1, or nothing in time.
    #[error("MQTT broker {addr} broke the protocol: {what}")]
    Protocol {
        /// The broker address.
        addr: SocketAddr,
        /// What went wrong.
        what: &'static str,
    },
    /// The broker closed the connection.
    #[error("MQTT broker {0} closed the connection")]
    Closed(SocketAddr),
    /// A topic or payload too large for one packet.
    #[error("MQTT packet too large ({0} bytes)")]
    TooLarge(usize),
}

/// A connected publisher.
pub struct MqttClient {
    addr: SocketAddr,
    writer: BufWriter<OwnedWriteHalf>,
    qos: QoS,
    max_inflight: usize,
    window: Arc<Semaphore>,
    acked: Arc<AtomicU64>,
    reader: JoinHandle<()>,
    next_id: u16,
    keep_alive: Duration,
    last_sent: Instant,
    published: u64,
}

impl MqttClient {
    /// Connects to `addr` and completes the CONNECT/CONNACK handshake (clean session).
    pub async fn connect(addr: SocketAddr, opts: &MqttOptions) -> Result<MqttClient, MqttError> {
        let io = |source| MqttError::Io { addr, source };
        let stream = TcpStream::connect(addr).await.map_err(io)?;
        stream.set_nodelay(true).map_err(io)?;
        let (read, write) = stream.into_split();
        let mut writer = BufWriter::new(write);
        writer.write_all(&connect_packet(opts)?).await.map_err(io)?;
        writer.flush().await.map_err(io)?;
        let mut reader = BufReader::new(read);
        let connack = timeout(CONNACK_TIMEOUT, read_packet(&mut reader))
            .await
            .map_err(|_| MqttError::Protocol {
                addr,
                what: "no CONNACK in time",
            })?
            .map_err(io)?;
        match connack {
            Some((CONNACK, body)) if body.len() == 2 && body[1] == 0 => {}
            Some((CONNACK, body)) if body.len() == 2 => {
                return Err(MqttError::Refused {
                    addr,
                    code: body[1],
                });
            }
            Some(_) => {
                return Err(MqttError::Protocol {
                    addr,
                    what: "expected CONNACK",
                });
            }
            None => return Err(MqttError::Closed(addr)),
        }
        let window = Arc::new(Semaphore::new(opts.max_inflight.max(1)));
        let acked = Arc::new(AtomicU64::new(0));
        let reader = tokio::spawn(read_loop(reader, Arc::clone(&window), Arc::clone(&acked)));
        Ok(MqttClient {
            addr,
            writer,
            qos: opts.qos,
            max_inflight: opts.max_inflight.max(1),
            window,
            acked,
            reader,
            next_id: 0,
            keep_alive: opts.keep_alive,
            last_sent: Instant::now(),
            published: 0,
        })
    }

    /// Queues one publication; at QoS 1 it waits while the window of unacknowledged messages
    /// is full (flushing first, so the broker can answer).
    pub async fn publish(&mut self, topic: &str, payload: &[u8]) -> Result<(), MqttError> {
        let id = match self.qos {
            QoS::AtMostOnce => None,
            QoS::AtLeastOnce => {
                self.reserve().await?;
                self.next_id = self.next_id.checked_add(1).unwrap_or(1);
                Some(self.next_id)
            }
        };
        let packet = publish_packet(topic, payload, id)?;
        self.write(&packet).await?;
        self.published += 1;
        Ok(())
    }

    /// Sends buffered packets to the broker.
    pub async fn flush(&mut self) -> Result<(), MqttError> {
        let addr = self.addr;
        self.writer
            .flush()
            .await
            .map_err(|source| MqttError::Io { addr, source })
    }

    /// Sends PINGREQ when nothing has been sent for half the keep-alive interval.
    pub async fn keep_alive(&mut self) -> Result<(), MqttError> {
        if self.last_sent.elapsed() >= self.keep_alive / 2 {
            self.write(&[PINGREQ, 0]).await?;
            self.flush().await?;
        }
        Ok(())
    }

    /// Publications sent so far.
    pub fn published(&self) -> u64 {
        self.published
    }

    /// QoS 1 publications the broker has acknowledged so far.
    pub fn acknowledged(&self) -> u64 {
        self.acked.load(Ordering::Relaxed)
    }

    /// Waits up to `grace` for outstanding acknowledgements, then says goodbye.
    pub async fn disconnect(mut self, grace: Duration) -> Result<(), MqttError> {
        self.flush().await?;
        if self.qos == QoS::AtLeastOnce {
            let all = u32::try_from(self.max_inflight).unwrap_or(u32::MAX);
            // Holding every permit means nothing is in flight; the permits drop with `self`.
            let _ = timeout(grace, self.window.acquire_many(all)).await;
        }
        self.write(&[DISCONNECT, 0]).await?;
        self.flush().await?;
        self.reader.abort();
        Ok(())
    }

    async fn reserve(&mut self) -> Result<(), MqttError> {
        let permit = match Arc::clone(&self.window).try_acquire_owned() {
            Ok(p) => p,
            Err(_) => {
                self.flush().await?;
                Arc::clone(&self.window)
                    .acquire_owned()
                    .await
                    .map_err(|_| MqttError::Closed(self.addr))?
            }
        };
        // The reader task gives the permit back when the PUBACK arrives.
        permit.forget();
        Ok(())
    }

    async fn write(&mut self, bytes: &[u8]) -> Result<(), MqttError> {
        let addr = self.addr;
        self.writer
            .write_all(bytes)
            .await
            .map_err(|source| MqttError::Io { addr, source })?;
        self.last_sent = Instant::now();
        Ok(())
    }
}

impl Drop for MqttClient {
    fn drop(&mut self) {
        self.reader.abort();
    }
}

/// Reads the broker's packets until the connection ends, releasing a window slot per PUBACK.
async fn read_loop(
    mut reader: BufReader<OwnedReadHalf>,
    window: Arc<Semaphore>,
    acked: Arc<AtomicU64>,
) {
    while let Ok(Some((kind, _body))) = read_packet(&mut reader).await {
        // PINGRESP and anything unexpected need no action.
        if kind == PUBACK {
            acked.fetch_add(1, Ordering::Relaxed);
            window.add_permits(1);
        }
    }
    // Wake publishers waiting for a slot: the connection is gone.
    window.close();
}

/// One packet: its type nibble (high half of the first byte) and its body; `None` at EOF.
async fn read_packet(
    reader: &mut BufReader<OwnedReadHalf>,
) -> std::io::Result<Option<(u8, Vec<u8>)>> {
    let mut first = [0u8; 1];
    if reader.read(&mut first).await? == 0 {
        return Ok(None);
    }
    let mut len = 0usize;
    let mut shift = 0;
    loop {
        let byte = reader.read_u8().await?;
        len |= usize::from(byte & 0x7F) << shift;
        if byte & 0x80 == 0 {
            break;
        }
        shift += 7;
        if shift > 21 {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                "bad remaining length",
            ));
        }
    }
    let mut body = vec![0u8; len];
    reader.read_exact(&mut body).await?;
    Ok(Some((first[0] & 0xF0, body)))
}

/// The CONNECT packet: protocol "MQTT" level 4, clean session, no will, no credentials.
pub fn connect_packet(opts: &MqttOptions) -> Result<Vec<u8>, MqttError> {
    let mut body = Vec::with_capacity(16 + opts.client_id.len());
    put_str(&mut body, "MQTT")?;
    body.push(4);
    body.push(0x02);
    let keep_alive = u16::try_from(opts.keep_alive.as_secs()).unwrap_or(u16::MAX);
    body.extend_from_slice(&keep_alive.to_be_bytes());
    put_str(&mut body, &opts.client_id)?;
    frame(CONNECT, &body)
}

/// A PUBLISH packet; `id` present means QoS 1.
pub fn publish_packet(topic: &str, payload: &[u8], id: Option<u16>) -> Result<Vec<u8>, MqttError> {
    let mut body = Vec::with_capacity(4 + topic.len() + payload.len());
    put_str(&mut body, topic)?;
    if let Some(id) = id {
        body.extend_from_slice(&id.to_be_bytes());
    }
    body.extend_from_slice(payload);
    let flags = if id.is_some() { 0x02 } else { 0x00 };
    frame(PUBLISH | flags, &body)
}

fn put_str(out: &mut Vec<u8>, s: &str) -> Result<(), MqttError> {
    let len = u16::try_from(s.len()).map_err(|_| MqttError::TooLarge(s.len()))?;
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(s.as_bytes());
    Ok(())
}

/// Prefixes `body` with the fixed header (type byte and variable-length remaining length).
fn frame(first: u8, body: &[u8]) -> Result<Vec<u8>, MqttError> {
    if body.len() > MAX_REMAINING {
        return Err(MqttError::TooLarge(body.len()));
    }
    let mut out = Vec::with_capacity(body.len() + 5);
    out.push(first);
    let mut len = body.len();
    loop {
        let mut byte = (len % 128) as u8;
        len /= 128;
        if len > 0 {
            byte |= 0x80;
        }
        out.push(byte);
        if len == 0 {
            break;
        }
    }
    out.extend_from_slice(body);
    Ok(out)
}

#[cfg(test)]
pub(crate) mod tests;
