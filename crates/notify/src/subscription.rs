//! The Subscription data type (clauses 5.2.12-5.2.15, 5.2.33): how one is stored ([`Stored`]: the
//! body as the subscriber gave it, with its @context), and its compiled form ([`Def`]): entity
//! selectors, triggers, filters, rendering and endpoint, ready for matching and delivery.
//!
//! Owns validation (every restriction of clause 5.2.12 raises BadRequestData) and the status
//! rules of clauses 5.8.1.4 and 5.8.2.4. Must not do I/O except resolving @contexts.

mod endpoint;
mod parse;
mod render;

use std::sync::Arc;
use std::time::Duration;

use ngsi::context::{CompiledContext, ContextResolver};
use ngsi::render::{Format, Projection};
use ngsi::{Entity, NgsiError, Sym, Timestamp};
use query::geo::ResolvedGeoQuery;
use query::q::ResolvedQ;
use query::scope::ScopeQuery;
use query::types::ResolvedTypes;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

pub use endpoint::{Accept, Endpoint, MqttVersion, Protocol};
pub use parse::{clean_body, new_subscription_id};
pub use render::representation;

/// The `type` of every subscription.
pub const SUBSCRIPTION_TYPE: &str = "Subscription";

/// Which tenant and id a subscription has: its identity everywhere in this crate.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct SubKey {
    pub tenant: Arc<str>,
    pub id: Arc<str>,
}

impl SubKey {
    pub fn new(tenant: &str, id: &str) -> Self {
        Self {
            tenant: tenant.into(),
            id: id.into(),
        }
    }
}

/// A subscription as persisted: the body as given (without `@context` and read-only members)
/// and the @context source its names are to be expanded with.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Stored {
    pub tenant: String,
    pub id: String,
    pub body: Map<String, Value>,
    pub context: Value,
    pub created_at: Timestamp,
    pub modified_at: Timestamp,
    /// Creation order within the tenant, for stable listing.
    pub order: u64,
}

impl Stored {
    pub fn key(&self) -> SubKey {
        SubKey::new(&self.tenant, &self.id)
    }
}

/// The notification triggers of clause 5.2.12, as a bit set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Triggers(u8);

impl Triggers {
    pub const ENTITY_CREATED: Triggers = Triggers(1);
    pub const ENTITY_UPDATED: Triggers = Triggers(2);
    pub const ENTITY_DELETED: Triggers = Triggers(4);
    pub const ATTRIBUTE_CREATED: Triggers = Triggers(8);
    pub const ATTRIBUTE_UPDATED: Triggers = Triggers(16);
    pub const ATTRIBUTE_DELETED: Triggers = Triggers(32);
    /// The names, in the order a notification's `triggerReason` prefers them.
    pub const NAMES: [(&'static str, Triggers); 6] = [
        ("entityCreated", Self::ENTITY_CREATED),
        ("entityDeleted", Self::ENTITY_DELETED),
        ("attributeCreated", Self::ATTRIBUTE_CREATED),
        ("attributeUpdated", Self::ATTRIBUTE_UPDATED),
        ("attributeDeleted", Self::ATTRIBUTE_DELETED),
        ("entityUpdated", Self::ENTITY_UPDATED),
    ];

    pub fn parse(name: &str) -> Option<Self> {
        Self::NAMES
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, t)| *t)
    }

    /// The default: attributeCreated and attributeUpdated (clause 5.2.12).
    pub fn default_set() -> Self {
        Self(Self::ATTRIBUTE_CREATED.0 | Self::ATTRIBUTE_UPDATED.0)
    }

    pub fn with(self, other: Triggers) -> Self {
        Self(self.0 | other.0)
    }

    pub fn contains(self, other: Triggers) -> bool {
        other.0 != 0 && self.0 & other.0 == other.0
    }

    pub fn intersects(self, other: Triggers) -> bool {
        self.0 & other.0 != 0
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The name of the most specific trigger in `self` that a notification reports.
    pub fn reason(self) -> &'static str {
        Self::NAMES
            .iter()
            .find(|(_, t)| self.contains(*t))
            .map_or("entityUpdated", |(n, _)| n)
    }
}

/// One EntitySelector (clause 5.2.33), compiled.
#[derive(Debug, Clone)]
pub struct Selector {
    pub ids: Option<Vec<Arc<str>>>,
    pub pattern: Option<regex::Regex>,
    pub types: ResolvedTypes,
}

