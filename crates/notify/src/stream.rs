//! `GET /twinisle/v1/stream`: committed changes as server-sent events, for the dashboard and for
//! applications that cannot receive webhooks. Filtered by `type`, `attrs` and `bbox`, rendered
//! with `options` (keyValues by default) and compacted with the Link header's @context.
//!
//! Contract: `event: change`, `id: <lsn>`, `data: {"op":"upsert"|"delete","id","type","lsn",
//! "entity"}` (entity null on delete; an entity leaving the bbox is sent once as a delete);
//! `event: resync` when events were missed (re-fetch over REST); `: keepalive` comments.
//! Source: the store's live broadcast (lossy by design). Each client has a bounded buffer and is
//! dropped, not buffered without bound, when it cannot keep up.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{RawQuery, State};
use axum::response::IntoResponse;
use axum::response::sse::{Event, KeepAlive, Sse};
use http::HeaderMap;
use ngsi::context::CompiledContext;
use ngsi::render::{Format, Projection, RenderOptions};
use ngsi::{Entity, ErrorKind, NgsiError, Sym};
use serde_json::{Value, json};
use store::{Change, CommittedBatch};
use tokio::sync::{broadcast, mpsc};

use api::error::ApiResult;
use api::extract::{Params, TENANT_HEADER};

use crate::change::analyse;
use crate::metrics::Metrics;
use crate::routes::NotifyState;

/// The path of the live stream.
pub const STREAM_PATH: &str = "/twinisle/v1/stream";
const PARAMS: &[&str] = &["type", "attrs", "bbox", "options", "tenant"];

/// What one client wants to see.
struct Filter {
    types: Option<Vec<Sym>>,
    attrs: Option<Vec<Sym>>,
    bbox: Option<[f64; 4]>,
    format: Format,
    projection: Projection,
    location: Sym,
}

/// GET /twinisle/v1/stream.
pub async fn stream(
    State(s): State<NotifyState>,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
) -> ApiResult {
    let p = Params::parse(q.as_deref(), PARAMS)?;
    let tenant = tenant(&p, &headers)?;
    let ctx = api::extract::link_resolved(&s.app, &headers).await?;
    let filter = Filter::parse(&p, &ctx)?;
    let n = &s.notifier;
    let metrics = n.inner.metrics.clone();
    let clients = metrics.stream_client(1);
    let guard = ClientGuard(metrics.clone());
    if clients as usize > n.config().max_stream_clients {
        return Err(NgsiError::new(
            ErrorKind::TooManyResults,
            "too many live-stream clients; try again later",
        )
        .into());
    }
    let (tx, rx) = mpsc::channel(n.config().stream_buffer);
    let source = s.app.store.subscribe();
    tokio::spawn(pump(source, tx, filter, tenant, ctx, guard));
    let events = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|e| (Ok::<Event, Infallible>(e), rx))
    });
    let keep_alive = KeepAlive::new()
        .interval(Duration::from_secs(n.config().stream_keepalive_secs))
        .text("keepalive");
    Ok(Sse::new(events).keep_alive(keep_alive).into_response())
}

/// The tenant from `?tenant=` (EventSource cannot set headers) or the NGSILD-Tenant header.
fn tenant(p: &Params, headers: &HeaderMap) -> Result<String, NgsiError> {
    match p.get("tenant") {
        Some(t) => {
            let mut h = HeaderMap::new();
            let v = http::HeaderValue::from_str(t)
                .map_err(|_| NgsiError::bad_data("tenant is not valid text"))?;
            h.insert(TENANT_HEADER, v);
            api::extract::tenant(&h)
        }
        None => api::extract::tenant(headers),
    }
}

/// Counts a client while its pump runs.
struct ClientGuard(Arc<Metrics>);

impl Drop for ClientGuard {
    fn drop(&mut self) {
        self.0.stream_client(-1);
    }
}

/// Moves filtered events from the broadcast into the client's bounded buffer.
async fn pump(
    mut source: broadcast::Receiver<CommittedBatch>,
    tx: mpsc::Sender<Event>,
    filter: Filter,
    tenant: String,
    ctx: Arc<CompiledContext>,
    guard: ClientGuard,
) {
    let metrics = guard.0.clone();
    loop {
        let batch = tokio::select! {
            _ = tx.closed() => return,
            b = source.recv() => b,
        };
        let events: Vec<Event> = match batch {
            Ok(b) if *b.tenant == *tenant => b
                .changes
                .iter()
                .filter_map(|c| filter.event(c, b.lsn, &ctx))
                .collect(),
            Ok(_) => continue,
            Err(broadcast::error::RecvError::Lagged(n)) => {
                metrics.add(&metrics.stream_resyncs, 1);
                vec![
                    Event::default()
                        .event("resync")
                        .data(json!({"missed": n}).to_string()),
                ]
            }
            Err(broadcast::error::RecvError::Closed) => return,
        };
        for e in events {
            if tx.try_send(e).is_err() {
                // Full (a client that cannot keep up) or gone: either way this client ends.
                metrics.add(&metrics.stream_dropped, u64::from(!tx.is_closed()));
                return;
            }
        }
    }
}

