//! Recorded instances not yet written to partition files. They are already durable (the store's
//! log holds the commits they came from) and are visible to every temporal read. A flush moves
//! the live buffers aside (still readable) while it writes them, then forgets them.
//!
//! Readers may see an instance both here and on disk while a flush completes; they de-duplicate
//! by instance identity.

use std::collections::HashMap;
use std::sync::Arc;

use crate::model::{Inst, SeriesId};

/// Buffers per series.
pub type Buffers = HashMap<SeriesId, Vec<Inst>>;

/// The memtable.
#[derive(Default)]
pub struct Mem {
    live: Buffers,
    live_count: usize,
    flushing: Option<Arc<Buffers>>,
}

impl Mem {
    pub fn push(&mut self, series: SeriesId, inst: Inst) {
        self.live.entry(series).or_default().push(inst);
        self.live_count += 1;
    }

    pub fn len(&self) -> usize {
        self.live_count
    }

    /// Moves the live buffers aside for a flush; they stay readable until [`Mem::flushed`].
    pub fn begin_flush(&mut self) -> Arc<Buffers> {
        let taken = Arc::new(std::mem::take(&mut self.live));
        self.live_count = 0;
        self.flushing = Some(taken.clone());
        taken
    }

    /// The flush is on disk: forget its buffers.
    pub fn flushed(&mut self) {
        self.flushing = None;
    }

    /// The flush failed: put its buffers back in front of what arrived since.
    pub fn flush_failed(&mut self) {
        let Some(old) = self.flushing.take() else {
            return;
        };
        let old = Arc::try_unwrap(old).unwrap_or_else(|shared| (*shared).clone());
        for (series, mut insts) in old {
            let newer = self.live.remove(&series).unwrap_or_default();
            self.live_count += insts.len();
            insts.extend(newer);
            self.live.insert(series, insts);
        }
    }

    /// Drops buffered instances of these series (their history was deleted).
    pub fn forget(&mut self, series: &[SeriesId]) {
        for s in series {
            if let Some(v) = self.live.remove(s) {
                self.live_count -= v.len();
            }
        }
    }

    /// Copies the buffered instances of `series` that `keep` accepts.
    pub fn collect(&self, series: SeriesId, keep: &dyn Fn(&Inst) -> bool, out: &mut Vec<Inst>) {
        let flushing = self.flushing.as_ref().and_then(|f| f.get(&series));
        for i in flushing.into_iter().chain(self.live.get(&series)).flatten() {
            if keep(i) {
                out.push(i.clone());
            }
        }
    }
}
