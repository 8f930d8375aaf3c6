//! The OpenAPI 3 `paths` this crate serves, for the binary to merge into `/openapi.json`.

use serde_json::{Value, json};

fn problem(desc: &str) -> Value {
    json!({"description": desc, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ProblemDetails"}}}})
}

fn tenant_param() -> Value {
    json!({"name": "NGSILD-Tenant", "in": "header", "required": false, "schema": {"type": "string"}})
}

fn id_param() -> Value {
    json!({"name": "id", "in": "path", "required": true, "schema": {"type": "string", "format": "uri"}})
}

fn subscription_body() -> Value {
    json!({"required": true, "content": {
        "application/json": {"schema": {"type": "object", "description": "Subscription (clause 5.2.12)"}},
        "application/ld+json": {"schema": {"type": "object", "description": "Subscription with @context"}}
    }})
}

/// OpenAPI `paths` entries for the subscription API and the live stream.
pub fn openapi_paths() -> Value {
    json!({
        "/ngsi-ld/v1/subscriptions": {
            "post": {
                "summary": "Create Subscription (clause 6.10.3.1)",
                "parameters": [tenant_param()],
                "requestBody": subscription_body(),
                "responses": {
                    "201": {"description": "Created; Location holds the subscription's path"},
                    "400": problem("BadRequestData or InvalidRequest"),
                    "409": problem("AlreadyExists"),
                    "503": problem("LdContextNotAvailable")
                }
            },
            "get": {
                "summary": "Query Subscriptions (clause 6.10.3.2)",
                "parameters": [
                    tenant_param(),
                    {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 0}},
                    {"name": "offset", "in": "query", "schema": {"type": "integer", "minimum": 0}},
                    {"name": "count", "in": "query", "schema": {"type": "boolean"}}
                ],
                "responses": {
                    "200": {"description": "Subscription[]; Link rel=next/prev for more pages"},
                    "400": problem("BadRequestData"),
                    "403": problem("TooManyResults (limit above the maximum page size)"),
                    "404": problem("NonexistentTenant")
                }
            }
        },
        "/ngsi-ld/v1/subscriptions/{id}": {
            "parameters": [id_param(), tenant_param()],
            "get": {
                "summary": "Retrieve Subscription (clause 6.11.3.1)",
                "responses": {"200": {"description": "Subscription, with status and notification status members"}, "400": problem("BadRequestData"), "404": problem("ResourceNotFound")}
            },
            "patch": {
                "summary": "Update Subscription (clause 6.11.3.2)",
                "requestBody": subscription_body(),
                "responses": {"204": {"description": "Updated"}, "400": problem("BadRequestData"), "404": problem("ResourceNotFound")}
            },
            "delete": {
                "summary": "Delete Subscription (clause 6.11.3.3)",
                "responses": {"204": {"description": "Deleted"}, "400": problem("BadRequestData"), "404": problem("ResourceNotFound")}
            }
        },
        crate::stream::STREAM_PATH: {
            "get": {
                "summary": "Live change stream (server-sent events)",
                "description": "Committed changes as SSE. Each event: `event: change`, `id: <lsn>`, `data: {\"op\":\"upsert\"|\"delete\",\"id\",\"type\",\"lsn\",\"entity\"}` (entity in the requested format, null on delete; an entity leaving the bbox is sent once as a delete). `event: resync` (data `{\"missed\": n}`) when events were missed: re-fetch over REST. `: keepalive` comments on idle streams. A client that cannot keep up is disconnected.",
                "parameters": [
                    {"name": "type", "in": "query", "description": "Comma list of entity types (short names expanded with the Link header @context or the core context)", "schema": {"type": "string"}},
                    {"name": "attrs", "in": "query", "description": "Comma list of attributes: events carry only these, and only changes touching them are sent", "schema": {"type": "string"}},
                    {"name": "bbox", "in": "query", "description": "minLon,minLat,maxLon,maxLat: only entities whose location intersects it", "schema": {"type": "string"}},
                    {"name": "options", "in": "query", "schema": {"type": "string", "enum": ["keyValues", "normalized", "concise"], "default": "keyValues"}},
                    {"name": "tenant", "in": "query", "description": "Tenant (EventSource cannot set headers); the NGSILD-Tenant header is also accepted", "schema": {"type": "string"}},
                    {"name": "Link", "in": "header", "required": false, "schema": {"type": "string"}}
                ],
                "responses": {
                    "200": {"description": "An event stream", "content": {"text/event-stream": {"schema": {"type": "string"}}}},
                    "400": problem("BadRequestData"),
                    "403": problem("TooManyResults: too many stream clients")
                }
            }
        }
    })
}