impl Filter {
    fn parse(p: &Params, ctx: &CompiledContext) -> Result<Self, NgsiError> {
        let names = |list: Vec<&str>, what: &str| -> Result<Vec<Sym>, NgsiError> {
            list.into_iter()
                .map(|n| ngsi::payload::check_name(n, what).map(|_| ctx.expand(n)))
                .collect()
        };
        let format = match p.get("options") {
            None | Some("keyValues" | "simplified") => Format::Simplified,
            Some("normalized") => Format::Normalized,
            Some("concise") => Format::Concise,
            Some(o) => {
                return Err(NgsiError::bad_data(format!(
                    "options {o:?} must be keyValues, normalized or concise"
                )));
            }
        };
        let attrs = p.list("attrs").map(|l| names(l, "attribute")).transpose()?;
        let projection = Projection {
            keep: attrs.clone(),
            ..Projection::default()
        };
        Ok(Self {
            types: p
                .list("type")
                .map(|l| names(l, "entity type"))
                .transpose()?,
            attrs,
            bbox: p.get("bbox").map(parse_bbox).transpose()?,
            format,
            projection,
            location: ngsi::intern(ngsi::model::iri::LOCATION),
        })
    }

    fn in_box(&self, e: &Entity) -> bool {
        let Some([x0, y0, x1, y1]) = self.bbox else {
            return true;
        };
        e.attr_any(&self.location)
            .and_then(|a| store::embedded::geometry_bbox(a.value.json()))
            .is_some_and(|[a0, b0, a1, b1]| a0 <= x1 && a1 >= x0 && b0 <= y1 && b1 >= y0)
    }

    fn touches(&self, c: &Change) -> bool {
        let Some(attrs) = &self.attrs else {
            return true;
        };
        analyse(c).is_some_and(|a| a.attrs.iter().any(|x| attrs.contains(&x.name)))
    }

    /// The event for a change, if this client sees it.
    fn event(&self, c: &Change, lsn: u64, ctx: &CompiledContext) -> Option<Event> {
        let (before, after) = (c.before.as_deref(), c.after.as_deref());
        let e = after.or(before)?;
        if let Some(types) = &self.types
            && !types.iter().any(|t| e.has_type(t))
        {
            return None;
        }
        let was = before.is_some_and(|b| self.in_box(b));
        let is = after.is_some_and(|a| self.in_box(a));
        let entity = match (was, is) {
            (false, false) => return None,
            (true, false) => None,
            (false, true) if self.bbox.is_some() => after,
            (_, true) if self.touches(c) => after,
            _ => return None,
        };
        Some(self.render(e, entity, lsn, ctx))
    }

    fn render(
        &self,
        e: &Entity,
        upsert: Option<&Entity>,
        lsn: u64,
        ctx: &CompiledContext,
    ) -> Event {
        let ty = e.types.first().map(|t| ctx.compact(t).into_owned());
        let entity = upsert.map_or(Value::Null, |a| {
            let opts = RenderOptions {
                ctx,
                format: self.format,
                sys_attrs: false,
                lang: None,
                projection: &self.projection,
                with_context: false,
            };
            ngsi::render::to_value(a, &opts)
        });
        let op = if upsert.is_some() { "upsert" } else { "delete" };
        let data = json!({"op": op, "id": e.id, "type": ty, "lsn": lsn, "entity": entity});
        Event::default()
            .event("change")
            .id(lsn.to_string())
            .data(data.to_string())
    }
}

fn parse_bbox(s: &str) -> Result<[f64; 4], NgsiError> {
    let bad = || NgsiError::bad_data(format!("bbox {s:?} must be minLon,minLat,maxLon,maxLat"));
    let v: Vec<f64> = s
        .split(',')
        .map(|x| x.trim().parse::<f64>().map_err(|_| bad()))
        .collect::<Result<_, _>>()?;
    let [x0, y0, x1, y1] = v.as_slice() else {
        return Err(bad());
    };
    let ok = [x0, x1].iter().all(|x| (-180.0..=180.0).contains(*x))
        && [y0, y1].iter().all(|y| (-90.0..=90.0).contains(*y))
        && x0 <= x1
        && y0 <= y1;
    if ok {
        Ok([*x0, *y0, *x1, *y1])
    } else {
        Err(bad())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bbox_needs_four_ordered_coordinates() {
        assert_eq!(
            parse_bbox("108.5,18,111.2,20.2").ok(),
            Some([108.5, 18.0, 111.2, 20.2])
        );
        assert!(parse_bbox("1,2,3").is_err());
        assert!(parse_bbox("111,18,108,20").is_err());
        assert!(parse_bbox("a,b,c,d").is_err());
        assert!(parse_bbox("0,-91,1,1").is_err());
    }
}
