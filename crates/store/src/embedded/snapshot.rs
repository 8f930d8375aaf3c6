//! Snapshots: the whole twin at one lsn, so recovery reads one file and replays only the log
//! written after it. Written to a temporary file, fsynced, then renamed, so a crash mid-way leaves
//! the previous snapshot in place. Frames as in the WAL; the first holds a header.

use std::fs::File;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use ngsi::{Entity, NgsiError};
use serde::{Deserialize, Serialize};

use super::wal::{frame, next_frame, sync_dir};
use crate::codec;

#[derive(Serialize, Deserialize)]
struct Header {
    lsn: u64,
    /// (tenant name, next row) per tenant, in the order entity frames refer to them.
    tenants: Vec<(String, u32)>,
}

/// One tenant in a snapshot: its name, next row, and entities with their rows.
pub(crate) type TenantImage = (String, u32, Vec<(u32, Arc<Entity>)>);

/// What a snapshot holds.
pub(crate) struct Image {
    pub lsn: u64,
    pub tenants: Vec<TenantImage>,
}

fn path_for(dir: &Path, lsn: u64) -> PathBuf {
    dir.join(format!("snapshot-{lsn:020}.snap"))
}

/// Snapshot files, newest first.
pub(crate) fn list(dir: &Path) -> io::Result<Vec<(u64, PathBuf)>> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        if let Some(n) = name
            .strip_prefix("snapshot-")
            .and_then(|n| n.strip_suffix(".snap"))
            && let Ok(lsn) = n.parse::<u64>()
        {
            out.push((lsn, path));
        }
    }
    out.sort_by_key(|x| std::cmp::Reverse(x.0));
    Ok(out)
}

/// Writes `image` durably and removes older snapshots.
pub(crate) fn write(dir: &Path, image: &Image) -> io::Result<()> {
    let header = Header {
        lsn: image.lsn,
        tenants: image
            .tenants
            .iter()
            .map(|(n, next, _)| (n.clone(), *next))
            .collect(),
    };
    let tmp = dir.join(format!("snapshot-{:020}.tmp", image.lsn));
    let mut out = io::BufWriter::with_capacity(1 << 20, File::create(&tmp)?);
    let (mut buf, mut payload) = (Vec::new(), Vec::new());
    frame(
        &mut buf,
        0,
        &serde_json::to_vec(&header).map_err(io::Error::other)?,
    );
    for (ti, (_, _, rows)) in image.tenants.iter().enumerate() {
        for (row, e) in rows {
            payload.clear();
            payload.extend_from_slice(format!("{{\"t\":{ti},\"r\":{row},\"e\":").as_bytes());
            codec::encode_entity(e, &mut payload);
            payload.push(b'}');
            frame(&mut buf, 0, &payload);
            if buf.len() > 1 << 20 {
                out.write_all(&buf)?;
                buf.clear();
            }
        }
    }
    out.write_all(&buf)?;
    let file = out.into_inner().map_err(|e| e.into_error())?;
    file.sync_all()?;
    std::fs::rename(&tmp, path_for(dir, image.lsn))?;
    sync_dir(dir)?;
    for (lsn, path) in list(dir)? {
        if lsn < image.lsn {
            std::fs::remove_file(path)?;
        }
    }
    Ok(())
}

#[derive(Deserialize)]
struct Row {
    t: usize,
    r: u32,
    e: codec::EntityIn,
}

/// Reads a snapshot, decoding entities on every core.
pub(crate) fn read(path: &Path) -> Result<Image, NgsiError> {
    let io_err =
        |e: io::Error| NgsiError::internal(format!("cannot read snapshot {}: {e}", path.display()));
    let mut data = Vec::new();
    File::open(path)
        .and_then(|mut f| f.read_to_end(&mut data))
        .map_err(io_err)?;
    let mut frames = Vec::new();
    let mut pos = 0;
    while let Some((_, payload, next)) = next_frame(&data, pos) {
        frames.push(payload);
        pos = next;
    }
    if pos != data.len() || frames.is_empty() {
        return Err(NgsiError::internal(format!(
            "snapshot {} is truncated or corrupt",
            path.display()
        )));
    }
    let header: Header = serde_json::from_slice(frames[0]).map_err(|e| {
        NgsiError::internal(format!("bad snapshot header in {}: {e}", path.display()))
    })?;
    let rows = decode_parallel(&frames[1..])?;
    let mut tenants: Vec<TenantImage> = header
        .tenants
        .into_iter()
        .map(|(n, next)| (n, next, Vec::new()))
        .collect();
    for (t, row, e) in rows {
        let slot = tenants
            .get_mut(t)
            .ok_or_else(|| NgsiError::internal("snapshot row names an unknown tenant"))?;
        slot.2.push((row, Arc::new(e)));
    }
    Ok(Image {
        lsn: header.lsn,
        tenants,
    })
}

fn decode_parallel(frames: &[&[u8]]) -> Result<Vec<(usize, u32, Entity)>, NgsiError> {
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .max(1);
    let chunk = frames.len().div_ceil(threads).max(1);
    let parts: Vec<Result<Vec<_>, NgsiError>> = std::thread::scope(|s| {
        let handles: Vec<_> = frames
            .chunks(chunk)
            .map(|c| s.spawn(move || decode_rows(c)))
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(NgsiError::internal("snapshot decoder panicked")))
            })
            .collect()
    });
    let mut out = Vec::with_capacity(frames.len());
    for p in parts {
        out.extend(p?);
    }
    Ok(out)
}

fn decode_rows(frames: &[&[u8]]) -> Result<Vec<(usize, u32, Entity)>, NgsiError> {
    let mut decoder = codec::Decoder::default();
    frames
        .iter()
        .map(|f| {
            let row: Row = serde_json::from_slice(f)
                .map_err(|e| NgsiError::internal(format!("bad snapshot row: {e}")))?;
            Ok((row.t, row.r, decoder.entity(row.e)?))
        })
        .collect()
}
