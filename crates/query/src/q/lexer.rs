//! Literal values and regular expressions of `q`, read straight from the cursor: the grammar is
//! context-sensitive (a URI may hold ':' and '.', a regex may hold '|' and ')'), so values are
//! scanned by the parser at the point where one is expected rather than by a separate tokenizer.
//!
//! An unquoted value runs up to the next `;`, `|`, `)`, `,`, `"` or whitespace. If it starts
//! like a URI (`scheme:`) it is a URI, `..` included; otherwise it stops at `..` (a range) and
//! must be a JSON number, `true`/`false`, a DateTime, Date or Time, or a bare name.

use crate::error::{QueryError, Result};
use crate::q::ast::{CmpOp, Literal, QValue, TimeLit};
use crate::syntax::{Cursor, is_name_char, is_name_start};

const A_VALUE: &str = "a value (number, quoted string, DateTime, Date, Time, true, false or URI)";
const A_COMPARABLE: &str = "a number, quoted string, DateTime, Date or Time";

/// The value after `op`, with the grammar's restrictions: lists, ranges, booleans and URIs only
/// with `==` and `!=`; ranges of two comparable values of the same kind.
pub(super) fn value(cur: &mut Cursor<'_>, op: CmpOp) -> Result<QValue> {
    cur.skip_ws();
    let start = cur.pos;
    let expected = if op.is_equality() {
        A_VALUE
    } else {
        A_COMPARABLE
    };
    let first = scalar(cur, expected)?;
    if cur.eat("..") {
        let hi_pos = cur.pos;
        let hi = scalar(cur, A_COMPARABLE)?;
        if !op.is_equality() {
            return Err(cur.expected_at(
                start,
                format!(
                    "a single value after '{}' (ranges need == or !=)",
                    op.as_str()
                ),
            ));
        }
        if !first.is_comparable() {
            return Err(found_lit(cur, start, A_COMPARABLE, &first));
        }
        if !hi.same_kind(&first) {
            return Err(found_lit(
                cur,
                hi_pos,
                "a range end of the same kind as its start",
                &hi,
            ));
        }
        return Ok(QValue::Range(first, hi));
    }
    cur.skip_ws();
    if !cur.starts_with(",") {
        if !op.is_equality() && !first.is_comparable() {
            return Err(found_lit(cur, start, A_COMPARABLE, &first));
        }
        return Ok(QValue::One(first));
    }
    if !op.is_equality() {
        return Err(cur.expected(format!("{} (value lists need == or !=)", cur.followers())));
    }
    let mut items = vec![first];
    while cur.eat(",") {
        cur.skip_ws();
        items.push(scalar(cur, A_VALUE)?);
        if cur.starts_with("..") {
            return Err(
                cur.expected("',' or the end of the value list (a list cannot hold ranges)")
            );
        }
        cur.skip_ws();
    }
    Ok(QValue::List(items))
}

fn found_lit(cur: &Cursor<'_>, pos: usize, expected: &str, lit: &Literal) -> QueryError {
    QueryError::Syntax {
        param: cur.param,
        pos,
        expected: expected.into(),
        found: format!("'{lit}'"),
    }
}

/// One literal; `expected` names what may stand here, for the error.
pub(super) fn scalar(cur: &mut Cursor<'_>, expected: &str) -> Result<Literal> {
    if cur.starts_with("\"") {
        return json_string(cur).map(Literal::Str);
    }
    let start = cur.pos;
    let token = cur.rest();
    let len = token
        .find(|c: char| ";|),\"".contains(c) || c.is_ascii_whitespace())
        .unwrap_or(token.len());
    let mut token = &token[..len];
    if !looks_like_uri(token) {
        token = token.split("..").next().unwrap_or(token);
    }
    if token.is_empty() || token.starts_with(|c: char| "=!<>~".contains(c)) {
        return Err(cur.expected(expected));
    }
    cur.pos += token.len();
    classify(token).ok_or_else(|| {
        let expected =
            if token.starts_with(|c: char| c.is_ascii_digit()) && token.contains([':', '-']) {
                "a valid DateTime (YYYY-MM-DDThh:mm:ssZ), Date (YYYY-MM-DD) or Time (hh:mm:ssZ)"
            } else {
                expected
            };
        QueryError::Syntax {
            param: cur.param,
            pos: start,
            expected: expected.into(),
            found: format!("'{token}'"),
        }
    })
}

fn classify(token: &str) -> Option<Literal> {
    let time = |micros| TimeLit {
        text: token.to_string(),
        micros,
    };
    if is_json_number(token) {
        // str::parse rounds correctly; numbers too large for f64 are refused, not made infinite.
        return token
            .parse::<f64>()
            .ok()
            .filter(|n| n.is_finite())
            .map(Literal::Number);
    }
    match token {
        "true" => return Some(Literal::Bool(true)),
        "false" => return Some(Literal::Bool(false)),
        _ => {}
    }
    let b = token.as_bytes();
    if b.len() >= 10 && is_date_shape(&b[..10]) {
        return match b.get(10) {
            None => ngsi::time::parse_date(token).map(|t| Literal::Date(time(t))),
            Some(b'T') => ngsi::time::parse(token).map(|t| Literal::DateTime(time(t))),
            Some(_) => None,
        };
    }
    if b.len() >= 8 && b[2] == b':' && b[0].is_ascii_digit() {
        return parse_time_of_day(token).map(|t| Literal::Time(time(t)));
    }
    if looks_like_uri(token) {
        return Some(Literal::Uri(token.to_string()));
    }
    let mut chars = token.chars();
    let is_name = chars.next().is_some_and(is_name_start) && chars.all(is_name_char);
    is_name.then(|| Literal::Term(token.to_string()))
}

