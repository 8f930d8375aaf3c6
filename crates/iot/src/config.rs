//! The `[iot]` configuration section: which MQTT transport runs, its limits and credentials,
//! how measurements are batched, and the liveness and command timers. Every field is
//! documented here because these doc comments are the user documentation of the section.
//!
//! Owns defaults and validation only; nothing here opens sockets or files.

use std::net::SocketAddr;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// Which MQTT transport carries device traffic.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum TransportKind {
    /// twinisle is the broker: it listens on `mqtt_listen` (nothing to install).
    #[default]
    Embedded,
    /// twinisle is a client of an existing broker (Mosquitto, EMQX, ...), see `external`.
    External,
    /// No MQTT at all; devices use the HTTP southbound only.
    None,
}

/// The IoT platform: provisioning, southbound MQTT/HTTP, liveness and commands.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct IotConfig {
    /// Which MQTT transport to run: `embedded`, `external` or `none`.
    pub transport: TransportKind,
    /// Address of the embedded MQTT listener (plain TCP); unset: no plain listener.
    /// The `--mqtt-listen` flag sets it.
    pub mqtt_listen: Option<SocketAddr>,
    /// The embedded broker's limits, TLS listener and credentials.
    pub embedded: EmbeddedBrokerConfig,
    /// The external broker twinisle connects to when `transport = "external"`.
    pub external: ExternalBrokerConfig,
    /// Batching of measurements into durable commits.
    pub ingest: IngestConfig,
    /// Device liveness: when a device counts as silent, how often that is checked.
    pub liveness: LivenessConfig,
    /// Downlink commands.
    pub commands: CommandConfig,
    /// Most rejected messages kept for `GET /iot/deadletters` (oldest dropped first).
    pub dead_letters: usize,
    /// Export per-device counters in the metrics text (one series per device and counter).
    pub device_metrics: bool,
}

impl Default for IotConfig {
    fn default() -> Self {
        Self {
            transport: TransportKind::Embedded,
            mqtt_listen: Some(SocketAddr::from(([127, 0, 0, 1], 1883))),
            embedded: EmbeddedBrokerConfig::default(),
            external: ExternalBrokerConfig::default(),
            ingest: IngestConfig::default(),
            liveness: LivenessConfig::default(),
            commands: CommandConfig::default(),
            dead_letters: 1000,
            device_metrics: true,
        }
    }
}

/// The embedded MQTT 3.1.1 / 5.0 broker.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EmbeddedBrokerConfig {
    /// Most simultaneous client connections; more are refused at accept.
    pub max_connections: usize,
    /// Largest MQTT packet accepted, in bytes; a larger one is counted as a dead letter and
    /// its client is disconnected.
    pub max_packet_bytes: usize,
    /// Packets queued per connection towards the client; messages forwarded to a client whose
    /// queue is full are dropped (and counted), so a slow subscriber never stalls others.
    pub outbound_queue: usize,
    /// Seconds a client may take to send CONNECT after the TCP connection opens.
    pub connect_timeout_s: u64,
    /// Accept clients without username/password. Device tokens are still enforced for devices
    /// provisioned with a `token`.
    pub allow_anonymous: bool,
    /// Username/password pairs accepted on CONNECT (for gateways, dashboards, `mosquitto_sub`).
    pub users: Vec<MqttUser>,
    /// TLS listener (MQTT over TLS, usually port 8883); unset: none.
    pub tls: Option<TlsListenerConfig>,
}

impl Default for EmbeddedBrokerConfig {
    fn default() -> Self {
        Self {
            max_connections: 20_000,
            max_packet_bytes: 256 * 1024,
            outbound_queue: 1024,
            connect_timeout_s: 10,
            allow_anonymous: true,
            users: Vec::new(),
            tls: None,
        }
    }
}

/// One MQTT username and its password.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MqttUser {
    /// The CONNECT username.
    pub username: String,
    /// The CONNECT password.
    pub password: String,
}

/// A TLS listener of the embedded broker.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsListenerConfig {
    /// Address to listen on, e.g. `0.0.0.0:8883`.
    pub listen: SocketAddr,
    /// PEM file with the server certificate chain.
    pub cert_path: PathBuf,
    /// PEM file with the server's private key (PKCS#8, PKCS#1 or SEC1).
    pub key_path: PathBuf,
}

/// An existing MQTT broker that twinisle subscribes to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ExternalBrokerConfig {
    /// Broker host name or address.
    pub host: String,
    /// Broker port (1883 plain, 8883 usually for TLS).
    pub port: u16,
    /// MQTT client id; empty: `twinisle-<pid>` (a fixed id is needed for persistent sessions).
    pub client_id: String,
    /// Username for CONNECT; empty: none.
    pub username: String,
    /// Password for CONNECT.
    pub password: String,
    /// Connect with TLS.
    pub tls: bool,
    /// PEM file of the CA to trust for TLS; unset: the public web PKI roots.
    pub ca_path: Option<PathBuf>,
    /// Subscribe as a member of this shared-subscription group (`$share/<group>/...`), so
    /// several twinisle nodes split the device traffic; empty: plain subscriptions.
    pub shared_group: String,
    /// Ask the broker for a clean session on every connect.
    pub clean_session: bool,
    /// Prefix put before every device topic, e.g. `site-a` gives `site-a/json/<key>/<id>/attrs`;
    /// empty for the plain FIWARE topics.
    pub topic_prefix: String,
    /// MQTT keep-alive in seconds.
    pub keep_alive_s: u16,
    /// Unacknowledged QoS 1 messages in flight from the broker.
    pub inflight: u16,
    /// Largest message accepted, in bytes.
    pub max_packet_bytes: usize,
}

