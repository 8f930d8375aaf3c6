//! The boolean skeleton the query languages share (clauses 4.9, 4.17, 4.19): atoms joined by
//! `;` (AND) and `|` (OR, also `,` where the language says so), AND binding tighter than OR,
//! parentheses for grouping. The parser bounds nesting depth and the number of atoms; the tree
//! is kept flat (no And directly inside And, no Or inside Or) so that printing and re-parsing
//! gives back the same tree.

use std::fmt;

use crate::error::{QueryError, Result};
use crate::syntax::Cursor;

/// A boolean combination of atoms.
#[derive(Debug, Clone, PartialEq)]
pub enum BoolExpr<A> {
    /// All must hold.
    And(Vec<BoolExpr<A>>),
    /// At least one must hold.
    Or(Vec<BoolExpr<A>>),
    Atom(A),
}

impl<A> BoolExpr<A> {
    /// The conjunction of `items`, flattened; a single item is returned as is.
    pub fn and(items: Vec<Self>) -> Self {
        Self::join(items, true)
    }

    /// The disjunction of `items`, flattened; a single item is returned as is.
    pub fn or(items: Vec<Self>) -> Self {
        Self::join(items, false)
    }

    fn join(items: Vec<Self>, and: bool) -> Self {
        let mut flat = Vec::with_capacity(items.len());
        for item in items {
            match item {
                Self::And(inner) if and => flat.extend(inner),
                Self::Or(inner) if !and => flat.extend(inner),
                other => flat.push(other),
            }
        }
        match (flat.len(), and) {
            (1, _) => flat.pop().unwrap_or_else(|| Self::And(Vec::new())),
            (_, true) => Self::And(flat),
            (_, false) => Self::Or(flat),
        }
    }

    /// Evaluates with short-circuit; `atom` decides each atom.
    pub fn eval(&self, atom: &mut impl FnMut(&A) -> bool) -> bool {
        match self {
            Self::And(items) => items.iter().all(|i| i.eval(atom)),
            Self::Or(items) => items.iter().any(|i| i.eval(atom)),
            Self::Atom(a) => atom(a),
        }
    }

    /// Converts every atom, keeping the shape; stops at the first error.
    pub fn try_map<B, E>(self, f: &mut impl FnMut(A) -> Result<B, E>) -> Result<BoolExpr<B>, E> {
        fn all<A, B, E>(
            items: Vec<BoolExpr<A>>,
            f: &mut impl FnMut(A) -> Result<B, E>,
        ) -> Result<Vec<BoolExpr<B>>, E> {
            items.into_iter().map(|i| i.try_map(f)).collect()
        }
        Ok(match self {
            Self::And(items) => BoolExpr::And(all(items, f)?),
            Self::Or(items) => BoolExpr::Or(all(items, f)?),
            Self::Atom(a) => BoolExpr::Atom(f(a)?),
        })
    }

    /// Converts every atom, keeping the shape.
    pub fn map<B>(self, f: &mut impl FnMut(A) -> B) -> BoolExpr<B> {
        match self {
            Self::And(items) => BoolExpr::And(items.into_iter().map(|i| i.map(f)).collect()),
            Self::Or(items) => BoolExpr::Or(items.into_iter().map(|i| i.map(f)).collect()),
            Self::Atom(a) => BoolExpr::Atom(f(a)),
        }
    }

    /// Calls `f` on every atom, left to right.
    pub fn for_each_atom<'s>(&'s self, f: &mut impl FnMut(&'s A)) {
        match self {
            Self::And(items) | Self::Or(items) => items.iter().for_each(|i| i.for_each_atom(f)),
            Self::Atom(a) => f(a),
        }
    }
}

impl<A: fmt::Display> fmt::Display for BoolExpr<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (items, sep, and) = match self {
            Self::Atom(a) => return a.fmt(f),
            Self::And(items) => (items, ";", true),
            Self::Or(items) => (items, "|", false),
        };
        for (i, item) in items.iter().enumerate() {
            if i > 0 {
                f.write_str(sep)?;
            }
            // AND binds tighter: only an OR inside an AND (or a nested OR that escaped
            // flattening) needs parentheses to keep its meaning.
            let group = matches!(item, Self::Or(_)) || (and && matches!(item, Self::And(_)));
            if group {
                write!(f, "({item})")?
            } else {
                item.fmt(f)?
            }
        }
        Ok(())
    }
}

