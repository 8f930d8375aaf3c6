//! Temporal reads: Retrieve Temporal Evolution of an Entity (6.19.3.1), Query Temporal Evolution
//! of Entities by GET (6.18.3.2) and by POST (6.24.3.1). Each waits until history has recorded
//! every commit acknowledged before it started, then reads on the blocking pool.

use std::sync::Arc;

use axum::extract::{Path, RawQuery, State};
use axum::response::Response;
use http::{HeaderValue, StatusCode, header};
use ngsi::context::CompiledContext;
use ngsi::{ErrorKind, NgsiError};
use serde_json::Value;

use api::error::ApiResult;
use api::extract::{JsonBody, Ngsi, Params};

use super::collect::{self, EntityData, Paging};
use super::params::{QUERY_PARAMS, RETRIEVE_PARAMS, TemporalRead};
use super::select::EntitySelection;
use super::{
    TEMPORAL_ENTITIES, TEMPORAL_QUERY, TemporalState, check_entity_id, check_tenant, filter, render,
};
use crate::db::Db;

/// GET /temporal/entities/{id}.
pub async fn retrieve(
    State(st): State<TemporalState>,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
    ngsi: Ngsi,
) -> ApiResult {
    let p = Params::parse(q.as_deref(), RETRIEVE_PARAMS)?;
    check_entity_id(&id)?;
    let r = TemporalRead::parse(&p, &ngsi.ctx, ngsi.accept)?;
    check_tenant(&st, &ngsi.tenant)?;
    st.history.catch_up().await;
    let (tenant, ctx) = (ngsi.tenant.clone(), ngsi.ctx.clone());
    let (body, range) = st
        .history
        .read(move |db| {
            let e = db
                .catalog
                .read()
                .entity(&tenant, &id)
                .cloned()
                .ok_or_else(|| NgsiError::entity_not_found(&id))?;
            let mut paging = Paging::default();
            let mut data = vec![collect::entity(
                db,
                &e,
                &r,
                db.settings.max_instances,
                &mut paging,
            )?];
            let range = paging.finish(&mut data, &r);
            let v = render::entity(&data[0].info, &data[0].series, &r, &ctx);
            Ok((serde_json::to_vec(&v).unwrap_or_default(), range))
        })
        .await?;
    Ok(respond(body, range, &ngsi))
}

fn respond(body: Vec<u8>, range: Option<String>, ngsi: &Ngsi) -> Response {
    let status = if range.is_some() {
        StatusCode::PARTIAL_CONTENT
    } else {
        StatusCode::OK
    };
    let mut resp = api::respond::json(status, body, ngsi);
    if let Some(v) = range.and_then(|r| HeaderValue::from_str(&r).ok()) {
        resp.headers_mut().insert(header::CONTENT_RANGE, v);
    }
    resp
}

/// A page of entities.
#[derive(Debug, Clone, Copy)]
struct Page {
    offset: usize,
    limit: usize,
    count: bool,
}

fn page(p: &Params, db: &Db) -> Result<Page, NgsiError> {
    let page = Page {
        offset: p.usize("offset")?.unwrap_or(0),
        limit: p.usize("limit")?.unwrap_or(db.settings.default_page),
        count: p.bool("count")?,
    };
    if page.limit > db.settings.max_page {
        return Err(NgsiError::new(
            ErrorKind::TooManyResults,
            format!(
                "limit {} is above the maximum of {} temporal entities per page",
                page.limit, db.settings.max_page
            ),
        ));
    }
    if page.limit == 0 && !page.count {
        return Err(NgsiError::bad_data(
            "limit=0 is only allowed together with count=true",
        ));
    }
    Ok(page)
}

fn require_temporal_query(r: &TemporalRead) -> Result<(), NgsiError> {
    if r.tq.is_none() {
        return Err(NgsiError::bad_data(
            "a temporal query is required: give timerel and timeAt (clause 5.7.4.4)",
        ));
    }
    Ok(())
}

/// GET /temporal/entities.
pub async fn query(
    State(st): State<TemporalState>,
    RawQuery(q): RawQuery,
    ngsi: Ngsi,
) -> ApiResult {
    let p = Params::parse(q.as_deref(), QUERY_PARAMS)?;
    let r = TemporalRead::parse(&p, &ngsi.ctx, ngsi.accept)?;
    require_temporal_query(&r)?;
    let sel = EntitySelection::from_params(&p, &ngsi.ctx)?;
    let page = page(&p, st.history.db())?;
    run(st, ngsi, r, sel, page, TEMPORAL_ENTITIES, q).await
}

/// POST /temporal/entityOperations/query.
pub async fn post_query(
    State(st): State<TemporalState>,
    RawQuery(q): RawQuery,
    body: JsonBody,
) -> ApiResult {
    let url = Params::parse(
        q.as_deref(),
        &[
            "limit",
            "offset",
            "count",
            "options",
            "format",
            "local",
            "lang",
            "datasetId",
        ],
    )?;
    let ngsi = body.ngsi;
    if body.body.get("type").and_then(Value::as_str) != Some("Query") {
        return Err(NgsiError::bad_data("the query body must have \"type\": \"Query\"").into());
    }
    let p = body_params(&body.body, &url)?;
    let r = TemporalRead::parse(&p, &ngsi.ctx, ngsi.accept)?;
    require_temporal_query(&r)?;
    let sel = EntitySelection::from_body(&body.body, &ngsi.ctx, url.bool("local")?)?;
    let page = page(&url, st.history.db())?;
    run(st, ngsi, r, sel, page, TEMPORAL_QUERY, q).await
}

