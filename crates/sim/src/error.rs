//! The one error type of the `sim` crate.
//!
//! Owns how load-generation failures are described. Errors that happen *during* a measured run
//! (bad status, dropped connection) are counted by the runner, not raised: only failures that
//! make a run impossible or meaningless become a [`LoadError`].

use std::io;

/// Why a load run could not be started or completed.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The `--target` URL is not a plain `http://host:port` URL.
    #[error("invalid target {url:?}: {reason}")]
    BadTarget {
        /// The URL as given.
        url: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// Nothing accepts TCP connections at the target.
    #[error("cannot reach {target}: {source}")]
    Unreachable {
        /// The target as given.
        target: String,
        /// The socket error.
        source: io::Error,
    },
    /// An HTTP exchange failed at the protocol level (reset, malformed response, ...).
    #[error("HTTP exchange with {target} failed: {source}")]
    Http {
        /// The target as given.
        target: String,
        /// The protocol error.
        source: hyper::Error,
    },
    /// The server did not answer in time.
    #[error("{target} did not answer within {seconds} s")]
    Timeout {
        /// The target as given.
        target: String,
        /// The limit that passed.
        seconds: u64,
    },
    /// Seeding data for a scenario got an unexpected answer.
    #[error("preparing {scenario}: {method} {path} answered {status}: {body}")]
    Prepare {
        /// The scenario being prepared.
        scenario: &'static str,
        /// The request method.
        method: String,
        /// The request path.
        path: String,
        /// The status received.
        status: u16,
        /// The start of the response body.
        body: String,
    },
    /// A scenario name that is not registered.
    #[error("unknown scenario {name:?} (known: {known})")]
    UnknownScenario {
        /// The name given.
        name: String,
        /// The registered names, comma-separated.
        known: String,
    },
    /// The `--tenant` value cannot be sent as a header.
    #[error("invalid tenant {0:?}: not a valid header value")]
    BadTenant(String),
    /// The in-process baseline responder could not start.
    #[error("cannot start the baseline responder: {0}")]
    Baseline(#[source] io::Error),
    /// A worker task panicked or was cancelled; a bug in the load generator itself.
    #[error("a load worker failed: {0}")]
    Worker(#[from] tokio::task::JoinError),
}
