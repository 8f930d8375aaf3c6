//! `q` against the examples and semantics of clause 4.9, one test per rule.

mod common;

use std::collections::HashMap;

use common::{attr, entity, expand, prop, rel};
use ngsi::model::AttrKind;
use ngsi::{Entity, ErrorKind, NgsiError, intern};
use query::q::{EntityLookup, QOptions, parse_q};
use serde_json::json;

fn q(src: &str, e: &Entity) -> bool {
    parse_q(src)
        .unwrap_or_else(|err| panic!("{src}: {err}"))
        .resolve(&expand)
        .unwrap()
        .matches(e)
}

fn car() -> Entity {
    let mut temp = prop("temperature", json!(20));
    temp.observed_at = ngsi::time::parse("2018-12-04T12:00:00Z");
    temp.unit_code = Some(intern("CEL"));
    entity(
        "urn:ngsi-ld:Car:1",
        "Car",
        vec![
            temp,
            prop("brandName", json!("Mercedes")),
            prop("speed", json!(80)),
            prop("rpm", json!(2000)),
            prop("capacity", json!(5)),
            rel("isParked", json!("urn:ngsi-ld:OffStreetParking:Downtown1")),
            prop("colors", json!(["blue", "red", "green"])),
        ],
    )
}

#[test]
fn examples_0_to_7() {
    let e = car();
    assert!(q("temperature", &e));
    assert!(!q("humidity", &e));
    assert!(q("temperature==20", &e));
    assert!(!q("brandName!=\"Mercedes\"", &e));
    assert!(q(
        "isParked==\"urn:ngsi-ld:OffStreetParking:Downtown1\"",
        &e
    ));
    assert!(q("isParked==urn:ngsi-ld:OffStreetParking:Downtown1", &e));
    assert!(q("speed>50;brandName!=\"Audi\"", &e));
    assert!(q("((speed>50|rpm>3000);brandName==\"Mercedes\")", &e));
    assert!(!q("((speed>90|rpm>3000);brandName==\"Mercedes\")", &e));
    assert!(q("(temperature>=20;temperature<=25)|capacity<=10", &e));
    assert!(q("(temperature>=21;temperature<=25)|capacity<=10", &e));
    assert!(!q("(temperature>=21;temperature<=25)|capacity<=4", &e));
    // AND binds tighter than OR: a|b;c is a|(b;c).
    assert!(q("speed>50|capacity>100;rpm>9000", &e));
    assert!(!q("(speed>50|capacity>100);rpm>9000", &e));
}

#[test]
fn attribute_level_members() {
    let e = car();
    assert!(q("temperature.observedAt>=2017-12-24T12:00:00Z", &e));
    assert!(q("temperature.observedAt==2018-12-04T20:00:00+08:00", &e));
    assert!(!q("temperature.observedAt<2018-12-04T12:00:00Z", &e));
    assert!(!q("speed.observedAt", &e));
    assert!(q("!speed.observedAt", &e));
    assert!(q("temperature.unitCode==\"CEL\"", &e));
    assert!(q("temperature.createdAt==1970-01-01T00:00:01Z", &e));
    assert!(q("temperature.modifiedAt<2000-01-01T00:00:00Z", &e));
    assert!(!q("temperature.datasetId", &e));
}

#[test]
fn example_9_and_10_trailing_paths() {
    let place = entity(
        "urn:p:1",
        "PlaceDescription",
        vec![prop(
            "address",
            json!({"city": "Berlin", "street": "Ulrich Strasse"}),
        )],
    );
    assert!(q("address[city]==\"Berlin\"", &place));
    assert!(!q("address[city]==\"Bonn\"", &place));
    assert!(q("address[street]", &place));
    assert!(!q("address[zip]", &place));
    assert!(q("!address[zip]", &place));
    assert!(!q("address[zip]!=\"x\"", &place));
    let mut sensor = prop("sensor", json!(40));
    sensor.sub.push(prop(
        "rawdata",
        json!({"airquality": {"particulate": 40, "PM20": 85}}),
    ));
    let m = entity("urn:m:345", "ParticulateMeasurement", vec![sensor]);
    assert!(q("sensor.rawdata[airquality.particulate]==40", &m));
    assert!(q("sensor.rawdata[airquality.PM20]>80", &m));
    assert!(!q("sensor.rawdata[airquality.particulate]==41", &m));
    assert!(q("sensor.rawdata", &m));
    assert!(!q("sensor.other", &m));
}

