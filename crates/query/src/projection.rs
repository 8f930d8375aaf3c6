//! The NGSI-LD Attribute Projection Language (clause 4.21) for `pick` and `omit`, and the
//! deprecated `attrs` (clause 6.4.3.2): names joined by `,` or `|`, each optionally followed by
//! `{...}`, a projection of the entities that Relationship links to (Linked Entity Retrieval).
//! The grammar has no dotted paths: `a.b` is refused.
//!
//! `id`, `type` and `scope` are Entity members, not attributes, in `pick` and `omit`:
//! `pick=temperature` drops them, `pick=id,temperature` keeps `id`. `attrs` keeps every member
//! and, unlike the other two, also filters: only entities with at least one listed attribute.

use std::fmt;
use std::sync::Arc;

use ngsi::{Entity, Sym};

use crate::error::{QueryError, Result};
use crate::limits::{MAX_LINK_DEPTH, MAX_PARAM_LEN, MAX_PROJECTION_TERMS};
use crate::syntax::{self, Cursor, is_type_term};

/// Which parameter a projection comes from; it decides the semantics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProjectionKind {
    Pick,
    Omit,
    Attrs,
}

impl ProjectionKind {
    pub fn param(self) -> &'static str {
        match self {
            Self::Pick => "pick",
            Self::Omit => "omit",
            Self::Attrs => "attrs",
        }
    }
}

/// The Entity members that are not attributes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Member {
    Id,
    Type,
    Scope,
}

/// A parsed projection: raw names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Projection {
    pub terms: Vec<ProjectionTerm>,
}

/// One projected name, with the projection of its linked entities if given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProjectionTerm {
    pub name: String,
    pub linked: Option<Projection>,
}

/// A projection with attribute names expanded: see [`ResolvedProjection::keeps_attr`].
#[derive(Debug, Clone, PartialEq)]
pub struct ResolvedProjection {
    kind: ProjectionKind,
    /// Listed members: id, type, scope.
    members: [bool; 3],
    attrs: Vec<(Sym, Option<ResolvedProjection>)>,
}

/// Parses a URL-decoded `pick`, `omit` or `attrs` value.
pub fn parse_projection(kind: ProjectionKind, src: &str) -> Result<Projection> {
    syntax::check_len(kind.param(), src, MAX_PARAM_LEN)?;
    let mut cur = Cursor::new(kind.param(), src);
    let mut count = 0;
    let p = list(&mut cur, 0, &mut count)?;
    cur.skip_ws();
    if !cur.at_end() {
        return Err(cur.expected("',', '|', '{' or end of input"));
    }
    Ok(p)
}

fn list(cur: &mut Cursor<'_>, depth: usize, count: &mut usize) -> Result<Projection> {
    let mut terms = Vec::new();
    loop {
        cur.skip_ws();
        *count += 1;
        if *count > MAX_PROJECTION_TERMS {
            let detail = format!("more than {MAX_PROJECTION_TERMS} names");
            return Err(QueryError::too_complex(cur.param, detail));
        }
        terms.push(term(cur, depth, count)?);
        cur.skip_ws();
        if !(cur.eat(",") || cur.eat("|")) {
            return Ok(Projection { terms });
        }
    }
}

fn term(cur: &mut Cursor<'_>, depth: usize, count: &mut usize) -> Result<ProjectionTerm> {
    let start = cur.pos;
    let name = cur.take_while(|c| !(",|{}".contains(c) || c.is_whitespace()));
    if !is_type_term(name) {
        cur.pos = start;
        return Err(cur.expected("an attribute name"));
    }
    if !cur.eat("{") {
        return Ok(ProjectionTerm {
            name: name.to_string(),
            linked: None,
        });
    }
    if depth >= MAX_LINK_DEPTH {
        let detail = format!("linked projections nest deeper than {MAX_LINK_DEPTH}");
        return Err(QueryError::too_complex(cur.param, detail));
    }
    let linked = list(cur, depth + 1, count)?;
    if !cur.eat("}") {
        return Err(cur.expected("',', '|' or '}'"));
    }
    Ok(ProjectionTerm {
        name: name.to_string(),
        linked: Some(linked),
    })
}

impl Projection {
    /// Expands attribute names with the request's @context (`id`, `type` and `scope` are
    /// members in `pick` and `omit`, and are not expanded there).
    pub fn resolve(
        &self,
        kind: ProjectionKind,
        expand: &dyn Fn(&str) -> Sym,
    ) -> ResolvedProjection {
        let mut members = [false; 3];
        let mut attrs = Vec::new();
        for t in &self.terms {
            let member = match t.name.as_str() {
                "id" => Some(0),
                "type" => Some(1),
                "scope" => Some(2),
                _ => None,
            };
            match member {
                Some(i) if kind != ProjectionKind::Attrs && t.linked.is_none() => members[i] = true,
                _ => attrs.push((
                    expand(&t.name),
                    t.linked.as_ref().map(|l| l.resolve(kind, expand)),
                )),
            }
        }
        ResolvedProjection {
            kind,
            members,
            attrs,
        }
    }
}

