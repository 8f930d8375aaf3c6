//! The OpenAPI 3.0 description of the HTTP API, served at `/openapi.json`. Built from one table
//! per capability, so each crate that adds routes adds its own paths (see [`merge`]).

use serde_json::{Map, Value, json};

/// One operation: method, path, summary, the clause it implements, and its query parameters.
type Op = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static [&'static str],
);

const QUERY: &[&str] = &[
    "id",
    "idPattern",
    "type",
    "attrs",
    "pick",
    "omit",
    "q",
    "scopeQ",
    "georel",
    "geometry",
    "coordinates",
    "geoproperty",
    "geometryProperty",
    "lang",
    "limit",
    "offset",
    "count",
    "options",
    "format",
];
const RETRIEVE: &[&str] = &[
    "attrs",
    "pick",
    "omit",
    "lang",
    "geometryProperty",
    "options",
    "format",
];

const OPS: &[Op] = &[
    (
        "post",
        "/ngsi-ld/v1/entities",
        "Create Entity",
        "5.6.1",
        &[],
    ),
    (
        "get",
        "/ngsi-ld/v1/entities",
        "Query Entities",
        "5.7.2",
        QUERY,
    ),
    (
        "delete",
        "/ngsi-ld/v1/entities",
        "Purge Entities",
        "5.6.21",
        &["id", "idPattern", "type", "q", "scopeQ"],
    ),
    (
        "get",
        "/ngsi-ld/v1/entities/{entityId}",
        "Retrieve Entity",
        "5.7.1",
        RETRIEVE,
    ),
    (
        "patch",
        "/ngsi-ld/v1/entities/{entityId}",
        "Merge Entity",
        "5.6.17",
        &[],
    ),
    (
        "put",
        "/ngsi-ld/v1/entities/{entityId}",
        "Replace Entity",
        "5.6.18",
        &[],
    ),
    (
        "delete",
        "/ngsi-ld/v1/entities/{entityId}",
        "Delete Entity",
        "5.6.6",
        &[],
    ),
    (
        "post",
        "/ngsi-ld/v1/entities/{entityId}/attrs",
        "Append Attributes",
        "5.6.3",
        &["options"],
    ),
    (
        "patch",
        "/ngsi-ld/v1/entities/{entityId}/attrs",
        "Update Attributes",
        "5.6.2",
        &[],
    ),
    (
        "patch",
        "/ngsi-ld/v1/entities/{entityId}/attrs/{attrId}",
        "Partial Attribute Update",
        "5.6.4",
        &[],
    ),
    (
        "put",
        "/ngsi-ld/v1/entities/{entityId}/attrs/{attrId}",
        "Replace Attribute",
        "5.6.19",
        &[],
    ),
    (
        "delete",
        "/ngsi-ld/v1/entities/{entityId}/attrs/{attrId}",
        "Delete Attribute",
        "5.6.5",
        &["datasetId", "deleteAll"],
    ),
    (
        "post",
        "/ngsi-ld/v1/entityOperations/create",
        "Batch Entity Creation",
        "5.6.7",
        &[],
    ),
    (
        "post",
        "/ngsi-ld/v1/entityOperations/upsert",
        "Batch Entity Upsert",
        "5.6.8",
        &["options"],
    ),
    (
        "post",
        "/ngsi-ld/v1/entityOperations/update",
        "Batch Entity Update",
        "5.6.9",
        &["options"],
    ),
    (
        "post",
        "/ngsi-ld/v1/entityOperations/delete",
        "Batch Entity Delete",
        "5.6.10",
        &[],
    ),
    (
        "post",
        "/ngsi-ld/v1/entityOperations/merge",
        "Batch Entity Merge",
        "5.6.20",
        &[],
    ),
    (
        "post",
        "/ngsi-ld/v1/entityOperations/query",
        "Query Entities (POST)",
        "5.7.2",
        &["limit", "offset", "count", "options", "format"],
    ),
    (
        "get",
        "/ngsi-ld/v1/types",
        "Retrieve Available Entity Types",
        "5.7.5",
        &["details"],
    ),
    (
        "get",
        "/ngsi-ld/v1/types/{type}",
        "Retrieve Entity Type Information",
        "5.7.7",
        &[],
    ),
    (
        "get",
        "/ngsi-ld/v1/attributes",
        "Retrieve Available Attributes",
        "5.7.8",
        &["details"],
    ),
    (
        "get",
        "/ngsi-ld/v1/attributes/{attrId}",
        "Retrieve Attribute Information",
        "5.7.10",
        &[],
    ),
    (
        "get",
        "/ngsi-ld/v1/jsonldContexts",
        "List @contexts",
        "5.13.3",
        &["details", "kind"],
    ),
    (
        "post",
        "/ngsi-ld/v1/jsonldContexts",
        "Add @context",
        "5.13.2",
        &[],
    ),
    (
        "get",
        "/ngsi-ld/v1/jsonldContexts/{contextId}",
        "Serve @context",
        "5.13.4",
        &["details"],
    ),
    (
        "delete",
        "/ngsi-ld/v1/jsonldContexts/{contextId}",
        "Delete @context",
        "5.13.5",
        &["reload"],
    ),
    (
        "get",
        "/health",
        "Readiness: 200 once the server serves",
        "",
        &[],
    ),
    ("get", "/metrics", "Prometheus metrics", "", &[]),
    ("get", "/openapi.json", "This document", "", &[]),
];