/// The parameters a POSTed Query carries in its body (temporalQ, attrs, pick, omit, lang),
/// merged with the URL's representation and paging parameters.
fn body_params(body: &Value, url: &Params) -> Result<Params, NgsiError> {
    let mut pairs: Vec<(String, String)> = Vec::new();
    let text = |v: &Value, k: &str| -> Result<String, NgsiError> {
        match v {
            Value::String(s) => Ok(s.clone()),
            Value::Number(n) => Ok(n.to_string()),
            Value::Array(a) => a
                .iter()
                .map(|x| x.as_str().map(str::to_string))
                .collect::<Option<Vec<_>>>()
                .map(|l| l.join(","))
                .ok_or_else(|| NgsiError::bad_data(format!("{k} must hold strings"))),
            _ => Err(NgsiError::bad_data(format!("{k} has an unexpected type"))),
        }
    };
    if let Some(tq) = body.get("temporalQ") {
        let obj = tq
            .as_object()
            .ok_or_else(|| NgsiError::bad_data("temporalQ must be a TemporalQuery object"))?;
        for (k, v) in obj {
            pairs.push((k.clone(), text(v, k)?));
        }
    }
    for k in ["attrs", "pick", "omit", "lang"] {
        if let Some(v) = body.get(k) {
            pairs.push((k.to_string(), text(v, k)?));
        }
    }
    for k in ["options", "format", "datasetId"] {
        if let Some(v) = url.get(k) {
            pairs.push((k.to_string(), v.to_string()));
        }
    }
    let known = [
        "timerel",
        "timeAt",
        "endTimeAt",
        "timeproperty",
        "lastN",
        "aggrMethods",
        "aggrPeriodDuration",
        "attrs",
        "pick",
        "omit",
        "lang",
        "options",
        "format",
        "datasetId",
    ];
    if let Some((k, _)) = pairs.iter().find(|(k, _)| !known.contains(&k.as_str())) {
        return Err(NgsiError::bad_data(format!(
            "temporalQ member {k:?} is not known (clause 5.2.21)"
        )));
    }
    Ok(Params::from_pairs(pairs))
}

async fn run(
    st: TemporalState,
    ngsi: Ngsi,
    r: TemporalRead,
    sel: EntitySelection,
    page: Page,
    path: &'static str,
    raw: Option<String>,
) -> ApiResult {
    check_tenant(&st, &ngsi.tenant)?;
    st.history.catch_up().await;
    let (tenant, ctx) = (ngsi.tenant.clone(), ngsi.ctx.clone());
    let (body, range, total, more) = st
        .history
        .read(move |db| answer(db, &tenant, &r, &sel, page, &ctx))
        .await?;
    let mut resp = respond(body, range, &ngsi);
    let media = ngsi.accept.as_str();
    let h = resp.headers_mut();
    if let Some(v) = total.and_then(|t| HeaderValue::from_str(&t.to_string()).ok()) {
        h.insert("NGSILD-Results-Count", v);
    }
    if more {
        page_link(
            h,
            (path, media),
            raw.as_deref(),
            page.offset + page.limit,
            page.limit,
            "next",
        );
    }
    if page.offset > 0 {
        page_link(
            h,
            (path, media),
            raw.as_deref(),
            page.offset.saturating_sub(page.limit),
            page.limit,
            "prev",
        );
    }
    Ok(resp)
}

type Answer = (Vec<u8>, Option<String>, Option<usize>, bool);

fn answer(
    db: &Db,
    tenant: &str,
    r: &TemporalRead,
    sel: &EntitySelection,
    page: Page,
    ctx: &Arc<CompiledContext>,
) -> Result<Answer, NgsiError> {
    let candidates: Vec<_> = db
        .catalog
        .read()
        .tenants
        .get(tenant)
        .map(|t| t.values().filter(|e| sel.matches(e)).cloned().collect())
        .unwrap_or_default();
    let mut paging = Paging::default();
    let mut data: Vec<EntityData> = Vec::new();
    let (mut matched, mut more) = (0usize, false);
    let predicates = sel.q.is_some() || sel.geo.is_some();
    for e in &candidates {
        let in_page = matched >= page.offset && data.len() < page.limit;
        if in_page && !predicates {
            // Reading the answer tells whether the entity has data in the interval.
            let d = collect::entity(db, e, r, db.settings.max_instances, &mut paging)?;
            if !d.series.is_empty() {
                matched += 1;
                data.push(d);
            }
            continue;
        }
        if !filter::passes(db, e, r, sel)? {
            continue;
        }
        matched += 1;
        if in_page {
            data.push(collect::entity(
                db,
                e,
                r,
                db.settings.max_instances,
                &mut paging,
            )?);
        } else if matched > page.offset {
            more = true;
            if !page.count {
                break;
            }
        }
    }
    let range = paging.finish(&mut data, r);
    let list: Vec<Value> = data
        .iter()
        .map(|d| render::entity(&d.info, &d.series, r, ctx))
        .collect();
    let body = serde_json::to_vec(&list).unwrap_or_default();
    Ok((body, range, page.count.then_some(matched), more))
}

/// A `Link` to another page; its `type` is the media type of the request (clause 6.3.10).
fn page_link(
    h: &mut http::HeaderMap,
    (path, media): (&str, &str),
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
    let link =
        format!("<{path}?{q}limit={limit}&offset={offset}>; rel=\"{rel}\"; type=\"{media}\"");
    if let Ok(v) = HeaderValue::from_str(&link) {
        h.append(header::LINK, v);
    }
}
