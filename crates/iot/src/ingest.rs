//! The one southbound entry point. Every transport (embedded broker, external client, HTTP)
//! hands its uplink messages to [`Ingest::submit`], which finds the device, checks its token,
//! decodes, maps, and queues the resulting store writes for the [`batcher`]. Rejections are
//! dead-lettered here, once, whatever the transport.
//!
//! Decoding and mapping run on the submitting task (so they spread over cores with the
//! connections); only committing is serialised. Must not block: registry lookups are read-lock
//! probes, and the queue to the batcher is bounded (a full queue makes transports wait).

pub mod batcher;
mod uplink;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use bytes::Bytes;
use ngsi::Timestamp;
use ngsi::context::CompiledContext;
use tokio::sync::{mpsc, oneshot};

use crate::codec::Codec;
use crate::commands::CommandBook;
use crate::config::IngestConfig;
use crate::deadletter::{DeadLetters, Reason, Rejected};
use crate::device::{DeviceEntry, DeviceTerms};
use crate::mapping::Terms;
use crate::metrics::Metrics;
use crate::registry::Registry;
use batcher::Batch;

/// A boxed future, so the sink trait stays object safe.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Which door a message came in by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    Mqtt,
    Http,
}

impl Transport {
    /// Label for metrics and dead letters.
    pub fn as_str(self) -> &'static str {
        match self {
            Transport::Mqtt => "mqtt",
            Transport::Http => "http",
        }
    }
}

/// What an uplink message carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UplinkKind {
    /// Several measures.
    Attrs,
    /// One measure, named by the topic or path.
    Attr(String),
    /// Command results.
    CmdExe,
}

/// Credentials the sender presented (MQTT CONNECT username/password, HTTP token).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Credentials {
    pub username: Option<String>,
    pub password: Option<String>,
}

/// An uplink message as a transport hands it over.
#[derive(Debug, Clone)]
pub struct Inbound {
    pub transport: Transport,
    /// Topic or path, for dead letters.
    pub source: String,
    /// The codec the topic or path names; None: the device's protocol, else sniffed.
    pub codec: Option<Codec>,
    pub apikey: String,
    pub device_id: String,
    pub kind: UplinkKind,
    pub payload: Bytes,
    /// Observation time given out of band (HTTP `t`), for measures without `TimeInstant`.
    pub time: Option<Timestamp>,
    pub credentials: Option<Arc<Credentials>>,
    /// Whether the sender waits for durability (MQTT QoS ≥ 1, HTTP).
    pub wants_ack: bool,
}

/// What became of a submitted message.
#[derive(Debug)]
pub enum Submitted {
    /// Nothing to wait for (no write was needed).
    Done,
    /// Resolves once its writes are durable (or failed).
    Pending(oneshot::Receiver<Result<(), String>>),
}

/// Why a message was rejected (already dead-lettered and counted).
#[derive(Debug, Clone, PartialEq)]
pub struct Rejection {
    pub reason: Reason,
    pub detail: String,
}

/// Where transports deliver uplink messages.
pub trait InboundSink: Send + Sync + 'static {
    /// Accepts one message; waits only for queue space, not for durability.
    fn submit(&self, msg: Inbound) -> BoxFuture<'_, Result<Submitted, Rejection>>;
}

/// The shared parts submission needs.
pub struct Ingest {
    pub(crate) registry: Arc<Registry>,
    pub(crate) ctx: Arc<CompiledContext>,
    pub(crate) dead: Arc<DeadLetters>,
    pub(crate) metrics: Arc<Metrics>,
    pub(crate) book: Arc<CommandBook>,
    pub(crate) device_terms: Arc<DeviceTerms>,
    pub(crate) terms: Terms,
    pub(crate) config: IngestConfig,
    /// `dateLastValueReported` is rewritten at most this often (micros).
    pub(crate) report_interval_us: i64,
    pub(crate) tx: mpsc::Sender<Batch>,
}

impl Ingest {
    /// Counts and keeps a rejection, charging it to the device if known.
    pub(crate) fn reject(
        &self,
        msg: &Inbound,
        device: Option<&DeviceEntry>,
        reason: Reason,
        detail: String,
    ) -> Rejection {
        if let Some(d) = device {
            d.runtime
                .errors
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        } else if reason == Reason::UnknownDevice {
            self.metrics.group_reject(&msg.apikey);
        }
        let rejected = Rejected {
            reason,
            transport: msg.transport.as_str(),
            source: &msg.source,
            tenant: device.map(|d| &*d.tenant),
            device_id: Some(&msg.device_id),
            detail: detail.clone(),
            payload: &msg.payload,
        };
        self.dead.record(rejected, ngsi::time::now());
        Rejection { reason, detail }
    }

    async fn queue(&self, batch: Batch) -> Result<Submitted, Rejection> {
        let (batch, rx) = batch.with_ack();
        if self.tx.send(batch).await.is_err() {
            return Err(Rejection {
                reason: Reason::StoreRejected,
                detail: "the IoT platform is shutting down".into(),
            });
        }
        Ok(rx.map_or(Submitted::Done, Submitted::Pending))
    }
}

impl InboundSink for Ingest {
    fn submit(&self, msg: Inbound) -> BoxFuture<'_, Result<Submitted, Rejection>> {
        Box::pin(async move {
            match self.prepare(&msg)? {
                Some(batch) => self.queue(batch).await,
                None => Ok(Submitted::Done),
            }
        })
    }
}

/// Waits for a submission's durability; Ok when there was nothing to wait for.
pub async fn settled(s: Submitted) -> Result<(), String> {
    match s {
        Submitted::Done => Ok(()),
        Submitted::Pending(rx) => rx
            .await
            .unwrap_or_else(|_| Err("the IoT platform stopped before the write".into())),
    }
}
