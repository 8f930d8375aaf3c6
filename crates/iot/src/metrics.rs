//! Counters of the IoT platform and their Prometheus text rendering. Metric names are the
//! constants below; hot-path updates are relaxed atomic adds. Per-device and per-group series
//! are read from the devices' live counters at render time, so they cost nothing per message.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};

use parking_lot::Mutex;

use crate::deadletter::{DeadLetters, Reason};
use crate::registry::Registry;

/// Messages accepted, by transport.
pub const MESSAGES: &str = "twinisle_iot_messages_total";
/// Attribute values committed to the store.
pub const MEASUREMENTS: &str = "twinisle_iot_measurements_total";
/// Messages rejected, by reason.
pub const REJECTED: &str = "twinisle_iot_rejected_total";
/// Durable commits of measurements, and the writes they carried.
pub const COMMITS: &str = "twinisle_iot_commits_total";
pub const COMMIT_OPS: &str = "twinisle_iot_commit_ops_total";
/// Open MQTT connections to the embedded broker.
pub const MQTT_CONNECTIONS: &str = "twinisle_iot_mqtt_connections";
/// Messages not forwarded to a subscriber whose queue was full.
pub const MQTT_DROPPED: &str = "twinisle_iot_mqtt_forward_dropped_total";
/// Commands, by status reached.
pub const COMMANDS: &str = "twinisle_iot_commands_total";
/// Per group: messages, errors, last seen (Unix seconds).
pub const GROUP_MESSAGES: &str = "twinisle_iot_group_messages_total";
pub const GROUP_ERRORS: &str = "twinisle_iot_group_errors_total";
pub const GROUP_LAST_SEEN: &str = "twinisle_iot_group_last_seen_seconds";
/// Per device: messages, errors, last seen (Unix seconds).
pub const DEVICE_MESSAGES: &str = "twinisle_iot_device_messages_total";
pub const DEVICE_ERRORS: &str = "twinisle_iot_device_errors_total";
pub const DEVICE_LAST_SEEN: &str = "twinisle_iot_device_last_seen_seconds";

/// Command statuses counted.
pub const COMMAND_STATUSES: [&str; 5] = ["PENDING", "SENT", "OK", "ERROR", "EXPIRED"];

/// The platform's counters.
#[derive(Default)]
pub struct Metrics {
    pub messages_mqtt: AtomicU64,
    pub messages_http: AtomicU64,
    pub measurements: AtomicU64,
    pub commits: AtomicU64,
    pub commit_ops: AtomicU64,
    pub mqtt_connections: AtomicI64,
    pub mqtt_dropped: AtomicU64,
    commands: [AtomicU64; 5],
    /// Rejections not attributable to a device (unknown device under a known key), by key.
    group_rejects: Mutex<HashMap<String, u64>>,
}

