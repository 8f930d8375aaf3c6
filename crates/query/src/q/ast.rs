//! The parsed form of a `q` expression: raw (unexpanded) terms exactly as written, so that it
//! can be printed back (`Display` output re-parses to an equal tree) and resolved against any
//! @context later.

use std::fmt;

use crate::bool_expr::BoolExpr;

/// A whole `q` expression: query terms combined with `;`, `|` and parentheses.
pub type QExpr = BoolExpr<QTerm>;

/// One query term: an attribute path and what to test on it.
#[derive(Debug, Clone, PartialEq)]
pub struct QTerm {
    pub path: AttrPath,
    pub test: Test,
}

/// What a term tests on its target.
#[derive(Debug, Clone, PartialEq)]
pub enum Test {
    /// `a`: the target element exists.
    Exists,
    /// `!a`: the target element does not exist.
    NotExists,
    /// `a==1`, `a!=1,2`, `a==1..5`, `a>=2018-12-04T12:00:00Z`, ...
    Compare { op: CmpOp, value: QValue },
    /// `a~=regex` (or `a!~=regex` when `negated`).
    Pattern { negated: bool, regex: String },
}

/// Comparison operators of clause 4.9.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    Eq,
    Ne,
    Gt,
    Ge,
    Lt,
    Le,
}

impl CmpOp {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Eq => "==",
            Self::Ne => "!=",
            Self::Gt => ">",
            Self::Ge => ">=",
            Self::Lt => "<",
            Self::Le => "<=",
        }
    }

    /// `==` and `!=` accept lists, ranges, booleans and URIs; the others one comparable value.
    pub fn is_equality(self) -> bool {
        matches!(self, Self::Eq | Self::Ne)
    }
}

/// The right-hand side of a comparison.
#[derive(Debug, Clone, PartialEq)]
pub enum QValue {
    One(Literal),
    /// `v1,v2,...`: matches if the target equals any of them.
    List(Vec<Literal>),
    /// `min..max`, both bounds included.
    Range(Literal, Literal),
}

/// A literal value.
#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    /// A JSON number (always finite).
    Number(f64),
    /// A quoted JSON string, unescaped.
    Str(String),
    Bool(bool),
    /// An unquoted DateTime, compared as a point in time.
    DateTime(TimeLit),
    /// An unquoted Date (`YYYY-MM-DD`), compared as a day.
    Date(TimeLit),
    /// An unquoted Time (`hh:mm:ss[.ffffff][Z]`), compared as a time of day.
    Time(TimeLit),
    /// An unquoted URI or compact IRI (`urn:ngsi-ld:X:1`, `ex:Male`).
    Uri(String),
    /// An unquoted bare name (`Male`): not in the grammar, accepted for the spec's own
    /// `expandValues` example; it compares like a string, expanded where values are.
    Term(String),
}

impl Literal {
    /// Whether the literal may appear with `>`, `<`, ... and in ranges (ComparableValue).
    pub fn is_comparable(&self) -> bool {
        matches!(
            self,
            Self::Number(_) | Self::Str(_) | Self::DateTime(_) | Self::Date(_) | Self::Time(_)
        )
    }

    /// Whether two literals are of the same kind (a range's bounds must be).
    pub fn same_kind(&self, other: &Self) -> bool {
        std::mem::discriminant(self) == std::mem::discriminant(other)
    }
}

/// A temporal literal: its text as written (for printing) and its value in microseconds
/// (since the epoch for DateTime and Date, since midnight for Time).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimeLit {
    pub text: String,
    pub micros: i64,
}

/// The path of a query term.
#[derive(Debug, Clone, PartialEq)]
pub enum AttrPath {
    /// `a`, `a.b.c`, `a[x.y]`, `a.b[x]`, `a.observedAt`.
    Value(ValuePath),
    /// `rel{path}` or `rel{Type1,Type2:path}`: follow a Relationship to the linked entities.
    Linked(LinkedPath),
}

/// Dotted attribute names, optionally followed by one bracketed path into the value.
#[derive(Debug, Clone, PartialEq)]
pub struct ValuePath {
    /// The attribute, then sub-attributes (or a last member such as `observedAt`). Never empty.
    pub attrs: Vec<String>,
    /// Members inside the JSON value (`[x.y]`), or a language tag / `*` for LanguageProperty.
    pub trail: Option<Vec<String>>,
}

/// A linked-entity path (clause 4.9 examples 13 and 14).
#[derive(Debug, Clone, PartialEq)]
pub struct LinkedPath {
    pub rel: String,
    /// Entity type hints: only linked entities of one of these types are considered.
    pub types: Vec<String>,
    pub inner: Box<AttrPath>,
}

impl AttrPath {
    /// The top-level attribute the path starts from.
    pub fn head(&self) -> &str {
        match self {
            Self::Value(v) => v.attrs.first().map_or("", String::as_str),
            Self::Linked(l) => &l.rel,
        }
    }
}

impl fmt::Display for AttrPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Value(v) => {
                f.write_str(&v.attrs.join("."))?;
                match &v.trail {
                    Some(trail) => write!(f, "[{}]", trail.join(".")),
                    None => Ok(()),
                }
            }
            Self::Linked(l) if l.types.is_empty() => write!(f, "{}{{{}}}", l.rel, l.inner),
            Self::Linked(l) => write!(f, "{}{{{}:{}}}", l.rel, l.types.join(","), l.inner),
        }
    }
}

impl fmt::Display for Literal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            // Rust prints finite f64 without exponent and shortest-roundtrip: valid JSON.
            Self::Number(n) => write!(f, "{n}"),
            Self::Str(s) => f.write_str(&quote(s)),
            Self::Bool(b) => write!(f, "{b}"),
            Self::DateTime(t) | Self::Date(t) | Self::Time(t) => f.write_str(&t.text),
            Self::Uri(s) | Self::Term(s) => f.write_str(s),
        }
    }
}

impl fmt::Display for QValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::One(v) => v.fmt(f),
            Self::Range(lo, hi) => write!(f, "{lo}..{hi}"),
            Self::List(items) => {
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(",")?;
                    }
                    item.fmt(f)?;
                }
                Ok(())
            }
        }
    }
}

impl fmt::Display for QTerm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.test {
            Test::Exists => write!(f, "{}", self.path),
            Test::NotExists => write!(f, "!{}", self.path),
            Test::Compare { op, value } => write!(f, "{}{}{}", self.path, op.as_str(), value),
            // Always quoted: an unquoted regex ends at the first top-level ';', '|' or ')'.
            Test::Pattern { negated, regex } => {
                let op = if *negated { "!~=" } else { "~=" };
                write!(f, "{}{op}{}", self.path, quote(regex))
            }
        }
    }
}

fn quote(s: &str) -> String {
    serde_json::Value::from(s).to_string()
}
