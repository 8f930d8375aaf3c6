//! One client connection of the embedded broker: CONNECT and authentication, then a read loop
//! (publishes to the ingest sink and to subscribers, subscriptions, pings, keep-alive) and a
//! writer task draining the connection's bounded queue. QoS 1 uplinks are acknowledged only
//! once their measurements are durable.

mod writer;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::mpsc;

use super::broker::{Handle, Shared};
use super::codec::{self, Connect, ConnectCode, DecodeError, Packet, Publish, Version};
use super::router::{self, SessionId};
use crate::deadletter::{Reason, Rejected};
use crate::ingest::{Credentials, Submitted};

pub(crate) use writer::Out;

/// Runs one connection to its end.
pub(crate) async fn run<S>(stream: S, peer: SocketAddr, shared: Arc<Shared>)
where
    S: AsyncRead + AsyncWrite + Send + Unpin + 'static,
{
    let open = shared.connections.fetch_add(1, Ordering::AcqRel) + 1;
    shared
        .metrics
        .mqtt_connections
        .fetch_add(1, Ordering::Relaxed);
    if open <= shared.config.max_connections {
        let (mut rd, wr) = tokio::io::split(stream);
        if let Err(why) = serve(&mut rd, wr, peer, &shared).await {
            tracing::debug!(%peer, %why, "MQTT connection closed");
        }
    } else {
        tracing::warn!(%peer, "refusing an MQTT connection: max_connections reached");
        let (_, mut wr) = tokio::io::split(stream);
        let _ = wr.shutdown().await;
    }
    shared.connections.fetch_sub(1, Ordering::AcqRel);
    shared
        .metrics
        .mqtt_connections
        .fetch_sub(1, Ordering::Relaxed);
}

/// What the read loop knows about its client.
struct Client {
    sid: SessionId,
    version: Version,
    client_id: String,
    keep_alive: Option<Duration>,
    credentials: Option<Arc<Credentials>>,
    filters: Vec<String>,
    tx: mpsc::Sender<Out>,
}

async fn serve<R, W>(
    rd: &mut R,
    wr: W,
    peer: SocketAddr,
    shared: &Arc<Shared>,
) -> Result<(), String>
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Send + Unpin + 'static,
{
    let mut buf = BytesMut::with_capacity(4096);
    let limit = Duration::from_secs(shared.config.connect_timeout_s.max(1));
    let first = tokio::time::timeout(limit, read_packet(rd, &mut buf, None, shared)).await;
    let connect = match first {
        Ok(Ok(Packet::Connect(c))) => c,
        Ok(Ok(_)) => return Err("first packet is not CONNECT".into()),
        Ok(Err(e)) => return Err(e),
        Err(_) => return Err("no CONNECT in time".into()),
    };
    let (tx, rx) = mpsc::channel(shared.config.outbound_queue.max(4));
    let code = authenticate(&connect, shared);
    let version = connect.version;
    let writer = tokio::spawn(writer::run(wr, rx, version));
    let mut ack = BytesMut::new();
    codec::connack(&mut ack, version, code, shared.config.max_packet_bytes);
    let _ = tx.send(Out::Raw(ack.freeze())).await;
    if code != ConnectCode::Accepted {
        drop(tx);
        let _ = writer.await;
        return Err(format!("CONNECT refused: {code:?}"));
    }
    let mut client = register(connect, tx, shared);
    let result = read_loop(rd, &mut buf, &mut client, shared).await;
    unregister(&client, shared);
    if let Err(e) = &result {
        note_error(e, &client, peer, shared);
    }
    drop(client);
    let _ = writer.await;
    result.map_err(|e| e.to_string())
}

