use std::sync::Arc;

use ngsi::{AttrValue, Attribute, Entity, intern};
use serde_json::json;
use store::Change;

use super::*;

fn entity(attrs: &[(&str, serde_json::Value)]) -> Arc<Entity> {
    let mut e = Entity::new("urn:ngsi-ld:T:1".into(), vec![intern("https://e/T")], 0);
    for (n, v) in attrs {
        e.put_attr(Attribute::new(intern(n), AttrValue::Property(v.clone()), 0));
    }
    Arc::new(e)
}

fn change(b: Option<Arc<Entity>>, a: Option<Arc<Entity>>) -> Change {
    Change {
        before: b,
        after: a,
    }
}

#[test]
fn creation_and_deletion_touch_every_attribute() {
    let e = entity(&[("a", json!(1)), ("b", json!(2))]);
    let c = change(None, Some(e.clone()));
    let a = analyse(&c).unwrap();
    assert_eq!(a.kind, Kind::Created);
    assert_eq!(a.attrs.len(), 2);
    assert!(
        a.attrs
            .iter()
            .all(|x| x.trigger == Triggers::ATTRIBUTE_CREATED)
    );
    let d = change(Some(e), None);
    assert_eq!(analyse(&d).unwrap().kind, Kind::Deleted);
}

#[test]
fn updates_report_each_attribute_and_ignore_timestamps() {
    let b = entity(&[("a", json!(1)), ("b", json!(2)), ("c", json!(3))]);
    let mut a = (*entity(&[("a", json!(1)), ("b", json!(5)), ("d", json!(4))])).clone();
    a.attrs.iter_mut().for_each(|x| x.modified_at = 99);
    let c = change(Some(b.clone()), Some(Arc::new(a)));
    let got: Vec<(String, Triggers)> = analyse(&c)
        .unwrap()
        .attrs
        .iter()
        .map(|x| (x.name.to_string(), x.trigger))
        .collect();
    assert_eq!(
        got,
        [
            ("b".to_string(), Triggers::ATTRIBUTE_UPDATED),
            ("c".to_string(), Triggers::ATTRIBUTE_DELETED),
            ("d".to_string(), Triggers::ATTRIBUTE_CREATED)
        ]
    );
    let mut same = (*b).clone();
    same.attrs.iter_mut().for_each(|x| x.modified_at = 7);
    assert!(
        analyse(&change(Some(b), Some(Arc::new(same)))).is_none(),
        "a rewrite with the same values is no change"
    );
}
