//! Which entities a temporal query selects (clause 5.7.4.4): ids, `idPattern` and types (from
//! URL parameters or the `entities` of a POSTed Query), `scopeQ` on the last known scope, and
//! the `q` and geo-query predicates that [`super::filter`] checks against the instances.

use ngsi::context::CompiledContext;
use ngsi::{Entity, NgsiError, Sym};
use query::geo::ResolvedGeoQuery;
use query::q::ResolvedQ;
use query::scope::ScopeQuery;
use query::types::ResolvedTypes;
use serde_json::Value;

use api::extract::Params;

use crate::catalog::EntityInfo;

/// One entity selector: all of its parts must match.
#[derive(Default)]
pub struct Selector {
    ids: Option<Vec<String>>,
    pattern: Option<regex::Regex>,
    types: Option<ResolvedTypes>,
}

/// What a temporal query selects entities by.
#[derive(Default)]
pub struct EntitySelection {
    /// Any of them must match (none: every entity).
    selectors: Vec<Selector>,
    pub q: Option<ResolvedQ>,
    pub geo: Option<ResolvedGeoQuery>,
    scope: Option<ScopeQuery>,
}

fn pattern(p: &str) -> Result<regex::Regex, NgsiError> {
    regex::RegexBuilder::new(p)
        .size_limit(1 << 20)
        .build()
        .map_err(|e| {
            NgsiError::bad_data(format!("idPattern is not a valid regular expression: {e}"))
        })
}

fn types(t: &str, ctx: &CompiledContext) -> Result<ResolvedTypes, NgsiError> {
    let expand = |s: &str| ctx.expand(s);
    Ok(query::types::parse_type_expr(t)?.resolve(&expand))
}

fn check_id(id: &str) -> Result<String, NgsiError> {
    if ngsi::payload::is_uri(id) {
        Ok(id.to_string())
    } else {
        Err(NgsiError::bad_data(format!("entity id {id:?} is not a URI")).with_instance(id))
    }
}

impl EntitySelection {
    /// From the URL parameters of `GET /temporal/entities`, refusing a too wide query.
    pub fn from_params(p: &Params, ctx: &CompiledContext) -> Result<Self, NgsiError> {
        let sel = Selector {
            ids: p
                .list("id")
                .map(|l| l.into_iter().map(check_id).collect::<Result<_, _>>())
                .transpose()?,
            pattern: p.get("idPattern").map(pattern).transpose()?,
            types: p.get("type").map(|t| types(t, ctx)).transpose()?,
        };
        let geo = match (p.get("georel"), p.get("geometry"), p.get("coordinates")) {
            (None, None, None) => None,
            (Some(r), Some(g), Some(c)) => {
                Some(query::geo::GeoQuery::parse(r, g, c, p.get("geoproperty"))?)
            }
            _ => {
                return Err(NgsiError::bad_data(
                    "a geo-query needs all of georel, geometry and coordinates",
                ));
            }
        };
        let wide = p.get("type").is_none()
            && p.get("attrs").is_none()
            && p.get("pick").is_none()
            && p.get("q").is_none()
            && geo.is_none()
            && !p.bool("local")?;
        if wide {
            return Err(NgsiError::bad_data(
                "too wide query: give at least one of type, attrs, q, a geo-query or local=true (clause 5.7.4.4)",
            ));
        }
        let mut out = Self::predicates(p.get("q"), p.get("scopeQ"), geo, ctx)?;
        out.selectors.push(sel);
        Ok(out)
    }

    /// From a POSTed Query (clause 5.2.23).
    pub fn from_body(body: &Value, ctx: &CompiledContext, local: bool) -> Result<Self, NgsiError> {
        let str_of = |k: &str| -> Result<Option<&str>, NgsiError> {
            match body.get(k) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::String(s)) => Ok(Some(s)),
                Some(_) => Err(NgsiError::bad_data(format!(
                    "query member {k} must be a string"
                ))),
            }
        };
        let geo = body
            .get("geoQ")
            .map(query::geo::GeoQuery::from_geoq)
            .transpose()?;
        let entities = match body.get("entities") {
            None => Vec::new(),
            Some(Value::Array(a)) if !a.is_empty() => a
                .iter()
                .map(|s| selector(s, ctx))
                .collect::<Result<_, _>>()?,
            Some(_) => {
                return Err(NgsiError::bad_data(
                    "entities must be a non-empty array of EntitySelector",
                ));
            }
        };
        let wide = entities.iter().all(|s: &Selector| s.types.is_none())
            && body.get("attrs").is_none()
            && body.get("pick").is_none()
            && str_of("q")?.is_none()
            && geo.is_none()
            && !local;
        if wide {
            return Err(NgsiError::bad_data(
                "too wide query: give at least one of entities with a type, attrs, q, geoQ or local=true (clause 5.7.4.4)",
            ));
        }
        let mut out = Self::predicates(str_of("q")?, str_of("scopeQ")?, geo, ctx)?;
        out.selectors = entities;
        Ok(out)
    }

    fn predicates(
        q: Option<&str>,
        scope: Option<&str>,
        geo: Option<query::geo::GeoQuery>,
        ctx: &CompiledContext,
    ) -> Result<Self, NgsiError> {
        let expand = |s: &str| ctx.expand(s);
        let q = q
            .map(|q| query::q::parse_q(q)?.resolve(&expand))
            .transpose()?;
        if q.as_ref().is_some_and(ResolvedQ::needs_lookup) {
            return Err(NgsiError::bad_data(
                "q: linked-entity terms are not supported in temporal queries (clause 5.7.4.4)",
            ));
        }
        Ok(Self {
            selectors: Vec::new(),
            q,
            geo: geo.map(|g| g.resolve(&expand)),
            scope: scope.map(query::scope::parse_scope_q).transpose()?,
        })
    }

    /// Whether the entity's id, types and last known scope are selected.
    pub fn matches(&self, e: &EntityInfo) -> bool {
        let probe = || {
            let mut x = Entity::new(e.id.clone(), e.types.clone(), 0);
            x.scope = e.scope.clone();
            x
        };
        let sel_ok = self.selectors.is_empty()
            || self.selectors.iter().any(|s| {
                s.ids
                    .as_ref()
                    .is_none_or(|ids| ids.iter().any(|i| **i == *e.id))
                    && s.pattern.as_ref().is_none_or(|r| r.is_match(&e.id))
                    && s.types.as_ref().is_none_or(|t| t.matches(&probe()))
            });
        sel_ok
            && self
                .scope
                .as_ref()
                .is_none_or(|s| e.scope.as_ref().is_some_and(|sc| s.matches_scopes(sc)))
    }

    /// The GeoProperty the geo-query is about.
    pub fn geo_property(&self) -> Option<&Sym> {
        self.geo.as_ref().map(|g| g.property())
    }
}

fn selector(s: &Value, ctx: &CompiledContext) -> Result<Selector, NgsiError> {
    let get = |k: &str| s.get(k).and_then(Value::as_str);
    if !s.is_object() {
        return Err(NgsiError::bad_data("an EntitySelector must be an object"));
    }
    Ok(Selector {
        ids: get("id")
            .map(|i| check_id(i).map(|i| vec![i]))
            .transpose()?,
        pattern: get("idPattern").map(pattern).transpose()?,
        types: get("type").map(|t| types(t, ctx)).transpose()?,
    })
}