impl Selector {
    pub fn matches(&self, e: &Entity) -> bool {
        self.ids.as_ref().is_none_or(|ids| ids.contains(&e.id))
            && self.pattern.as_ref().is_none_or(|p| p.is_match(&e.id))
            && self.types.matches(e)
    }
}

/// How notified entities are rendered (clause 5.2.14).
#[derive(Debug, Clone)]
pub struct Shape {
    pub format: Format,
    pub sys_attrs: bool,
    pub show_changes: bool,
    pub lang: Option<String>,
    pub projection: Projection,
    /// Attribute instances kept by `datasetId` (None inside = the default instance).
    pub dataset_ids: Option<Vec<Option<Sym>>>,
    pub accept: Accept,
    /// The GeoProperty used as geometry for `application/geo+json`.
    pub geometry_property: Sym,
}

/// A subscription compiled for matching and delivery.
#[derive(Debug)]
pub struct Def {
    pub stored: Stored,
    /// The @context the subscription's names were given in.
    pub sub_ctx: Arc<CompiledContext>,
    /// The @context of notifications (`jsonldContext`, else `sub_ctx`).
    pub ctx: Arc<CompiledContext>,
    pub selectors: Option<Vec<Selector>>,
    pub watched: Option<Vec<Sym>>,
    pub triggers: Triggers,
    pub q: Option<ResolvedQ>,
    pub geo: Option<ResolvedGeoQuery>,
    pub scope: Option<ScopeQuery>,
    pub time_interval: Option<Duration>,
    pub throttling: Option<Duration>,
    pub expires_at: Option<Timestamp>,
    pub is_active: bool,
    pub shape: Shape,
    pub endpoint: Endpoint,
}

/// The `status` member (clause 5.2.12, Table 5.2.12-2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubStatus {
    Active,
    Paused,
    Expired,
}

impl SubStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Paused => "paused",
            Self::Expired => "expired",
        }
    }
}

impl Def {
    /// Compiles a stored subscription, resolving its @contexts.
    pub async fn compile(stored: Stored, resolver: &ContextResolver) -> Result<Self, NgsiError> {
        let sub_ctx = resolver.resolve(&stored.context).await?;
        let ctx = match stored.body.get("jsonldContext") {
            Some(Value::String(url)) => resolver.resolve(&Value::String(url.clone())).await?,
            Some(_) => return Err(NgsiError::bad_data("jsonldContext must be a URI string")),
            None => sub_ctx.clone(),
        };
        parse::build(stored, sub_ctx, ctx)
    }

    /// Compiles with a given @context for both names and notifications (recovery fallback).
    pub fn compile_with(stored: Stored, ctx: Arc<CompiledContext>) -> Result<Self, NgsiError> {
        parse::build(stored, ctx.clone(), ctx)
    }

    pub fn key(&self) -> SubKey {
        self.stored.key()
    }

    /// The status at `now`.
    pub fn status(&self, now: Timestamp) -> SubStatus {
        if self.expires_at.is_some_and(|t| t <= now) {
            SubStatus::Expired
        } else if self.is_active {
            SubStatus::Active
        } else {
            SubStatus::Paused
        }
    }

    /// Whether the entity is one this subscription is about: selectors (or, without them, a
    /// watched attribute), `q`, `geoQ` and `scopeQ` (clause 5.8.6).
    pub fn selects(&self, e: &Entity) -> bool {
        let subscribed = match (&self.selectors, &self.watched) {
            (Some(sel), _) => sel.iter().any(|s| s.matches(e)),
            (None, Some(w)) => w.iter().any(|a| e.has_attr(a)),
            (None, None) => true,
        };
        subscribed
            && self.q.as_ref().is_none_or(|q| q.matches(e))
            && self.geo.as_ref().is_none_or(|g| g.matches_entity(e))
            && self.scope.as_ref().is_none_or(|s| s.matches(e))
    }

    /// Whether a change of this attribute concerns the subscription.
    pub fn watches(&self, attr: &str) -> bool {
        self.watched
            .as_ref()
            .is_none_or(|w| w.iter().any(|a| &**a == attr))
    }
}

/// Reads an optional member that must be a string.
pub(crate) fn opt_str<'a>(
    body: &'a Map<String, Value>,
    name: &str,
) -> Result<Option<&'a str>, NgsiError> {
    match body.get(name) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(NgsiError::bad_data(format!("{name} must be a string"))),
    }
}

#[cfg(test)]
mod tests;
