//! Rejected southbound input: malformed payloads, unknown devices, wrong API keys, oversized
//! messages, values that fail mapping. Each is counted by reason and kept in a bounded ring
//! (oldest dropped first) that `GET /iot/deadletters` shows. Recording never blocks for long
//! and never fails, so bad input cannot stall or crash the pipeline.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};

use ngsi::Timestamp;
use parking_lot::Mutex;
use serde::Serialize;

/// Bytes of a rejected payload kept for inspection.
const PAYLOAD_KEEP: usize = 512;

/// Why a message was rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// The payload could not be decoded.
    Malformed,
    /// No device with this id under the API key, and autoprovisioning is off.
    UnknownDevice,
    /// No service group or device uses this API key.
    UnknownApikey,
    /// Larger than the configured limit.
    Oversized,
    /// A value did not fit its attribute (type, expression, name).
    MappingFailed,
    /// The device's token was missing or wrong, or a client wrote another device's topic.
    Unauthorized,
    /// The store refused the write.
    StoreRejected,
}

impl Reason {
    /// Every reason, in metric order.
    pub const ALL: [Reason; 7] = [
        Reason::Malformed,
        Reason::UnknownDevice,
        Reason::UnknownApikey,
        Reason::Oversized,
        Reason::MappingFailed,
        Reason::Unauthorized,
        Reason::StoreRejected,
    ];

    /// The metric label and JSON value.
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::Malformed => "malformed",
            Reason::UnknownDevice => "unknown_device",
            Reason::UnknownApikey => "unknown_apikey",
            Reason::Oversized => "oversized",
            Reason::MappingFailed => "mapping_failed",
            Reason::Unauthorized => "unauthorized",
            Reason::StoreRejected => "store_rejected",
        }
    }

    /// Parses a label value.
    pub fn parse(s: &str) -> Option<Reason> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

/// One rejected message.
#[derive(Debug, Clone, Serialize)]
pub struct DeadLetter {
    /// Sequence number, increasing.
    pub seq: u64,
    /// When it was rejected (RFC 3339).
    pub at: String,
    pub reason: Reason,
    /// `mqtt` or `http`.
    pub transport: &'static str,
    /// The MQTT topic or HTTP path.
    pub source: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tenant: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub device_id: Option<String>,
    pub detail: String,
    /// The start of the payload, as text (lossy).
    pub payload: String,
}

/// What is known about a rejected message.
pub struct Rejected<'a> {
    pub reason: Reason,
    pub transport: &'static str,
    pub source: &'a str,
    pub tenant: Option<&'a str>,
    pub device_id: Option<&'a str>,
    pub detail: String,
    pub payload: &'a [u8],
}

/// The bounded dead-letter list and per-reason counters.
pub struct DeadLetters {
    ring: Mutex<VecDeque<DeadLetter>>,
    capacity: usize,
    counts: [AtomicU64; 7],
    seq: AtomicU64,
}

impl DeadLetters {
    /// An empty list keeping at most `capacity` entries.
    pub fn new(capacity: usize) -> Self {
        Self {
            ring: Mutex::new(VecDeque::with_capacity(capacity.min(4096))),
            capacity: capacity.max(1),
            counts: Default::default(),
            seq: AtomicU64::new(0),
        }
    }

    /// Counts and keeps a rejection.
    pub fn record(&self, r: Rejected<'_>, now: Timestamp) {
        self.counts[r.reason as usize].fetch_add(1, Ordering::Relaxed);
        tracing::debug!(reason = r.reason.as_str(), source = r.source, detail = %r.detail, "southbound message rejected");
        let keep = &r.payload[..r.payload.len().min(PAYLOAD_KEEP)];
        let letter = DeadLetter {
            seq: self.seq.fetch_add(1, Ordering::Relaxed) + 1,
            at: ngsi::time::format(now),
            reason: r.reason,
            transport: r.transport,
            source: r.source.chars().take(256).collect(),
            tenant: r.tenant.map(str::to_string),
            device_id: r.device_id.map(str::to_string),
            detail: r.detail,
            payload: String::from_utf8_lossy(keep).into_owned(),
        };
        let mut ring = self.ring.lock();
        if ring.len() == self.capacity {
            ring.pop_front();
        }
        ring.push_back(letter);
    }

    /// How many were rejected for `reason` since start.
    pub fn count(&self, reason: Reason) -> u64 {
        self.counts[reason as usize].load(Ordering::Relaxed)
    }

    /// Newest first: `offset`/`limit` page of the entries matching the filters, and their total.
    pub fn page(
        &self,
        reason: Option<Reason>,
        tenant: Option<&str>,
        offset: usize,
        limit: usize,
    ) -> (usize, Vec<DeadLetter>) {
        let ring = self.ring.lock();
        let matching = ring.iter().rev().filter(|d| {
            reason.is_none_or(|r| d.reason == r)
                && tenant.is_none_or(|t| d.tenant.as_deref() == Some(t))
        });
        let all: Vec<&DeadLetter> = matching.collect();
        let page = all
            .iter()
            .skip(offset)
            .take(limit)
            .map(|d| (*d).clone())
            .collect();
        (all.len(), page)
    }

    /// Empties the list (counters stay).
    pub fn clear(&self) {
        self.ring.lock().clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rejected(reason: Reason, payload: &[u8]) -> Rejected<'_> {
        Rejected {
            reason,
            transport: "mqtt",
            source: "/json/k/d/attrs",
            tenant: Some("hainan"),
            device_id: Some("d"),
            detail: "bad".into(),
            payload,
        }
    }

    #[test]
    fn bounded_newest_first_and_counted_per_reason() {
        let dl = DeadLetters::new(3);
        for i in 0..5u8 {
            dl.record(rejected(Reason::Malformed, &[b'a' + i]), 0);
        }
        dl.record(rejected(Reason::UnknownDevice, b"x"), 0);
        assert_eq!(dl.count(Reason::Malformed), 5);
        assert_eq!(dl.count(Reason::UnknownDevice), 1);
        let (total, page) = dl.page(None, None, 0, 10);
        assert_eq!(total, 3);
        assert_eq!(page[0].reason, Reason::UnknownDevice);
        assert_eq!(page[1].payload, "e");
        let (n, _) = dl.page(Some(Reason::Malformed), Some("hainan"), 0, 10);
        assert_eq!(n, 2);
        assert_eq!(dl.page(None, Some("other"), 0, 10).0, 0);
    }

    #[test]
    fn large_and_binary_payloads_are_cut_and_kept_as_text() {
        let dl = DeadLetters::new(2);
        let big = vec![0xffu8; 10_000];
        dl.record(rejected(Reason::Oversized, &big), 0);
        let (_, page) = dl.page(None, None, 0, 1);
        assert!(page[0].payload.chars().count() <= PAYLOAD_KEEP);
        assert_eq!(Reason::parse("mapping_failed"), Some(Reason::MappingFailed));
    }
}
