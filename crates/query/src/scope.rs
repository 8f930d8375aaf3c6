//! The NGSI-LD Scope Query Language, `scopeQ` (clause 4.19), evaluated against
//! [`Entity::scope`]. Scopes need no @context, so parsing gives the evaluable form directly.
//!
//! A pattern is `/level/level...` where a level is a name or `+` (any one level), optionally
//! ending in `/#` (that scope and everything below it); `/#` alone matches any entity that has
//! a scope. Patterns combine with `;` (AND), `|` or `,` (OR) and parentheses. The leading '/'
//! may be left out (the spec's example 5 does), as in scope values themselves (clause 4.18).

use std::fmt;

use ngsi::Entity;

use crate::bool_expr::{self, BoolExpr, Limits};
use crate::error::Result;
use crate::limits::{MAX_DEPTH, MAX_PARAM_LEN, MAX_TERMS};
use crate::syntax::{self, Cursor};

const PARAM: &str = "scopeQ";
/// The value of a deleted scope (clause 4.18): never matched.
const NULL_SCOPE: &str = "urn:ngsi-ld:null";

/// A parsed `scopeQ`.
#[derive(Debug, Clone, PartialEq)]
pub struct ScopeQuery {
    pub expr: BoolExpr<ScopePattern>,
}

/// One scope pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScopePattern {
    /// The levels; empty only for `/#`.
    pub levels: Vec<ScopeLevel>,
    /// Ends in `/#`: also matches every scope below.
    pub subtree: bool,
}

/// One level of a scope pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScopeLevel {
    Name(String),
    /// `+`: any single level.
    Any,
}

/// Parses a URL-decoded `scopeQ` value.
pub fn parse_scope_q(src: &str) -> Result<ScopeQuery> {
    syntax::check_len(PARAM, src, MAX_PARAM_LEN)?;
    let mut cur = Cursor::new(PARAM, src);
    cur.comma_is_or = true;
    let limits = Limits {
        max_depth: MAX_DEPTH,
        max_atoms: MAX_TERMS,
    };
    Ok(ScopeQuery {
        expr: bool_expr::parse(&mut cur, limits, &mut pattern)?,
    })
}

fn pattern(cur: &mut Cursor<'_>) -> Result<ScopePattern> {
    cur.skip_ws();
    let slash = cur.eat("/");
    if slash && cur.eat("#") {
        return Ok(ScopePattern {
            levels: Vec::new(),
            subtree: true,
        });
    }
    let mut levels = Vec::new();
    loop {
        let level = if cur.eat("+") {
            ScopeLevel::Any
        } else {
            let what = if slash || !levels.is_empty() {
                "a scope level (a name or '+')"
            } else {
                "a scope ('/' and a name)"
            };
            ScopeLevel::Name(cur.name().ok_or_else(|| cur.expected(what))?.to_string())
        };
        levels.push(level);
        if !cur.eat("/") {
            return Ok(ScopePattern {
                levels,
                subtree: false,
            });
        }
        if cur.eat("#") {
            return Ok(ScopePattern {
                levels,
                subtree: true,
            });
        }
    }
}

impl ScopeQuery {
    /// Whether the entity's scopes satisfy the query; an entity without scopes matches nothing.
    pub fn matches(&self, e: &Entity) -> bool {
        self.matches_scopes(e.scope.as_deref().unwrap_or(&[]))
    }

    /// Whether a list of scope values satisfies the query (each pattern needs one of them).
    pub fn matches_scopes(&self, scopes: &[String]) -> bool {
        self.expr
            .eval(&mut |p: &ScopePattern| scopes.iter().any(|s| p.matches(s)))
    }
}

impl ScopePattern {
    /// Whether one scope value (`/a/b` or `a/b`) matches.
    pub fn matches(&self, scope: &str) -> bool {
        if scope == NULL_SCOPE || scope.trim_start_matches('/').is_empty() {
            return false;
        }
        let mut levels = scope.trim_start_matches('/').split('/');
        for want in &self.levels {
            match (levels.next(), want) {
                (None, _) => return false,
                (Some(_), ScopeLevel::Any) => {}
                (Some(got), ScopeLevel::Name(name)) if got == name => {}
                (Some(_), ScopeLevel::Name(_)) => return false,
            }
        }
        self.subtree || levels.next().is_none()
    }
}

impl fmt::Display for ScopePattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for level in &self.levels {
            match level {
                ScopeLevel::Name(n) => write!(f, "/{n}")?,
                ScopeLevel::Any => f.write_str("/+")?,
            }
        }
        if self.subtree {
            f.write_str("/#")
        } else {
            Ok(())
        }
    }
}

impl fmt::Display for ScopeQuery {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.expr.fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(q: &str, scopes: &[&str]) -> bool {
        let scopes: Vec<String> = scopes.iter().map(|s| s.to_string()).collect();
        parse_scope_q(q).unwrap().matches_scopes(&scopes)
    }

    #[test]
    fn spec_examples() {
        assert!(m("/Madrid", &["/Madrid"]));
        assert!(m("/Madrid", &["Madrid"]));
        assert!(!m("/Madrid", &["/Madrid/Gardens"]));
        for s in [
            "/Madrid/Gardens",
            "/Madrid/Gardens/ParqueNorte",
            "/Madrid/Gardens/ParqueNorte/Parterre1",
        ] {
            assert!(m("/Madrid/Gardens/#", &[s]), "{s}");
        }
        assert!(!m("/Madrid/Gardens/#", &["/Madrid/Sights"]));
        assert!(m("/Madrid/+/ParqueNorte", &["/Madrid/Sights/ParqueNorte"]));
        assert!(!m("/Madrid/+/ParqueNorte", &["/Madrid/ParqueNorte"]));
        assert!(m(
            "(/Madrid/Districts;/CompanyA)",
            &["/CompanyA", "/Madrid/Districts"]
        ));
        assert!(!m("(/Madrid/Districts;/CompanyA)", &["/CompanyA"]));
        assert!(m("(/Madrid/Districts;/CompanyA)|CompanyB", &["/CompanyB"]));
        assert!(m("(/Madrid/Districts;/CompanyA),/CompanyB", &["/CompanyB"]));
        assert!(m("/#", &["/x"]));
        assert!(!m("/#", &[]));
        assert!(!m("/#", &["urn:ngsi-ld:null"]));
    }

    #[test]
    fn prints_back_and_reports_errors() {
        let q = parse_scope_q("(/a/+;/b/#)|/c,/#").unwrap();
        assert_eq!(q.to_string(), "/a/+;/b/#|/c|/#");
        assert_eq!(parse_scope_q(&q.to_string()).unwrap(), q);
        let e = parse_scope_q("/a//b").unwrap_err().to_string();
        assert_eq!(
            e,
            "scopeQ: expected a scope level (a name or '+') at position 3, found '/'"
        );
        let e = parse_scope_q("/a b").unwrap_err().to_string();
        assert_eq!(
            e,
            "scopeQ: expected ';', '|', ',' or end of input at position 3, found 'b'"
        );
    }
}
