//! Parsing the HTTP `Link` header (RFC 8288) for the JSON-LD context link (clause 6.3.5, JSON-LD
//! 1.1 section 6.2). Must not: fetch or resolve the linked context.

use super::loader::resolve_ref;
use crate::error::{NgsiError, Result};

/// The link relation that marks a JSON-LD context link.
pub const JSONLD_CONTEXT_REL: &str = "http://www.w3.org/ns/json-ld#context";

/// One parsed link: its target and its `rel` parameter, if any.
struct Link {
    target: String,
    rel: Option<String>,
}

fn malformed(why: &str) -> NgsiError {
    NgsiError::bad_data(format!("malformed Link header: {why}"))
}

/// The URL of the one link whose `rel` includes [`JSONLD_CONTEXT_REL`]; `None` if there is none.
/// Several header lines must be joined with ", " first (as RFC 9110 allows). Errors
/// (BadRequestData): malformed syntax, more than one context link, a target that is not an
/// absolute http(s) URL.
pub(crate) fn context_url_from_link(header: &str) -> Result<Option<String>> {
    let mut found: Option<String> = None;
    for link in parse(header)? {
        let is_context = link.rel.as_deref().is_some_and(|rel| {
            rel.split_ascii_whitespace()
                .any(|r| r.eq_ignore_ascii_case(JSONLD_CONTEXT_REL))
        });
        if !is_context {
            continue;
        }
        if found.is_some() {
            return Err(NgsiError::bad_data(
                "more than one JSON-LD context Link header (JSON-LD 1.1, 6.2 allows only one)",
            ));
        }
        resolve_ref(None, &link.target)?;
        found = Some(link.target);
    }
    Ok(found)
}

fn parse(header: &str) -> Result<Vec<Link>> {
    let mut links = Vec::new();
    let mut rest = header.trim_start_matches([' ', '\t', ',']);
    while !rest.is_empty() {
        let body = rest
            .strip_prefix('<')
            .ok_or_else(|| malformed("a link must start with '<'"))?;
        let (target, after) = body
            .split_once('>')
            .ok_or_else(|| malformed("missing '>'"))?;
        let target = target.trim();
        if target.is_empty() {
            return Err(malformed("empty link target"));
        }
        let mut link = Link {
            target: target.to_string(),
            rel: None,
        };
        rest = after.trim_start();
        while let Some(params) = rest.strip_prefix(';') {
            let (name, value, after) = param(params.trim_start())?;
            // RFC 8288, 3.3: only the first rel parameter counts.
            if name.eq_ignore_ascii_case("rel") && link.rel.is_none() {
                link.rel = value;
            }
            rest = after.trim_start();
        }
        links.push(link);
        rest = match rest.strip_prefix(',') {
            Some(next) => next.trim_start_matches([' ', '\t', ',']),
            None if rest.is_empty() => rest,
            None => return Err(malformed("expected ',' or ';' after a link")),
        };
    }
    Ok(links)
}

/// Parses `name[=value]` at the start of `s`, returning the rest.
fn param(s: &str) -> Result<(&str, Option<String>, &str)> {
    let end = s.find(['=', ';', ',']).unwrap_or(s.len());
    let name = s[..end].trim();
    if name.is_empty() || name.contains(char::is_whitespace) {
        return Err(malformed("invalid link parameter name"));
    }
    let Some(value) = s[end..].strip_prefix('=') else {
        return Ok((name, None, &s[end..]));
    };
    let value = value.trim_start();
    if let Some(quoted) = value.strip_prefix('"') {
        let mut out = String::new();
        let mut chars = quoted.char_indices();
        while let Some((i, c)) = chars.next() {
            match c {
                '"' => return Ok((name, Some(out), &quoted[i + 1..])),
                '\\' => out.push(chars.next().ok_or_else(|| malformed("dangling escape"))?.1),
                c => out.push(c),
            }
        }
        return Err(malformed("unterminated quoted string"));
    }
    let end = value.find([';', ',']).unwrap_or(value.len());
    let token = value[..end].trim();
    if token.is_empty() || token.contains(char::is_whitespace) {
        return Err(malformed("invalid link parameter value"));
    }
    Ok((name, Some(token.to_string()), &value[end..]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;

    const CTX: &str = r#"<https://example.org/ctx.jsonld>; rel="http://www.w3.org/ns/json-ld#context"; type="application/ld+json""#;

    #[test]
    fn finds_the_context_link() {
        assert_eq!(
            context_url_from_link(CTX).unwrap().as_deref(),
            Some("https://example.org/ctx.jsonld")
        );
        let unquoted = "<http://a.org/c>;rel=http://www.w3.org/ns/json-ld#context";
        assert_eq!(
            context_url_from_link(unquoted).unwrap().as_deref(),
            Some("http://a.org/c")
        );
        let mixed =
            format!(r#"<http://a.org/next>; rel="next", {CTX}, <http://b.org/x>; title="a, b; c""#);
        assert_eq!(
            context_url_from_link(&mixed).unwrap().as_deref(),
            Some("https://example.org/ctx.jsonld")
        );
        let multi_rel = r#"<http://a.org/c>; rel="alternate http://www.w3.org/ns/json-ld#context""#;
        assert_eq!(
            context_url_from_link(multi_rel).unwrap().as_deref(),
            Some("http://a.org/c")
        );
    }

    #[test]
    fn no_context_link_is_none() {
        assert_eq!(context_url_from_link("").unwrap(), None);
        assert_eq!(
            context_url_from_link(r#"<http://a.org/c>; rel="next""#).unwrap(),
            None
        );
        assert_eq!(context_url_from_link("<http://a.org/c>").unwrap(), None);
        assert_eq!(
            context_url_from_link(r#"<http://a.org/c>; type="application/ld+json""#).unwrap(),
            None
        );
    }

    #[test]
    fn two_context_links_are_rejected() {
        let e = context_url_from_link(&format!("{CTX}, {CTX}")).unwrap_err();
        assert_eq!(e.kind, ErrorKind::BadRequestData);
        assert!(e.detail.contains("more than one"));
    }

    #[test]
    fn garbage_is_rejected() {
        for bad in [
            "garbage",
            "<http://a.org/c",
            r#"<http://a.org/c>; rel="http://www.w3.org/ns/json-ld#context"#,
            "<http://a.org/c> junk",
            "<>; rel=x",
            r#"<relative.jsonld>; rel="http://www.w3.org/ns/json-ld#context""#,
            r#"<http://a.org/c>; =x"#,
        ] {
            let e = context_url_from_link(bad).unwrap_err();
            assert_eq!(e.kind, ErrorKind::BadRequestData, "{bad}");
        }
    }
}
