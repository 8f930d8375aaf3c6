//! The NGSI-LD Query Language, `q` (clause 4.9): [`parse_q`] gives a [`QExpr`] of raw terms,
//! [`QExpr::resolve`] expands it against the request's @context into a [`ResolvedQ`], and
//! [`ResolvedQ::matches`] evaluates that against entities.
//!
//! It owns the grammar and the comparison semantics; it must not know about storage (the
//! store uses [`ResolvedQ::required_attrs`] to plan, and supplies an [`EntityLookup`] for
//! linked-entity terms).

mod ast;
mod eval;
mod lexer;
mod parser;
mod resolve;

pub use ast::{
    AttrPath, CmpOp, LinkedPath, Literal, QExpr, QTerm, QValue, Test, TimeLit, ValuePath,
};
pub use eval::{EntityLookup, NoLookup};
pub use lexer::parse_time_of_day;
pub use parser::parse_q;
pub(crate) use parser::standalone_value_path;
pub(crate) use resolve::{Field, RPath, Seg, value_path as resolve_value_path};
pub use resolve::{QOptions, ResolvedQ};
