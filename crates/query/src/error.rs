//! The crate's one error type and its mapping into [`NgsiError`]: grammar and validation
//! failures are `BadRequestData` (400), queries past the size and nesting limits are
//! `TooComplexQuery` (403, clause 5.5.6). Every message starts with the parameter it is about.

use ngsi::{ErrorKind, NgsiError};

/// A query parameter that could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QueryError {
    /// The text does not follow the parameter's grammar. `pos` is a byte offset into the
    /// (URL-decoded) parameter value; `found` is already quoted, or reads "end of input".
    #[error("{param}: expected {expected} at position {pos}, found {found}")]
    Syntax {
        param: &'static str,
        pos: usize,
        expected: String,
        found: String,
    },
    /// Well-formed, but a value is unusable (bad regex, date, geometry, distance, ...).
    #[error("{param}: {detail}")]
    Invalid { param: &'static str, detail: String },
    /// Larger or deeper than this broker resolves.
    #[error("{param}: {detail}")]
    TooComplex { param: &'static str, detail: String },
}

impl QueryError {
    pub(crate) fn invalid(param: &'static str, detail: impl Into<String>) -> Self {
        Self::Invalid {
            param,
            detail: detail.into(),
        }
    }

    pub(crate) fn too_complex(param: &'static str, detail: impl Into<String>) -> Self {
        Self::TooComplex {
            param,
            detail: detail.into(),
        }
    }

    /// The NGSI-LD error type this maps to.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Self::Syntax { .. } | Self::Invalid { .. } => ErrorKind::BadRequestData,
            Self::TooComplex { .. } => ErrorKind::TooComplexQuery,
        }
    }
}

impl From<QueryError> for NgsiError {
    fn from(e: QueryError) -> Self {
        NgsiError::new(e.kind(), e.to_string())
    }
}

/// Shorthand for results in this crate.
pub type Result<T, E = QueryError> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_to_bad_request_data_or_too_complex() {
        let e = QueryError::Syntax {
            param: "q",
            pos: 12,
            expected: "a value".into(),
            found: "'>>'".into(),
        };
        let n = NgsiError::from(e);
        assert_eq!(n.kind, ErrorKind::BadRequestData);
        assert_eq!(n.detail, "q: expected a value at position 12, found '>>'");
        assert_eq!(
            NgsiError::from(QueryError::too_complex("q", "x")).kind,
            ErrorKind::TooComplexQuery
        );
    }
}
