//! `/ngsi-ld/v1/subscriptions` and `/ngsi-ld/v1/subscriptions/{id}` (clauses 6.10, 6.11):
//! create, query, retrieve, update and delete subscriptions, with the behaviours of clauses
//! 5.8.1-5.8.5; and the route of the live stream ([`crate::stream`]).

use axum::Router;
use axum::extract::{FromRef, Path, RawQuery, State};

use axum::routing::get;
use http::{HeaderMap, HeaderValue, StatusCode, header};
use ngsi::patch::merge_json;
use ngsi::{ErrorKind, NgsiError, time};
use serde_json::{Map, Value};

use api::error::ApiResult;
use api::extract::{JsonBody, MediaType, Ngsi, Params};
use api::respond;

use crate::Notifier;
use crate::subscription::{self, Def, Stored, SubKey, representation};

/// Path of the subscriptions collection.
pub const SUBSCRIPTIONS_PATH: &str = "/ngsi-ld/v1/subscriptions";

/// The router state: the core API state and the notifier.
#[derive(Clone)]
pub struct NotifyState {
    pub app: api::AppState,
    pub notifier: Notifier,
}

impl FromRef<NotifyState> for api::AppState {
    fn from_ref(s: &NotifyState) -> Self {
        s.app.clone()
    }
}

/// The subscription API and the live stream.
pub fn routes() -> Router<NotifyState> {
    Router::new()
        .route(SUBSCRIPTIONS_PATH, get(list).post(create))
        .route(
            "/ngsi-ld/v1/subscriptions/{id}",
            get(retrieve).patch(update).delete(delete),
        )
        .route(crate::stream::STREAM_PATH, get(crate::stream::stream))
}

fn check_id(id: &str) -> Result<(), NgsiError> {
    if ngsi::payload::is_uri(id) {
        Ok(())
    } else {
        Err(NgsiError::bad_data(format!("subscription id {id:?} is not a URI")).with_instance(id))
    }
}

fn object(body: Value) -> Result<Map<String, Value>, NgsiError> {
    match body {
        Value::Object(m) => Ok(m),
        _ => Err(NgsiError::bad_data("a subscription must be a JSON object")),
    }
}

/// NonexistentTenant for reads of a tenant nobody has written to (clause 5.5.10).
fn check_tenant(n: &Notifier, app: &api::AppState, tenant: &str) -> Result<(), NgsiError> {
    if tenant.is_empty() || n.hub().has_tenant(tenant) || app.store.tenant_exists(tenant) {
        Ok(())
    } else {
        Err(store::nonexistent_tenant(tenant))
    }
}

/// POST /subscriptions (clauses 6.10.3.1, 5.8.1).
async fn create(State(s): State<NotifyState>, RawQuery(q): RawQuery, body: JsonBody) -> ApiResult {
    Params::parse(q.as_deref(), &[])?;
    let n = &s.notifier;
    let mut obj = subscription::clean_body(object(body.body)?);
    let id = match obj.remove("id") {
        Some(Value::String(id)) => {
            check_id(&id)?;
            id
        }
        Some(_) => return Err(NgsiError::bad_data("id must be a URI string").into()),
        None => subscription::new_subscription_id()?,
    };
    let now = time::now();
    let stored = Stored {
        tenant: body.ngsi.tenant.clone(),
        id: id.clone(),
        body: obj,
        context: body.ngsi.ctx.source().clone(),
        created_at: now,
        modified_at: now,
        order: n.hub().next_order(),
    };
    let def = Def::compile(stored, n.contexts()).await?;
    if def.expires_at.is_some_and(|t| t <= now) {
        return Err(NgsiError::bad_data("expiresAt is in the past").into());
    }
    let h = n.hub().create(def, n.config().max_subscriptions).await?;
    n.started(h);
    let mut resp = respond::no_content();
    *resp.status_mut() = StatusCode::CREATED;
    let location = format!(
        "{SUBSCRIPTIONS_PATH}/{}",
        percent_encoding::utf8_percent_encode(&id, api::PATH_SEGMENT)
    );
    if let Ok(v) = HeaderValue::from_str(&location) {
        resp.headers_mut().insert(header::LOCATION, v);
    }
    Ok(resp)
}

/// GET /subscriptions/{id} (clauses 6.11.3.1, 5.8.3).
async fn retrieve(
    State(s): State<NotifyState>,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
    ngsi: Ngsi,
) -> ApiResult {
    Params::parse(q.as_deref(), &[])?;
    check_id(&id)?;
    let n = &s.notifier;
    check_tenant(n, &s.app, &ngsi.tenant)?;
    let h = n
        .hub()
        .get(&SubKey::new(&ngsi.tenant, &id))
        .ok_or_else(|| not_found(&id))?;
    let v = representation(
        &h.def(),
        &h.status.lock().clone(),
        h.queued(),
        &ngsi.ctx,
        ngsi.accept == MediaType::JsonLd,
    );
    let body = serde_json::to_vec(&v).unwrap_or_default();
    Ok(respond::json(StatusCode::OK, body, &ngsi))
}

