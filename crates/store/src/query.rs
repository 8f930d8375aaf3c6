//! What a query asks the store for: index hints the planner can start from, a residual filter the
//! store evaluates per candidate (the `q`, geo, type-expression and scope predicates compiled by
//! the `query` crate), and the page wanted.

use std::ops::Bound;
use std::sync::Arc;

use ngsi::{Entity, Sym};

/// A compiled predicate over entities (no I/O).
pub type EntityFilter = Arc<dyn Fn(&Entity) -> bool + Send + Sync>;

/// A query for a page of entities.
#[derive(Clone, Default)]
pub struct EntityQuery {
    /// Only these ids.
    pub ids: Option<Vec<Arc<str>>>,
    /// Only entities having at least one of these (expanded) types.
    pub types: Option<Vec<Sym>>,
    /// Only entities having at least one of these attributes.
    pub attrs_any: Option<Vec<Sym>>,
    /// Only entities whose GeoProperty (expanded name) may intersect this envelope
    /// (min lon, min lat, max lon, max lat).
    pub envelope: Option<(Sym, [f64; 4])>,
    /// Only entities with a numeric value of an attribute in a range (every match of the
    /// filter must satisfy these: they are planning hints implied by `q`).
    pub ranges: Vec<NumRange>,
    /// The rest of the predicate, evaluated on each candidate.
    pub filter: Option<EntityFilter>,
    pub offset: usize,
    pub limit: usize,
    /// Whether to count every match (for `count=true`).
    pub count: bool,
}

impl std::fmt::Debug for EntityQuery {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EntityQuery")
            .field("ids", &self.ids)
            .field("types", &self.types)
            .field("attrs_any", &self.attrs_any)
            .field("envelope", &self.envelope)
            .field("ranges", &self.ranges)
            .field("filter", &self.filter.is_some())
            .field("offset", &self.offset)
            .field("limit", &self.limit)
            .field("count", &self.count)
            .finish()
    }
}

/// A numeric range over an attribute's values (any instance, any array element).
#[derive(Debug, Clone, PartialEq)]
pub struct NumRange {
    /// Expanded attribute name.
    pub attr: Sym,
    pub lo: Bound<f64>,
    pub hi: Bound<f64>,
}

/// A page of results in the store's stable order (creation order).
#[derive(Debug, Clone, Default)]
pub struct QueryPage {
    pub entities: Vec<Arc<Entity>>,
    /// The number of matches, when counted.
    pub total: Option<usize>,
}
