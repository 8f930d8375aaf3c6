//! Validation of a Subscription body against clauses 5.2.12-5.2.15 and 5.2.33, and its
//! compilation into a [`Def`]. Every violated restriction is a BadRequestData that names the
//! member; a notification `join` other than "@none" is OperationNotSupported.

use std::sync::Arc;
use std::time::Duration;

use ngsi::context::CompiledContext;
use ngsi::render::{Format, Projection};
use ngsi::{ErrorKind, NgsiError, Sym};
use serde_json::{Map, Value};

use super::{Def, Endpoint, Selector, Shape, Stored, Triggers, opt_str};
use crate::subscription::Accept;

/// Members the system generates (Tables 5.2.12-2 and 5.2.14.2-1): ignored when given.
const READ_ONLY: &[&str] = &["status", "createdAt", "modifiedAt", "@context"];
const READ_ONLY_NOTIFICATION: &[&str] = &[
    "timesSent",
    "timesFailed",
    "lastNotification",
    "lastSuccess",
    "lastFailure",
    "status",
    "deadLetters",
    "queued",
];

/// Removes `@context` and the read-only members a client may send back (clause 5.2.12 says
/// they are ignored).
pub fn clean_body(mut body: Map<String, Value>) -> Map<String, Value> {
    for k in READ_ONLY {
        body.remove(*k);
    }
    if let Some(Value::Object(n)) = body.get_mut("notification") {
        for k in READ_ONLY_NOTIFICATION {
            n.remove(*k);
        }
    }
    body
}

