//! Building NGSI-LD responses: the body in the negotiated media type, the JSON-LD Link header for
//! `application/json`, GeoJSON Features (clause 4.5.16), and the options that shape entities
//! (`options`/`format`, `sysAttrs`, `lang`, `attrs`/`pick`/`omit`).

use axum::response::{IntoResponse, Response};
use http::{HeaderMap, HeaderValue, StatusCode, header};
use ngsi::context::{CompiledContext, JSONLD_CONTEXT_REL};
use ngsi::model::{AttrValue, Entity};
use ngsi::render::{Format, Projection, RenderOptions};
use ngsi::{NgsiError, Sym};
use serde_json::{Map, Value};

use crate::extract::{MediaType, Ngsi, Params};

/// The `options`/`format` choices of a read.
pub struct Shape {
    pub format: Format,
    pub sys_attrs: bool,
    pub lang: Option<String>,
    pub projection: Projection,
    pub geometry_property: Sym,
}

/// Reads `options`, `format`, `lang`, `attrs`, `pick`, `omit` and `geometryProperty`.
pub fn shape(p: &Params, ctx: &CompiledContext, accept: MediaType) -> Result<Shape, NgsiError> {
    let mut formats = Vec::new();
    for o in p.list("options").unwrap_or_default() {
        match o {
            "keyValues" | "simplified" => formats.push(Format::Simplified),
            "concise" => formats.push(Format::Concise),
            "normalized" => formats.push(Format::Normalized),
            "sysAttrs" => {}
            other => {
                return Err(NgsiError::bad_data(format!(
                    "unknown option {other:?} for this operation"
                )));
            }
        }
    }
    if let Some(f) = p.get("format") {
        formats.push(match f {
            "keyValues" | "simplified" => Format::Simplified,
            "concise" => Format::Concise,
            "normalized" => Format::Normalized,
            other => {
                return Err(NgsiError::bad_data(format!(
                    "unknown format {other:?}: use normalized, concise or simplified"
                )));
            }
        });
    }
    formats.dedup();
    if formats.len() > 1 {
        return Err(NgsiError::bad_data(
            "options/format ask for more than one representation",
        ));
    }
    let geometry_property = match p.get("geometryProperty") {
        Some(_) if accept != MediaType::GeoJson => {
            return Err(NgsiError::bad_data(
                "geometryProperty is only allowed with Accept: application/geo+json",
            ));
        }
        Some(g) => ctx.expand(g),
        None => ngsi::intern(ngsi::model::iri::LOCATION),
    };
    Ok(Shape {
        format: formats.first().copied().unwrap_or_default(),
        sys_attrs: p.option("sysAttrs"),
        lang: p.get("lang").map(str::to_string),
        projection: projection(p, ctx)?,
        geometry_property,
    })
}

fn projection(p: &Params, ctx: &CompiledContext) -> Result<Projection, NgsiError> {
    let mut proj = Projection::default();
    let names = |list: Vec<&str>, what: &str| -> Result<Vec<Sym>, NgsiError> {
        list.into_iter()
            .map(|n| {
                if n.contains(['{', '}', '(', ')']) {
                    return Err(NgsiError::bad_data(format!(
                        "{what}: nested projections (linked entities) are not supported: {n:?}"
                    )));
                }
                ngsi::payload::check_name(n, "attribute")?;
                Ok(ctx.expand(n))
            })
            .collect()
    };
    let attrs = p.list("attrs");
    let pick = p.list("pick");
    if attrs.is_some() && pick.is_some() {
        return Err(NgsiError::bad_data("attrs and pick cannot be combined"));
    }
    if let Some(list) = pick {
        let (rest, id, ty) = split_id_type(list);
        proj.drop_id = !id;
        proj.drop_type = !ty;
        proj.keep = Some(names(rest, "pick")?);
    } else if let Some(list) = attrs {
        proj.keep = Some(names(list, "attrs")?);
    }
    if let Some(list) = p.list("omit") {
        if p.get("pick").is_some() {
            return Err(NgsiError::bad_data("pick and omit cannot be combined"));
        }
        let (rest, id, ty) = split_id_type(list);
        proj.drop_id = id;
        proj.drop_type = ty;
        proj.drop = names(rest, "omit")?;
    }
    Ok(proj)
}

/// Splits `id` and `type` out of a pick/omit list.
fn split_id_type(list: Vec<&str>) -> (Vec<&str>, bool, bool) {
    let id = list.contains(&"id");
    let ty = list.contains(&"type");
    (
        list.into_iter()
            .filter(|n| *n != "id" && *n != "type")
            .collect(),
        id,
        ty,
    )
}

/// Render options for a response in `accept`.
pub fn render_options<'a>(
    shape: &'a Shape,
    ctx: &'a CompiledContext,
    accept: MediaType,
) -> RenderOptions<'a> {
    RenderOptions {
        ctx,
        format: shape.format,
        sys_attrs: shape.sys_attrs,
        lang: shape.lang.as_deref(),
        projection: &shape.projection,
        with_context: accept == MediaType::JsonLd,
    }
}

/// A GeoJSON Feature for an entity (clause 4.5.16.2).
pub fn feature(e: &Entity, shape: &Shape, ctx: &CompiledContext) -> Value {
    let opts = RenderOptions {
        with_context: false,
        ..render_options(shape, ctx, MediaType::Json)
    };
    let mut props = match ngsi::render::to_value(e, &opts) {
        Value::Object(m) => m,
        _ => Map::new(),
    };
    props.remove("id");
    let geometry = e
        .attr_any(&shape.geometry_property)
        .and_then(|a| match &a.value {
            AttrValue::GeoProperty(g) => Some(g.clone()),
            _ => None,
        })
        .unwrap_or(Value::Null);
    let mut f = Map::new();
    f.insert("id".into(), Value::String(e.id.to_string()));
    f.insert("type".into(), Value::String("Feature".into()));
    f.insert("geometry".into(), geometry);
    f.insert("properties".into(), Value::Object(props));
    Value::Object(f)
}

/// The JSON-LD context Link header value for `ctx`.
pub fn context_link(ctx: &CompiledContext) -> String {
    format!(
        "<{}>; rel=\"{JSONLD_CONTEXT_REL}\"; type=\"application/ld+json\"",
        ctx.link_url()
    )
}

/// A response with a JSON body in the negotiated type, plus the context Link header for
/// plain JSON (clause 6.3.x: ld+json responses carry @context in the body instead).
pub fn json(status: StatusCode, body: Vec<u8>, ngsi: &Ngsi) -> Response {
    let mut resp = (status, body).into_response();
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(ngsi.accept.as_str()),
    );
    if ngsi.accept != MediaType::JsonLd {
        add_context_link(h, &ngsi.ctx);
    }
    resp
}

pub fn add_context_link(h: &mut HeaderMap, ctx: &CompiledContext) {
    if let Ok(v) = HeaderValue::from_str(&context_link(ctx)) {
        h.append(header::LINK, v);
    }
}

/// 204 No Content.
pub fn no_content() -> Response {
    StatusCode::NO_CONTENT.into_response()
}