/// Nesting and size bounds for one parse.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    pub max_depth: usize,
    pub max_atoms: usize,
}

/// Parses a whole parameter value: `atom` parses one atom at the cursor.
pub(crate) fn parse<'a, A>(
    cur: &mut Cursor<'a>,
    limits: Limits,
    atom: &mut dyn FnMut(&mut Cursor<'a>) -> Result<A>,
) -> Result<BoolExpr<A>> {
    let mut p = Parser {
        limits,
        atom,
        atoms: 0,
    };
    let expr = p.or_expr(cur)?;
    cur.skip_ws();
    if !cur.at_end() {
        return Err(cur.expected(cur.followers()));
    }
    Ok(expr)
}

struct Parser<'f, 'a, A> {
    limits: Limits,
    atom: &'f mut dyn FnMut(&mut Cursor<'a>) -> Result<A>,
    atoms: usize,
}

impl<'a, A> Parser<'_, 'a, A> {
    fn or_expr(&mut self, cur: &mut Cursor<'a>) -> Result<BoolExpr<A>> {
        let mut items = vec![self.and_expr(cur)?];
        loop {
            cur.skip_ws();
            if !(cur.eat("|") || (cur.comma_is_or && cur.eat(","))) {
                return Ok(BoolExpr::or(items));
            }
            items.push(self.and_expr(cur)?);
        }
    }

    fn and_expr(&mut self, cur: &mut Cursor<'a>) -> Result<BoolExpr<A>> {
        let mut items = vec![self.primary(cur)?];
        loop {
            cur.skip_ws();
            if !cur.eat(";") {
                return Ok(BoolExpr::and(items));
            }
            items.push(self.primary(cur)?);
        }
    }

    fn primary(&mut self, cur: &mut Cursor<'a>) -> Result<BoolExpr<A>> {
        cur.skip_ws();
        if !cur.eat("(") {
            self.atoms += 1;
            if self.atoms > self.limits.max_atoms {
                let detail = format!("more than {} terms", self.limits.max_atoms);
                return Err(QueryError::too_complex(cur.param, detail));
            }
            return (self.atom)(cur).map(BoolExpr::Atom);
        }
        if cur.depth >= self.limits.max_depth {
            let detail = format!("parentheses nest deeper than {}", self.limits.max_depth);
            return Err(QueryError::too_complex(cur.param, detail));
        }
        cur.depth += 1;
        let inner = self.or_expr(cur)?;
        cur.skip_ws();
        if !cur.eat(")") {
            return Err(cur.expected(cur.followers()));
        }
        cur.depth -= 1;
        Ok(inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn letters(src: &str) -> Result<BoolExpr<String>> {
        let mut cur = Cursor::new("t", src);
        cur.comma_is_or = true;
        let limits = Limits {
            max_depth: 3,
            max_atoms: 6,
        };
        parse(&mut cur, limits, &mut |c| {
            c.name()
                .map(str::to_string)
                .ok_or_else(|| c.expected("a name"))
        })
    }

    #[test]
    fn and_binds_tighter_and_prints_back() {
        let e = letters("a;b|c,(d|e);f").unwrap();
        assert_eq!(e.to_string(), "a;b|c|(d|e);f");
        assert_eq!(letters(&e.to_string()).unwrap(), e);
        assert_eq!(letters("((a))").unwrap(), BoolExpr::Atom("a".to_string()));
    }

    #[test]
    fn reports_position_and_limits() {
        let e = letters("(a;b").unwrap_err().to_string();
        assert_eq!(
            e,
            "t: expected ';', '|', ',' or ')' at position 4, found end of input"
        );
        let e = letters("a b").unwrap_err().to_string();
        assert_eq!(
            e,
            "t: expected ';', '|', ',' or end of input at position 2, found 'b'"
        );
        assert!(matches!(
            letters("((((a))))"),
            Err(QueryError::TooComplex { .. })
        ));
        assert!(matches!(
            letters("a|b|c|d|e|f|g"),
            Err(QueryError::TooComplex { .. })
        ));
    }
}
