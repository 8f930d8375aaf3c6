//! Measurement expressions: the arithmetic subset of FIWARE's JEXL that unit conversions need
//! (`l * 100`, `(t - 32) / 1.8`, `-v + 273.15`). Parsed once at provisioning into a tree,
//! evaluated per measure without allocation.
//!
//! Must not grow into a general language: anything outside numbers, variables, `+ - * /`,
//! unary minus and parentheses is refused at provisioning with a message saying so.

/// Longest expression accepted, in bytes.
const MAX_LEN: usize = 256;
/// Deepest nesting accepted.
const MAX_DEPTH: usize = 32;

/// A parsed expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// A number literal.
    Num(f64),
    /// A measure (by payload key or attribute name).
    Var(Box<str>),
    /// Unary minus.
    Neg(Box<Expr>),
    /// A binary operation.
    Bin(Box<Expr>, Op, Box<Expr>),
}

/// A binary operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Add,
    Sub,
    Mul,
    Div,
}

impl Expr {
    /// Parses `text`, or says what is wrong with it.
    pub fn parse(text: &str) -> Result<Expr, String> {
        if text.len() > MAX_LEN {
            return Err(format!("expression longer than {MAX_LEN} bytes"));
        }
        let mut p = Parser {
            s: text.as_bytes(),
            pos: 0,
            depth: 0,
        };
        let e = p.sum()?;
        p.skip_ws();
        if p.pos < p.s.len() {
            return Err(format!(
                "unexpected {:?} at offset {} in expression {text:?}; only numbers, measure names, + - * / and parentheses are supported",
                char::from(p.s[p.pos]),
                p.pos
            ));
        }
        Ok(e)
    }

    /// Evaluates with `lookup` giving the numeric value of a variable; None when a variable
    /// is missing (the expression then does not apply, as in FIWARE) or the result is not finite.
    pub fn eval(&self, lookup: &dyn Fn(&str) -> Option<f64>) -> Option<f64> {
        let v = match self {
            Expr::Num(n) => *n,
            Expr::Var(name) => lookup(name)?,
            Expr::Neg(e) => -e.eval(lookup)?,
            Expr::Bin(a, op, b) => {
                let (a, b) = (a.eval(lookup)?, b.eval(lookup)?);
                match op {
                    Op::Add => a + b,
                    Op::Sub => a - b,
                    Op::Mul => a * b,
                    Op::Div => a / b,
                }
            }
        };
        v.is_finite().then_some(v)
    }

    /// The variables the expression reads.
    pub fn vars(&self, out: &mut Vec<Box<str>>) {
        match self {
            Expr::Num(_) => {}
            Expr::Var(v) => out.push(v.clone()),
            Expr::Neg(e) => e.vars(out),
            Expr::Bin(a, _, b) => {
                a.vars(out);
                b.vars(out);
            }
        }
    }
}

struct Parser<'a> {
    s: &'a [u8],
    pos: usize,
    depth: usize,
}

