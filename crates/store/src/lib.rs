//! Where the twin lives. The [`Store`] trait is the only way state changes: a batch of [`Op`]s is
//! applied atomically per op, made durable, and only then acknowledged; the committed changes
//! are published to in-process consumers (history, subscriptions, live streams).
//!
//! [`ops`] holds the NGSI-LD semantics of each write (shared by every backend); [`embedded`] is
//! the default backend (in-memory state and indexes, a group-committed write-ahead log and
//! snapshots). [`conformance`] is the test suite every backend must pass.

pub mod codec;
#[cfg(any(test, feature = "conformance"))]
pub mod conformance;
pub mod embedded;
pub mod metrics;
pub mod ops;
mod query;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use ngsi::{Entity, NgsiError, Sym};

pub use ops::{NotUpdated, Op, Outcome, UpsertMode};
pub use query::{EntityFilter, EntityQuery, NumRange, QueryPage};

/// A boxed future, so the trait stays object safe.
pub type BoxFut<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// The result of one op in a batch.
pub type OpResult = Result<Outcome, NgsiError>;

/// One committed change to one entity: its state before and after (None = absent).
#[derive(Debug, Clone)]
pub struct Change {
    pub before: Option<Arc<Entity>>,
    pub after: Option<Arc<Entity>>,
}

/// Everything one durable commit changed, published after it is on disk.
#[derive(Debug, Clone)]
pub struct CommittedBatch {
    pub lsn: u64,
    pub tenant: Arc<str>,
    pub changes: Arc<Vec<Change>>,
}

/// Per entity type: how many entities, and per attribute how many entities carry it by kind.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TypeInfo {
    pub entity_count: u64,
    /// (attribute IRI, counts per attribute kind as in [`ngsi::model::AttrKind::ALL`]).
    pub attributes: Vec<(Sym, [u64; 8])>,
}

/// Per attribute: how many entities carry it, with which kinds, on which entity types.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AttributeInfo {
    pub entity_count: u64,
    pub kinds: [u64; 8],
    pub types: Vec<Sym>,
}

/// The twin's storage. Implementations must make `apply` durable before it resolves.
pub trait Store: Send + Sync + 'static {
    /// Applies each op in order (each atomically; a failed op changes nothing) and resolves once
    /// every successful op is durable. Creates the tenant on its first successful write.
    fn apply<'a>(
        &'a self,
        tenant: &'a str,
        ops: Vec<Op>,
    ) -> BoxFut<'a, Result<Vec<OpResult>, NgsiError>>;

    /// One entity by id.
    fn get<'a>(
        &'a self,
        tenant: &'a str,
        id: &'a str,
    ) -> BoxFut<'a, Result<Option<Arc<Entity>>, NgsiError>>;

    /// A page of entities in stable order.
    fn query<'a>(
        &'a self,
        tenant: &'a str,
        q: &'a EntityQuery,
    ) -> BoxFut<'a, Result<QueryPage, NgsiError>>;

    /// Entity types with their attribute statistics.
    fn types<'a>(&'a self, tenant: &'a str) -> BoxFut<'a, Result<Vec<(Sym, TypeInfo)>, NgsiError>>;

    /// Attributes with their statistics.
    fn attributes<'a>(
        &'a self,
        tenant: &'a str,
    ) -> BoxFut<'a, Result<Vec<(Sym, AttributeInfo)>, NgsiError>>;

    /// Whether the tenant exists: the default tenant `""` always does (empty until written to),
    /// any other once it has been written to. Reads of any other tenant fail with
    /// NonexistentTenant (clause 5.5.10).
    fn tenant_exists(&self, tenant: &str) -> bool;

    /// Known tenants.
    fn tenants(&self) -> Vec<String>;

    /// The stream of committed batches, in commit order, as they happen (may lag and drop:
    /// for live views only; consumers that must see everything use [`Store::feed`]).
    fn subscribe(&self) -> tokio::sync::broadcast::Receiver<CommittedBatch>;

    /// A durable feed of every committed batch for the named consumer, resuming after the
    /// last lsn it acknowledged (at-least-once: batches after the last `ack` are seen again
    /// after a restart).
    fn feed(&self, consumer: &str) -> Result<Box<dyn Feed>, NgsiError>;

    /// The lsn of the last durable commit.
    fn durable_lsn(&self) -> u64;
}

/// A consumer's durable position in the change stream.
pub trait Feed: Send {
    /// The next committed batch (lsn order, none skipped).
    fn next(&mut self) -> BoxFut<'_, Result<CommittedBatch, NgsiError>>;

    /// Records that every batch up to `lsn` is processed; the log before it may be dropped.
    fn ack(&mut self, lsn: u64) -> Result<(), NgsiError>;

    /// The lsn of the last batch returned by `next`.
    fn position(&self) -> u64;
}

/// Errors for an unknown tenant on read (clause 5.5.10).
pub fn nonexistent_tenant(tenant: &str) -> NgsiError {
    NgsiError::new(
        ngsi::ErrorKind::NonexistentTenant,
        format!("tenant {tenant:?} does not exist"),
    )
    .with_instance(tenant)
}