fn authenticate(c: &Connect, shared: &Shared) -> ConnectCode {
    match (&c.username, &c.password) {
        (Some(u), Some(p)) => {
            let user = shared
                .config
                .users
                .iter()
                .any(|x| x.username == *u && x.password == *p);
            let device = shared.tokens.as_ref().is_some_and(|check| check(u, p));
            if user || device || shared.config.allow_anonymous {
                ConnectCode::Accepted
            } else {
                ConnectCode::BadCredentials
            }
        }
        _ if shared.config.allow_anonymous => ConnectCode::Accepted,
        _ => ConnectCode::NotAuthorized,
    }
}

fn register(c: Connect, tx: mpsc::Sender<Out>, shared: &Shared) -> Client {
    let sid = shared.next_id.fetch_add(1, Ordering::Relaxed);
    let client_id = if c.client_id.is_empty() {
        format!("twinisle-auto-{sid}")
    } else {
        c.client_id
    };
    let handle = Handle { tx: tx.clone() };
    shared.sessions.lock().insert(sid, handle);
    let previous = shared.clients.lock().insert(client_id.clone(), sid);
    if let Some(old) =
        previous.and_then(|old| shared.sessions.lock().get(&old).map(|h| h.tx.clone()))
    {
        // MQTT: a new connection with the same client id takes the session over.
        let _ = old.try_send(Out::Close(codec::REASON_TAKEN_OVER));
    }
    let credentials = (c.username.is_some() || c.password.is_some()).then(|| {
        Arc::new(Credentials {
            username: c.username,
            password: c.password,
        })
    });
    Client {
        sid,
        version: c.version,
        client_id,
        keep_alive: (c.keep_alive > 0)
            .then(|| Duration::from_millis(u64::from(c.keep_alive) * 1500)),
        credentials,
        filters: Vec::new(),
        tx,
    }
}

fn unregister(c: &Client, shared: &Shared) {
    {
        let mut router = shared.router.write();
        for f in &c.filters {
            router.unsubscribe(f, c.sid);
        }
    }
    shared.sessions.lock().remove(&c.sid);
    let mut clients = shared.clients.lock();
    if clients.get(&c.client_id) == Some(&c.sid) {
        clients.remove(&c.client_id);
    }
}

/// Why a read loop ended abnormally.
#[derive(Debug)]
enum LoopError {
    Io(String),
    Decode(DecodeError),
    KeepAlive,
}

impl std::fmt::Display for LoopError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LoopError::Io(e) => write!(f, "{e}"),
            LoopError::Decode(e) => write!(f, "{e}"),
            LoopError::KeepAlive => write!(f, "keep-alive expired"),
        }
    }
}

fn note_error(e: &LoopError, c: &Client, peer: SocketAddr, shared: &Shared) {
    let (reason, close) = match e {
        LoopError::Decode(DecodeError::TooLarge(_)) => {
            (Some(Reason::Oversized), codec::REASON_PACKET_TOO_LARGE)
        }
        LoopError::Decode(DecodeError::Malformed(_)) => {
            (Some(Reason::Malformed), codec::REASON_PROTOCOL_ERROR)
        }
        LoopError::KeepAlive => (None, codec::REASON_KEEP_ALIVE),
        LoopError::Io(_) => (None, 0),
    };
    if close != 0 {
        let _ = c.tx.try_send(Out::Close(close));
    }
    if let Some(reason) = reason {
        let source = format!("client {} ({peer})", c.client_id);
        let rejected = Rejected {
            reason,
            transport: "mqtt",
            source: &source,
            tenant: None,
            device_id: None,
            detail: format!("{e}; the client was disconnected"),
            payload: b"",
        };
        shared.dead.record(rejected, ngsi::time::now());
    }
}

async fn read_loop<R: AsyncRead + Unpin>(
    rd: &mut R,
    buf: &mut BytesMut,
    c: &mut Client,
    shared: &Shared,
) -> Result<(), LoopError> {
    let mut stop = shared.stop.clone();
    loop {
        let next = read_packet(rd, buf, Some(c.version), shared);
        let packet = tokio::select! {
            _ = stop.changed() => return Ok(()),
            p = async {
                match c.keep_alive {
                    Some(limit) => tokio::time::timeout(limit, next).await.map_err(|_| LoopError::KeepAlive)?,
                    None => next.await,
                }
            } => p?,
        };
        if !handle(packet, c, shared).await {
            return Ok(());
        }
    }
}

