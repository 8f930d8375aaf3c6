//! The NGSI-LD information model (ETSI GS CIM 009): entities and their attributes in expanded
//! (full IRI) form, the JSON-LD term maps used to expand and compact them, payload validation,
//! and the ProblemDetails error type every other crate maps its failures into.
//!
//! Nothing here does I/O except [`context`]'s loader for remote `@context` documents.

pub mod context;
pub mod error;
pub mod geojson;
pub mod model;
pub mod patch;
pub mod payload;
pub mod render;
pub mod sym;
pub mod time;

pub use error::{ErrorKind, NgsiError};
pub use model::{AttrValue, Attribute, Entity};
pub use sym::{Sym, intern};
pub use time::Timestamp;