impl Parser<'_> {
    fn skip_ws(&mut self) {
        while self.s.get(self.pos).is_some_and(u8::is_ascii_whitespace) {
            self.pos += 1;
        }
    }

    fn peek(&mut self) -> Option<u8> {
        self.skip_ws();
        self.s.get(self.pos).copied()
    }

    fn sum(&mut self) -> Result<Expr, String> {
        let mut left = self.product()?;
        while let Some(c @ (b'+' | b'-')) = self.peek() {
            self.pos += 1;
            let op = if c == b'+' { Op::Add } else { Op::Sub };
            left = Expr::Bin(Box::new(left), op, Box::new(self.product()?));
        }
        Ok(left)
    }

    fn product(&mut self) -> Result<Expr, String> {
        let mut left = self.unary()?;
        while let Some(c @ (b'*' | b'/')) = self.peek() {
            self.pos += 1;
            let op = if c == b'*' { Op::Mul } else { Op::Div };
            left = Expr::Bin(Box::new(left), op, Box::new(self.unary()?));
        }
        Ok(left)
    }

    fn unary(&mut self) -> Result<Expr, String> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(format!("expression nested deeper than {MAX_DEPTH}"));
        }
        let e = match self.peek() {
            Some(b'-') => {
                self.pos += 1;
                Expr::Neg(Box::new(self.unary()?))
            }
            Some(b'+') => {
                self.pos += 1;
                self.unary()?
            }
            _ => self.atom()?,
        };
        self.depth -= 1;
        Ok(e)
    }

    fn atom(&mut self) -> Result<Expr, String> {
        match self.peek() {
            Some(b'(') => {
                self.pos += 1;
                let e = self.sum()?;
                if self.peek() != Some(b')') {
                    return Err("missing ')' in expression".into());
                }
                self.pos += 1;
                Ok(e)
            }
            Some(c) if c.is_ascii_digit() || c == b'.' => self.number(),
            Some(c) if c.is_ascii_alphabetic() || c == b'_' => Ok(self.name()),
            Some(c) => Err(format!(
                "unexpected {:?} at offset {} in expression; only numbers, measure names, + - * / and parentheses are supported",
                char::from(c),
                self.pos
            )),
            None => Err("expression ends too early".into()),
        }
    }

    fn number(&mut self) -> Result<Expr, String> {
        let start = self.pos;
        while self
            .s
            .get(self.pos)
            .is_some_and(|c| c.is_ascii_digit() || *c == b'.')
        {
            self.pos += 1;
        }
        if matches!(self.s.get(self.pos), Some(b'e' | b'E')) {
            self.pos += 1;
            if matches!(self.s.get(self.pos), Some(b'+' | b'-')) {
                self.pos += 1;
            }
            while self.s.get(self.pos).is_some_and(u8::is_ascii_digit) {
                self.pos += 1;
            }
        }
        let text = std::str::from_utf8(&self.s[start..self.pos]).unwrap_or("");
        text.parse()
            .map(Expr::Num)
            .map_err(|_| format!("{text:?} is not a number"))
    }

    fn name(&mut self) -> Expr {
        let start = self.pos;
        while self
            .s
            .get(self.pos)
            .is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'_')
        {
            self.pos += 1;
        }
        let text = std::str::from_utf8(&self.s[start..self.pos]).unwrap_or("");
        Expr::Var(text.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eval(text: &str, vars: &[(&str, f64)]) -> Option<f64> {
        let e = Expr::parse(text).unwrap();
        e.eval(&|n| vars.iter().find(|(k, _)| *k == n).map(|(_, v)| *v))
    }

    #[test]
    fn precedence_parentheses_and_unary_minus() {
        assert_eq!(eval("1 + 2 * 3", &[]), Some(7.0));
        assert_eq!(eval("(1 + 2) * 3", &[]), Some(9.0));
        assert_eq!(eval("-x + 1", &[("x", 4.0)]), Some(-3.0));
        assert_eq!(eval("10 - 4 - 3", &[]), Some(3.0));
        assert_eq!(eval("2.5e2 / l", &[("l", 5.0)]), Some(50.0));
        let f = eval("(t - 32) / 1.8", &[("t", 212.0)]).unwrap();
        assert!((f - 100.0).abs() < 1e-9);
    }

    #[test]
    fn missing_variables_and_division_by_zero_give_none() {
        assert_eq!(eval("a * 2", &[]), None);
        assert_eq!(eval("1 / z", &[("z", 0.0)]), None);
    }

    #[test]
    fn anything_beyond_arithmetic_is_refused() {
        for bad in [
            "l | trim",
            "a ? b : c",
            "(1 + 2",
            "",
            "1 2",
            "f(x)",
            "'text'",
        ] {
            assert!(Expr::parse(bad).is_err(), "{bad}");
        }
        let deep = format!("{}1{}", "(".repeat(40), ")".repeat(40));
        assert!(Expr::parse(&deep).is_err());
        assert!(Expr::parse(&"1+".repeat(200)).is_err());
    }
}
