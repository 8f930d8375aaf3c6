//! Resolution of a parsed `q` against one request's @context: names become expanded IRIs
//! (interned [`Sym`]s, compared by pointer first), literals become compact comparison values,
//! regexes are compiled with size limits. Done once per request; the result is what the
//! evaluator runs against every candidate entity.

use ngsi::Sym;
use regex::{Regex, RegexBuilder};

use crate::bool_expr::BoolExpr;
use crate::error::{QueryError, Result};
use crate::limits::{MAX_REGEX_LEN, REGEX_DFA_SIZE_LIMIT, REGEX_SIZE_LIMIT};
use crate::q::ast::{AttrPath, CmpOp, Literal, QExpr, QValue, Test, ValuePath};

const PARAM: &str = "q";

/// Request options that change how values are compared (clause 4.9).
#[derive(Debug, Clone, Default)]
pub struct QOptions {
    /// `expandValues`: attribute names (short terms) whose string values are also compared in
    /// their @context-expanded form.
    pub expand_values: Vec<String>,
}

/// A `q` expression ready to evaluate: see [`ResolvedQ::matches`].
#[derive(Debug, Clone)]
pub struct ResolvedQ {
    pub(super) expr: BoolExpr<RTerm>,
}

#[derive(Debug, Clone)]
pub(super) struct RTerm {
    pub path: RPath,
    pub test: RTest,
    /// Whether string values of the target are also compared with literals' expanded forms.
    pub expand_values: bool,
}

#[derive(Debug, Clone)]
pub(crate) enum RPath {
    Value {
        attrs: Box<[Sym]>,
        field: Field,
        trail: Box<[Seg]>,
    },
    Linked {
        rel: Sym,
        types: Box<[Sym]>,
        inner: Box<RPath>,
    },
}

/// Which part of the addressed attribute is the target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Field {
    Value,
    ObservedAt,
    CreatedAt,
    ModifiedAt,
    UnitCode,
    DatasetId,
}

impl Field {
    fn from_term(name: &str) -> Option<Self> {
        Some(match name {
            "observedAt" => Self::ObservedAt,
            "createdAt" => Self::CreatedAt,
            "modifiedAt" => Self::ModifiedAt,
            "unitCode" => Self::UnitCode,
            "datasetId" => Self::DatasetId,
            _ => return None,
        })
    }
}

/// One step of a bracketed path into a value.
#[derive(Debug, Clone)]
pub(crate) enum Seg {
    Key(Box<str>),
    Any,
}

#[derive(Debug, Clone)]
pub(super) enum RTest {
    Exists,
    NotExists,
    Any { op: CmpOp, lits: Box<[RLit]> },
    Range { negated: bool, lo: RLit, hi: RLit },
    Pattern { negated: bool, re: Regex },
}

/// A literal in comparison form.
#[derive(Debug, Clone)]
pub(super) enum RLit {
    Number(f64),
    /// A string, URI or bare name; `expanded` is its @context expansion when that differs.
    Str {
        raw: Box<str>,
        expanded: Option<Sym>,
    },
    Bool(bool),
    DateTime(i64),
    Date(i64),
    Time(i64),
}

impl QExpr {
    /// Resolves against a request's @context (`expand` maps a short term to its IRI).
    pub fn resolve(&self, expand: &dyn Fn(&str) -> Sym) -> Result<ResolvedQ> {
        self.resolve_with(expand, &QOptions::default())
    }

    /// [`resolve`](Self::resolve) with the request's `expandValues`.
    pub fn resolve_with(&self, expand: &dyn Fn(&str) -> Sym, opts: &QOptions) -> Result<ResolvedQ> {
        let expand_values: Vec<Sym> = opts.expand_values.iter().map(|t| expand(t)).collect();
        let expr = self.clone().try_map(&mut |term| {
            let path = path(&term.path, expand)?;
            let target = path.target_attr();
            let expand_values = expand_values.iter().any(|s| Some(s) == target);
            Ok::<_, QueryError>(RTerm {
                test: test(term.test, expand)?,
                path,
                expand_values,
            })
        })?;
        Ok(ResolvedQ { expr })
    }
}

impl RPath {
    /// The attribute whose value is compared (the last of a dotted path).
    fn target_attr(&self) -> Option<&Sym> {
        match self {
            Self::Value { attrs, .. } => attrs.last(),
            Self::Linked { inner, .. } => inner.target_attr(),
        }
    }