/// A new subscription id: `urn:ngsi-ld:Subscription:` and a random (version 4) UUID.
pub fn new_subscription_id() -> Result<String, NgsiError> {
    let mut b = [0u8; 16];
    getrandom::getrandom(&mut b)
        .map_err(|e| NgsiError::internal(format!("no randomness for a subscription id: {e}")))?;
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    Ok(format!(
        "urn:ngsi-ld:Subscription:{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    ))
}

/// Validates and compiles a stored subscription.
pub(super) fn build(
    stored: Stored,
    sub_ctx: Arc<CompiledContext>,
    ctx: Arc<CompiledContext>,
) -> Result<Def, NgsiError> {
    let b = &stored.body;
    if b.get("type").and_then(Value::as_str) != Some(super::SUBSCRIPTION_TYPE) {
        return Err(NgsiError::bad_data(
            "a subscription must have \"type\": \"Subscription\"",
        ));
    }
    let expand = |t: &str| sub_ctx.expand(t);
    let selectors = selectors(b, &sub_ctx)?;
    let watched = names(b, "watchedAttributes", &expand)?;
    let time_interval = seconds(b, "timeInterval")?;
    let throttling = seconds(b, "throttling")?;
    check_combinations(b, selectors.is_some(), watched.is_some(), time_interval)?;
    if throttling.is_some() && time_interval.is_some() {
        return Err(NgsiError::bad_data(
            "throttling and timeInterval cannot be combined",
        ));
    }
    let q = opt_str(b, "q")?
        .map(|q| query::q::parse_q(q).and_then(|x| x.resolve(&expand)))
        .transpose()?;
    let geo = b
        .get("geoQ")
        .map(|g| query::geo::GeoQuery::from_geoq(g).map(|x| x.resolve(&expand)))
        .transpose()?;
    let scope = opt_str(b, "scopeQ")?
        .map(query::scope::parse_scope_q)
        .transpose()?;
    let lang = opt_str(b, "lang")?;
    if let Some(l) = lang {
        query::lang::LangFilter::parse(l)?;
    }
    let notification = b
        .get("notification")
        .and_then(Value::as_object)
        .ok_or_else(|| NgsiError::bad_data("notification is required (NotificationParams)"))?;
    let endpoint = Endpoint::parse(
        notification
            .get("endpoint")
            .ok_or_else(|| NgsiError::bad_data("notification.endpoint is required"))?,
    )?;
    let shape = shape(b, notification, lang, endpoint.accept, &expand)?;
    Ok(Def {
        selectors,
        watched,
        triggers: triggers(b)?,
        q,
        geo,
        scope,
        time_interval,
        throttling,
        expires_at: expires_at(b)?,
        is_active: match b.get("isActive") {
            None => true,
            Some(Value::Bool(v)) => *v,
            Some(_) => return Err(NgsiError::bad_data("isActive must be true or false")),
        },
        shape,
        endpoint,
        sub_ctx,
        ctx,
        stored,
    })
}

fn check_combinations(
    b: &Map<String, Value>,
    entities: bool,
    watched: bool,
    time_interval: Option<Duration>,
) -> Result<(), NgsiError> {
    let local_only = b.get("localOnly").and_then(Value::as_bool) == Some(true);
    if !entities && !watched && !local_only {
        return Err(NgsiError::bad_data(
            "at least one of entities or watchedAttributes must be present",
        ));
    }
    if time_interval.is_some() && watched {
        return Err(NgsiError::bad_data(
            "watchedAttributes and timeInterval cannot be combined",
        ));
    }
    if time_interval.is_some() && !entities && !local_only {
        return Err(NgsiError::bad_data(
            "entities is mandatory when timeInterval is present",
        ));
    }
    Ok(())
}

fn selectors(
    b: &Map<String, Value>,
    ctx: &CompiledContext,
) -> Result<Option<Vec<Selector>>, NgsiError> {
    let Some(v) = b.get("entities") else {
        return Ok(None);
    };
    let list = v.as_array().filter(|a| !a.is_empty()).ok_or_else(|| {
        NgsiError::bad_data("entities must be a non-empty array of EntitySelector")
    })?;
    list.iter()
        .map(|s| selector(s, ctx))
        .collect::<Result<_, _>>()
        .map(Some)
}

fn selector(s: &Value, ctx: &CompiledContext) -> Result<Selector, NgsiError> {
    let obj = s
        .as_object()
        .ok_or_else(|| NgsiError::bad_data("each of entities must be an EntitySelector object"))?;
    let ty = opt_str(obj, "type")?
        .ok_or_else(|| NgsiError::bad_data("an EntitySelector needs a type (clause 5.2.33)"))?;
    let types = query::types::parse_type_expr(ty)?.resolve(&|t: &str| ctx.expand(t));
    let ids = match obj.get("id") {
        None => None,
        Some(Value::String(id)) => Some(vec![uri(id)?]),
        Some(Value::Array(a)) if !a.is_empty() => Some(
            a.iter()
                .map(|v| v.as_str().ok_or_else(bad_id).and_then(uri))
                .collect::<Result<_, _>>()?,
        ),
        Some(_) => return Err(bad_id()),
    };
    let pattern = opt_str(obj, "idPattern")?
        .map(|p| {
            regex::RegexBuilder::new(p)
                .size_limit(1 << 20)
                .build()
                .map_err(|e| {
                    NgsiError::bad_data(format!("idPattern is not a valid regular expression: {e}"))
                })
        })
        .transpose()?;
    // clause 5.2.33: id takes precedence over idPattern.
    let pattern = if ids.is_some() { None } else { pattern };
    Ok(Selector {
        ids,
        pattern,
        types,
    })
}

fn bad_id() -> NgsiError {
    NgsiError::bad_data("an EntitySelector id must be a URI or a non-empty array of URIs")
}

fn uri(s: &str) -> Result<Arc<str>, NgsiError> {
    if ngsi::payload::is_uri(s) {
        Ok(s.into())
    } else {
        Err(NgsiError::bad_data(format!("entity id {s:?} is not a URI")))
    }
}

/// A non-empty array of attribute names, expanded.
fn names(
    b: &Map<String, Value>,
    member: &str,
    expand: &dyn Fn(&str) -> Sym,
) -> Result<Option<Vec<Sym>>, NgsiError> {
    let Some(v) = b.get(member) else {
        return Ok(None);
    };
    let bad = || {
        NgsiError::bad_data(format!(
            "{member} must be a non-empty array of attribute names"
        ))
    };
    let list = v.as_array().filter(|a| !a.is_empty()).ok_or_else(bad)?;
    list.iter()
        .map(|n| {
            let n = n.as_str().ok_or_else(bad)?;
            ngsi::payload::check_name(n, "attribute")?;
            Ok(expand(n))
        })
        .collect::<Result<_, _>>()
        .map(Some)
}

fn seconds(b: &Map<String, Value>, member: &str) -> Result<Option<Duration>, NgsiError> {
    let Some(v) = b.get(member) else {
        return Ok(None);
    };
    v.as_f64()
        .filter(|s| *s > 0.0 && s.is_finite() && *s < 1e9)
        .map(|s| Some(Duration::from_secs_f64(s)))
        .ok_or_else(|| {
            NgsiError::bad_data(format!(
                "{member} must be a number of seconds greater than 0"
            ))
        })
}

fn triggers(b: &Map<String, Value>) -> Result<Triggers, NgsiError> {
    let Some(v) = b.get("notificationTrigger") else {
        return Ok(Triggers::default_set());
    };
    let bad = || {
        let names: Vec<&str> = Triggers::NAMES.iter().map(|(n, _)| *n).collect();
        NgsiError::bad_data(format!(
            "notificationTrigger must be a non-empty array of: {}",
            names.join(", ")
        ))
    };
    let list = v.as_array().filter(|a| !a.is_empty()).ok_or_else(bad)?;
    let mut set = Triggers::default();
    for t in list {
        let t = t.as_str().and_then(Triggers::parse).ok_or_else(bad)?;
        set = set.with(t);
    }
    if set.contains(Triggers::ENTITY_UPDATED) {
        // clause 5.2.12: entityUpdated = attributeCreated + attributeUpdated + attributeDeleted.
        set = set
            .with(Triggers::ATTRIBUTE_CREATED)
            .with(Triggers::ATTRIBUTE_UPDATED)
            .with(Triggers::ATTRIBUTE_DELETED);
    }
    Ok(set)
}

fn expires_at(b: &Map<String, Value>) -> Result<Option<i64>, NgsiError> {
    opt_str(b, "expiresAt")?
        .map(|t| {
            ngsi::time::parse(t)
                .ok_or_else(|| NgsiError::bad_data(format!("expiresAt {t:?} is not a DateTime")))
        })
        .transpose()
}

fn shape(
    b: &Map<String, Value>,
    n: &Map<String, Value>,
    lang: Option<&str>,
    accept: Accept,
    expand: &dyn Fn(&str) -> Sym,
) -> Result<Shape, NgsiError> {
    let format = match opt_str(n, "format")? {
        None | Some("normalized") => Format::Normalized,
        Some("concise") => Format::Concise,
        Some("keyValues" | "simplified") => Format::Simplified,
        Some(f) => {
            return Err(NgsiError::bad_data(format!(
                "notification.format {f:?} must be normalized, concise, simplified or keyValues"
            )));
        }
    };
    let flag = |name: &str| match n.get(name) {
        None => Ok(false),
        Some(Value::Bool(v)) => Ok(*v),
        Some(_) => Err(NgsiError::bad_data(format!(
            "notification.{name} must be true or false"
        ))),
    };
    let show_changes = flag("showChanges")?;
    if show_changes && format == Format::Simplified {
        return Err(NgsiError::bad_data(
            "showChanges cannot be true when format is keyValues (clause 5.2.14)",
        ));
    }
    match opt_str(n, "join")? {
        None | Some("@none") => {}
        Some("flat" | "inline") => {
            return Err(NgsiError::new(
                ErrorKind::OperationNotSupported,
                "linked entity retrieval (join flat/inline) in notifications is not supported",
            ));
        }
        Some(j) => {
            return Err(NgsiError::bad_data(format!(
                "notification.join {j:?} must be flat, inline or @none"
            )));
        }
    }
    let geometry_property = match accept {
        Accept::GeoJson => opt_str(n, "geometryProperty")?
            .map_or_else(|| ngsi::intern(ngsi::model::iri::LOCATION), expand),
        _ => ngsi::intern(ngsi::model::iri::LOCATION),
    };
    Ok(Shape {
        format,
        sys_attrs: flag("sysAttrs")?,
        show_changes,
        lang: lang.map(str::to_string),
        projection: projection(n, expand)?,
        dataset_ids: dataset_ids(b)?,
        accept,
        geometry_property,
    })
}

/// `attributes` (a deprecated synonym for `pick` without id/type/scope), `pick` and `omit`.
fn projection(
    n: &Map<String, Value>,
    expand: &dyn Fn(&str) -> Sym,
) -> Result<Projection, NgsiError> {
    let mut p = Projection::default();
    let attributes = names(n, "attributes", expand)?;
    let list = |member: &str| -> Result<Option<Vec<String>>, NgsiError> {
        let Some(v) = n.get(member) else {
            return Ok(None);
        };
        let bad = || {
            NgsiError::bad_data(format!(
                "notification.{member} must be a non-empty array of entity member names"
            ))
        };
        let a = v.as_array().filter(|a| !a.is_empty()).ok_or_else(bad)?;
        a.iter()
            .map(|x| x.as_str().map(str::to_string).ok_or_else(bad))
            .collect::<Result<_, _>>()
            .map(Some)
    };
    let (pick, omit) = (list("pick")?, list("omit")?);
    if [attributes.is_some(), pick.is_some(), omit.is_some()]
        .iter()
        .filter(|x| **x)
        .count()
        > 1
    {
        return Err(NgsiError::bad_data(
            "notification.attributes, pick and omit cannot be combined",
        ));
    }
    let members = |l: Vec<String>| -> Result<(Vec<Sym>, bool, bool), NgsiError> {
        let (id, ty) = (l.iter().any(|x| x == "id"), l.iter().any(|x| x == "type"));
        let rest = l
            .iter()
            .filter(|x| !matches!(x.as_str(), "id" | "type" | "scope"))
            .map(|x| ngsi::payload::check_name(x, "attribute").map(|_| expand(x)))
            .collect::<Result<_, _>>()?;
        Ok((rest, id, ty))
    };
    if let Some(a) = attributes {
        p.keep = Some(a);
    } else if let Some(l) = pick {
        let (rest, id, ty) = members(l)?;
        (p.keep, p.drop_id, p.drop_type) = (Some(rest), !id, !ty);
    } else if let Some(l) = omit {
        let (rest, id, ty) = members(l)?;
        (p.drop, p.drop_id, p.drop_type) = (rest, id, ty);
    }
    Ok(p)
}

fn dataset_ids(b: &Map<String, Value>) -> Result<Option<Vec<Option<Sym>>>, NgsiError> {
    let Some(v) = b.get("datasetId") else {
        return Ok(None);
    };
    let bad = || NgsiError::bad_data("datasetId must be an array of URIs or \"@none\"");
    let list = v.as_array().filter(|a| !a.is_empty()).ok_or_else(bad)?;
    list.iter()
        .map(|d| match d.as_str() {
            Some("@none") => Ok(None),
            Some(s) if ngsi::payload::is_uri(s) => Ok(Some(ngsi::intern(s))),
            _ => Err(bad()),
        })
        .collect::<Result<_, _>>()
        .map(Some)
}
