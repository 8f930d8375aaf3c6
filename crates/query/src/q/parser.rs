//! The `q` parser (clause 4.9 grammar): query terms inside the shared boolean grammar, each a
//! path, then optionally an operator and a value. Extensions over the ABNF, all documented in
//! the crate docs: `!path` (non-existence), nested parentheses (the spec's example 6 needs
//! them), whitespace between tokens, quoted regular expressions, `prefix:name` attribute names
//! (clause 4.6.2), and one-type hints in linked paths (`sensor{Device:humidity}`, example 14).
//! Inside `{...}` a `Name:` is always a type hint, so prefixed names are top-level only.

use crate::bool_expr::{self, Limits};
use crate::error::{QueryError, Result};
use crate::limits::{MAX_DEPTH, MAX_LINK_DEPTH, MAX_PARAM_LEN, MAX_TERMS};
use crate::q::ast::{AttrPath, CmpOp, LinkedPath, QExpr, QTerm, Test, ValuePath};
use crate::q::lexer;
use crate::syntax::{self, Cursor, is_name_char};

const PARAM: &str = "q";
const OPERATORS: &str = "a comparison operator (==, !=, >, >=, <, <=, ~=, !~=)";

/// Parses a URL-decoded `q` value.
pub fn parse_q(src: &str) -> Result<QExpr> {
    syntax::check_len(PARAM, src, MAX_PARAM_LEN)?;
    let mut cur = Cursor::new(PARAM, src);
    cur.skip_ws();
    if cur.at_end() {
        return Err(cur.expected("a query term"));
    }
    let limits = Limits {
        max_depth: MAX_DEPTH,
        max_atoms: MAX_TERMS,
    };
    let expr = bool_expr::parse(&mut cur, limits, &mut term)?;
    let mut regexes = 0;
    expr.for_each_atom(&mut |t: &QTerm| {
        regexes += usize::from(matches!(t.test, Test::Pattern { .. }))
    });
    if regexes > crate::limits::MAX_REGEXES {
        let detail = format!(
            "more than {} regular expressions",
            crate::limits::MAX_REGEXES
        );
        return Err(QueryError::too_complex(PARAM, detail));
    }
    Ok(expr)
}

fn term(cur: &mut Cursor<'_>) -> Result<QTerm> {
    cur.skip_ws();
    if cur.eat("!") {
        cur.skip_ws();
        return Ok(QTerm {
            path: path(cur, 0)?,
            test: Test::NotExists,
        });
    }
    let path = path(cur, 0)?;
    cur.skip_ws();
    let test = match operator(cur) {
        Some(Op::Cmp(op)) => Test::Compare {
            op,
            value: lexer::value(cur, op)?,
        },
        Some(Op::Pattern(negated)) => Test::Pattern {
            negated,
            regex: lexer::regex(cur)?,
        },
        None if cur.at_end()
            || cur.starts_with(";")
            || cur.starts_with("|")
            || cur.starts_with(")") =>
        {
            Test::Exists
        }
        None => return Err(cur.expected(format!("{OPERATORS}, {}", cur.followers()))),
    };
    Ok(QTerm { path, test })
}

enum Op {
    Cmp(CmpOp),
    Pattern(bool),
}

fn operator(cur: &mut Cursor<'_>) -> Option<Op> {
    // Longest first: "!~=" before "!=", ">=" before ">".
    const TABLE: [(&str, Op); 8] = [
        ("!~=", Op::Pattern(true)),
        ("~=", Op::Pattern(false)),
        ("==", Op::Cmp(CmpOp::Eq)),
        ("!=", Op::Cmp(CmpOp::Ne)),
        (">=", Op::Cmp(CmpOp::Ge)),
        ("<=", Op::Cmp(CmpOp::Le)),
        (">", Op::Cmp(CmpOp::Gt)),
        ("<", Op::Cmp(CmpOp::Lt)),
    ];
    let (text, op) = TABLE.into_iter().find(|(text, _)| cur.starts_with(text))?;
    cur.pos += text.len();
    Some(op)
}

/// `AttrName{...}` or a value path. `link_depth` counts enclosing `{`.
fn path(cur: &mut Cursor<'_>, link_depth: usize) -> Result<AttrPath> {
    let first = attr_name(cur, link_depth == 0, "an attribute name")?;
    if !cur.eat("{") {
        return value_path(cur, first).map(AttrPath::Value);
    }
    if link_depth >= MAX_LINK_DEPTH {
        let detail = format!("linked-entity paths nest deeper than {MAX_LINK_DEPTH}");
        return Err(QueryError::too_complex(PARAM, detail));
    }
    let types = type_hints(cur);
    let inner = Box::new(path(cur, link_depth + 1)?);
    if !cur.eat("}") {
        return Err(cur.expected("'.', '[' or '}'"));
    }
    Ok(AttrPath::Linked(LinkedPath {
        rel: first,
        types,
        inner,
    }))
}

