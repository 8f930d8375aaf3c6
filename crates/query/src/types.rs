//! The NGSI-LD Entity Type Selection Language, `type` (clause 4.17): types joined by `;`
//! (AND, inside parentheses in the spec; accepted anywhere here), `|` or `,` (OR). A type is a
//! name (`Building`, `ex:Building`) or an absolute IRI; IRIs holding ',', ';', '(' or ')' are
//! not supported (the spec's note recommends short names for that reason). `*` alone selects
//! every type.

use ngsi::{Entity, Sym};

use crate::bool_expr::{self, BoolExpr, Limits};
use crate::error::Result;
use crate::limits::{MAX_DEPTH, MAX_PARAM_LEN, MAX_TERMS};
use crate::syntax::{self, Cursor, is_type_term};

const PARAM: &str = "type";

/// A parsed `type` value, with raw (unexpanded) type terms.
#[derive(Debug, Clone, PartialEq)]
pub enum TypeExpr {
    /// `*`: every entity type.
    All,
    Select(BoolExpr<String>),
}

/// A type selection expanded against the request's @context.
#[derive(Debug, Clone, PartialEq)]
pub enum ResolvedTypes {
    All,
    Select(BoolExpr<Sym>),
}

/// Parses a URL-decoded `type` value.
pub fn parse_type_expr(src: &str) -> Result<TypeExpr> {
    syntax::check_len(PARAM, src, MAX_PARAM_LEN)?;
    if src.trim() == "*" {
        return Ok(TypeExpr::All);
    }
    let mut cur = Cursor::new(PARAM, src);
    cur.comma_is_or = true;
    let limits = Limits {
        max_depth: MAX_DEPTH,
        max_atoms: MAX_TERMS,
    };
    Ok(TypeExpr::Select(bool_expr::parse(
        &mut cur,
        limits,
        &mut type_name,
    )?))
}

fn type_name(cur: &mut Cursor<'_>) -> Result<String> {
    cur.skip_ws();
    let start = cur.pos;
    let token = cur.take_while(|c| !(",;|()".contains(c) || c.is_whitespace()));
    if is_type_term(token) {
        return Ok(token.to_string());
    }
    cur.pos = start;
    Err(cur.expected("an entity type (a name, prefix:name or an IRI)"))
}

impl TypeExpr {
    /// Expands every type term with the request's @context.
    pub fn resolve(&self, expand: &dyn Fn(&str) -> Sym) -> ResolvedTypes {
        match self {
            Self::All => ResolvedTypes::All,
            Self::Select(e) => ResolvedTypes::Select(e.clone().map(&mut |t| expand(&t))),
        }
    }
}

impl std::fmt::Display for TypeExpr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::All => f.write_str("*"),
            Self::Select(e) => e.fmt(f),
        }
    }
}

impl ResolvedTypes {
    /// Whether the entity has the selected types.
    pub fn matches(&self, e: &Entity) -> bool {
        match self {
            Self::All => true,
            Self::Select(expr) => expr.eval(&mut |t: &Sym| e.types.iter().any(|et| same(et, t))),
        }
    }

    /// Types of which every matching entity has at least one, for starting from a type index
    /// (then filter with [`matches`](Self::matches)); None when any type can match (`*`).
    pub fn candidate_types(&self) -> Option<Vec<Sym>> {
        match self {
            Self::All => None,
            Self::Select(expr) => {
                let mut types = candidates(expr);
                types.sort();
                types.dedup();
                Some(types)
            }
        }
    }
}

/// OR needs the union of its branches' candidates; AND only the smallest branch's.
fn candidates(e: &BoolExpr<Sym>) -> Vec<Sym> {
    match e {
        BoolExpr::Atom(t) => vec![t.clone()],
        BoolExpr::Or(items) => items.iter().flat_map(candidates).collect(),
        BoolExpr::And(items) => items
            .iter()
            .map(candidates)
            .min_by_key(Vec::len)
            .unwrap_or_default(),
    }
}

fn same(a: &Sym, b: &Sym) -> bool {
    std::sync::Arc::ptr_eq(a, b) || **a == **b
}

#[cfg(test)]
mod tests {
    use super::*;
    use ngsi::intern;

    fn resolved(src: &str) -> ResolvedTypes {
        parse_type_expr(src).unwrap().resolve(&|t| intern(t))
    }

    fn ent(types: &[&str]) -> Entity {
        Entity::new("urn:x".into(), types.iter().map(|t| intern(t)).collect(), 0)
    }

    #[test]
    fn spec_examples_and_candidates() {
        let r = resolved("Building|House");
        assert!(r.matches(&ent(&["House"])) && !r.matches(&ent(&["Car"])));
        assert_eq!(resolved("Building,House"), r);
        let r = resolved("(Home;Vehicle)");
        assert!(r.matches(&ent(&["Vehicle", "Home"])) && !r.matches(&ent(&["Home"])));
        assert_eq!(r.candidate_types().map(|v| v.len()), Some(1));
        let r = resolved("(Home;Vehicle),Motorhome");
        assert!(r.matches(&ent(&["Motorhome"])));
        let c: Vec<String> = r
            .candidate_types()
            .unwrap()
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(c, ["Home", "Motorhome"]);
        assert!(resolved("https://example.org/T|ex:U").matches(&ent(&["ex:U"])));
        assert_eq!(resolved("*").candidate_types(), None);
        assert!(resolved(" * ").matches(&ent(&["Anything"])));
    }

    #[test]
    fn errors_have_positions() {
        let e = parse_type_expr("Building|").unwrap_err().to_string();
        assert_eq!(
            e,
            "type: expected an entity type (a name, prefix:name or an IRI) at position 9, found end of input"
        );
        let e = parse_type_expr("(A;B").unwrap_err().to_string();
        assert_eq!(
            e,
            "type: expected ';', '|', ',' or ')' at position 4, found end of input"
        );
        assert!(parse_type_expr("1abc").is_err());
    }
}
