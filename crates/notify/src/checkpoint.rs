//! Delivery positions and status members on disk: `state.json`, rewritten atomically (write,
//! fsync, rename) at most every checkpoint interval when something changed, and at shutdown.
//! It holds each subscription's cursor (the last outbox sequence delivered or given up on),
//! its status members and dead letters, and the outbox's next sequence number.
//!
//! A crash loses at most one interval of progress: those notifications are sent again.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::Ordering;

use ngsi::NgsiError;
use serde::{Deserialize, Serialize};
use tokio::sync::watch;

use crate::hub::Hub;
use crate::outbox::Outbox;
use crate::status::Status;
use crate::subscription::SubKey;

const FILE: &str = "state.json";

#[derive(Debug, Default, Serialize, Deserialize)]
struct SubState {
    tenant: String,
    id: String,
    cursor: u64,
    status: Status,
}

/// What `state.json` holds.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Saved {
    pub next_seq: u64,
    subs: Vec<SubState>,
}

impl Saved {
    /// Reads `dir/state.json` (empty if there is none yet).
    pub fn load(dir: &Path) -> Result<Self, NgsiError> {
        let path = dir.join(FILE);
        match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| {
                NgsiError::internal(format!("notify: {} is not readable: {e}", path.display()))
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Self::default()),
            Err(e) => Err(NgsiError::internal(format!(
                "notify: cannot read {}: {e}",
                path.display()
            ))),
        }
    }

    /// Cursor and status per subscription.
    pub fn into_map(self) -> HashMap<SubKey, (u64, Status)> {
        self.subs
            .into_iter()
            .map(|s| (SubKey::new(&s.tenant, &s.id), (s.cursor, s.status)))
            .collect()
    }
}

/// Writes the state of every subscription.
pub fn save(dir: &Path, hub: &Hub, outbox: &Outbox) -> Result<(), NgsiError> {
    hub.dirty.store(false, Ordering::Release);
    let mut subs: Vec<SubState> = hub
        .all()
        .iter()
        .map(|h| SubState {
            tenant: h.key.tenant.to_string(),
            id: h.key.id.to_string(),
            cursor: h.cursor.load(Ordering::Acquire),
            status: h.status.lock().clone(),
        })
        .collect();
    subs.sort_by(|a, b| (&a.tenant, &a.id).cmp(&(&b.tenant, &b.id)));
    let saved = Saved {
        next_seq: outbox.next_seq(),
        subs,
    };
    let io = |what: &str, p: &PathBuf, e: std::io::Error| {
        NgsiError::internal(format!("notify: cannot {what} {}: {e}", p.display()))
    };
    let path = dir.join(FILE);
    let tmp = path.with_extension("tmp");
    let bytes = serde_json::to_vec(&saved).map_err(|e| NgsiError::internal(e.to_string()))?;
    std::fs::write(&tmp, bytes).map_err(|e| io("write", &tmp, e))?;
    std::fs::File::open(&tmp)
        .and_then(|f| f.sync_all())
        .map_err(|e| io("sync", &tmp, e))?;
    std::fs::rename(&tmp, &path).map_err(|e| io("replace", &path, e))?;
    crate::outbox::sync_dir(dir).map_err(|e| io("sync", &dir.to_path_buf(), e))
}

/// Saves whenever something changed, every `interval`, until `shutdown` (then once more).
pub async fn run(
    dir: PathBuf,
    hub: Arc<Hub>,
    outbox: Arc<Outbox>,
    interval: std::time::Duration,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut tick = tokio::time::interval(interval);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        let stop = tokio::select! {
            _ = shutdown.changed() => true,
            _ = tick.tick() => false,
        };
        if stop || hub.dirty.load(Ordering::Acquire) {
            let (d, h, o) = (dir.clone(), hub.clone(), outbox.clone());
            let saved = tokio::task::spawn_blocking(move || save(&d, &h, &o)).await;
            match saved {
                Ok(Ok(())) => {}
                Ok(Err(e)) => tracing::warn!(detail = %e.detail, "notify: checkpoint failed"),
                Err(e) => tracing::warn!(%e, "notify: checkpoint task failed"),
            }
        }
        if stop {
            return;
        }
    }
}