/// `Type1,Type2:` before a linked path, if present (consumed only when the ':' is there).
fn type_hints(cur: &mut Cursor<'_>) -> Vec<String> {
    let save = cur.pos;
    let mut types = Vec::new();
    while let Some(name) = cur.name() {
        types.push(name.to_string());
        if cur.eat(":") {
            return types;
        }
        if !cur.eat(",") {
            break;
        }
    }
    cur.pos = save;
    Vec::new()
}

/// A value path on its own: `orderBy` uses the same path syntax (clause 4.23.3).
pub(crate) fn standalone_value_path(cur: &mut Cursor<'_>) -> Result<ValuePath> {
    let first = attr_name(cur, true, "an attribute name")?;
    value_path(cur, first)
}

fn value_path(cur: &mut Cursor<'_>, first: String) -> Result<ValuePath> {
    let mut attrs = vec![first];
    while cur.eat(".") {
        attrs.push(attr_name(cur, false, "an attribute name after '.'")?);
    }
    if !cur.eat("[") {
        return Ok(ValuePath { attrs, trail: None });
    }
    let mut trail = vec![member(cur)?];
    while cur.eat(".") {
        trail.push(member(cur)?);
    }
    if !cur.eat("]") {
        return Err(cur.expected("'.' or ']'"));
    }
    Ok(ValuePath {
        attrs,
        trail: Some(trail),
    })
}

/// An AttrName; at the top level also `prefix:name` (clause 4.6.2).
fn attr_name(cur: &mut Cursor<'_>, allow_prefix: bool, what: &str) -> Result<String> {
    let Some(name) = cur.name() else {
        return Err(cur.expected(what));
    };
    let mut name = name.to_string();
    let save = cur.pos;
    if allow_prefix && cur.eat(":") {
        match cur.name() {
            Some(local) => {
                name.push(':');
                name.push_str(local);
            }
            None => cur.pos = save,
        }
    }
    Ok(name)
}

/// A member name inside `[...]`: JSON keys and language tags, so '-', '@', '$' and ':' are
/// allowed besides name characters; `*` alone means any member (any language).
fn member(cur: &mut Cursor<'_>) -> Result<String> {
    if cur.eat("*") {
        return Ok("*".into());
    }
    let m = cur.take_while(|c| is_name_char(c) || "-@$:".contains(c));
    if m.is_empty() {
        return Err(cur.expected("a member name or '*'"));
    }
    Ok(m.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(src: &str) -> String {
        parse_q(src).unwrap_err().to_string()
    }

    #[test]
    fn error_messages_have_positions() {
        assert_eq!(
            err("temperature>>5"),
            "q: expected a number, quoted string, DateTime, Date or Time at position 12, found '>'"
        );
        assert_eq!(
            err("a=5"),
            "q: expected a comparison operator (==, !=, >, >=, <, <=, ~=, !~=), ';', '|' or end of input \
             at position 1, found '='"
        );
        assert_eq!(
            err("(a==1"),
            "q: expected ';', '|' or ')' at position 5, found end of input"
        );
        assert_eq!(
            err("a.==1"),
            "q: expected an attribute name after '.' at position 2, found '=='"
        );
        assert_eq!(
            err("a[x==1"),
            "q: expected '.' or ']' at position 3, found '=='"
        );
        assert_eq!(
            err(""),
            "q: expected a query term at position 0, found end of input"
        );
        assert!(err("a>true").contains("at position 2, found 'true'"));
        assert!(err("a>1,2").contains("value lists need == or !="));
        assert!(err("a==1..\"z\"").contains("a range end of the same kind"));
        assert!(err("a==\"open").contains("a closing '\"'"));
        assert!(err("a%3D%3D1").contains("percent-encoded"));
    }

    #[test]
    fn limits_are_too_complex() {
        let deep = format!("{}a{}", "(".repeat(20), ")".repeat(20));
        assert!(matches!(parse_q(&deep), Err(QueryError::TooComplex { .. })));
        let wide = vec!["a==1"; 200].join(";");
        assert!(matches!(parse_q(&wide), Err(QueryError::TooComplex { .. })));
        assert!(matches!(
            parse_q("a{b{c{d{e{f}}}}}"),
            Err(QueryError::TooComplex { .. })
        ));
    }
}