#[test]
fn example_11_json_property_and_12_vocab_property() {
    let tickets = attr(
        AttrKind::JsonProperty,
        "parkingTickets",
        json!({"id": "85a6", "value": "Overstay 60 minutes"}),
    );
    let gender = attr(
        AttrKind::VocabProperty,
        "gender",
        json!(format!("{}Male", common::VOCAB)),
    );
    let e = entity(
        "urn:ngsi-ld:Car:6152s",
        "Car",
        vec![tickets, gender, prop("size", json!("Large"))],
    );
    assert!(q("parkingTickets[value]==\"Overstay 60 minutes\"", &e));
    assert!(q("gender==Male", &e));
    assert!(q("gender==\"Male\"", &e));
    assert!(!q("gender==Female", &e));
    assert!(q("gender!=Female", &e));
    // Property values compare raw unless listed in expandValues.
    let expanded = format!("size==\"{}Large\"", common::VOCAB);
    assert!(!q(&expanded, &e));
    let opts = QOptions {
        expand_values: vec!["size".into()],
    };
    let with_opts = |src: &str| {
        parse_q(src)
            .unwrap()
            .resolve_with(&expand, &opts)
            .unwrap()
            .matches(&e)
    };
    assert!(with_opts("size==Large"));
    assert!(with_opts(&format!("size==\"{}Large\"", common::VOCAB)) || with_opts("size==Large"));
}

struct Lookup(HashMap<String, Entity>);

impl EntityLookup for Lookup {
    fn with_entity(&self, id: &str, f: &mut dyn FnMut(&Entity) -> bool) -> bool {
        self.0.get(id).is_some_and(f)
    }
}

#[test]
fn examples_13_and_14_linked_entities() {
    let station = entity(
        "urn:ngsi-ld:WeatherStation:123",
        "WeatherStation",
        vec![rel("sensor", json!("urn:ngsi-ld:Device:345"))],
    );
    let device = entity(
        "urn:ngsi-ld:Device:345",
        "Device",
        vec![prop("humidity", json!(40))],
    );
    let lookup = Lookup(HashMap::from([(device.id.to_string(), device)]));
    let eval = |src: &str| {
        let r = parse_q(src).unwrap().resolve(&expand).unwrap();
        assert!(r.needs_lookup());
        r.matches_with(&station, &lookup)
    };
    assert!(eval("sensor{humidity}==40"));
    assert!(eval("sensor{Device:humidity}==40"));
    assert!(eval("sensor{Device,Thermometer:humidity}>=40"));
    assert!(!eval("sensor{Thermometer:humidity}==40"));
    assert!(!eval("sensor{humidity}==41"));
    assert!(eval("!sensor{temperature}"));
    assert!(
        !parse_q("sensor{humidity}==40")
            .unwrap()
            .resolve(&expand)
            .unwrap()
            .matches(&station)
    );
}

#[test]
fn language_properties() {
    let color = attr(
        AttrKind::LanguageProperty,
        "color",
        json!({"fr": "rouge", "en": "red", "de": "rot"}),
    );
    let cat = attr(
        AttrKind::LanguageProperty,
        "pet",
        json!({"fr": ["chat", "rouge"], "en": ["red", "cat"]}),
    );
    let e = entity("urn:x:1", "Thing", vec![color, cat]);
    assert!(q("color[en]==\"red\"", &e));
    assert!(!q("color[fr]==\"red\"", &e));
    assert!(q("color[*]==\"red\"", &e));
    assert!(q("color==\"rot\"", &e));
    assert!(!q("color!=\"red\"", &e), "no value may equal for !=");
    assert!(q("color[fr]!=\"red\"", &e));
    assert!(q("color[*]!=\"black\"", &e));
    assert!(q("pet[en]==\"cat\"", &e));
    assert!(!q("pet[en]!=\"red\"", &e));
    assert!(q("color[fr-CH]!=\"x\"|color~=\"^ro\"", &e));
}

