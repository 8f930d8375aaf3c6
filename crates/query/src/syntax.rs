//! The scanner shared by the query-language parsers (q, scopeQ, type selection, projection):
//! a byte-offset cursor over the URL-decoded parameter value that knows how to describe what
//! it is looking at, so that every syntax error reads "expected X at position N, found Y".
//!
//! Input is expected URL-decoded exactly once (by the HTTP layer). Percent-escapes met outside
//! quoted strings are reported as such (a sign of double encoding) rather than decoded here,
//! because decoding twice would corrupt values that legitimately contain '%'.

use crate::error::{QueryError, Result};

/// Whether `c` may start an NGSI-LD name (clause 4.6.2: a Unicode letter).
pub(crate) fn is_name_start(c: char) -> bool {
    c.is_alphabetic()
}

/// Whether `c` may continue an NGSI-LD name (Unicode letter or number, or '_').
pub(crate) fn is_name_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// A name (clause 4.6.2), `prefix:name`, or an IRI (`scheme:...`): what may stand for an
/// entity type or an attribute outside `q`.
pub(crate) fn is_type_term(t: &str) -> bool {
    let name = |s: &str| {
        let mut chars = s.chars();
        chars.next().is_some_and(is_name_start) && chars.all(is_name_char)
    };
    match t.split_once(':') {
        None => name(t),
        Some((prefix, rest)) => {
            let scheme = prefix.starts_with(|c: char| c.is_ascii_alphabetic())
                && prefix
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c));
            (scheme && !rest.is_empty()) || (name(prefix) && name(rest))
        }
    }
}

/// Rejects parameter values longer than `max` bytes before any parsing work.
pub(crate) fn check_len(param: &'static str, src: &str, max: usize) -> Result<()> {
    if src.len() > max {
        return Err(QueryError::too_complex(
            param,
            format!("longer than {max} bytes"),
        ));
    }
    Ok(())
}

/// A position in a parameter value, plus what the boolean grammar around it accepts next.
pub(crate) struct Cursor<'a> {
    pub src: &'a str,
    pub pos: usize,
    pub param: &'static str,
    /// Parenthesis depth, so that atoms can say whether ')' may follow them.
    pub depth: usize,
    /// Whether ',' is an OR operator here (scopeQ, type) rather than a list separator (q).
    pub comma_is_or: bool,
}

impl<'a> Cursor<'a> {
    pub fn new(param: &'static str, src: &'a str) -> Self {
        Self {
            src,
            pos: 0,
            param,
            depth: 0,
            comma_is_or: false,
        }
    }

    pub fn rest(&self) -> &'a str {
        &self.src[self.pos..]
    }

    pub fn peek(&self) -> Option<char> {
        self.rest().chars().next()
    }

    pub fn at_end(&self) -> bool {
        self.pos >= self.src.len()
    }

    pub fn starts_with(&self, s: &str) -> bool {
        self.rest().starts_with(s)
    }

    /// Consumes `s` if the input continues with it.
    pub fn eat(&mut self, s: &str) -> bool {
        let hit = self.starts_with(s);
        if hit {
            self.pos += s.len();
        }
        hit
    }

    /// Skips ASCII whitespace: tolerated between tokens (the spec's own examples have some).
    pub fn skip_ws(&mut self) {
        self.take_while(|c| c.is_ascii_whitespace());
    }

    pub fn take_while(&mut self, f: impl Fn(char) -> bool) -> &'a str {
        let start = self.pos;
        let len = self
            .rest()
            .find(|c: char| !f(c))
            .unwrap_or(self.rest().len());
        self.pos += len;
        &self.src[start..self.pos]
    }

    /// An NGSI-LD name (letter, then letters, numbers and '_'), or None without consuming.
    pub fn name(&mut self) -> Option<&'a str> {
        if !self.peek().is_some_and(is_name_start) {
            return None;
        }
        Some(self.take_while(is_name_char))
    }

    /// The tokens that may follow a complete atom at the current depth.
    pub fn followers(&self) -> String {
        let or = if self.comma_is_or { "'|', ','" } else { "'|'" };
        let end = if self.depth > 0 {
            "')'"
        } else {
            "end of input"
        };
        format!("';', {or} or {end}")
    }

    /// A syntax error at the current position.
    pub fn expected(&self, what: impl Into<String>) -> QueryError {
        self.expected_at(self.pos, what)
    }

    pub fn expected_at(&self, pos: usize, what: impl Into<String>) -> QueryError {
        QueryError::Syntax {
            param: self.param,
            pos,
            expected: what.into(),
            found: self.found(pos),
        }
    }

    /// Describes the token at `pos`: an operator run, a name, a percent-escape, or one char.
    pub fn found(&self, pos: usize) -> String {
        let rest = self.src.get(pos..).unwrap_or("");
        let Some(c) = rest.chars().next() else {
            return "end of input".into();
        };
        if is_percent_escape(rest) {
            return format!(
                "'{}' (percent-encoded text: decode the value exactly once)",
                &rest[..3]
            );
        }
        let run = |f: fn(char) -> bool| rest.find(|c: char| !f(c)).unwrap_or(rest.len());
        let len = if "=!<>~".contains(c) {
            run(|c| "=!<>~".contains(c))
        } else if is_name_char(c) {
            run(is_name_char)
        } else {
            c.len_utf8()
        };
        let token = &rest[..len];
        match token.char_indices().nth(24) {
            Some((cut, _)) => format!("'{}...'", &token[..cut]),
            None => format!("'{token}'"),
        }
    }
}

fn is_percent_escape(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() >= 3 && b[0] == b'%' && b[1].is_ascii_hexdigit() && b[2].is_ascii_hexdigit()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn describes_what_it_finds() {
        let c = Cursor::new("q", "a>>5;%3D;temperatureOfTheWholeBuildingNow");
        assert_eq!(c.found(1), "'>>'");
        assert_eq!(c.found(3), "'5'");
        assert!(c.found(5).starts_with("'%3D' (percent-encoded"));
        assert_eq!(c.found(9), "'temperatureOfTheWholeBui...'");
        assert_eq!(c.found(100), "end of input");
    }
}
