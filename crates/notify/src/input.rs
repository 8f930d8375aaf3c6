//! The matcher's source of committed batches: every lsn exactly once, in order. Live batches
//! come from the store's broadcast (`store.subscribe()`); whenever it cannot continue the
//! sequence (at start, after a lag, after a gap) the durable feed (`store.feed("notify")`)
//! catches up from its acknowledged position, and the broadcast takes over again once the feed
//! has passed what was durable when a fresh broadcast receiver was taken.
//!
//! Why not the feed alone: the embedded feed re-reads its log whenever its consumer is behind
//! what is durable, which under a steady write load is nearly always; the broadcast hands over
//! the same batches from memory. Correctness does not depend on the broadcast: any hole in it
//! sends the matcher back to the feed.

use std::sync::Arc;

use ngsi::NgsiError;
use store::{CommittedBatch, Feed, Store};
use tokio::sync::broadcast;
use tokio::sync::broadcast::error::RecvError;

/// Where the next batch comes from.
enum Mode {
    /// The broadcast continues the sequence.
    Live,
    /// The feed, until it has returned every lsn up to `until`.
    CatchUp { until: u64 },
}

/// Committed batches, contiguous from `next`.
pub struct Input {
    store: Arc<dyn Store>,
    name: &'static str,
    feed: Box<dyn Feed>,
    live: broadcast::Receiver<CommittedBatch>,
    mode: Mode,
    next: u64,
}

impl Input {
    /// Starts after `matched` (everything up to it is already in the outbox).
    pub fn open(
        store: Arc<dyn Store>,
        name: &'static str,
        matched: u64,
    ) -> Result<Self, NgsiError> {
        let live = store.subscribe();
        let until = store.durable_lsn();
        let feed = store.feed(name)?;
        let next = matched.max(feed.position()) + 1;
        Ok(Self {
            store,
            name,
            feed,
            live,
            mode: Mode::CatchUp { until },
            next,
        })
    }

    /// The next batch in lsn order.
    pub async fn next(&mut self) -> Result<CommittedBatch, NgsiError> {
        loop {
            match self.mode {
                Mode::CatchUp { until } if self.next > until => self.mode = Mode::Live,
                Mode::CatchUp { .. } => {
                    let b = self.feed.next().await?;
                    if b.lsn < self.next {
                        continue;
                    }
                    return Ok(self.take(b));
                }
                Mode::Live => match self.live.recv().await {
                    Ok(b) if b.lsn < self.next => {}
                    Ok(b) if b.lsn == self.next => return Ok(self.take(b)),
                    Ok(_) | Err(RecvError::Lagged(_)) => self.catch_up()?,
                    Err(RecvError::Closed) => {
                        return Err(NgsiError::internal("the store was closed"));
                    }
                },
            }
        }
    }

    /// Records that every batch up to `lsn` is safely in the outbox (log retention).
    pub fn ack(&mut self, lsn: u64) -> Result<(), NgsiError> {
        self.feed.ack(lsn)
    }

    fn take(&mut self, b: CommittedBatch) -> CommittedBatch {
        self.next = b.lsn + 1;
        b
    }

    /// Goes back to the durable feed: a fresh broadcast receiver (so nothing after this point is
    /// missed) and a feed reopened at its acknowledged position (batches before `next` are
    /// skipped, never acknowledged early).
    fn catch_up(&mut self) -> Result<(), NgsiError> {
        self.live = self.store.subscribe();
        let until = self.store.durable_lsn();
        self.feed = self.store.feed(self.name)?;
        self.mode = Mode::CatchUp { until };
        tracing::debug!(
            next = self.next,
            until,
            "notify: catching up from the durable feed"
        );
        Ok(())
    }
}