impl ResolvedProjection {
    pub fn kind(&self) -> ProjectionKind {
        self.kind
    }

    /// Whether the Entity member stays in the output.
    pub fn keeps_member(&self, m: Member) -> bool {
        let listed = self.members[m as usize];
        match self.kind {
            ProjectionKind::Pick => listed,
            ProjectionKind::Omit => !listed,
            ProjectionKind::Attrs => true,
        }
    }

    /// Whether the attribute (expanded name) stays in the output. An `omit` term with a
    /// linked projection (`rel{a}`) keeps `rel` and omits `a` from the linked entities.
    pub fn keeps_attr(&self, name: &str) -> bool {
        let entry = self.attrs.iter().find(|(s, _)| &**s == name);
        match self.kind {
            ProjectionKind::Pick | ProjectionKind::Attrs => entry.is_some(),
            ProjectionKind::Omit => !entry.is_some_and(|(_, linked)| linked.is_none()),
        }
    }

    /// The projection to apply to entities linked through `rel`, if one was given.
    pub fn linked(&self, rel: &str) -> Option<&ResolvedProjection> {
        self.attrs
            .iter()
            .find(|(s, _)| &**s == rel)
            .and_then(|(_, l)| l.as_ref())
    }

    /// The attribute names listed at this level.
    pub fn attr_names(&self) -> impl Iterator<Item = &Sym> {
        self.attrs.iter().map(|(s, _)| s)
    }

    /// For `attrs`: whether the entity has at least one listed attribute; otherwise true.
    pub fn admits(&self, e: &Entity) -> bool {
        self.kind != ProjectionKind::Attrs
            || e.attrs.iter().any(|a| {
                self.attrs
                    .iter()
                    .any(|(s, _)| Arc::ptr_eq(s, &a.name) || *a.name == **s)
            })
    }
}

impl fmt::Display for Projection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, t) in self.terms.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            f.write_str(&t.name)?;
            if let Some(linked) = &t.linked {
                write!(f, "{{{linked}}}")?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ngsi::intern;

    fn resolved(kind: ProjectionKind, src: &str) -> ResolvedProjection {
        parse_projection(kind, src)
            .unwrap()
            .resolve(kind, &|t| intern(t))
    }

    #[test]
    fn pick_omit_and_attrs() {
        let p = resolved(ProjectionKind::Pick, "temperature,humidity|id");
        assert!(p.keeps_attr("temperature") && p.keeps_attr("humidity") && !p.keeps_attr("speed"));
        assert!(p.keeps_member(Member::Id) && !p.keeps_member(Member::Type));
        let o = resolved(ProjectionKind::Omit, "type,speed,observation{humidity}");
        assert!(
            !o.keeps_attr("speed") && o.keeps_attr("temperature") && o.keeps_attr("observation")
        );
        assert!(!o.keeps_member(Member::Type) && o.keeps_member(Member::Id));
        assert!(!o.linked("observation").unwrap().keeps_attr("humidity"));
        let a = resolved(ProjectionKind::Attrs, "speed");
        assert!(a.keeps_member(Member::Type) && a.keeps_attr("speed") && !a.keeps_attr("x"));
        let mut e = Entity::new("urn:x".into(), vec![], 0);
        assert!(!a.admits(&e) && p.admits(&e));
        e.put_attr(ngsi::Attribute::new(
            intern("speed"),
            ngsi::AttrValue::Property(1.into()),
            0,
        ));
        assert!(a.admits(&e));
    }

    #[test]
    fn nested_projection_prints_back_and_errors_have_positions() {
        let p =
            parse_projection(ProjectionKind::Pick, "observation{temperature|humidity},id").unwrap();
        assert_eq!(p.to_string(), "observation{temperature,humidity},id");
        let r = p.resolve(ProjectionKind::Pick, &|t| intern(t));
        assert!(r.linked("observation").unwrap().keeps_attr("humidity"));
        let e = parse_projection(ProjectionKind::Pick, "a,{b}")
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            "pick: expected an attribute name at position 2, found '{'"
        );
        let e = parse_projection(ProjectionKind::Omit, "a{b")
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            "omit: expected ',', '|' or '}' at position 3, found end of input"
        );
        assert!(parse_projection(ProjectionKind::Pick, "a.b").is_err());
    }
}
