//! From query parameters (or a POST query body) to a store query: id lists, `idPattern`, the
//! type selection, `attrs`, `q`, `scopeQ`, geo-queries and pagination (clauses 4.9-4.21, 5.5.9,
//! 6.4.3.2), compiled once per request by the `query` crate into index hints plus one predicate.

use std::sync::Arc;

use http::{HeaderMap, HeaderValue, header};
use ngsi::context::CompiledContext;
use ngsi::{Entity, NgsiError, Sym};
use serde_json::Value;
use store::{EntityFilter, EntityQuery, QueryPage};

use crate::Limits;
use crate::extract::Params;

/// Parameters of GET /entities (clause 6.4.3.2, Table 6.4.3.2-1).
pub const QUERY_PARAMS: &[&str] = &[
    "id",
    "idPattern",
    "type",
    "attrs",
    "pick",
    "omit",
    "q",
    "georel",
    "geometry",
    "coordinates",
    "geoproperty",
    "geometryProperty",
    "csf",
    "limit",
    "offset",
    "count",
    "options",
    "format",
    "lang",
    "scopeQ",
    "local",
    "datasetId",
    "expandValues",
    "collation",
    "containedBy",
    "entityMap",
    "entityMapLifetime",
    "join",
    "joinLevel",
    "orderBy",
    "via",
    "splitEntities",
];

/// Parameters of DELETE /entities (Purge Entities).
pub const PURGE_PARAMS: &[&str] = &[
    "id",
    "idPattern",
    "type",
    "q",
    "scopeQ",
    "local",
    "drop",
    "keep",
];

type Pred = Box<dyn Fn(&Entity) -> bool + Send + Sync>;

/// The parts of an entity query, wherever they came from.
#[derive(Default)]
struct Selector<'a> {
    ids: Option<Vec<&'a str>>,
    id_pattern: Option<&'a str>,
    types: Option<&'a str>,
    attrs: Option<Vec<&'a str>>,
    q: Option<&'a str>,
    scope_q: Option<&'a str>,
    geo: Option<query::geo::GeoQuery>,
}

/// Builds the store query for GET /entities (or purge).
pub fn entity_query(
    p: &Params,
    ctx: &CompiledContext,
    limits: &Limits,
    paged: bool,
) -> Result<EntityQuery, NgsiError> {
    let geo = match (p.get("georel"), p.get("geometry"), p.get("coordinates")) {
        (None, None, None) => None,
        (Some(georel), Some(geometry), Some(coordinates)) => Some(query::geo::GeoQuery::parse(
            georel,
            geometry,
            coordinates,
            p.get("geoproperty"),
        )?),
        _ => {
            return Err(NgsiError::bad_data(
                "a geo-query needs all of georel, geometry and coordinates",
            ));
        }
    };
    let sel = Selector {
        ids: p.list("id"),
        id_pattern: p.get("idPattern"),
        types: p.get("type"),
        attrs: p.list("attrs"),
        q: p.get("q"),
        scope_q: p.get("scopeQ"),
        geo,
    };
    let local = p.bool("local")?;
    if paged
        && sel.types.is_none()
        && sel.attrs.is_none()
        && sel.q.is_none()
        && sel.geo.is_none()
        && sel.ids.is_none()
        && sel.id_pattern.is_none()
        && !local
    {
        return Err(NgsiError::bad_data(
            "too wide query: give at least one of type, attrs, q, a geo-query, id, idPattern or local=true",
        ));
    }
    let mut eq = build(&sel, ctx)?;
    page(&mut eq, p, limits)?;
    Ok(eq)
}

fn page(eq: &mut EntityQuery, p: &Params, limits: &Limits) -> Result<(), NgsiError> {
    eq.count = p.bool("count")?;
    eq.offset = p.usize("offset")?.unwrap_or(0);
    eq.limit = p.usize("limit")?.unwrap_or(limits.default_page_size);
    if eq.limit > limits.max_page_size {
        return Err(NgsiError::new(
            ngsi::ErrorKind::TooManyResults,
            format!(
                "limit {} is above the maximum page size {}",
                eq.limit, limits.max_page_size
            ),
        ));
    }
    if eq.limit == 0 && !eq.count {
        return Err(NgsiError::bad_data(
            "limit=0 is only allowed together with count=true",
        ));
    }
    Ok(())
}

