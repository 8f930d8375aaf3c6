//! The one error enum of the IoT crate and its single mapping to NGSI-LD errors (and so to
//! ProblemDetails on the HTTP side). Southbound rejections are not errors of the platform:
//! they are [`crate::deadletter::Reason`]s, counted and kept, and mapped here only when an
//! HTTP device must be told.

use std::net::SocketAddr;

use ngsi::{ErrorKind, NgsiError};

/// What can go wrong in the IoT platform.
#[derive(Debug, thiserror::Error)]
pub enum IotError {
    /// A listener could not be bound; `flag` names the option that sets the address.
    #[error("cannot listen for MQTT on {addr} ({flag}): {source}")]
    Bind {
        addr: SocketAddr,
        flag: &'static str,
        source: std::io::Error,
    },
    /// Reading or writing the provisioning registry failed.
    #[error("device registry {path}: {source}")]
    Registry {
        path: String,
        source: std::io::Error,
    },
    /// The registry file holds a record that cannot be read.
    #[error("device registry {path}, line {line}: {detail}")]
    Corrupt {
        path: String,
        line: usize,
        detail: String,
    },
    /// TLS material could not be loaded.
    #[error("TLS: {0}")]
    Tls(String),
    /// The configuration is unusable.
    #[error("iot configuration: {0}")]
    Config(String),
    /// A provisioning request is malformed or inconsistent.
    #[error("{0}")]
    BadRequest(String),
    /// A provisioning resource does not exist.
    #[error("{0}")]
    NotFound(String),
    /// A provisioning resource already exists.
    #[error("{0}")]
    Conflict(String),
    /// A write through the store failed.
    #[error(transparent)]
    Store(#[from] NgsiError),
}

impl From<IotError> for NgsiError {
    fn from(e: IotError) -> Self {
        match e {
            IotError::BadRequest(d) => NgsiError::bad_data(d),
            IotError::NotFound(d) => NgsiError::not_found(d),
            IotError::Conflict(d) => NgsiError::new(ErrorKind::AlreadyExists, d),
            IotError::Store(e) => e,
            other => NgsiError::internal(other.to_string()),
        }
    }
}

impl From<IotError> for api::error::ApiError {
    fn from(e: IotError) -> Self {
        api::error::ApiError(e.into())
    }
}

/// Shorthand for results in this crate.
pub type Result<T, E = IotError> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bind_errors_name_the_flag() {
        let e = IotError::Bind {
            addr: SocketAddr::from(([127, 0, 0, 1], 1883)),
            flag: "--mqtt-listen",
            source: std::io::Error::from(std::io::ErrorKind::AddrInUse),
        };
        let text = e.to_string();
        assert!(text.contains("--mqtt-listen") && text.contains("127.0.0.1:1883"));
    }

    #[test]
    fn provisioning_errors_map_to_etsi_kinds() {
        let e: NgsiError = IotError::Conflict("apikey k exists".into()).into();
        assert_eq!(e.kind, ErrorKind::AlreadyExists);
        let e: NgsiError = IotError::NotFound("no device d".into()).into();
        assert_eq!(e.status(), 404);
    }
}
