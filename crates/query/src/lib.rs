//! The NGSI-LD query languages of ETSI GS CIM 009: parsing, resolution against a request's
//! JSON-LD @context, and evaluation against entities. Pure: no I/O, no async, no storage.
//!
//! | parameter | clause | parse | resolve (once per request) | evaluate / plan |
//! |---|---|---|---|---|
//! | `q` | 4.9 | [`q::parse_q`] → [`q::QExpr`] | [`q::QExpr::resolve`] → [`q::ResolvedQ`] | `matches(&Entity)`, `required_attrs()` |
//! | `scopeQ` | 4.19 | [`scope::parse_scope_q`] → [`scope::ScopeQuery`] | (none needed) | `matches(&Entity)` |
//! | `type` | 4.17 | [`types::parse_type_expr`] → [`types::TypeExpr`] | `resolve` → [`types::ResolvedTypes`] | `matches`, `candidate_types()` |
//! | `pick`, `omit`, `attrs` | 4.21 | [`projection::parse_projection`] | `resolve` → [`projection::ResolvedProjection`] | `keeps_attr`, `keeps_member`, `admits` |
//! | `georel`, `geometry`, `coordinates`, `geoproperty` | 4.10, 5.2.13 | [`geo::GeoQuery::parse`] | `resolve` → [`geo::ResolvedGeoQuery`] | `matches_entity`, `search_envelope()` |
//! | `timerel`, `timeAt`, `endTimeAt`, `timeproperty` | 4.11 | [`temporal::TemporalQuery::parse`] | (none needed) | `contains`, `bounds()` |
//! | `lang` | 4.15 | [`lang::LangFilter::parse`] | (none needed) | `select(&languageMap)` |
//! | `orderBy`, `orderFrom`, `orderGeometry` | 4.23 | [`order::parse_order_by`], [`geo::DistanceOrigin::parse`] | `resolve` → [`order::ResolvedOrder`] | `compare(&Entity, &Entity)` |
//!
//! ```
//! let expand = |t: &str| ngsi::intern(&format!("https://example.org/{t}"));
//! let q = query::q::parse_q(r#"speed>50;brandName!="Mercedes""#)?.resolve(&expand)?;
//! let mut car = ngsi::Entity::new("urn:ngsi-ld:Car:1".into(), vec![expand("Car")], 0);
//! car.put_attr(ngsi::Attribute::new(expand("speed"), ngsi::AttrValue::Property(80.into()), 0));
//! car.put_attr(ngsi::Attribute::new(expand("brandName"), ngsi::AttrValue::Property("Audi".into()), 0));
//! assert!(q.matches(&car));
//! # Ok::<(), query::QueryError>(())
//! ```
//!
//! GeoJSON validation of GeoProperty values lives in [`ngsi::geojson`] (dependency-free) and is
//! reused here for query geometries.
//!
//! # How the store should use it
//! Resolve everything once per request, then plan from the narrowest hook:
//! 1. [`geo::ResolvedGeoQuery::search_envelope`] (an R-tree window over entity geometry
//!    bounding boxes, as [`geo::envelope_of`] computes them), else
//! 2. [`types::ResolvedTypes::candidate_types`] (union of the type-index postings), else
//! 3. [`q::ResolvedQ::required_attrs`] (an attribute index), else a full scan;
//!
//! then filter every candidate with all the `matches` (types, scopeQ, q, geo) and
//! [`projection::ResolvedProjection::admits`] for `attrs`. Filters are `Send + Sync` and
//! allocation-free per entity except geo targets other than points (built per evaluation; a
//! store that keeps built geometries can call [`geo::ResolvedGeoQuery::matches_geometry`]).
//! When [`q::ResolvedQ::needs_lookup`] is true (`rel{attr}` terms), evaluate with
//! [`q::ResolvedQ::matches_with`] and an [`q::EntityLookup`].
//!
//! # Input and errors
//! Parameter values must be URL-decoded exactly once by the HTTP layer. A percent-escape met
//! outside a quoted string is reported as a syntax error naming it (a sign of double
//! encoding); it is not decoded here, because decoding again would corrupt values that really
//! hold '%' (which stays literal inside quoted strings). Whitespace between tokens is ignored.
//!
//! Every error is a [`QueryError`] that names the parameter; syntax errors give the byte
//! offset, what was expected and what was found, e.g. `q: expected a comparison operator
//! (==, !=, >, >=, <, <=, ~=, !~=), ';', '|' or end of input at position 1, found '='`. They
//! map to `BadRequestData`, except size and nesting bounds ([`limits`]), which map to
//! `TooComplexQuery` (clause 5.5.6). No input panics (fuzzed, see `fuzz/` and the tests).
//!
//! # `q` beyond the ABNF (accepted, documented choices)
//! - `!attr` (non-existence); nested parentheses (needed by the spec's own example 6).
//! - Unquoted regexes end at the first `;`, `|` or `)` outside their own parentheses, classes
//!   and escapes; a quoted regex (`a~="x|y"`) is a JSON string whose content is the pattern.
//!   Patterns use the `regex` crate's syntax (close to POSIX ERE, without backreferences),
//!   match anywhere in the value unless anchored, and run in time linear in the value's size
//!   (no backtracking); program size, cache size, length and count are bounded ([`limits`]).
//! - A bare name value (`gender==Male`) compares like a string, as the spec's example 12 uses
//!   it. String, URI and name literals are also compared in their expanded form against
//!   VocabProperty values, and against Property values of attributes listed in `expandValues`
//!   ([`q::QOptions`]). `jsonKeys` needs nothing: values are never expanded in this broker.
//! - `attr.observedAt`, `.createdAt`, `.modifiedAt`, `.unitCode`, `.datasetId` address the
//!   attribute's own members. `attr[*]` is any member (any language of a LanguageProperty).
//! - Unquoted DateTime, Date and Time values compare as instants, days and times of day with
//!   string values that parse as the same kind (and JSON-LD `{"@value": ...}` objects).
//!   Strings compare by code point (RFC 8259 section 8.3), not by the Unicode Collation
//!   Algorithm (a "should").

pub mod bool_expr;
pub mod error;
pub mod geo;
pub mod lang;
pub mod limits;
pub mod order;
pub mod projection;
pub mod q;
pub mod scope;
mod syntax;
pub mod temporal;
pub mod types;

pub use bool_expr::BoolExpr;
pub use error::{QueryError, Result};