/// RFC 3986 `scheme ":"` followed by something.
fn looks_like_uri(token: &str) -> bool {
    let Some((scheme, rest)) = token.split_once(':') else {
        return false;
    };
    let mut chars = scheme.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
        && !rest.is_empty()
}

fn is_json_number(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = usize::from(b.first() == Some(&b'-'));
    let digits = |i: &mut usize| {
        let start = *i;
        while b.get(*i).is_some_and(u8::is_ascii_digit) {
            *i += 1;
        }
        *i > start
    };
    match b.get(i) {
        Some(b'0') => i += 1,
        Some(b'1'..=b'9') => _ = digits(&mut i),
        _ => return false,
    }
    if b.get(i) == Some(&b'.') {
        i += 1;
        if !digits(&mut i) {
            return false;
        }
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        if !digits(&mut i) {
            return false;
        }
    }
    i == b.len()
}

fn is_date_shape(b: &[u8]) -> bool {
    b.iter().enumerate().all(|(i, c)| {
        if i == 4 || i == 7 {
            *c == b'-'
        } else {
            c.is_ascii_digit()
        }
    })
}

/// Parses an NGSI-LD Time (`hh:mm:ss[.ffffff][Z]`, clause 4.6.3) to microseconds since midnight.
pub fn parse_time_of_day(text: &str) -> Option<i64> {
    let t = text.strip_suffix('Z').unwrap_or(text);
    let (hms, frac) = t.split_once('.').unwrap_or((t, ""));
    let b = hms.as_bytes();
    if b.len() != 8 || b[2] != b':' || b[5] != b':' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| hms.get(r)?.parse::<i64>().ok();
    let (h, m, s) = (num(0..2)?, num(3..5)?, num(6..8)?);
    if h > 23 || m > 59 || s > 59 || frac.len() > 6 || !frac.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let micros = if frac.is_empty() {
        0
    } else {
        frac.parse::<i64>().ok()? * 10i64.pow(6 - frac.len() as u32)
    };
    Some(((h * 60 + m) * 60 + s) * 1_000_000 + micros)
}

/// A JSON string (RFC 8259 section 7) starting at the cursor's '"'.
pub(super) fn json_string(cur: &mut Cursor<'_>) -> Result<String> {
    let start = cur.pos;
    let bytes = cur.src.as_bytes();
    let mut i = start + 1;
    while i < bytes.len() && bytes[i] != b'"' {
        i += if bytes[i] == b'\\' { 2 } else { 1 };
    }
    if i >= bytes.len() {
        return Err(cur.expected_at(cur.src.len(), "a closing '\"'"));
    }
    let text = &cur.src[start..=i];
    let value = serde_json::from_str::<String>(text).map_err(|e| QueryError::Syntax {
        param: cur.param,
        pos: start,
        expected: format!("a valid JSON string ({e})"),
        found: text.chars().take(40).collect::<String>(),
    })?;
    cur.pos = i + 1;
    Ok(value)
}

/// The regular expression after `~=`: a JSON string, or unquoted text up to the first `;`,
/// `|` or `)` outside its own parentheses, character classes and escapes.
pub(super) fn regex(cur: &mut Cursor<'_>) -> Result<String> {
    cur.skip_ws();
    if cur.starts_with("\"") {
        return json_string(cur);
    }
    let (mut depth, mut in_class, mut escaped) = (0usize, false, false);
    let rest = cur.rest();
    let mut end = rest.len();
    for (i, c) in rest.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            '[' => in_class = true,
            ']' => in_class = false,
            _ if in_class => {}
            '(' => depth += 1,
            ')' if depth > 0 => depth -= 1,
            ';' | '|' | ')' if depth == 0 => {
                end = i;
                break;
            }
            _ => {}
        }
    }
    let pattern = rest[..end].trim_end();
    if pattern.is_empty() {
        return Err(cur.expected("a regular expression"));
    }
    cur.pos += end;
    Ok(pattern.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lit(s: &str) -> Result<Literal> {
        scalar(&mut Cursor::new("q", s), A_VALUE)
    }

    #[test]
    fn classifies_literals() {
        assert_eq!(lit("20").unwrap(), Literal::Number(20.0));
        assert_eq!(lit("-1.5e3").unwrap(), Literal::Number(-1500.0));
        assert_eq!(lit("true").unwrap(), Literal::Bool(true));
        assert_eq!(lit("\"a\\\"b\"").unwrap(), Literal::Str("a\"b".into()));
        assert!(matches!(
            lit("2018-12-04T12:00:00Z").unwrap(),
            Literal::DateTime(_)
        ));
        assert!(matches!(lit("2018-12-04").unwrap(), Literal::Date(_)));
        assert!(matches!(
            lit("12:00:00.5Z").unwrap(),
            Literal::Time(TimeLit {
                micros: 43_200_500_000,
                ..
            })
        ));
        assert_eq!(
            lit("urn:ngsi-ld:X:1").unwrap(),
            Literal::Uri("urn:ngsi-ld:X:1".into())
        );
        assert_eq!(lit("Male").unwrap(), Literal::Term("Male".into()));
        assert!(lit("1e999").is_err());
        assert!(lit("01").is_err());
        let e = lit("2018-13-04T12:00:00Z").unwrap_err().to_string();
        assert!(
            e.contains("a valid DateTime") && e.contains("'2018-13-04T12:00:00Z'"),
            "{e}"
        );
    }

    #[test]
    fn regex_stops_at_top_level_operators() {
        let mut cur = Cursor::new("q", "(a|b)[;|)]\\)x;c==1");
        assert_eq!(regex(&mut cur).unwrap(), "(a|b)[;|)]\\)x");
        assert_eq!(cur.rest(), ";c==1");
    }
}