impl Default for ExternalBrokerConfig {
    fn default() -> Self {
        Self {
            host: "127.0.0.1".into(),
            port: 1883,
            client_id: String::new(),
            username: String::new(),
            password: String::new(),
            tls: false,
            ca_path: None,
            shared_group: String::new(),
            clean_session: true,
            topic_prefix: String::new(),
            keep_alive_s: 30,
            inflight: 1000,
            max_packet_bytes: 256 * 1024,
        }
    }
}

/// How decoded measurements become durable commits.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct IngestConfig {
    /// Largest measurement payload in bytes (MQTT message or HTTP body); larger ones are
    /// rejected as oversized.
    pub max_payload_bytes: usize,
    /// Most measurement groups in one message (JSON array elements, UL `#` groups).
    pub max_groups: usize,
    /// Commit as soon as this many writes are pending for a tenant.
    pub batch_max_ops: usize,
    /// Commit pending writes at the latest this many milliseconds after the first arrived.
    pub batch_linger_ms: u64,
    /// Commits waiting for fsync at once; more wait (backpressure towards devices).
    pub max_inflight_commits: usize,
    /// Decoded messages queued ahead of the committer; when full, transports wait.
    pub queue_capacity: usize,
}

impl Default for IngestConfig {
    fn default() -> Self {
        Self {
            max_payload_bytes: 64 * 1024,
            max_groups: 100,
            batch_max_ops: 4096,
            batch_linger_ms: 2,
            max_inflight_commits: 4,
            queue_capacity: 16_384,
        }
    }
}

/// Device liveness.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LivenessConfig {
    /// How often silent devices and expired commands are looked for, in milliseconds.
    pub check_interval_ms: u64,
    /// Seconds without data after which an active device becomes `silent`, unless its
    /// service group or device sets `timeout`; 0 disables.
    pub default_timeout_s: u64,
    /// `dateLastValueReported` on a Device entity is rewritten at most this often, in
    /// seconds (state changes are written at once). Bounds the extra writes per measurement.
    pub report_interval_s: u64,
}

impl Default for LivenessConfig {
    fn default() -> Self {
        Self {
            check_interval_ms: 1000,
            default_timeout_s: 600,
            report_interval_s: 10,
        }
    }
}

/// Downlink commands.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CommandConfig {
    /// Seconds a command may stay without result before its status becomes `EXPIRED`.
    pub timeout_s: u64,
    /// Seconds allowed for an HTTP push to a device endpoint.
    pub http_timeout_s: u64,
    /// Commands remembered while waiting for their result; more are refused (status ERROR).
    pub max_pending: usize,
}

impl Default for CommandConfig {
    fn default() -> Self {
        Self {
            timeout_s: 30,
            http_timeout_s: 10,
            max_pending: 10_000,
        }
    }
}

impl IotConfig {
    /// Every problem with the configuration, at once.
    pub fn validate(&self) -> Result<(), Vec<String>> {
        let mut errors = Vec::new();
        let positive = [
            (
                "iot.ingest.max_payload_bytes",
                self.ingest.max_payload_bytes,
            ),
            ("iot.ingest.max_groups", self.ingest.max_groups),
            ("iot.ingest.batch_max_ops", self.ingest.batch_max_ops),
            (
                "iot.ingest.max_inflight_commits",
                self.ingest.max_inflight_commits,
            ),
            ("iot.ingest.queue_capacity", self.ingest.queue_capacity),
            (
                "iot.embedded.max_connections",
                self.embedded.max_connections,
            ),
            (
                "iot.embedded.max_packet_bytes",
                self.embedded.max_packet_bytes,
            ),
            ("iot.embedded.outbound_queue", self.embedded.outbound_queue),
            ("iot.dead_letters", self.dead_letters),
            ("iot.commands.max_pending", self.commands.max_pending),
        ];
        for (name, v) in positive {
            if v == 0 {
                errors.push(format!("{name} must be at least 1"));
            }
        }
        if self.liveness.check_interval_ms == 0 {
            errors.push("iot.liveness.check_interval_ms must be at least 1".into());
        }
        if self.transport == TransportKind::External && self.external.host.is_empty() {
            errors.push("iot.external.host is needed with transport = \"external\"".into());
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_listen_on_1883() {
        let c = IotConfig::default();
        assert!(c.validate().is_ok());
        assert_eq!(c.mqtt_listen.map(|a| a.port()), Some(1883));
    }

    #[test]
    fn validation_reports_every_problem() {
        let mut c = IotConfig::default();
        c.ingest.batch_max_ops = 0;
        c.dead_letters = 0;
        c.transport = TransportKind::External;
        c.external.host.clear();
        let errors = c.validate().err().unwrap_or_default();
        assert_eq!(errors.len(), 3, "{errors:?}");
    }
}
