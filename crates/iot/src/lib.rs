//! The unified IoT sensing platform (统一物联感知设施管理平台): device registry and FIWARE IoT
//! Agent provisioning, MQTT (embedded broker or external client) and HTTP southbound with the
//! JSON and UltraLight 2.0 codecs, device life cycle and liveness, downlink commands, and a
//! bounded dead-letter list.
//!
//! One write path: measurements are decoded, mapped and batched into the same store ops and
//! durable commits as API writes ([`ingest`]), so history and subscriptions see them without
//! special cases. [`IotPlatform::start`] wires it all; [`http::routes`] serves `/iot/...`.
//!
//! Module map: [`model`] (FIWARE provisioning JSON), [`registry`] (groups and devices,
//! journaled), [`codec`] and [`topic`] (payloads and topics), [`mapping`] and [`expr`] (measure
//! to attribute), [`ingest`] (submission and group commit), [`mqtt`] (transports), [`commands`],
//! [`liveness`], [`deadletter`], [`metrics`].

pub mod codec;
pub mod commands;
pub mod config;
pub mod deadletter;
pub mod device;
pub mod error;
pub mod expr;
pub mod http;
pub mod ingest;
pub mod liveness;
pub mod mapping;
pub mod metrics;
pub mod model;
pub mod mqtt;
pub mod registry;
pub mod topic;

mod platform;

use std::sync::Arc;

use ngsi::context::CompiledContext;
use store::Store;

pub use config::{IotConfig, TransportKind};
pub use error::IotError;
pub use http::{IotState, router, routes};
pub use platform::IotPlatform;

/// What the HTTP handlers and the background tasks share.
pub struct Core {
    pub registry: Arc<registry::Registry>,
    pub ingest: Arc<ingest::Ingest>,
    pub dead: Arc<deadletter::DeadLetters>,
    pub metrics: Arc<metrics::Metrics>,
    pub store: Arc<dyn Store>,
    pub ctx: Arc<CompiledContext>,
    pub device_terms: Arc<device::DeviceTerms>,
    pub config: IotConfig,
    /// `embedded`, `external` or `none`.
    pub transport_name: &'static str,
}