/// Reads until one packet is complete.
async fn read_packet<R: AsyncRead + Unpin, E: From<LoopError>>(
    rd: &mut R,
    buf: &mut BytesMut,
    version: Option<Version>,
    shared: &Shared,
) -> Result<Packet, E> {
    loop {
        match codec::decode(buf, version, shared.config.max_packet_bytes) {
            Ok(Some(p)) => return Ok(p),
            Ok(None) => {}
            Err(e) => return Err(LoopError::Decode(e).into()),
        }
        match rd.read_buf(buf).await {
            Ok(0) => return Err(LoopError::Io("connection closed".into()).into()),
            Ok(_) => {}
            Err(e) => return Err(LoopError::Io(e.to_string()).into()),
        }
    }
}

impl From<LoopError> for String {
    fn from(e: LoopError) -> Self {
        e.to_string()
    }
}

/// Handles one packet; false ends the connection.
async fn handle(packet: Packet, c: &mut Client, shared: &Shared) -> bool {
    let mut out = BytesMut::new();
    match packet {
        Packet::Publish(p) => return publish(p, c, shared).await,
        Packet::PubRel(pid) => codec::ack(&mut out, codec::PUBCOMP, pid),
        Packet::PubAck(_) | Packet::PubRec(_) | Packet::PubComp(_) => return true,
        Packet::Subscribe { pid, filters } => subscribe(pid, filters, c, shared, &mut out),
        Packet::Unsubscribe { pid, filters } => {
            let mut router = shared.router.write();
            for f in &filters {
                let f = router::unshare(f);
                router.unsubscribe(f, c.sid);
                c.filters.retain(|x| x != f);
            }
            codec::unsuback(&mut out, c.version, pid, filters.len());
        }
        Packet::PingReq => codec::pingresp(&mut out),
        Packet::Disconnect | Packet::Connect(_) => return false,
    }
    c.tx.send(Out::Raw(out.freeze())).await.is_ok()
}

fn subscribe(
    pid: u16,
    filters: Vec<(String, u8)>,
    c: &mut Client,
    shared: &Shared,
    out: &mut BytesMut,
) {
    let refused = if c.version == Version::V5 { 0x8f } else { 0x80 };
    let mut codes = Vec::with_capacity(filters.len());
    let mut router = shared.router.write();
    for (f, qos) in filters {
        let f = router::unshare(&f).to_string();
        if !router::valid_filter(&f) {
            codes.push(refused);
            continue;
        }
        let granted = qos.min(1);
        router.subscribe(&f, c.sid, granted);
        if !c.filters.contains(&f) {
            c.filters.push(f);
        }
        codes.push(granted);
    }
    codec::suback(out, c.version, pid, &codes);
}

async fn publish(p: Publish, c: &mut Client, shared: &Shared) -> bool {
    shared.forward(&p.topic, &p.payload, p.qos);
    let wants_ack = p.qos == 1;
    let pending = match super::uplink(&p.topic, "", p.payload, c.credentials.clone(), wants_ack) {
        Some(msg) => match shared.sink.submit(msg).await {
            Ok(Submitted::Pending(rx)) if wants_ack => Some(rx),
            _ => None,
        },
        None => None,
    };
    let out = match (p.qos, pending) {
        (0, _) => return true,
        (1, Some(rx)) => Out::AckAfter { pid: p.pid, rx },
        (1, None) => Out::Raw(ack_bytes(codec::PUBACK, p.pid)),
        _ => Out::Raw(ack_bytes(codec::PUBREC, p.pid)),
    };
    c.tx.send(out).await.is_ok()
}

fn ack_bytes(first: u8, pid: u16) -> Bytes {
    let mut b = BytesMut::with_capacity(4);
    codec::ack(&mut b, first, pid);
    b.freeze()
}
