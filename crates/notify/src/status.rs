//! The delivery status of one subscription (clause 5.2.14.2, output-only members) and its
//! bounded dead-letter record. Updated by delivery, saved by the checkpoint, shown by GET.

use std::collections::VecDeque;

use ngsi::Timestamp;
use serde::{Deserialize, Serialize};

/// A notification given up on after the configured number of attempts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeadLetter {
    pub notification_id: String,
    /// DateTime of the last attempt.
    pub failed_at: String,
    pub attempts: u32,
    /// The last failure, e.g. "HTTP 503" or "connection refused".
    pub reason: String,
}

/// Counters and timestamps of Table 5.2.14.2-1.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Status {
    pub times_sent: u64,
    pub times_failed: u64,
    pub last_notification: Option<Timestamp>,
    pub last_success: Option<Timestamp>,
    pub last_failure: Option<Timestamp>,
    /// Whether the last attempt succeeded (`notification.status` "ok"/"failed").
    pub last_ok: Option<bool>,
    pub dead_letters: VecDeque<DeadLetter>,
}

impl Status {
    /// Records one attempt.
    pub fn attempted(&mut self, now: Timestamp, ok: bool) {
        self.times_sent += 1;
        self.last_notification = Some(now);
        self.last_ok = Some(ok);
        if ok {
            self.last_success = Some(now);
        } else {
            self.times_failed += 1;
            self.last_failure = Some(now);
        }
    }

    /// Records a dead letter, forgetting the oldest beyond `keep`.
    pub fn dead_letter(&mut self, letter: DeadLetter, keep: usize) {
        self.dead_letters.push_back(letter);
        while self.dead_letters.len() > keep {
            self.dead_letters.pop_front();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attempts_update_counters_and_dead_letters_stay_bounded() {
        let mut s = Status::default();
        s.attempted(10, false);
        s.attempted(20, true);
        assert_eq!((s.times_sent, s.times_failed), (2, 1));
        assert_eq!((s.last_failure, s.last_success), (Some(10), Some(20)));
        assert_eq!(s.last_ok, Some(true));
        for i in 0..5 {
            let letter = DeadLetter {
                notification_id: format!("n{i}"),
                failed_at: String::new(),
                attempts: 3,
                reason: "HTTP 503".into(),
            };
            s.dead_letter(letter, 3);
        }
        let ids: Vec<_> = s
            .dead_letters
            .iter()
            .map(|d| d.notification_id.as_str())
            .collect();
        assert_eq!(ids, ["n2", "n3", "n4"]);
    }
}