    /// The top-level attribute every match needs on the entity itself.
    pub(super) fn head(&self) -> Option<&Sym> {
        match self {
            Self::Value { attrs, .. } => attrs.first(),
            Self::Linked { rel, .. } => Some(rel),
        }
    }
}

fn path(p: &AttrPath, expand: &dyn Fn(&str) -> Sym) -> Result<RPath> {
    match p {
        AttrPath::Value(v) => value_path(v, expand),
        AttrPath::Linked(l) => Ok(RPath::Linked {
            rel: expand(&l.rel),
            types: l.types.iter().map(|t| expand(t)).collect(),
            inner: Box::new(path(&l.inner, expand)?),
        }),
    }
}

/// Resolves a dotted path with its trail (also used by `orderBy`).
pub(crate) fn value_path(v: &ValuePath, expand: &dyn Fn(&str) -> Sym) -> Result<RPath> {
    let mut names: &[String] = &v.attrs;
    let mut field = Field::Value;
    if let [rest @ .., last] = names
        && !rest.is_empty()
        && let Some(f) = Field::from_term(last)
    {
        field = f;
        names = rest;
        if v.trail.is_some() {
            return Err(QueryError::invalid(
                PARAM,
                format!("a [...] path cannot follow '{last}'"),
            ));
        }
    }
    let seg = |m: &String| {
        if m == "*" {
            Seg::Any
        } else {
            Seg::Key(m.as_str().into())
        }
    };
    Ok(RPath::Value {
        attrs: names.iter().map(|n| expand(n)).collect(),
        field,
        trail: v.trail.iter().flatten().map(seg).collect(),
    })
}

fn test(t: Test, expand: &dyn Fn(&str) -> Sym) -> Result<RTest> {
    let lit = |l| literal(l, expand);
    Ok(match t {
        Test::Exists => RTest::Exists,
        Test::NotExists => RTest::NotExists,
        Test::Compare {
            op,
            value: QValue::One(l),
        } => RTest::Any {
            op,
            lits: Box::new([lit(l)]),
        },
        Test::Compare {
            op,
            value: QValue::List(ls),
        } => RTest::Any {
            op,
            lits: ls.into_iter().map(lit).collect(),
        },
        Test::Compare {
            op,
            value: QValue::Range(lo, hi),
        } => RTest::Range {
            negated: op == CmpOp::Ne,
            lo: lit(lo),
            hi: lit(hi),
        },
        Test::Pattern { negated, regex } => RTest::Pattern {
            negated,
            re: compile(&regex)?,
        },
    })
}

fn literal(l: Literal, expand: &dyn Fn(&str) -> Sym) -> RLit {
    match l {
        Literal::Number(n) => RLit::Number(n),
        Literal::Bool(b) => RLit::Bool(b),
        Literal::DateTime(t) => RLit::DateTime(t.micros),
        Literal::Date(t) => RLit::Date(t.micros),
        Literal::Time(t) => RLit::Time(t.micros),
        Literal::Str(s) | Literal::Uri(s) | Literal::Term(s) => {
            // Only name- or IRI-like strings can be vocabulary terms worth expanding.
            let expandable = !s.is_empty() && !s.contains(char::is_whitespace);
            let expanded = expandable.then(|| expand(&s)).filter(|e| **e != *s);
            RLit::Str {
                raw: s.into(),
                expanded,
            }
        }
    }
}

/// Compiles with bounded program and cache sizes. The regex crate matches in time linear in
/// the input (no backtracking), so with these bounds evaluation cost is bounded by value size.
pub(crate) fn compile(pattern: &str) -> Result<Regex> {
    if pattern.len() > MAX_REGEX_LEN {
        let detail = format!("the regular expression is longer than {MAX_REGEX_LEN} bytes");
        return Err(QueryError::invalid(PARAM, detail));
    }
    RegexBuilder::new(pattern)
        .size_limit(REGEX_SIZE_LIMIT)
        .dfa_size_limit(REGEX_DFA_SIZE_LIMIT)
        .build()
        .map_err(|e| {
            let why = e
                .to_string()
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ");
            QueryError::invalid(
                PARAM,
                format!("invalid regular expression {pattern:?}: {why}"),
            )
        })
}
