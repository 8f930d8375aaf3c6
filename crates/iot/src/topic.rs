//! MQTT topics of the FIWARE IoT Agent conventions: device uplinks
//! `/{apikey}/{deviceId}/attrs`, `/attrs/{attr}`, `/cmdexe`, also prefixed with the protocol
//! (`/json/...`, `/ul/...`), and the downlink `/{apikey}/{deviceId}/cmd`.
//!
//! Pure string work: parsing never allocates for topics that are not device topics.

use crate::codec::Codec;

/// What a device topic carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TopicKind<'a> {
    /// Several measures (`.../attrs`).
    Attrs,
    /// One measure, named in the topic (`.../attrs/{attr}`).
    Attr(&'a str),
    /// Command results (`.../cmdexe`).
    CmdExe,
}

/// A parsed uplink topic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceTopic<'a> {
    /// The codec the topic prefix names (`/json`, `/ul`); None: decided by the device.
    pub codec: Option<Codec>,
    pub apikey: &'a str,
    pub device_id: &'a str,
    pub kind: TopicKind<'a>,
}

fn prefix_codec(level: &str) -> Option<Codec> {
    match level {
        "json" => Some(Codec::Json),
        "ul" => Some(Codec::Ul),
        _ => None,
    }
}

fn tail_kind<'a>(levels: &[&'a str]) -> Option<TopicKind<'a>> {
    match levels {
        ["attrs"] => Some(TopicKind::Attrs),
        ["cmdexe"] => Some(TopicKind::CmdExe),
        ["attrs", attr] if !attr.is_empty() => Some(TopicKind::Attr(attr)),
        _ => None,
    }
}

/// Parses an uplink topic; `root` is the configured topic prefix ("" for none).
pub fn parse<'a>(topic: &'a str, root: &str) -> Option<DeviceTopic<'a>> {
    let rest = topic.strip_prefix(root)?;
    let rest = rest.strip_prefix('/').unwrap_or(rest);
    let mut levels = [""; 5];
    let mut n = 0;
    for level in rest.split('/') {
        if n == levels.len() {
            return None;
        }
        levels[n] = level;
        n += 1;
    }
    let levels = &levels[..n];
    if n >= 4
        && let Some(codec) = prefix_codec(levels[0])
        && let Some(kind) = tail_kind(&levels[3..])
    {
        return device(Some(codec), levels[1], levels[2], kind);
    }
    let kind = tail_kind(levels.get(2..)?)?;
    device(None, levels[0], levels[1], kind)
}

fn device<'a>(
    codec: Option<Codec>,
    apikey: &'a str,
    device_id: &'a str,
    kind: TopicKind<'a>,
) -> Option<DeviceTopic<'a>> {
    (!apikey.is_empty() && !device_id.is_empty()).then_some(DeviceTopic {
        codec,
        apikey,
        device_id,
        kind,
    })
}

/// The topic a device receives its commands on.
pub fn command_topic(root: &str, apikey: &str, device_id: &str) -> String {
    format!("{root}/{apikey}/{device_id}/cmd")
}

/// The subscriptions that receive every uplink (for an external broker).
pub fn uplink_filters(root: &str) -> Vec<String> {
    let mut out = Vec::new();
    for tail in ["attrs", "attrs/+", "cmdexe"] {
        out.push(format!("{root}/+/+/{tail}"));
        for p in ["json", "ul"] {
            out.push(format!("{root}/{p}/+/+/{tail}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(topic: &str) -> Option<(Option<Codec>, &str, &str, TopicKind<'_>)> {
        parse(topic, "").map(|d| (d.codec, d.apikey, d.device_id, d.kind))
    }

    #[test]
    fn fiware_topic_forms() {
        assert_eq!(
            t("/json/waterkey/gauge01/attrs"),
            Some((Some(Codec::Json), "waterkey", "gauge01", TopicKind::Attrs))
        );
        assert_eq!(
            t("/ul/k/d/attrs/t"),
            Some((Some(Codec::Ul), "k", "d", TopicKind::Attr("t")))
        );
        assert_eq!(t("/k/d/attrs"), Some((None, "k", "d", TopicKind::Attrs)));
        assert_eq!(
            t("k/d/attrs/h"),
            Some((None, "k", "d", TopicKind::Attr("h")))
        );
        assert_eq!(
            t("/json/k/d/cmdexe"),
            Some((Some(Codec::Json), "k", "d", TopicKind::CmdExe))
        );
    }

    #[test]
    fn other_topics_are_not_device_topics() {
        for other in [
            "/k/d/cmd",
            "/k/d",
            "/json/k/d/attrs/a/b",
            "//d/attrs",
            "/k//attrs",
            "sensors/temperature",
            "/k/d/attrs/",
            "",
        ] {
            assert_eq!(t(other), None, "{other}");
        }
    }

    #[test]
    fn a_root_prefix_scopes_topics() {
        let d = parse("run7/json/k/d/attrs", "run7").map(|d| d.apikey);
        assert_eq!(d, Some("k"));
        assert_eq!(parse("/json/k/d/attrs", "run7"), None);
        assert_eq!(command_topic("run7", "k", "d"), "run7/k/d/cmd");
        assert_eq!(uplink_filters("").len(), 9);
        assert!(uplink_filters("").contains(&"/json/+/+/attrs/+".to_string()));
    }
}
