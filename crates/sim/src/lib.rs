//! Workload generation and load testing for twinisle.
//!
//! The library holds what the `loadgen` binary and the (future) Hainan island simulator share:
//! a seeded, Hainan-flavoured NGSI-LD data generator ([`workload`]), the [`scenario`] contract
//! and registry, a hyper-based HTTP/1.1 [`client`], the closed-loop [`runner`], a latency
//! [`histogram`], the in-process [`baseline`] responder and the [`report`] formats. It prints
//! nothing: output belongs to the binaries.

pub mod baseline;
pub mod client;
pub mod demo;
pub mod error;
pub mod hainan;
pub mod histogram;
pub mod mqtt;
pub mod report;
pub mod rng;
pub mod runner;
pub mod scenario;
pub mod timefmt;
pub mod workload;
pub mod world;

pub use error::LoadError;