#[test]
fn lists_ranges_and_arrays() {
    let e = car();
    assert!(q("brandName==\"Audi\",\"Mercedes\"", &e));
    assert!(q("brandName==\"Audi\", \"Mercedes\"", &e));
    assert!(!q("brandName!=\"Audi\",\"Mercedes\"", &e));
    assert!(q("speed==70..90", &e));
    assert!(q("speed==80..80", &e));
    assert!(!q("speed!=70..90", &e));
    assert!(q("speed!=81..90", &e));
    assert!(q("brandName==\"A\"..\"N\"", &e));
    assert!(q("colors==\"red\"", &e));
    assert!(q("colors==\"black\",\"red\"", &e));
    assert!(!q("colors!=\"red\"", &e));
    assert!(q("colors!=\"black\",\"yellow\"", &e));
    assert!(q("speed==1,2,80", &e));
}

#[test]
fn multi_attributes_match_any_instance() {
    let mut a = prop("temperature", json!(10));
    a.dataset_id = Some(intern("urn:ds:a"));
    let b = prop("temperature", json!(30));
    let e = entity("urn:x:1", "Room", vec![a, b]);
    assert!(q("temperature==10", &e));
    assert!(q("temperature==30", &e));
    assert!(q("temperature>25;temperature<15", &e));
    assert!(q("temperature!=10", &e), "the other instance differs");
    assert!(q("temperature.datasetId==urn:ds:a", &e));
}

#[test]
fn types_must_agree() {
    let e = car();
    assert!(!q("temperature==\"20\"", &e));
    assert!(q("temperature!=\"20\"", &e));
    assert!(!q("brandName>5", &e));
    assert!(!q("brandName==true", &e));
    assert!(
        !q("isParked>\"a\"", &e),
        "relationships only take == and !="
    );
    assert!(!q("isParked~=\"Downtown\"", &e));
    assert!(!q("temperature~=\"2\"", &e), "patterns need strings");
    assert!(!q("temperature!~=\"2\"", &e), "patterns need strings");
}

#[test]
fn patterns() {
    let e = car();
    assert!(q("brandName~=\"^Merc\"", &e));
    assert!(q("brandName~=Merc.*es", &e));
    assert!(q("brandName~=(?i)MERCEDES", &e));
    assert!(
        q("brandName~=Audi|speed>1", &e),
        "unquoted regex ends at top-level '|'"
    );
    assert!(
        !q("brandName~=Audi|Merc;speed>1", &e),
        "that is (~=Audi)|(Merc;speed>1)"
    );
    assert!(q("brandName~=(Audi|Merc);speed>1", &e));
    assert!(q("brandName!~=\"Audi\"", &e));
    assert!(!q("brandName!~=\"cedes$\"", &e));
    assert!(q("colors~=\"^gr\"", &e));
}

#[test]
fn dates_and_times() {
    let e = entity(
        "urn:x:1",
        "Thing",
        vec![
            prop("day", json!("2018-12-04")),
            prop(
                "at",
                json!({"@type": "DateTime", "@value": "2018-12-04T12:00:00Z"}),
            ),
            prop("plain", json!("2018-12-04T12:00:00.000Z")),
            prop("opens", json!("08:30:00Z")),
        ],
    );
    assert!(q("day==2018-12-04", &e));
    assert!(q("day>2018-12-03;day<2018-12-05", &e));
    assert!(
        !q("day==2018-12-04T00:00:00Z", &e),
        "a Date is not a DateTime"
    );
    assert!(q("at>2018-12-04T11:59:59Z", &e));
    assert!(q("plain==2018-12-04T12:00:00Z", &e));
    assert!(q("plain==2018-12-04T00:00:00Z..2018-12-05T00:00:00Z", &e));
    assert!(q("opens<09:00:00Z;opens>=08:30:00", &e));
    assert!(!q("opens>08:30:00.000001Z", &e));
}

