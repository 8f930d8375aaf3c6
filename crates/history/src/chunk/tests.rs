use super::*;
use serde_json::json;

fn inst(i: i64, value: Val) -> Inst {
    Inst {
        t: 1_789_000_000_000_000 + i * 300_000_000,
        observed: true,
        rec: 1_789_000_000_000_000 + i * 300_000_000 + 1_234 * (i % 7),
        modified: 1_789_000_000_000_000 + i * 300_000_000 + 1_234 * (i % 7),
        kind: AttrKind::Property,
        id: InstKey {
            key: 100 + i as u64 * 3,
            sub: 0,
        },
        value,
        meta: None,
    }
}

#[test]
fn numeric_series_round_trip_compactly() {
    let unit: Arc<[u8]> = Arc::from(&br#"{"u":"MTR"}"#[..]);
    let insts: Vec<Inst> = (0..512)
        .map(|i| {
            let mut x = inst(i, Val::Float(1.0 + (i % 50) as f64 * 0.013));
            x.meta = Some(unit.clone());
            x
        })
        .collect();
    let buf = encode(&insts);
    assert!(buf.len() < 512 * 12, "{} bytes", buf.len());
    assert_eq!(decode(&buf).unwrap(), insts);
}

#[test]
fn mixed_values_deletions_and_corrections_round_trip() {
    let mut insts = vec![
        inst(0, Val::Int(3)),
        inst(1, Val::Float(3.5)),
        inst(2, Val::Deleted),
        inst(3, Val::Float(f64::MAX)),
        inst(4, Val::Int(-7)),
    ];
    insts[1].modified += 99;
    insts[1].observed = false;
    insts[4].kind = AttrKind::Relationship;
    assert_eq!(decode(&encode(&insts)).unwrap(), insts);
    let text = vec![
        inst(0, Val::Json(Arc::new(json!("open")))),
        inst(1, Val::Json(Arc::new(json!({"a": [1, 2]})))),
        inst(2, Val::Int(1)),
        inst(3, Val::Json(Arc::new(json!("open")))),
        inst(4, Val::Json(Arc::new(json!(true)))),
    ];
    assert_eq!(decode(&encode(&text)).unwrap(), text);
    let gone = vec![inst(0, Val::Deleted)];
    assert_eq!(decode(&encode(&gone)).unwrap(), gone);
}

#[test]
fn corrupt_chunks_are_errors() {
    let buf = encode(&[inst(0, Val::Int(1)), inst(1, Val::Int(2))]);
    for cut in 0..buf.len() {
        assert!(decode(&buf[..cut]).is_err(), "cut at {cut}");
    }
    let mut bad = buf.clone();
    bad[0] = 9;
    assert!(decode(&bad).is_err());
}

#[test]
fn a_regular_gauge_costs_a_few_bytes_per_instance() {
    // One temporal API write: same recorded time and key, subs counting up, 5-minute steps,
    // two-decimal readings.
    let insts: Vec<Inst> = (0..512)
        .map(|k| Inst {
            t: 1_785_000_000_000_000 + k * 300_000_000,
            observed: true,
            rec: 1_795_000_000_000_000,
            modified: 1_795_000_000_000_000,
            kind: AttrKind::Property,
            id: InstKey {
                key: crate::model::DIRECT_BASE + 7,
                sub: k as u32,
            },
            value: Val::Float(((k * 13 + (k / 288) * 101) % 4000 + 100) as f64 / 100.0),
            meta: None,
        })
        .collect();
    let buf = encode(&insts);
    assert!(buf.len() < 512 * 2, "{} bytes for 512 instances", buf.len());
    assert_eq!(decode(&buf).unwrap(), insts);
}
