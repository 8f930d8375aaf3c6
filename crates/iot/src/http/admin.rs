//! Admin endpoints: the dead-letter list (`GET`/`DELETE /iot/deadletters`) and `GET
//! /iot/about`, which FIWARE tools use as a health check.

use api::error::ApiResult;
use api::extract::Params;
use axum::extract::{RawQuery, State};
use http::{HeaderMap, StatusCode};
use ngsi::NgsiError;
use serde_json::json;
use std::sync::atomic::Ordering::Relaxed;

use super::{IotState, empty, json, page};
use crate::deadletter::Reason;

/// `GET /iot/deadletters?reason=&limit=&offset=`: newest first; with `fiware-service`, only
/// that tenant's.
pub async fn dead_letters(
    State(s): State<IotState>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> ApiResult {
    let p = Params::parse(q.as_deref(), &["reason", "limit", "offset"])?;
    let (offset, limit) = page(&p, &s.app.limits)?;
    let reason = match p.get("reason") {
        Some(r) => Some(Reason::parse(r).ok_or_else(|| {
            let known: Vec<&str> = Reason::ALL.iter().map(|r| r.as_str()).collect();
            NgsiError::bad_data(format!("unknown reason {r:?}; known: {}", known.join(", ")))
        })?),
        None => None,
    };
    let tenant = headers
        .get("fiware-service")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let (total, letters) = s.iot.dead.page(reason, tenant.as_deref(), offset, limit);
    let counts: serde_json::Map<String, serde_json::Value> = Reason::ALL
        .iter()
        .map(|r| (r.as_str().to_string(), json!(s.iot.dead.count(*r))))
        .collect();
    Ok(json(
        StatusCode::OK,
        &json!({"count": total, "totals": counts, "deadletters": letters}),
    ))
}

/// `DELETE /iot/deadletters`: empties the list; the counters keep counting.
pub async fn clear_dead_letters(State(s): State<IotState>) -> ApiResult {
    s.iot.dead.clear();
    empty(StatusCode::NO_CONTENT)
}

/// `GET /iot/about`.
pub async fn about(State(s): State<IotState>) -> ApiResult {
    let body = json!({
        "libVersion": env!("CARGO_PKG_VERSION"),
        "version": format!("twinisle-iot {}", env!("CARGO_PKG_VERSION")),
        "transport": s.iot.transport_name,
        "devices": s.iot.registry.all_devices().len(),
        "messages": s.iot.metrics.messages_mqtt.load(Relaxed) + s.iot.metrics.messages_http.load(Relaxed),
        "measurements": s.iot.metrics.measurements.load(Relaxed),
    });
    Ok(json(StatusCode::OK, &body))
}
