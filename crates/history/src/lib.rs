//! The history of everything: every attribute change committed to the store becomes an
//! instance that can be queried, aggregated and corrected through the NGSI-LD temporal API
//! (ETSI GS CIM 009 clauses 4.5.6-4.5.9, 4.5.19, 4.11, 5.6.11-5.6.16, 5.7.3-5.7.4, 6.18-6.24).
//!
//! | module | owns |
//! |---|---|
//! | [`extract`] | which instances a committed change records |
//! | [`applier`] | the only writer: feed reading, recording, flushing, retention |
//! | [`db`], [`catalog`], [`partition`], [`mem`] | storage: catalog, time partitions, memtable |
//! | [`chunk`], [`codec`], [`meta`] | the compressed on-disk form of instances |
//! | [`read`], [`aggregate`], [`duration`] | range reads, lastN, aggregation over periods |
//! | [`write`], [`edit`] | flushing and merging; temporal API writes and corrections |
//! | [`http`] | the temporal API routes under `/ngsi-ld/v1/temporal` |
//! | `service` | the Rust API: [`History::record`], [`History::last_n`], [`History::aggregate`] |
//!
//! Recording is derived from the store's durable change feed (`Store::feed("history")`): the
//! store's write-ahead log is history's log, so a crash between a commit and its recording
//! loses nothing. See [`History`] for the handle and [`http::routes`] for the API.

mod aggregate;
mod applier;
mod catalog;
mod chunk;
mod codec;
pub mod config;
mod db;
mod duration;
mod edit;
mod extract;
mod handle;
pub mod http;
mod mem;
mod meta;
mod model;
mod partition;
mod read;
mod service;
mod write;

pub use config::HistoryConfig;
pub use handle::History;
pub use service::{Aggregates, Point};