fn operation(summary: &str, clause: &str, params: &[&str], path: &str) -> Value {
    let mut parameters: Vec<Value> = path
        .split('/')
        .filter_map(|seg| seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
        .map(|name| json!({"name": name, "in": "path", "required": true, "schema": {"type": "string"}}))
        .collect();
    parameters.extend(
        params
            .iter()
            .map(|p| json!({"name": p, "in": "query", "schema": {"type": "string"}})),
    );
    if path.starts_with("/ngsi-ld/") {
        parameters
            .push(json!({"name": "NGSILD-Tenant", "in": "header", "schema": {"type": "string"}}));
        parameters.push(json!({"name": "Link", "in": "header", "description": "JSON-LD @context (application/json bodies and GET)", "schema": {"type": "string"}}));
    }
    let description = if clause.is_empty() {
        String::new()
    } else {
        format!("ETSI GS CIM 009 clause {clause}")
    };
    json!({
        "summary": summary,
        "description": description,
        "parameters": parameters,
        "responses": {
            "2XX": {"description": "Success"},
            "4XX": {"description": "ProblemDetails", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ProblemDetails"}}}},
            "5XX": {"description": "ProblemDetails", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ProblemDetails"}}}}
        }
    })
}

/// Paths for a table of operations (other crates call this for their own routes).
pub fn paths(ops: &[Op]) -> Value {
    let mut paths = Map::new();
    for (method, path, summary, clause, params) in ops {
        let entry = paths.entry(path.to_string()).or_insert_with(|| json!({}));
        entry[*method] = operation(summary, clause, params, path);
    }
    Value::Object(paths)
}

/// The document for the core API.
pub fn document() -> Value {
    json!({
        "openapi": "3.0.3",
        "info": {
            "title": "twinisle",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "A live digital twin: the ETSI NGSI-LD API (GS CIM 009) and twinisle's own endpoints.",
            "license": {"name": "Apache-2.0"}
        },
        "paths": paths(OPS),
        "components": {"schemas": {"ProblemDetails": {
            "type": "object",
            "required": ["type", "title"],
            "properties": {
                "type": {"type": "string", "format": "uri"},
                "title": {"type": "string"},
                "status": {"type": "integer"},
                "detail": {"type": "string"},
                "instance": {"type": "string"}
            }
        }}}
    })
}

/// Adds the `paths` of `more` to `doc`.
pub fn merge(doc: &mut Value, more: &Value) {
    if let (Some(paths), Some(extra)) = (doc["paths"].as_object_mut(), more.as_object()) {
        for (k, v) in extra {
            paths.insert(k.clone(), v.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_path_has_its_operations_and_path_parameters() {
        let doc = document();
        let op = &doc["paths"]["/ngsi-ld/v1/entities/{entityId}/attrs/{attrId}"]["delete"];
        let names: Vec<&str> = op["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|p| p["name"].as_str())
            .collect();
        assert!(
            names.starts_with(&["entityId", "attrId"]) && names.contains(&"deleteAll"),
            "{names:?}"
        );
        assert!(
            doc["paths"]["/ngsi-ld/v1/entities"]["get"]["description"]
                .as_str()
                .unwrap()
                .contains("5.7.2")
        );
    }
}