fn build(sel: &Selector<'_>, ctx: &CompiledContext) -> Result<EntityQuery, NgsiError> {
    let expand = |t: &str| ctx.expand(t);
    let mut eq = EntityQuery::default();
    let mut preds: Vec<Pred> = Vec::new();
    if let Some(ids) = &sel.ids {
        for id in ids {
            crate::entities::check_entity_id(id)?;
        }
        eq.ids = Some(ids.iter().map(|i| Arc::<str>::from(*i)).collect());
    }
    if let Some(pat) = sel.id_pattern {
        let re = regex::RegexBuilder::new(pat)
            .size_limit(1 << 20)
            .build()
            .map_err(|e| {
                NgsiError::bad_data(format!("idPattern is not a valid regular expression: {e}"))
            })?;
        preds.push(Box::new(move |e: &Entity| re.is_match(&e.id)));
    }
    if let Some(types) = sel.types {
        let expr = query::types::parse_type_expr(types)?.resolve(&expand);
        eq.types = expr.candidate_types();
        // A plain list of alternatives is answered exactly by the type index; only AND
        // expressions need the per-entity check (which would also force a scan to skip `offset`).
        if !is_type_union(&expr) {
            preds.push(Box::new(move |e: &Entity| expr.matches(e)));
        }
    }
    if let Some(attrs) = &sel.attrs {
        let names: Vec<Sym> = attrs
            .iter()
            .map(|a| ngsi::payload::check_name(a, "attribute").map(|_| ctx.expand(a)))
            .collect::<Result<_, _>>()?;
        eq.attrs_any = Some(names);
    }
    if let Some(q) = sel.q {
        let parsed = query::q::parse_q(q)?;
        eq.ranges = numeric_ranges(&parsed, &expand);
        let resolved = parsed.resolve(&expand)?;
        preds.push(Box::new(move |e: &Entity| resolved.matches(e)));
    }
    if let Some(s) = sel.scope_q {
        let scope = query::scope::parse_scope_q(s)?;
        preds.push(Box::new(move |e: &Entity| scope.matches(e)));
    }
    if let Some(g) = &sel.geo {
        let geo = g.resolve(&expand);
        if let Some(env) = geo.search_envelope() {
            eq.envelope = Some((geo.property().clone(), env));
        }
        preds.push(Box::new(move |e: &Entity| geo.matches_entity(e)));
    }
    if !preds.is_empty() {
        let filter: EntityFilter = Arc::new(move |e: &Entity| preds.iter().all(|p| p(e)));
        eq.filter = Some(filter);
    }
    Ok(eq)
}

/// Whether a type selection is one type or an OR of types (so the type index answers it exactly).
fn is_type_union(t: &query::types::ResolvedTypes) -> bool {
    use query::BoolExpr;
    match t {
        query::types::ResolvedTypes::All => false,
        query::types::ResolvedTypes::Select(BoolExpr::Atom(_)) => true,
        query::types::ResolvedTypes::Select(BoolExpr::Or(items)) => {
            items.iter().all(|i| matches!(i, BoolExpr::Atom(_)))
        }
        query::types::ResolvedTypes::Select(BoolExpr::And(_)) => false,
    }
}

