//! The NGSI-LD Language Filter, `lang` (clause 4.15): a list of language ranges with optional
//! quality values (`fr-CH,fr;q=0.9,en;q=0.8,*;q=0.5`, the Accept-Language syntax of IETF
//! RFC 3282 and RFC 5646 tags), used to reduce LanguageProperty maps to one language.
//! A range matches a tag equal to it or starting with it and '-' (RFC 4647 basic filtering),
//! case-insensitively; `*` matches any. With no match, any language is returned (4.15).

use serde_json::{Map, Value};

use crate::error::{QueryError, Result};
use crate::limits::MAX_PARAM_LEN;

const PARAM: &str = "lang";

/// A parsed `lang` value: ranges best first (by quality, then as written).
#[derive(Debug, Clone, PartialEq)]
pub struct LangFilter {
    ranges: Vec<(String, f32)>,
}

impl LangFilter {
    /// Parses a URL-decoded `lang` value; surrounding double quotes are tolerated (the spec
    /// writes its examples as `lang="en"`).
    pub fn parse(src: &str) -> Result<Self> {
        crate::syntax::check_len(PARAM, src, MAX_PARAM_LEN)?;
        let text = src.trim();
        let text = text
            .strip_prefix('"')
            .and_then(|t| t.strip_suffix('"'))
            .unwrap_or(text);
        let mut ranges = Vec::new();
        for item in text.split(',') {
            let (tag, q) = range(item.trim())?;
            // q=0 means "not acceptable" (RFC 9110 section 12.4.2).
            if q > 0.0 {
                ranges.push((tag.to_ascii_lowercase(), q));
            }
        }
        ranges.sort_by(|a, b| b.1.total_cmp(&a.1));
        Ok(Self { ranges })
    }

    /// The language to return from a LanguageProperty's map, and its value: the best-ranked
    /// range that matches a key, else the first key (clause 4.15 falls back to any language).
    pub fn select<'m>(&self, map: &'m Map<String, Value>) -> Option<(&'m str, &'m Value)> {
        let best = self
            .ranges
            .iter()
            .find_map(|(range, _)| map.iter().find(|(tag, _)| matches(range, tag)));
        best.or_else(|| map.iter().next())
            .map(|(k, v)| (k.as_str(), v))
    }
}

fn matches(range: &str, tag: &str) -> bool {
    range == "*"
        || tag.eq_ignore_ascii_case(range)
        || (tag.len() > range.len()
            && tag.as_bytes()[range.len()] == b'-'
            && tag
                .get(..range.len())
                .is_some_and(|p| p.eq_ignore_ascii_case(range)))
}

fn range(item: &str) -> Result<(&str, f32)> {
    let (tag, params) = item
        .split_once(';')
        .map_or((item, None), |(t, p)| (t.trim(), Some(p.trim())));
    if !(tag == "*" || is_language_tag(tag)) {
        return Err(QueryError::invalid(
            PARAM,
            format!("not a language tag: {tag:?}"),
        ));
    }
    let q = match params {
        None => 1.0,
        Some(p) => p
            .strip_prefix("q=")
            .and_then(|v| v.parse::<f32>().ok())
            .filter(|q| (0.0..=1.0).contains(q) && p.len() <= 7)
            .ok_or_else(|| {
                QueryError::invalid(PARAM, format!("expected q=<0..1> after ';', found {p:?}"))
            })?,
    };
    Ok((tag, q))
}

/// The shape of an RFC 5646 tag: subtags of 1-8 letters or digits joined by '-', the first
/// all letters. (Registry checks are left out on purpose.)
fn is_language_tag(tag: &str) -> bool {
    let mut subtags = tag.split('-');
    let first_ok = subtags
        .next()
        .is_some_and(|s| (1..=8).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphabetic()));
    first_ok
        && subtags
            .all(|s| (1..=8).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pick(lang: &str, map: Value) -> Option<String> {
        let map = map.as_object().cloned().unwrap_or_default();
        LangFilter::parse(lang)
            .unwrap()
            .select(&map)
            .map(|(k, _)| k.to_string())
    }

    #[test]
    fn spec_examples() {
        let map = json!({"de": "rot", "en": "red", "fr": "rouge", "fr-CH": "rouge (CH)"});
        assert_eq!(pick("\"en\"", map.clone()).as_deref(), Some("en"));
        assert_eq!(pick("fr-CH,fr", map.clone()).as_deref(), Some("fr-CH"));
        assert_eq!(
            pick("fr;q=0.9,en;q=0.95", map.clone()).as_deref(),
            Some("en")
        );
        assert_eq!(
            pick(
                "fr-CH,fr;q=0.9,en;q=0.8,*;q=0.5",
                json!({"en": "x", "de": "y"})
            )
            .as_deref(),
            Some("en")
        );
        assert_eq!(pick("*", map.clone()).as_deref(), Some("de"));
        assert_eq!(
            pick("ja", map.clone()).as_deref(),
            Some("de"),
            "falls back to any language"
        );
        assert_eq!(pick("FR", json!({"fr-ch": "x"})).as_deref(), Some("fr-ch"));
        assert_eq!(pick("en", json!({})), None);
    }

    #[test]
    fn rejects_malformed_ranges() {
        let e = LangFilter::parse("en,,fr").unwrap_err().to_string();
        assert_eq!(e, "lang: not a language tag: \"\"");
        assert!(
            LangFilter::parse("en;q=2")
                .unwrap_err()
                .to_string()
                .contains("expected q=<0..1>")
        );
        assert!(LangFilter::parse("englishlanguage").is_err());
    }
}