#[test]
fn regex_bounds_are_bad_request_data() {
    let resolve = |src: &str| {
        parse_q(src)
            .unwrap()
            .resolve(&expand)
            .map(drop)
            .map_err(NgsiError::from)
    };
    let e = resolve("a~=\"(\"").unwrap_err();
    assert_eq!(e.kind, ErrorKind::BadRequestData);
    assert!(
        e.detail.starts_with("q: invalid regular expression"),
        "{}",
        e.detail
    );
    let long = format!("a~=\"{}\"", "a".repeat(2000));
    assert!(
        resolve(&long)
            .unwrap_err()
            .detail
            .contains("longer than 1024 bytes")
    );
    let huge = resolve("a~=\\w{1000}").unwrap_err();
    assert_eq!(huge.kind, ErrorKind::BadRequestData);
    assert!(huge.detail.contains("size limit"), "{}", huge.detail);
    let e = parse_q("a.observedAt[x]")
        .unwrap()
        .resolve(&expand)
        .unwrap_err();
    assert!(e.to_string().contains("cannot follow 'observedAt'"));
}

#[test]
fn required_attrs_for_index_planning() {
    let r = |src: &str| {
        let mut names: Vec<String> = parse_q(src)
            .unwrap()
            .resolve(&expand)
            .unwrap()
            .required_attrs()
            .iter()
            .map(|s| s.replace(common::VOCAB, ""))
            .collect();
        names.sort();
        names
    };
    assert_eq!(r("a==1;b>2"), ["a", "b"]);
    assert_eq!(r("a==1|b>2"), Vec::<String>::new());
    assert_eq!(r("(a;b)|(a;c)"), ["a"]);
    assert_eq!(r("!a;b"), ["b"]);
    assert_eq!(r("rel{x}==1"), ["rel"]);
}

#[test]
fn resolved_forms_can_be_shared_across_threads() {
    fn shareable<T: Send + Sync>() {}
    shareable::<query::q::ResolvedQ>();
    shareable::<query::scope::ScopeQuery>();
    shareable::<query::types::ResolvedTypes>();
    shareable::<query::projection::ResolvedProjection>();
    shareable::<query::geo::ResolvedGeoQuery>();
    shareable::<query::temporal::TemporalQuery>();
    shareable::<query::order::ResolvedOrder>();
    shareable::<query::lang::LangFilter>();
}

#[test]
fn every_error_class_names_position_expectation_and_finding() {
    let cases = [
        (
            "a==",
            "q: expected a value (number, quoted string, DateTime, Date, Time, true, false or URI) at position 3, found end of input",
        ),
        (
            "a~=",
            "q: expected a regular expression at position 3, found end of input",
        ),
        (
            "a>1..5",
            "q: expected a single value after '>' (ranges need == or !=) at position 2, found '1'",
        ),
        (
            "a==1,2..3",
            "q: expected ',' or the end of the value list (a list cannot hold ranges) at position 6, found '.'",
        ),
        (
            "a==\"\\x\"",
            "q: expected a valid JSON string (invalid escape at line 1 column 3) at position 3, found \"\\x\"",
        ),
        (
            "a==12:61:00Z",
            "q: expected a valid DateTime (YYYY-MM-DDThh:mm:ssZ), Date (YYYY-MM-DD) or Time (hh:mm:ssZ) at position 3, found '12:61:00Z'",
        ),
        (
            "a==hello world",
            "q: expected ';', '|' or end of input at position 9, found 'world'",
        ),
        (
            "!",
            "q: expected an attribute name at position 1, found end of input",
        ),
        (
            "a{b",
            "q: expected '.', '[' or '}' at position 3, found end of input",
        ),
        (
            "a[]",
            "q: expected a member name or '*' at position 2, found ']'",
        ),
        (
            ";a",
            "q: expected an attribute name at position 0, found ';'",
        ),
        (
            "a;",
            "q: expected an attribute name at position 2, found end of input",
        ),
        (
            "a==1)",
            "q: expected ';', '|' or end of input at position 4, found ')'",
        ),
        (
            "1a==1",
            "q: expected an attribute name at position 0, found '1a'",
        ),
    ];
    for (src, want) in cases {
        let got = parse_q(src).map(drop).map_err(NgsiError::from).unwrap_err();
        assert_eq!(got.kind, ErrorKind::BadRequestData, "{src}");
        assert_eq!(got.detail, want, "{src}");
    }
    let too_long = format!("a=={}", "1".repeat(20_000));
    assert_eq!(
        NgsiError::from(parse_q(&too_long).unwrap_err()).kind,
        ErrorKind::TooComplexQuery
    );
}