/// Numeric ranges every match of `q` must satisfy: its top-level conjuncts of the form
/// `attr <op> number` (or `attr==a..b`) on a plain attribute value. The store may use them to
/// start from a value index; the full `q` still filters every candidate.
fn numeric_ranges(q: &query::q::QExpr, expand: &dyn Fn(&str) -> Sym) -> Vec<store::NumRange> {
    use query::BoolExpr;
    use query::q::{AttrPath, CmpOp, Literal, QValue, Test};
    use std::ops::Bound::{Excluded, Included, Unbounded};
    let atoms: Vec<&query::q::QTerm> = match q {
        BoolExpr::Atom(t) => vec![t],
        BoolExpr::And(items) => items
            .iter()
            .filter_map(|i| {
                if let BoolExpr::Atom(t) = i {
                    Some(t)
                } else {
                    None
                }
            })
            .collect(),
        BoolExpr::Or(_) => Vec::new(),
    };
    atoms
        .into_iter()
        .filter_map(|t| {
            let AttrPath::Value(path) = &t.path else {
                return None;
            };
            let ([name], None) = (path.attrs.as_slice(), &path.trail) else {
                return None;
            };
            let Test::Compare { op, value } = &t.test else {
                return None;
            };
            let (lo, hi) = match (op, value) {
                (CmpOp::Eq, QValue::One(Literal::Number(n))) => (Included(*n), Included(*n)),
                (CmpOp::Eq, QValue::Range(Literal::Number(a), Literal::Number(b))) => {
                    (Included(*a), Included(*b))
                }
                (CmpOp::Gt, QValue::One(Literal::Number(n))) => (Excluded(*n), Unbounded),
                (CmpOp::Ge, QValue::One(Literal::Number(n))) => (Included(*n), Unbounded),
                (CmpOp::Lt, QValue::One(Literal::Number(n))) => (Unbounded, Excluded(*n)),
                (CmpOp::Le, QValue::One(Literal::Number(n))) => (Unbounded, Included(*n)),
                _ => return None,
            };
            Some(store::NumRange {
                attr: expand(name),
                lo,
                hi,
            })
        })
        .collect()
}

/// `NGSILD-Results-Count` and the `Link` rel=next/prev headers of clause 6.3.x pagination.
pub fn page_headers(
    h: &mut HeaderMap,
    eq: &EntityQuery,
    page: &QueryPage,
    path: &str,
    raw: Option<&str>,
) {
    if let Some(total) = page.total
        && let Ok(v) = HeaderValue::from_str(&total.to_string())
    {
        h.insert("NGSILD-Results-Count", v);
    }
    let more = page
        .total
        .map_or(page.entities.len() >= eq.limit && eq.limit > 0, |t| {
            eq.offset + eq.limit < t
        });
    if more {
        add_page_link(h, path, raw, eq.offset + eq.limit, eq.limit, "next");
    }
    if eq.offset > 0 {
        add_page_link(
            h,
            path,
            raw,
            eq.offset.saturating_sub(eq.limit),
            eq.limit,
            "prev",
        );
    }
}

fn add_page_link(
    h: &mut HeaderMap,
    path: &str,
    raw: Option<&str>,
    offset: usize,
    limit: usize,
    rel: &str,
) {
    let kept: Vec<&str> = raw
        .unwrap_or("")
        .split('&')
        .filter(|kv| !kv.is_empty() && !kv.starts_with("offset=") && !kv.starts_with("limit="))
        .collect();
    let mut q = kept.join("&");
    if !q.is_empty() {
        q.push('&');
    }
    let link = format!(
        "<{path}?{q}limit={limit}&offset={offset}>; rel=\"{rel}\"; type=\"application/ld+json\""
    );
    if let Ok(v) = HeaderValue::from_str(&link) {
        h.append(header::LINK, v);
    }
}

fn str_member<'a>(body: &'a Value, key: &str) -> Result<Option<&'a str>, NgsiError> {
    match body.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(NgsiError::bad_data(format!(
            "query member {key} must be a string"
        ))),
    }
}

