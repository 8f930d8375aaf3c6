//! Southbound HTTP: devices post measurements with `?k=<apikey>&i=<deviceId>` to `/iot/json`
//! (JSON), `/iot/json/attrs/<attr>` (one measure) or `/iot/d` (UltraLight, also as `GET
//! ?d=<payload>`). No `fiware-service` is needed: the API key identifies the group and so its
//! tenant. The answer comes once the measurements are durable; rejections are ProblemDetails
//! (and dead letters, like on MQTT).

use api::error::ApiResult;
use api::extract::Params;
use axum::body::Body;
use axum::extract::{OriginalUri, Path, RawQuery, State};
use bytes::Bytes;
use http::{HeaderMap, StatusCode};
use ngsi::{ErrorKind, NgsiError};

use super::{IotState, body_bytes, empty};
use crate::codec::Codec;
use crate::deadletter::Reason;
use crate::ingest::{Credentials, Inbound, InboundSink, Rejection, Transport, UplinkKind, settled};

const PARAMS: &[&str] = &["k", "i", "t", "getCmd", "d"];

/// The device token an HTTP device presents.
fn token(headers: &HeaderMap) -> Option<String> {
    if let Some(v) = headers.get("x-auth-token").and_then(|v| v.to_str().ok()) {
        return Some(v.trim().to_string());
    }
    let auth = headers.get(http::header::AUTHORIZATION)?.to_str().ok()?;
    auth.strip_prefix("Bearer ").map(|t| t.trim().to_string())
}

fn inbound(
    q: Option<&str>,
    headers: &HeaderMap,
    source: String,
    codec: Codec,
    kind: UplinkKind,
    payload: Bytes,
) -> Result<Inbound, NgsiError> {
    let p = Params::parse(q, PARAMS)?;
    if p.get("getCmd") == Some("1") {
        return Err(NgsiError::new(
            ErrorKind::OperationNotSupported,
            "polling commands (getCmd=1) is not supported: give the device an endpoint or use MQTT",
        ));
    }
    let need = |name: &str| {
        p.get(name)
            .filter(|v| !v.is_empty())
            .map(str::to_string)
            .ok_or_else(|| {
                NgsiError::bad_data(format!(
                    "the {name} query parameter is required (k: apikey, i: device id)"
                ))
            })
    };
    let time =
        match p.get("t") {
            Some(t) => Some(ngsi::time::parse(t).ok_or_else(|| {
                NgsiError::bad_data(format!("t={t:?} is not an ISO 8601 date-time"))
            })?),
            None => None,
        };
    let credentials = token(headers).map(|t| {
        std::sync::Arc::new(Credentials {
            username: None,
            password: Some(t),
        })
    });
    Ok(Inbound {
        transport: Transport::Http,
        source,
        codec: Some(codec),
        apikey: need("k")?,
        device_id: need("i")?,
        kind,
        payload,
        time,
        credentials,
        wants_ack: true,
    })
}

fn status_of(r: &Rejection) -> ErrorKind {
    match r.reason {
        Reason::Malformed | Reason::MappingFailed => ErrorKind::BadRequestData,
        Reason::UnknownDevice | Reason::UnknownApikey => ErrorKind::ResourceNotFound,
        Reason::Oversized => ErrorKind::PayloadTooLarge,
        Reason::Unauthorized => ErrorKind::OperationNotSupported,
        Reason::StoreRejected => ErrorKind::InternalError,
    }
}

async fn ingest(s: &IotState, msg: Inbound) -> ApiResult {
    let submitted = s.iot.ingest.submit(msg).await.map_err(|r| {
        NgsiError::new(
            status_of(&r),
            format!("{}: {}", r.reason.as_str(), r.detail),
        )
    })?;
    settled(submitted)
        .await
        .map_err(|e| NgsiError::internal(format!("the measurements were not stored: {e}")))?;
    empty(StatusCode::OK)
}

/// Reads the payload; one larger than the ingest limit is dead-lettered as oversized.
async fn read(s: &IotState, path: &str, body: Body) -> Result<Bytes, NgsiError> {
    let limit = s.iot.config.ingest.max_payload_bytes;
    let read = body_bytes(body, limit).await;
    if let Err(e) = &read
        && e.kind == ErrorKind::PayloadTooLarge
    {
        let rejected = crate::deadletter::Rejected {
            reason: Reason::Oversized,
            transport: "http",
            source: path,
            tenant: None,
            device_id: None,
            detail: e.detail.clone(),
            payload: b"",
        };
        s.iot.dead.record(rejected, ngsi::time::now());
    }
    read
}

/// Reads, decodes with `codec` and ingests one southbound HTTP measurement.
async fn uplink(
    s: &IotState,
    uri: &axum::http::Uri,
    headers: &HeaderMap,
    q: Option<&str>,
    body: Body,
    codec: Codec,
    kind: UplinkKind,
) -> ApiResult {
    let payload = read(s, uri.path(), body).await?;
    let msg = inbound(q, headers, uri.path().into(), codec, kind, payload)?;
    ingest(s, msg).await
}

pub async fn json(
    State(s): State<IotState>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
    body: Body,
) -> ApiResult {
    uplink(
        &s,
        &uri,
        &headers,
        q.as_deref(),
        body,
        Codec::Json,
        UplinkKind::Attrs,
    )
    .await
}

pub async fn json_attr(
    State(s): State<IotState>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    Path(attr): Path<String>,
    RawQuery(q): RawQuery,
    body: Body,
) -> ApiResult {
    uplink(
        &s,
        &uri,
        &headers,
        q.as_deref(),
        body,
        Codec::Json,
        UplinkKind::Attr(attr),
    )
    .await
}

pub async fn ul(
    State(s): State<IotState>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
    body: Body,
) -> ApiResult {
    uplink(
        &s,
        &uri,
        &headers,
        q.as_deref(),
        body,
        Codec::Ul,
        UplinkKind::Attrs,
    )
    .await
}

pub async fn ul_get(
    State(s): State<IotState>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> ApiResult {
    let p = Params::parse(q.as_deref(), PARAMS)?;
    let data = p.get("d").ok_or_else(|| {
        NgsiError::bad_data("the d query parameter carries the UltraLight payload")
    })?;
    let payload = Bytes::copy_from_slice(data.as_bytes());
    let msg = inbound(
        q.as_deref(),
        &headers,
        uri.path().into(),
        Codec::Ul,
        UplinkKind::Attrs,
        payload,
    )?;
    ingest(&s, msg).await
}
