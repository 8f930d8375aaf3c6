//! Subscriptions on disk: `subscriptions.jsonl`, one JSON record per line (a subscription put,
//! or a delete), appended and fsynced before an API call answers, and compacted to the live set
//! on open. A torn last line (a crash mid-append) is ignored: that call was never answered.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

use ngsi::NgsiError;
use serde::{Deserialize, Serialize};

use crate::subscription::{Stored, SubKey};

const FILE: &str = "subscriptions.jsonl";

#[derive(Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "lowercase")]
enum Line {
    Put { sub: Stored },
    Del { tenant: String, id: String },
}

/// The append-only subscription log.
pub struct SubLog {
    path: PathBuf,
    file: File,
}

impl SubLog {
    /// Opens the log in `dir`, compacts it, and returns the live subscriptions in creation order.
    pub fn open(dir: &Path) -> Result<(Self, Vec<Stored>), NgsiError> {
        std::fs::create_dir_all(dir).map_err(|e| io("create", dir, e))?;
        let path = dir.join(FILE);
        let live = read(&path)?;
        let tmp = path.with_extension("tmp");
        {
            let mut f = File::create(&tmp).map_err(|e| io("create", &tmp, e))?;
            for s in &live {
                write_line(&mut f, &Line::Put { sub: s.clone() })
                    .map_err(|e| io("write", &tmp, e))?;
            }
            f.sync_all().map_err(|e| io("sync", &tmp, e))?;
        }
        std::fs::rename(&tmp, &path).map_err(|e| io("replace", &path, e))?;
        crate::outbox::sync_dir(dir).map_err(|e| io("sync", dir, e))?;
        let file = File::options()
            .append(true)
            .open(&path)
            .map_err(|e| io("open", &path, e))?;
        Ok((Self { path, file }, live))
    }

    /// Durably records a created or updated subscription.
    pub fn put(&mut self, sub: &Stored) -> Result<(), NgsiError> {
        self.append(&Line::Put { sub: sub.clone() })
    }

    /// Durably records a deletion.
    pub fn delete(&mut self, key: &SubKey) -> Result<(), NgsiError> {
        self.append(&Line::Del {
            tenant: key.tenant.to_string(),
            id: key.id.to_string(),
        })
    }

    fn append(&mut self, line: &Line) -> Result<(), NgsiError> {
        write_line(&mut self.file, line)
            .and_then(|()| self.file.sync_data())
            .map_err(|e| io("append to", &self.path, e))
    }
}

fn write_line(f: &mut File, line: &Line) -> std::io::Result<()> {
    let mut text = serde_json::to_vec(line).map_err(std::io::Error::other)?;
    text.push(b'\n');
    f.write_all(&text)
}

fn read(path: &Path) -> Result<Vec<Stored>, NgsiError> {
    let file = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(io("open", path, e)),
    };
    let mut live: BTreeMap<(String, String), Stored> = BTreeMap::new();
    for (n, line) in BufReader::new(file).split(b'\n').enumerate() {
        let line = line.map_err(|e| io("read", path, e))?;
        if line.is_empty() {
            continue;
        }
        match serde_json::from_slice::<Line>(&line) {
            Ok(Line::Put { sub }) => {
                live.insert((sub.tenant.clone(), sub.id.clone()), sub);
            }
            Ok(Line::Del { tenant, id }) => {
                live.remove(&(tenant, id));
            }
            Err(e) => {
                tracing::warn!(line = n + 1, %e, "skipping an unreadable subscription record")
            }
        }
    }
    let mut subs: Vec<Stored> = live.into_values().collect();
    subs.sort_by_key(|s| s.order);
    Ok(subs)
}

fn io(what: &str, path: &Path, e: std::io::Error) -> NgsiError {
    NgsiError::internal(format!(
        "subscriptions: cannot {what} {}: {e}",
        path.display()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn stored(id: &str, order: u64) -> Stored {
        Stored {
            tenant: String::new(),
            id: id.into(),
            body: json!({"type": "Subscription"})
                .as_object()
                .cloned()
                .unwrap_or_default(),
            context: json!("https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.8.jsonld"),
            created_at: 1,
            modified_at: 1,
            order,
        }
    }

    #[test]
    fn puts_and_deletes_survive_reopen_and_a_torn_line_is_ignored() {
        let dir = tempfile::tempdir().unwrap();
        {
            let (mut log, live) = SubLog::open(dir.path()).unwrap();
            assert!(live.is_empty());
            log.put(&stored("urn:a", 1)).unwrap();
            log.put(&stored("urn:b", 2)).unwrap();
            log.delete(&SubKey::new("", "urn:a")).unwrap();
        }
        let mut f = File::options()
            .append(true)
            .open(dir.path().join(FILE))
            .unwrap();
        f.write_all(br#"{"op":"put","sub":{"tena"#).unwrap();
        let (_, live) = SubLog::open(dir.path()).unwrap();
        let ids: Vec<_> = live.iter().map(|s| s.id.as_str()).collect();
        assert_eq!(ids, ["urn:b"]);
    }
}