/// Builds the store query for POST /entityOperations/query (a Query, clause 5.2.23).
pub fn query_from_body(
    body: &Value,
    p: &Params,
    ctx: &CompiledContext,
    limits: &Limits,
) -> Result<EntityQuery, NgsiError> {
    let obj = body
        .as_object()
        .ok_or_else(|| NgsiError::bad_data("the query must be a JSON object of type Query"))?;
    if obj.get("type").and_then(Value::as_str) != Some("Query") {
        return Err(NgsiError::bad_data(
            "the query body must have \"type\": \"Query\"",
        ));
    }
    let mut eq = EntityQuery::default();
    let mut preds: Vec<Pred> = Vec::new();
    if let Some(list) = obj.get("entities") {
        let selectors = list
            .as_array()
            .ok_or_else(|| NgsiError::bad_data("entities must be an array of EntitySelector"))?;
        let compiled = selectors
            .iter()
            .map(|s| entity_selector(s, ctx))
            .collect::<Result<Vec<_>, _>>()?;
        preds.push(Box::new(move |e: &Entity| {
            compiled.iter().any(|s| s.matches(e))
        }));
    }
    let attrs: Option<Vec<&str>> = match obj.get("attrs") {
        None => None,
        Some(Value::Array(a)) => Some(
            a.iter()
                .map(|v| {
                    v.as_str()
                        .ok_or_else(|| NgsiError::bad_data("attrs must be strings"))
                })
                .collect::<Result<_, _>>()?,
        ),
        Some(_) => {
            return Err(NgsiError::bad_data(
                "attrs must be an array of attribute names",
            ));
        }
    };
    let geo = obj
        .get("geoQ")
        .map(query::geo::GeoQuery::from_geoq)
        .transpose()?;
    let sel = Selector {
        attrs,
        q: str_member(body, "q")?,
        scope_q: str_member(body, "scopeQ")?,
        geo,
        ..Default::default()
    };
    let built = build(&sel, ctx)?;
    eq.attrs_any = built.attrs_any;
    eq.envelope = built.envelope;
    if let Some(f) = built.filter {
        preds.push(Box::new(move |e: &Entity| f(e)));
    }
    if !preds.is_empty() {
        let filter: EntityFilter = Arc::new(move |e: &Entity| preds.iter().all(|p| p(e)));
        eq.filter = Some(filter);
    }
    page(&mut eq, p, limits)?;
    Ok(eq)
}

struct CompiledSelector {
    id: Option<String>,
    pattern: Option<regex::Regex>,
    types: Option<query::types::ResolvedTypes>,
}

impl CompiledSelector {
    fn matches(&self, e: &Entity) -> bool {
        self.id.as_ref().is_none_or(|i| **i == *e.id)
            && self.pattern.as_ref().is_none_or(|r| r.is_match(&e.id))
            && self.types.as_ref().is_none_or(|t| t.matches(e))
    }
}

fn entity_selector(s: &Value, ctx: &CompiledContext) -> Result<CompiledSelector, NgsiError> {
    let id = str_member(s, "id")?.map(str::to_string);
    let pattern = str_member(s, "idPattern")?
        .map(|p| {
            regex::RegexBuilder::new(p)
                .size_limit(1 << 20)
                .build()
                .map_err(|e| NgsiError::bad_data(format!("idPattern: {e}")))
        })
        .transpose()?;
    let expand = |t: &str| ctx.expand(t);
    let types = str_member(s, "type")?
        .map(|t| query::types::parse_type_expr(t).map(|x| x.resolve(&expand)))
        .transpose()?;
    Ok(CompiledSelector { id, pattern, types })
}

/// The representation parameters of a POST query: URL `options`/`format`, body `attrs`/`lang`.
pub fn body_shape_params(body: &Value, p: &Params) -> Result<Params, NgsiError> {
    let mut pairs = Vec::new();
    for k in ["options", "format"] {
        if let Some(v) = p.get(k) {
            pairs.push((k.to_string(), v.to_string()));
        }
    }
    if let Some(Value::Array(a)) = body.get("attrs") {
        let names: Vec<&str> = a.iter().filter_map(Value::as_str).collect();
        pairs.push(("attrs".into(), names.join(",")));
    }
    if let Some(lang) = str_member(body, "lang")?.or(p.get("lang")) {
        pairs.push(("lang".into(), lang.to_string()));
    }
    Ok(Params::from_pairs(pairs))
}
