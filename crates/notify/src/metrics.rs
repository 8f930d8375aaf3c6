//! Counters of matching, the outbox, delivery and live streams, with their names as constants.
//! Each is kept as an atomic (for [`crate::Notifier::metrics`] and tests) and reported through
//! the `metrics` facade, which the binary exports at `/metrics`.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Entity changes read from the feed.
pub const CHANGES: &str = "twinisle_notify_changes_total";
/// (change, subscription) pairs that produced a notified entity.
pub const MATCHES: &str = "twinisle_notify_matches_total";
/// Notifications made durable in the outbox.
pub const ENQUEUED: &str = "twinisle_notify_enqueued_total";
/// Notifications delivered (receiver accepted them).
pub const DELIVERED: &str = "twinisle_notify_delivered_total";
/// Delivery attempts that failed (each is retried or dead-lettered).
pub const FAILED_ATTEMPTS: &str = "twinisle_notify_failed_attempts_total";
/// Notifications given up on after the configured attempts.
pub const DEAD_LETTERS: &str = "twinisle_notify_dead_letters_total";
/// Notifications whose body did not fit the memory budget and is read back from disk: the
/// backpressure of slow or dead receivers.
pub const SPILLED: &str = "twinisle_notify_spilled_total";
/// Deliveries that waited for a receiver's concurrency limit.
pub const RECEIVER_WAITS: &str = "twinisle_notify_receiver_waits_total";
/// Live-stream clients connected.
pub const STREAM_CLIENTS: &str = "twinisle_notify_stream_clients";
/// Live-stream clients disconnected because they could not keep up.
pub const STREAM_DROPPED: &str = "twinisle_notify_stream_dropped_total";
/// Resync events sent to live-stream clients that missed changes.
pub const STREAM_RESYNCS: &str = "twinisle_notify_stream_resyncs_total";
/// Time from durable in the outbox to delivered, in seconds.
pub const LATENCY: &str = "twinisle_notify_delivery_latency_seconds";

/// A counter: its atomic and its exported name.
#[derive(Debug, Default)]
pub struct Counter(AtomicU64);

impl Counter {
    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// All counters of the notifier.
#[derive(Debug, Default)]
pub struct Metrics {
    pub changes: Counter,
    pub matches: Counter,
    pub enqueued: Counter,
    pub delivered: Counter,
    pub failed_attempts: Counter,
    pub dead_letters: Counter,
    pub spilled: Counter,
    pub receiver_waits: Counter,
    pub stream_clients: Counter,
    pub stream_dropped: Counter,
    pub stream_resyncs: Counter,
}

impl Metrics {
    fn name_of(&self, c: &Counter) -> &'static str {
        let table: [(&Counter, &'static str); 11] = [
            (&self.changes, CHANGES),
            (&self.matches, MATCHES),
            (&self.enqueued, ENQUEUED),
            (&self.delivered, DELIVERED),
            (&self.failed_attempts, FAILED_ATTEMPTS),
            (&self.dead_letters, DEAD_LETTERS),
            (&self.spilled, SPILLED),
            (&self.receiver_waits, RECEIVER_WAITS),
            (&self.stream_clients, STREAM_CLIENTS),
            (&self.stream_dropped, STREAM_DROPPED),
            (&self.stream_resyncs, STREAM_RESYNCS),
        ];
        table
            .iter()
            .find(|(x, _)| std::ptr::eq(*x, c))
            .map_or("twinisle_notify_unknown", |(_, n)| n)
    }

    /// Adds `n` to a counter.
    pub fn add(&self, c: &Counter, n: u64) {
        c.0.fetch_add(n, Ordering::Relaxed);
        metrics::counter!(self.name_of(c)).increment(n);
    }

    /// Moves the stream-client gauge by `delta` (+1 / -1).
    pub fn stream_client(&self, delta: i64) -> u64 {
        let now = if delta >= 0 {
            self.stream_clients.0.fetch_add(1, Ordering::AcqRel) + 1
        } else {
            self.stream_clients
                .0
                .fetch_sub(1, Ordering::AcqRel)
                .saturating_sub(1)
        };
        metrics::gauge!(STREAM_CLIENTS).set(now as f64);
        now
    }

    /// Records the time from durable to delivered.
    pub fn delivered_after(&self, d: Duration) {
        metrics::histogram!(LATENCY).record(d.as_secs_f64());
    }

    /// Every counter by name.
    pub fn snapshot(&self) -> Vec<(&'static str, u64)> {
        [
            &self.changes,
            &self.matches,
            &self.enqueued,
            &self.delivered,
            &self.failed_attempts,
            &self.dead_letters,
            &self.spilled,
            &self.receiver_waits,
            &self.stream_clients,
            &self.stream_dropped,
            &self.stream_resyncs,
        ]
        .into_iter()
        .map(|c| (self.name_of(c), c.get()))
        .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_are_named_and_counted() {
        let m = Metrics::default();
        m.add(&m.delivered, 3);
        m.add(&m.dead_letters, 1);
        let snap = m.snapshot();
        assert!(snap.contains(&(DELIVERED, 3)));
        assert!(snap.contains(&(DEAD_LETTERS, 1)));
        assert_eq!(m.stream_client(1), 1);
        assert_eq!(m.stream_client(-1), 0);
        let names: std::collections::HashSet<_> = snap.iter().map(|(n, _)| *n).collect();
        assert_eq!(names.len(), snap.len(), "every counter has its own name");
    }
}
