//! A subscription as Retrieve and Query Subscriptions return it (clauses 5.8.3, 5.8.4): the body
//! as given, names compacted with the request's @context, plus the system-generated members
//! (`status`, `jsonldContext`, and the notification status of Table 5.2.14.2-1).

use ngsi::context::CompiledContext;
use ngsi::time;
use serde_json::{Map, Value, json};

use super::{Def, SUBSCRIPTION_TYPE};
use crate::status::Status;

/// The JSON of a subscription for a client whose @context is `req_ctx`.
pub fn representation(
    def: &Def,
    status: &Status,
    queued: usize,
    req_ctx: &CompiledContext,
    with_context: bool,
) -> Value {
    let mut body = def.stored.body.clone();
    if req_ctx.link_url() != def.sub_ctx.link_url() {
        recompact(&mut body, &def.sub_ctx, req_ctx);
    }
    body.insert("id".into(), json!(def.stored.id));
    body.insert("type".into(), json!(SUBSCRIPTION_TYPE));
    body.insert("status".into(), json!(def.status(time::now()).as_str()));
    body.entry("isActive").or_insert(json!(def.is_active));
    body.entry("jsonldContext")
        .or_insert_with(|| json!(def.ctx.link_url()));
    if let Some(Value::Object(n)) = body.get_mut("notification") {
        notification_status(n, status, queued);
    }
    if with_context {
        body.insert("@context".into(), req_ctx.response_context().clone());
    }
    Value::Object(body)
}

fn notification_status(n: &mut Map<String, Value>, s: &Status, queued: usize) {
    if s.times_sent > 0 {
        n.insert("timesSent".into(), json!(s.times_sent));
    }
    if s.times_failed > 0 {
        n.insert("timesFailed".into(), json!(s.times_failed));
    }
    let stamps = [
        ("lastNotification", s.last_notification),
        ("lastSuccess", s.last_success),
        ("lastFailure", s.last_failure),
    ];
    for (name, t) in stamps {
        if let Some(t) = t {
            n.insert(name.into(), json!(time::format(t)));
        }
    }
    if let Some(ok) = s.last_ok {
        n.insert("status".into(), json!(if ok { "ok" } else { "failed" }));
    }
    // twinisle extensions: undelivered notifications and the bounded dead-letter record.
    if queued > 0 {
        n.insert("queued".into(), json!(queued));
    }
    if !s.dead_letters.is_empty() {
        n.insert("deadLetters".into(), json!(s.dead_letters));
    }
}

/// Rewrites attribute and type names given in `from` terms into `to` terms.
fn recompact(body: &mut Map<String, Value>, from: &CompiledContext, to: &CompiledContext) {
    let re = |v: &mut Value| {
        if let Value::String(s) = v
            && is_plain_term(s)
        {
            *s = to.compact(&from.expand(s)).into_owned();
        }
    };
    let re_all = |v: Option<&mut Value>| {
        if let Some(Value::Array(a)) = v {
            a.iter_mut().for_each(re);
        }
    };
    re_all(body.get_mut("watchedAttributes"));
    if let Some(Value::Array(sel)) = body.get_mut("entities") {
        sel.iter_mut()
            .filter_map(|s| s.get_mut("type"))
            .for_each(re);
    }
    if let Some(g) = body.get_mut("geoQ").and_then(|g| g.get_mut("geoproperty")) {
        re(g);
    }
    if let Some(Value::Object(n)) = body.get_mut("notification") {
        for m in ["attributes", "pick", "omit"] {
            if let Some(Value::Array(a)) = n.get_mut(m) {
                a.iter_mut()
                    .filter(|v| !matches!(v.as_str(), Some("id" | "type" | "scope")))
                    .for_each(re);
            }
        }
    }
}

/// A single name (not a type expression with `,;|()` operators).
fn is_plain_term(s: &str) -> bool {
    !s.is_empty() && !s.contains([',', ';', '|', '(', ')', ' ', '*'])
}