/// GET /subscriptions (clauses 6.10.3.2, 5.8.4), paginated with limit and offset.
async fn list(State(s): State<NotifyState>, RawQuery(q): RawQuery, ngsi: Ngsi) -> ApiResult {
    let p = Params::parse(q.as_deref(), &["limit", "offset", "count"])?;
    let n = &s.notifier;
    check_tenant(n, &s.app, &ngsi.tenant)?;
    let cfg = n.config();
    let limit = p.usize("limit")?.unwrap_or(cfg.default_page_size);
    let offset = p.usize("offset")?.unwrap_or(0);
    let count = p.bool("count")?;
    if limit > cfg.max_page_size {
        let detail = format!(
            "limit {limit} is above the maximum page size {}",
            cfg.max_page_size
        );
        return Err(NgsiError::new(ErrorKind::TooManyResults, detail).into());
    }
    if limit == 0 && !count {
        return Err(NgsiError::bad_data("limit=0 is only allowed together with count=true").into());
    }
    let all = n.hub().list(&ngsi.tenant);
    let with_ctx = ngsi.accept == MediaType::JsonLd;
    let page: Vec<Value> = all
        .iter()
        .skip(offset)
        .take(limit)
        .map(|h| {
            representation(
                &h.def(),
                &h.status.lock().clone(),
                h.queued(),
                &ngsi.ctx,
                with_ctx,
            )
        })
        .collect();
    let body = serde_json::to_vec(&page).unwrap_or_default();
    let mut resp = respond::json(StatusCode::OK, body, &ngsi);
    page_headers(
        resp.headers_mut(),
        all.len(),
        offset,
        limit,
        count,
        ngsi.accept,
    );
    Ok(resp)
}

/// `NGSILD-Results-Count` and the Link rel=next/prev headers (clause 6.3.10).
fn page_headers(
    h: &mut HeaderMap,
    total: usize,
    offset: usize,
    limit: usize,
    count: bool,
    accept: MediaType,
) {
    if count && let Ok(v) = HeaderValue::from_str(&total.to_string()) {
        h.insert("NGSILD-Results-Count", v);
    }
    let mut link = |off: usize, rel: &str| {
        let text = format!(
            "<{SUBSCRIPTIONS_PATH}?limit={limit}&offset={off}>; rel=\"{rel}\"; type=\"{}\"",
            accept.as_str()
        );
        if let Ok(v) = HeaderValue::from_str(&text) {
            h.append(header::LINK, v);
        }
    };
    if limit > 0 && offset + limit < total {
        link(offset + limit, "next");
    }
    if offset > 0 {
        link(offset.saturating_sub(limit), "prev");
    }
}

/// PATCH /subscriptions/{id} (clauses 6.11.3.2, 5.8.2): merges the fragment (clause 5.5.8).
async fn update(
    State(s): State<NotifyState>,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
    body: JsonBody,
) -> ApiResult {
    Params::parse(q.as_deref(), &[])?;
    check_id(&id)?;
    let n = &s.notifier;
    let tenant = body.ngsi.tenant.clone();
    check_tenant(n, &s.app, &tenant)?;
    let h = n
        .hub()
        .get(&SubKey::new(&tenant, &id))
        .ok_or_else(|| not_found(&id))?;
    let mut fragment = subscription::clean_body(object(body.body)?);
    match fragment.remove("id") {
        Some(Value::String(given)) if given != id => {
            return Err(NgsiError::bad_data("the id of a subscription cannot be changed").into());
        }
        None | Some(Value::String(_)) => {}
        Some(_) => return Err(NgsiError::bad_data("id must be a URI string").into()),
    }
    if fragment.is_empty() {
        return Err(NgsiError::bad_data("the subscription fragment changes nothing").into());
    }
    let old = h.def();
    let mut stored = old.stored.clone();
    let merged = merge_json(Value::Object(stored.body), &Value::Object(fragment.clone()));
    stored.body = object(merged)?;
    stored.modified_at = time::now();
    if !body.ngsi.ctx.is_core_only() {
        // Names in the fragment are in the request's @context, which becomes the subscription's.
        stored.context = body.ngsi.ctx.source().clone();
    }
    let def = Def::compile(stored, n.contexts()).await?;
    if fragment.contains_key("expiresAt") && def.expires_at.is_some_and(|t| t <= time::now()) {
        return Err(NgsiError::bad_data("expiresAt is in the past").into());
    }
    n.hub().update(def).await?;
    Ok(respond::no_content())
}

/// DELETE /subscriptions/{id} (clauses 6.11.3.3, 5.8.5).
async fn delete(
    State(s): State<NotifyState>,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
    ngsi: Ngsi,
) -> ApiResult {
    Params::parse(q.as_deref(), &[])?;
    check_id(&id)?;
    let n = &s.notifier;
    check_tenant(n, &s.app, &ngsi.tenant)?;
    n.hub().delete(&SubKey::new(&ngsi.tenant, &id)).await?;
    Ok(respond::no_content())
}

fn not_found(id: &str) -> NgsiError {
    NgsiError::not_found(format!("subscription {id} was not found")).with_instance(id)
}
