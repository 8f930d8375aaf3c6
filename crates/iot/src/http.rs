//! The HTTP face of the IoT platform under `/iot/`: the FIWARE IoT Agent provisioning API
//! ([`provision`]), the southbound HTTP bindings ([`southbound`]: `/iot/json`, `/iot/d`) and
//! the admin endpoints ([`admin`]: dead letters, about). Errors leave as ProblemDetails through
//! `api::error`, like every other twinisle endpoint.
//!
//! `fiware-service` is the tenant (the NGSI-LD `NGSILD-Tenant`), `fiware-servicepath` scopes
//! groups and devices inside it; no header means the default tenant and path `/`.

mod admin;
mod provision;
mod southbound;

use std::sync::Arc;

use api::AppState;
use api::error::ApiResult;
use axum::Router;
use axum::body::Body;
use axum::extract::FromRef;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use http::{HeaderMap, StatusCode, header};
use ngsi::{ErrorKind, NgsiError};
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::Core;

/// State of the `/iot` routes: the core API state plus the platform.
#[derive(Clone)]
pub struct IotState {
    pub app: AppState,
    pub iot: Arc<Core>,
}

impl FromRef<IotState> for AppState {
    fn from_ref(s: &IotState) -> AppState {
        s.app.clone()
    }
}

/// The `/iot/...` routes for any state that yields an [`IotState`].
pub fn routes<S>() -> Router<S>
where
    S: Clone + Send + Sync + 'static,
    IotState: FromRef<S>,
{
    Router::new()
        .route(
            "/iot/services",
            post(provision::create_groups)
                .get(provision::list_groups)
                .put(provision::update_group)
                .delete(provision::delete_group),
        )
        .route(
            "/iot/devices",
            post(provision::create_devices).get(provision::list_devices),
        )
        .route(
            "/iot/devices/{id}",
            get(provision::get_device)
                .put(provision::update_device)
                .delete(provision::delete_device),
        )
        .route("/iot/json", post(southbound::json))
        .route("/iot/json/attrs/{attr}", post(southbound::json_attr))
        .route("/iot/d", post(southbound::ul).get(southbound::ul_get))
        .route(
            "/iot/deadletters",
            get(admin::dead_letters).delete(admin::clear_dead_letters),
        )
        .route("/iot/about", get(admin::about))
}

/// The `/iot/...` routes with their state, ready to merge with the other routers (call
/// `api::finish` once on the merged router).
pub fn router(state: IotState) -> Router {
    routes::<IotState>().with_state(state)
}

const SERVICE: &str = "fiware-service";
const SERVICE_PATH: &str = "fiware-servicepath";

/// The tenant and service path a request addresses. `fiware-service` wins over
/// `NGSILD-Tenant`; none is the default tenant.
pub(crate) fn scope(headers: &HeaderMap, reading: bool) -> Result<(String, String), NgsiError> {
    let tenant = match headers.get(SERVICE) {
        Some(v) => {
            let mut h = HeaderMap::new();
            h.insert(api::extract::TENANT_HEADER, v.clone());
            api::extract::tenant(&h)?
        }
        None => api::extract::tenant(headers)?,
    };
    let path = match headers.get(SERVICE_PATH) {
        None => "/".to_string(),
        Some(v) => v
            .to_str()
            .map_err(|_| NgsiError::bad_data("fiware-servicepath is not valid text"))?
            .trim()
            .to_string(),
    };
    let valid = path.starts_with('/') && path.len() <= 256 && (reading || !path.contains('*'));
    if !valid {
        return Err(NgsiError::bad_data(format!(
            "fiware-servicepath {path:?} must start with '/'{}",
            if reading {
                ""
            } else {
                " and cannot be a wildcard here"
            }
        )));
    }
    Ok((tenant, path))
}

/// Reads a bounded body.
pub(crate) async fn body_bytes(body: Body, limit: usize) -> Result<bytes::Bytes, NgsiError> {
    axum::body::to_bytes(body, limit).await.map_err(|e| {
        let text = format!(
            "{e} {}",
            std::error::Error::source(&e)
                .map(|s| s.to_string())
                .unwrap_or_default()
        );
        if text.contains("length limit") {
            NgsiError::new(
                ErrorKind::PayloadTooLarge,
                format!("the request body is larger than the {limit}-byte limit"),
            )
        } else {
            NgsiError::invalid(format!("cannot read the request body: {e}"))
        }
    })
}

/// Parses a JSON body into a provisioning type.
pub(crate) fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, NgsiError> {
    serde_json::from_slice(bytes)
        .map_err(|e| NgsiError::bad_data(format!("invalid provisioning body: {e}")))
}

/// `offset`/`limit` of a list request, checked against the API limits.
pub(crate) fn page(
    p: &api::extract::Params,
    limits: &api::Limits,
) -> Result<(usize, usize), NgsiError> {
    let limit = p.usize("limit")?.unwrap_or(limits.default_page_size);
    if limit > limits.max_page_size {
        return Err(NgsiError::new(
            ErrorKind::TooManyResults,
            format!(
                "limit {limit} is above the maximum page size {}",
                limits.max_page_size
            ),
        ));
    }
    Ok((p.usize("offset")?.unwrap_or(0), limit))
}

/// A JSON response.
pub(crate) fn json(status: StatusCode, body: &Value) -> Response {
    let bytes = serde_json::to_vec(body).unwrap_or_default();
    (status, [(header::CONTENT_TYPE, "application/json")], bytes).into_response()
}

/// An empty response.
pub(crate) fn empty(status: StatusCode) -> ApiResult {
    Ok(status.into_response())
}