impl Metrics {
    /// Counts a command reaching `status`.
    pub fn command(&self, status: &str) {
        if let Some(i) = COMMAND_STATUSES.iter().position(|s| *s == status) {
            self.commands[i].fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Counts a rejection against a group with no device to attribute it to.
    pub fn group_reject(&self, apikey: &str) {
        let mut m = self.group_rejects.lock();
        if let Some(n) = m.get_mut(apikey) {
            *n += 1;
        } else if m.len() < 100_000 {
            m.insert(apikey.to_string(), 1);
        }
    }

    /// Prometheus text exposition of every counter.
    pub fn render(&self, registry: &Registry, dead: &DeadLetters, per_device: bool) -> String {
        let mut out = String::with_capacity(4096);
        let load = |a: &AtomicU64| a.load(Ordering::Relaxed);
        header(
            &mut out,
            MESSAGES,
            "counter",
            "Southbound messages accepted.",
        );
        let _ = writeln!(
            out,
            "{MESSAGES}{{transport=\"mqtt\"}} {}",
            load(&self.messages_mqtt)
        );
        let _ = writeln!(
            out,
            "{MESSAGES}{{transport=\"http\"}} {}",
            load(&self.messages_http)
        );
        simple(
            &mut out,
            MEASUREMENTS,
            "counter",
            "Attribute values committed.",
            load(&self.measurements),
        );
        header(
            &mut out,
            REJECTED,
            "counter",
            "Southbound messages or values rejected.",
        );
        for r in Reason::ALL {
            let _ = writeln!(
                out,
                "{REJECTED}{{reason=\"{}\"}} {}",
                r.as_str(),
                dead.count(r)
            );
        }
        simple(
            &mut out,
            COMMITS,
            "counter",
            "Durable commits of measurements.",
            load(&self.commits),
        );
        simple(
            &mut out,
            COMMIT_OPS,
            "counter",
            "Entity writes in those commits.",
            load(&self.commit_ops),
        );
        let conns = self.mqtt_connections.load(Ordering::Relaxed).max(0) as u64;
        simple(
            &mut out,
            MQTT_CONNECTIONS,
            "gauge",
            "Open embedded MQTT connections.",
            conns,
        );
        simple(
            &mut out,
            MQTT_DROPPED,
            "counter",
            "Forwards dropped on full client queues.",
            load(&self.mqtt_dropped),
        );
        header(&mut out, COMMANDS, "counter", "Commands by status reached.");
        for (i, s) in COMMAND_STATUSES.iter().enumerate() {
            let _ = writeln!(
                out,
                "{COMMANDS}{{status=\"{s}\"}} {}",
                load(&self.commands[i])
            );
        }
        self.render_groups(&mut out, registry);
        if per_device {
            render_devices(&mut out, registry);
        }
        out
    }

    fn render_groups(&self, out: &mut String, registry: &Registry) {
        let mut groups: BTreeMap<String, (String, [u64; 2], i64)> = BTreeMap::new();
        for g in registry.all_groups() {
            let labels = format!(
                "service=\"{}\",service_path=\"{}\",entity_type=\"{}\",resource=\"{}\"",
                esc(&g.tenant),
                esc(g.service_path()),
                esc(g.spec.entity_type.as_deref().unwrap_or("")),
                esc(&g.spec.resource)
            );
            let rejects = self
                .group_rejects
                .lock()
                .get(&g.spec.apikey)
                .copied()
                .unwrap_or(0);
            groups.insert(g.spec.apikey.clone(), (labels, [0, rejects], 0));
        }
        for d in registry.all_devices() {
            if let Some((_, counts, seen)) = groups.get_mut(&d.apikey) {
                counts[0] += d.runtime.messages.load(Ordering::Relaxed);
                counts[1] += d.runtime.errors.load(Ordering::Relaxed);
                *seen = (*seen).max(d.runtime.last_seen.load(Ordering::Relaxed));
            }
        }
        header(
            out,
            GROUP_MESSAGES,
            "counter",
            "Messages accepted per service group.",
        );
        header(
            out,
            GROUP_ERRORS,
            "counter",
            "Rejections per service group.",
        );
        header(
            out,
            GROUP_LAST_SEEN,
            "gauge",
            "Last message per service group, Unix seconds.",
        );
        for (labels, counts, seen) in groups.values() {
            let _ = writeln!(out, "{GROUP_MESSAGES}{{{labels}}} {}", counts[0]);
            let _ = writeln!(out, "{GROUP_ERRORS}{{{labels}}} {}", counts[1]);
            let _ = writeln!(out, "{GROUP_LAST_SEEN}{{{labels}}} {}", seen / 1_000_000);
        }
    }
}

fn render_devices(out: &mut String, registry: &Registry) {
    header(
        out,
        DEVICE_MESSAGES,
        "counter",
        "Messages accepted per device.",
    );
    header(out, DEVICE_ERRORS, "counter", "Rejections per device.");
    header(
        out,
        DEVICE_LAST_SEEN,
        "gauge",
        "Last message per device, Unix seconds.",
    );
    let mut devices = registry.all_devices();
    devices.sort_by(|a, b| (&a.tenant, &a.spec.device_id).cmp(&(&b.tenant, &b.spec.device_id)));
    for d in devices {
        let labels = format!(
            "service=\"{}\",device_id=\"{}\"",
            esc(&d.tenant),
            esc(&d.spec.device_id)
        );
        let r = &d.runtime;
        let _ = writeln!(
            out,
            "{DEVICE_MESSAGES}{{{labels}}} {}",
            r.messages.load(Ordering::Relaxed)
        );
        let _ = writeln!(
            out,
            "{DEVICE_ERRORS}{{{labels}}} {}",
            r.errors.load(Ordering::Relaxed)
        );
        let seen = r.last_seen.load(Ordering::Relaxed) / 1_000_000;
        let _ = writeln!(out, "{DEVICE_LAST_SEEN}{{{labels}}} {seen}");
    }
}

fn header(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
}

fn simple(out: &mut String, name: &str, kind: &str, help: &str, v: u64) {
    header(out, name, kind, help);
    let _ = writeln!(out, "{name} {v}");
}

/// Escapes a Prometheus label value.
fn esc(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(esc("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    }

    #[test]
    fn command_statuses_are_counted() {
        let m = Metrics::default();
        m.command("OK");
        m.command("nonsense");
        assert_eq!(m.commands[2].load(Ordering::Relaxed), 1);
    }
}
