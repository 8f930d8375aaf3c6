use std::sync::Arc;

use bytes::Bytes;
use parking_lot::Mutex;

use super::*;

struct Sink(Mutex<Vec<(SubKey, Pending)>>);

impl Dispatch for Sink {
    fn dispatch(&self, items: Vec<(SubKey, Pending)>) {
        self.0.lock().extend(items);
    }
}

fn entry(key: &SubKey, lsn: u64, body: &str) -> NewEntry {
    NewEntry {
        key: key.clone(),
        lsn,
        accept: Accept::Json,
        link: "http://ctx".into(),
        notification_id: format!("urn:n:{lsn}").into(),
        body: Bytes::from(body.to_string()),
    }
}

fn open(
    dir: &Path,
    cursors: &HashMap<SubKey, u64>,
    next: u64,
    budget: usize,
) -> (Arc<Outbox>, Recovered) {
    Outbox::open(
        dir,
        cursors,
        next,
        budget,
        Arc::new(Metrics::default()),
        &|_| true,
    )
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn appended_entries_are_recovered_after_their_cursor_and_delivered_segments_go() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (SubKey::new("", "urn:a"), SubKey::new("t", "urn:b"));
    let sink = Arc::new(Sink(Mutex::new(Vec::new())));
    let (o, rec) = open(dir.path(), &HashMap::new(), 1, 1 << 20);
    assert!(rec.pending.is_empty() && rec.matched_lsn == 0);
    o.start_writer(0, 1 << 20, sink.clone()).unwrap();
    o.append(vec![entry(&a, 5, "one"), entry(&b, 5, "two")], Some(5))
        .await
        .unwrap();
    o.append(vec![entry(&a, 6, "three")], Some(6))
        .await
        .unwrap();
    let got = sink.0.lock().clone();
    let seqs: Vec<u64> = got.iter().map(|(_, p)| p.seq).collect();
    assert_eq!(seqs, [1, 2, 3]);
    assert_eq!(o.body(&got[2].1).unwrap(), Bytes::from_static(b"three"));
    o.close();
    let cursors = HashMap::from([(a.clone(), 1)]);
    let (o2, rec) = open(dir.path(), &cursors, 0, 0);
    assert_eq!(rec.matched_lsn, 6);
    let left: Vec<(String, u64)> = rec
        .pending
        .iter()
        .map(|(k, p)| (k.id.to_string(), p.seq))
        .collect();
    assert_eq!(left, [("urn:b".to_string(), 2), ("urn:a".to_string(), 3)]);
    assert!(
        rec.pending.iter().all(|(_, p)| p.body.is_none()),
        "a zero budget keeps bodies on disk"
    );
    assert_eq!(
        o2.body(&rec.pending[1].1).unwrap(),
        Bytes::from_static(b"three")
    );
    let sink2 = Arc::new(Sink(Mutex::new(Vec::new())));
    o2.start_writer(rec.matched_lsn, 1 << 20, sink2).unwrap();
    assert_eq!(o2.next_seq(), 4, "numbering goes on");
    assert_eq!(o2.segment_count(), 2);
    rec.pending.iter().for_each(|(_, p)| o2.release(p));
    assert_eq!(o2.segment_count(), 1, "the finished segment is deleted");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_torn_tail_is_cut_and_later_appends_read_back() {
    let dir = tempfile::tempdir().unwrap();
    let a = SubKey::new("", "urn:a");
    let (o, _) = open(dir.path(), &HashMap::new(), 1, 1 << 20);
    o.start_writer(0, 1 << 20, Arc::new(Sink(Mutex::new(Vec::new()))))
        .unwrap();
    o.append(vec![entry(&a, 1, "kept")], Some(1)).await.unwrap();
    o.close();
    let seg = segment_files(&dir.path().join("outbox"))
        .unwrap()
        .pop()
        .unwrap()
        .1;
    let mut f = std::fs::OpenOptions::new().append(true).open(&seg).unwrap();
    std::io::Write::write_all(&mut f, &[200, 0, 0, 0, 1, 2, 3]).unwrap();
    let (o, rec) = open(dir.path(), &HashMap::new(), 0, 1 << 20);
    assert_eq!(rec.pending.len(), 1);
    o.start_writer(
        rec.matched_lsn,
        1 << 20,
        Arc::new(Sink(Mutex::new(Vec::new()))),
    )
    .unwrap();
    o.append(vec![entry(&a, 2, "after")], Some(2))
        .await
        .unwrap();
    o.close();
    let (_, rec) = open(dir.path(), &HashMap::new(), 0, 1 << 20);
    assert_eq!(rec.pending.len(), 2);
    assert_eq!(rec.matched_lsn, 2);
}
