use super::*;

#[test]
fn notification_ids_are_unique_urns() {
    let ids = Ids::new();
    let (a, b) = (ids.next(), ids.next());
    assert!(a.starts_with("urn:ngsi-ld:Notification:") && ngsi::payload::is_uri(&a));
    assert_ne!(a, b);
    assert_ne!(Ids::new().next(), Ids::new().next(), "processes differ");
}

#[test]
fn previous_members_follow_the_attribute_kind() {
    assert_eq!(previous_member(AttrKind::Property), "previousValue");
    assert_eq!(previous_member(AttrKind::Relationship), "previousObject");
    assert_eq!(
        previous_member(AttrKind::LanguageProperty),
        "previousLanguageMap"
    );
    assert_eq!(
        previous_member(AttrKind::ListRelationship),
        "previousObjectList"
    );
}
