//! The NGSI-LD temporal API (clauses 6.18-6.24) under `/ngsi-ld/v1/temporal`, as a router over
//! [`TemporalState`] (the core [`api::AppState`] plus the [`History`] handle), so it merges with
//! `api::routes()` and uses the same extractors, error mapping and content negotiation.
//!
//! Temporal writes (`POST /temporal/entities`, `.../attrs`, corrections and deletions) change
//! the temporal evolution only; they do not create or change the current entity (clause 5.6.11
//! describes only the temporal evolution). Writes to the current entity reach history through
//! the store's change feed.

mod body;
mod collect;
mod filter;
mod params;
mod read;
mod render;
mod select;
mod write;

use axum::Router;
use axum::extract::FromRef;
use axum::routing::{delete, get, patch, post};

use crate::History;

/// Path of the temporal entities resource.
pub const TEMPORAL_ENTITIES: &str = "/ngsi-ld/v1/temporal/entities";
/// Path of the temporal query resource (clause 6.24).
pub const TEMPORAL_QUERY: &str = "/ngsi-ld/v1/temporal/entityOperations/query";

/// What the temporal handlers share.
#[derive(Clone)]
pub struct TemporalState {
    pub app: api::AppState,
    pub history: History,
}

impl TemporalState {
    pub fn new(app: api::AppState, history: History) -> Self {
        Self { app, history }
    }
}

impl FromRef<TemporalState> for api::AppState {
    fn from_ref(s: &TemporalState) -> Self {
        s.app.clone()
    }
}

/// The temporal API routes; give them their state with `.with_state(TemporalState::new(..))`
/// and merge with the core routes before `api::finish`.
pub fn routes() -> Router<TemporalState> {
    let temporal = Router::new()
        .route("/entities", get(read::query).post(write::upsert))
        .route(
            "/entities/{id}",
            get(read::retrieve).delete(write::delete_entity),
        )
        .route("/entities/{id}/attrs", post(write::add_attrs))
        .route("/entities/{id}/attrs/{attr}", delete(write::delete_attr))
        .route(
            "/entities/{id}/attrs/{attr}/{instance}",
            patch(write::patch_instance).delete(write::delete_instance),
        )
        .route("/entityOperations/query", post(read::post_query));
    Router::new().nest("/ngsi-ld/v1/temporal", temporal)
}

/// Checks an entity id from a path (clause 5.7.3.4: BadRequestData when not a URI).
fn check_entity_id(id: &str) -> Result<(), ngsi::NgsiError> {
    if ngsi::payload::is_uri(id) {
        Ok(())
    } else {
        Err(ngsi::NgsiError::bad_data(format!("entity id {id:?} is not a URI")).with_instance(id))
    }
}

/// NonexistentTenant for a tenant that neither the store nor history knows (clause 5.5.10).
fn check_tenant(st: &TemporalState, tenant: &str) -> Result<(), ngsi::NgsiError> {
    let known = tenant.is_empty()
        || st.app.store.tenant_exists(tenant)
        || st.history.db().catalog.read().tenants.contains_key(tenant);
    if known {
        Ok(())
    } else {
        Err(store::nonexistent_tenant(tenant))
    }
}
