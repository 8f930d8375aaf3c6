//! The one error type of the NGSI-LD API. Every failure anywhere in twinisle that reaches a
//! client is turned into an [`NgsiError`]: an ETSI error type (clause 5.5.2), a short title, a
//! useful detail and the HTTP status of clause 6.3.2. `api` renders it as RFC 7807 ProblemDetails.

use serde_json::{Map, Value, json};

/// Prefix of every ETSI NGSI-LD error type URI.
pub const ERROR_TYPE_PREFIX: &str = "https://uri.etsi.org/ngsi-ld/errors/";

/// The error types of ETSI GS CIM 009 clause 5.5.2, plus the plain HTTP errors of clause 6.3.2.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    AlreadyExists,
    BadRequestData,
    Conflict,
    InternalError,
    InvalidRequest,
    LdContextNotAvailable,
    NoMultiTenantSupport,
    NonexistentTenant,
    OperationNotSupported,
    ResourceNotFound,
    TooComplexQuery,
    TooManyResults,
    /// 405, with the allowed methods in the detail.
    MethodNotAllowed,
    /// 406: no acceptable response media type.
    NotAcceptable,
    /// 411: a body without Content-Length where one is required.
    LengthRequired,
    /// 413: the body is larger than the configured cap.
    PayloadTooLarge,
    /// 415: the body's media type is not JSON or JSON-LD.
    UnsupportedMediaType,
}

impl ErrorKind {
    /// The ETSI type name (the last segment of the type URI).
    pub fn type_name(self) -> &'static str {
        match self {
            Self::AlreadyExists => "AlreadyExists",
            Self::BadRequestData => "BadRequestData",
            Self::Conflict => "Conflict",
            Self::InternalError => "InternalError",
            Self::InvalidRequest
            | Self::MethodNotAllowed
            | Self::NotAcceptable
            | Self::LengthRequired
            | Self::PayloadTooLarge
            | Self::UnsupportedMediaType => "InvalidRequest",
            Self::LdContextNotAvailable => "LdContextNotAvailable",
            Self::NoMultiTenantSupport => "NoMultiTenantSupport",
            Self::NonexistentTenant => "NonexistentTenant",
            Self::OperationNotSupported => "OperationNotSupported",
            Self::ResourceNotFound => "ResourceNotFound",
            Self::TooComplexQuery => "TooComplexQuery",
            Self::TooManyResults => "TooManyResults",
        }
    }

    /// The HTTP status of clause 6.3.2.
    pub fn status(self) -> u16 {
        match self {
            Self::AlreadyExists | Self::Conflict => 409,
            Self::BadRequestData | Self::InvalidRequest => 400,
            Self::InternalError => 500,
            Self::LdContextNotAvailable => 503,
            Self::NoMultiTenantSupport => 501,
            Self::NonexistentTenant | Self::ResourceNotFound => 404,
            Self::OperationNotSupported => 422,
            Self::TooComplexQuery | Self::TooManyResults => 403,
            Self::MethodNotAllowed => 405,
            Self::NotAcceptable => 406,
            Self::LengthRequired => 411,
            Self::PayloadTooLarge => 413,
            Self::UnsupportedMediaType => 415,
        }
    }

    /// A short, fixed title for the error type.
    pub fn title(self) -> &'static str {
        match self {
            Self::AlreadyExists => "The referred element already exists",
            Self::BadRequestData => "Bad request data",
            Self::Conflict => "Conflict with the current state",
            Self::InternalError => "Internal error",
            Self::InvalidRequest => "Invalid request",
            Self::LdContextNotAvailable => "JSON-LD @context not available",
            Self::NoMultiTenantSupport => "No multi-tenant support",
            Self::NonexistentTenant => "Tenant does not exist",
            Self::OperationNotSupported => "Operation not supported",
            Self::ResourceNotFound => "Resource not found",
            Self::TooComplexQuery => "Query too complex",
            Self::TooManyResults => "Too many results",
            Self::MethodNotAllowed => "Method not allowed",
            Self::NotAcceptable => "Not acceptable",
            Self::LengthRequired => "Length required",
            Self::PayloadTooLarge => "Request entity too large",
            Self::UnsupportedMediaType => "Unsupported media type",
        }
    }
}

/// An API-visible failure: what went wrong, for whom, in words a client developer can act on.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{}: {detail}", kind.type_name())]
pub struct NgsiError {
    pub kind: ErrorKind,
    pub detail: String,
    /// The resource the error is about (an entity id, an attribute name), when there is one.
    pub instance: Option<String>,
}

impl NgsiError {
    pub fn new(kind: ErrorKind, detail: impl Into<String>) -> Self {
        Self {
            kind,
            detail: detail.into(),
            instance: None,
        }
    }

    pub fn with_instance(mut self, instance: impl Into<String>) -> Self {
        self.instance = Some(instance.into());
        self
    }

    pub fn bad_data(detail: impl Into<String>) -> Self {
        Self::new(ErrorKind::BadRequestData, detail)
    }

    pub fn invalid(detail: impl Into<String>) -> Self {
        Self::new(ErrorKind::InvalidRequest, detail)
    }

    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::new(ErrorKind::ResourceNotFound, detail)
    }

    pub fn internal(detail: impl Into<String>) -> Self {
        Self::new(ErrorKind::InternalError, detail)
    }

    pub fn entity_not_found(id: &str) -> Self {
        Self::not_found(format!("entity {id} was not found")).with_instance(id)
    }

    pub fn status(&self) -> u16 {
        self.kind.status()
    }

    /// The RFC 7807 ProblemDetails body of clause 5.5.3.
    pub fn problem_details(&self) -> Value {
        let mut body = Map::new();
        body.insert(
            "type".into(),
            json!(format!("{ERROR_TYPE_PREFIX}{}", self.kind.type_name())),
        );
        body.insert("title".into(), json!(self.kind.title()));
        body.insert("status".into(), json!(self.kind.status()));
        body.insert("detail".into(), json!(self.detail));
        if let Some(instance) = &self.instance {
            body.insert("instance".into(), json!(instance));
        }
        Value::Object(body)
    }
}

/// Shorthand for results in NGSI-LD code paths.
pub type Result<T, E = NgsiError> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn problem_details_carry_type_status_and_instance() {
        let e = NgsiError::entity_not_found("urn:ngsi-ld:X:1");
        let pd = e.problem_details();
        assert_eq!(
            pd["type"],
            "https://uri.etsi.org/ngsi-ld/errors/ResourceNotFound"
        );
        assert_eq!(pd["status"], 404);
        assert_eq!(pd["instance"], "urn:ngsi-ld:X:1");
        assert!(pd["detail"].as_str().unwrap().contains("urn:ngsi-ld:X:1"));
    }

    #[test]
    fn statuses_follow_clause_6_3_2() {
        assert_eq!(ErrorKind::LdContextNotAvailable.status(), 503);
        assert_eq!(ErrorKind::OperationNotSupported.status(), 422);
        assert_eq!(ErrorKind::TooManyResults.status(), 403);
        assert_eq!(ErrorKind::NoMultiTenantSupport.status(), 501);
    }
}
