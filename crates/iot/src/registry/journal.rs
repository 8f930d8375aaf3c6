//! The registry's durable form: a JSON-lines journal in `<data-dir>/iot/registry.jsonl`, one
//! record per change, fsynced before the change is acknowledged. On open the journal is
//! replayed and compacted (rewritten as the current state through a temp file and a rename), so
//! it never grows beyond one record per live group and device plus the changes since start.
//!
//! Chosen over NGSI-LD entities in the store because provisioning records hold secrets (API
//! keys, device tokens) that must not be readable through the context broker API.

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

use parking_lot::Mutex;
use serde::{Deserialize, Serialize};

use crate::error::{IotError, Result};
use crate::model::{DeviceSpec, GroupSpec};

/// One journal record.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Record {
    /// A service group was created or changed.
    PutGroup { tenant: String, group: GroupSpec },
    /// A service group was deleted.
    DelGroup { apikey: String },
    /// A device was created or changed.
    PutDevice {
        tenant: String,
        apikey: String,
        device: DeviceSpec,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        token: Option<String>,
        #[serde(default)]
        auto: bool,
    },
    /// A device was deleted.
    DelDevice { apikey: String, device_id: String },
}

/// The append side of the journal.
pub struct Journal {
    path: PathBuf,
    file: Mutex<File>,
}

fn io(path: &Path, source: std::io::Error) -> IotError {
    IotError::Registry {
        path: path.display().to_string(),
        source,
    }
}

impl Journal {
    /// Reads every record of the journal in `dir` (a torn last line is dropped).
    pub fn read(dir: &Path) -> Result<Vec<Record>> {
        let path = dir.join("registry.jsonl");
        let file = match File::open(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(io(&path, e)),
        };
        let lines: Vec<String> = BufReader::new(file)
            .lines()
            .collect::<std::io::Result<_>>()
            .map_err(|e| io(&path, e))?;
        let mut out = Vec::with_capacity(lines.len());
        for (i, line) in lines.iter().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            match serde_json::from_str(line) {
                Ok(r) => out.push(r),
                // A crash mid-append leaves a torn last line: it was never acknowledged.
                Err(_) if i + 1 == lines.len() => {
                    tracing::warn!(path = %path.display(), "dropping a torn last registry record");
                }
                Err(e) => {
                    return Err(IotError::Corrupt {
                        path: path.display().to_string(),
                        line: i + 1,
                        detail: e.to_string(),
                    });
                }
            }
        }
        Ok(out)
    }

    /// Rewrites the journal as `records` (the compacted state) and opens it for appending.
    pub fn rewrite(dir: &Path, records: &[Record]) -> Result<Self> {
        std::fs::create_dir_all(dir).map_err(|e| io(dir, e))?;
        let path = dir.join("registry.jsonl");
        let tmp = dir.join("registry.jsonl.tmp");
        let mut buf = Vec::new();
        for r in records {
            encode(r, &mut buf);
        }
        let write = || -> std::io::Result<()> {
            let mut f = File::create(&tmp)?;
            f.write_all(&buf)?;
            f.sync_all()?;
            std::fs::rename(&tmp, &path)?;
            File::open(dir)?.sync_all()
        };
        write().map_err(|e| io(&path, e))?;
        let file = OpenOptions::new()
            .append(true)
            .open(&path)
            .map_err(|e| io(&path, e))?;
        Ok(Self {
            path,
            file: Mutex::new(file),
        })
    }

    /// Appends records and waits until they are on disk.
    pub fn append(&self, records: &[Record]) -> Result<()> {
        let mut buf = Vec::new();
        for r in records {
            encode(r, &mut buf);
        }
        let mut f = self.file.lock();
        f.write_all(&buf)
            .and_then(|_| f.sync_data())
            .map_err(|e| io(&self.path, e))
    }
}

fn encode(r: &Record, buf: &mut Vec<u8>) {
    if serde_json::to_writer(&mut *buf, r).is_ok() {
        buf.push(b'\n');
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn group(key: &str) -> GroupSpec {
        serde_json::from_value(json!({"apikey": key, "entity_type": "T"})).unwrap()
    }

    #[test]
    fn records_survive_reopen_and_a_torn_tail_is_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let j = Journal::rewrite(dir.path(), &[]).unwrap();
        j.append(&[Record::PutGroup {
            tenant: "hainan".into(),
            group: group("k1"),
        }])
        .unwrap();
        drop(j);
        let path = dir.path().join("registry.jsonl");
        let mut f = OpenOptions::new().append(true).open(&path).unwrap();
        f.write_all(b"{\"put_group\": {\"ten").unwrap();
        let got = Journal::read(dir.path()).unwrap();
        assert_eq!(got.len(), 1);
        assert!(matches!(&got[0], Record::PutGroup { tenant, .. } if tenant == "hainan"));
    }

    #[test]
    fn a_corrupt_middle_line_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("registry.jsonl"),
            "garbage\n{\"del_group\":{\"apikey\":\"k\"}}\n",
        )
        .unwrap();
        assert!(matches!(
            Journal::read(dir.path()),
            Err(IotError::Corrupt { line: 1, .. })
        ));
    }

    #[test]
    fn device_tokens_are_kept_in_the_journal() {
        let dir = tempfile::tempdir().unwrap();
        let device: DeviceSpec = serde_json::from_value(json!({"device_id": "d"})).unwrap();
        let rec = Record::PutDevice {
            tenant: String::new(),
            apikey: "k".into(),
            device,
            token: Some("t0k".into()),
            auto: false,
        };
        Journal::rewrite(dir.path(), &[rec]).unwrap();
        let got = Journal::read(dir.path()).unwrap();
        assert!(matches!(&got[0], Record::PutDevice { token: Some(t), .. } if t == "t0k"));
    }
}
