//! On-disk persistence of hosted @contexts: one `{id}.json` file each in the store directory,
//! written atomically (temp file, fsync, rename, fsync of the directory) so that a crash leaves
//! either the old state or the new one. Must not: be called with a store lock held.

use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{ContextKind, Entry};
use crate::error::{NgsiError, Result};
use crate::time;

/// The file format of a persisted hosted context.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct HostedFile {
    local_id: String,
    created_at: String,
    document: Value,
}

/// Reads every hosted context in `dir` (created if missing). Unreadable files are skipped with a
/// warning; leftovers of interrupted writes are removed. The entries' URLs are left empty.
pub(super) fn load_hosted(dir: &Path) -> Result<Vec<Entry>> {
    let io_err =
        |e: io::Error| NgsiError::internal(format!("@context store {}: {e}", dir.display()));
    fs::create_dir_all(dir).map_err(io_err)?;
    let mut entries = Vec::new();
    for item in fs::read_dir(dir).map_err(io_err)? {
        let path = item.map_err(io_err)?.path();
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        if name.ends_with(".tmp") {
            // Left over from a write that did not complete: never renamed, never visible.
            let _ = fs::remove_file(&path);
        } else if let Some(id) = name.strip_suffix(".json") {
            match read_hosted(&path, id) {
                Ok(entry) => entries.push(entry),
                Err(e) => {
                    tracing::warn!(path = %path.display(), error = %e, "skipping unreadable hosted @context")
                }
            }
        }
    }
    Ok(entries)
}

fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

fn read_hosted(path: &Path, id: &str) -> io::Result<Entry> {
    let invalid = |why: String| io::Error::new(io::ErrorKind::InvalidData, why);
    let file: HostedFile =
        serde_json::from_slice(&fs::read(path)?).map_err(|e| invalid(e.to_string()))?;
    if !valid_id(id) || file.local_id != id {
        return Err(invalid(format!(
            "file name does not match local id {}",
            file.local_id
        )));
    }
    crate::context::loader::check_remote_document(id, &file.document)
        .map_err(|e| invalid(e.detail))?;
    let created_at =
        time::parse(&file.created_at).ok_or_else(|| invalid("bad createdAt".into()))?;
    Ok(Entry {
        id: id.into(),
        url: Box::from(""),
        kind: ContextKind::Hosted,
        created_at,
        expires: None,
        document: Arc::new(file.document),
        usage: Arc::default(),
        builtin: false,
    })
}

/// Persists a hosted entry: temp file, fsync, rename, fsync of the directory.
pub(crate) fn persist_hosted(dir: &Path, entry: &Entry) -> io::Result<()> {
    let file = HostedFile {
        local_id: entry.id.to_string(),
        created_at: time::format(entry.created_at),
        document: (*entry.document).clone(),
    };
    let bytes = serde_json::to_vec_pretty(&file).map_err(io::Error::other)?;
    let tmp = dir.join(format!(".{}.json.tmp", entry.id));
    {
        let mut f = File::create(&tmp)?;
        f.write_all(&bytes)?;
        f.sync_all()?;
    }
    fs::rename(&tmp, hosted_path(dir, &entry.id))?;
    File::open(dir)?.sync_all()
}

/// Removes a persisted hosted entry (already gone is fine).
pub(crate) fn unpersist_hosted(dir: &Path, id: &str) -> io::Result<()> {
    match fs::remove_file(hosted_path(dir, id)) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
        _ => File::open(dir)?.sync_all(),
    }
}

fn hosted_path(dir: &Path, id: &str) -> PathBuf {
    dir.join(format!("{id}.json"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_from_file_names_are_checked() {
        assert!(valid_id("0123abcd") && valid_id("a-b_c"));
        assert!(!valid_id("../x") && !valid_id("") && !valid_id(&"a".repeat(65)));
    }
}
