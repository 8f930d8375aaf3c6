//! [`NotifyConfig`]: every bound and timing of subscriptions and notification delivery, with its
//! defaults in one place. The doc comments are the user documentation of the `[notify]` section.

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// Subscriptions, the notification outbox, delivery and live streams.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NotifyConfig {
    /// Most subscriptions one tenant may hold; creating one more is refused.
    pub max_subscriptions: usize,
    /// Page size of `GET /subscriptions` without `limit`.
    pub default_page_size: usize,
    /// Largest `limit` of `GET /subscriptions`; above it the query gets TooManyResults.
    pub max_page_size: usize,
    /// Time allowed for one delivery attempt when the endpoint gives no `timeout`, in ms.
    pub request_timeout_ms: u64,
    /// Time allowed to open a connection to a receiver or broker, in ms.
    pub connect_timeout_ms: u64,
    /// Delay before the first retry of a failed notification, in ms; it doubles per failure.
    pub retry_initial_ms: u64,
    /// Longest delay between two retries, in ms.
    pub retry_max_ms: u64,
    /// Attempts of one notification before it is recorded as a dead letter and skipped.
    pub max_attempts: u32,
    /// Dead letters remembered per subscription (the oldest are forgotten first).
    pub dead_letters_kept: usize,
    /// Concurrent requests to one receiver (scheme, host and port), across subscriptions.
    pub max_in_flight_per_receiver: usize,
    /// Bytes of notification bodies held in memory across all queues; beyond it pending
    /// notifications are read back from the outbox when their turn comes.
    pub memory_budget_bytes: usize,
    /// Start a new outbox segment file after this many bytes.
    pub segment_bytes: u64,
    /// How often delivery positions and status members are saved, in ms. A crash can repeat
    /// the notifications delivered in the last interval (delivery is at least once).
    pub checkpoint_interval_ms: u64,
    /// Most entities in one notification; a larger commit is split into several.
    pub max_entities_per_notification: usize,
    /// Most queued notifications of one subscription sent as one request when it has a
    /// backlog (entities keep their order); 1 sends each notification on its own.
    pub max_batch: usize,
    /// Most entities in one periodic (`timeInterval`) notification.
    pub periodic_max_entities: usize,
    /// Keep-alive of MQTT connections to brokers, in seconds.
    pub mqtt_keep_alive_secs: u64,
    /// Publishes awaiting their acknowledgement on one MQTT connection.
    pub mqtt_max_in_flight: usize,
    /// Events buffered per live-stream client; a client that falls this far behind is dropped.
    pub stream_buffer: usize,
    /// Seconds between keep-alive comments on an idle live stream.
    pub stream_keepalive_secs: u64,
    /// Most live-stream clients at once.
    pub max_stream_clients: usize,
}

impl Default for NotifyConfig {
    fn default() -> Self {
        Self {
            max_subscriptions: 100_000,
            default_page_size: 100,
            max_page_size: 1000,
            request_timeout_ms: 10_000,
            connect_timeout_ms: 3_000,
            retry_initial_ms: 200,
            retry_max_ms: 10_000,
            max_attempts: 20,
            dead_letters_kept: 20,
            max_in_flight_per_receiver: 64,
            memory_budget_bytes: 64 << 20,
            segment_bytes: 64 << 20,
            checkpoint_interval_ms: 500,
            max_entities_per_notification: 100,
            max_batch: 50,
            periodic_max_entities: 1000,
            mqtt_keep_alive_secs: 30,
            mqtt_max_in_flight: 100,
            stream_buffer: 1024,
            stream_keepalive_secs: 15,
            max_stream_clients: 256,
        }
    }
}

impl NotifyConfig {
    /// Every problem with the values, all at once.
    pub fn validate(&self) -> Result<(), String> {
        let mut problems = Vec::new();
        let positive = [
            ("max_subscriptions", self.max_subscriptions as u64),
            ("max_page_size", self.max_page_size as u64),
            ("request_timeout_ms", self.request_timeout_ms),
            ("connect_timeout_ms", self.connect_timeout_ms),
            ("retry_initial_ms", self.retry_initial_ms),
            ("max_attempts", u64::from(self.max_attempts)),
            (
                "max_in_flight_per_receiver",
                self.max_in_flight_per_receiver as u64,
            ),
            ("segment_bytes", self.segment_bytes),
            ("checkpoint_interval_ms", self.checkpoint_interval_ms),
            (
                "max_entities_per_notification",
                self.max_entities_per_notification as u64,
            ),
            ("periodic_max_entities", self.periodic_max_entities as u64),
            ("max_batch", self.max_batch as u64),
            ("mqtt_max_in_flight", self.mqtt_max_in_flight as u64),
            ("stream_buffer", self.stream_buffer as u64),
            ("stream_keepalive_secs", self.stream_keepalive_secs),
        ];
        for (name, v) in positive {
            if v == 0 {
                problems.push(format!("notify.{name} must be greater than 0"));
            }
        }
        if self.retry_max_ms < self.retry_initial_ms {
            problems.push("notify.retry_max_ms must be at least retry_initial_ms".into());
        }
        if self.default_page_size > self.max_page_size {
            problems.push("notify.default_page_size must not exceed max_page_size".into());
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems.join("; "))
        }
    }

    pub(crate) fn request_timeout(&self) -> Duration {
        Duration::from_millis(self.request_timeout_ms)
    }

    pub(crate) fn connect_timeout(&self) -> Duration {
        Duration::from_millis(self.connect_timeout_ms)
    }

    pub(crate) fn checkpoint_interval(&self) -> Duration {
        Duration::from_millis(self.checkpoint_interval_ms)
    }

    /// The delay before retry number `failures` (1 = after the first failure), never below
    /// the endpoint's `cooldown`.
    pub(crate) fn backoff(&self, failures: u32, cooldown: Option<Duration>) -> Duration {
        let exp = failures.saturating_sub(1).min(30);
        let ms = self
            .retry_initial_ms
            .saturating_mul(1u64 << exp)
            .min(self.retry_max_ms);
        Duration::from_millis(ms).max(cooldown.unwrap_or_default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_validate_and_unknown_fields_are_refused() {
        assert_eq!(NotifyConfig::default().validate(), Ok(()));
        assert!(serde_json::from_str::<NotifyConfig>(r#"{"nope": 1}"#).is_err());
        let c: NotifyConfig = serde_json::from_str(r#"{"max_attempts": 3}"#).unwrap();
        assert_eq!(c.max_attempts, 3);
        let bad = NotifyConfig {
            max_attempts: 0,
            retry_max_ms: 1,
            ..NotifyConfig::default()
        };
        let err = bad.validate().unwrap_err();
        assert!(
            err.contains("max_attempts") && err.contains("retry_max_ms"),
            "{err}"
        );
    }

    #[test]
    fn backoff_doubles_up_to_the_cap_and_respects_cooldown() {
        let c = NotifyConfig::default();
        assert_eq!(c.backoff(1, None), Duration::from_millis(200));
        assert_eq!(c.backoff(2, None), Duration::from_millis(400));
        assert_eq!(c.backoff(40, None), Duration::from_millis(10_000));
        let cool = Some(Duration::from_secs(3));
        assert_eq!(c.backoff(1, cool), Duration::from_secs(3));
    }
}
