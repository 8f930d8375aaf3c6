//! `baseline`: the request sent to the in-process responder to measure the client's own ceiling.
//!
//! Not in the registry: it only makes sense against the baseline responder, which answers 200
//! to anything.

use http::Uri;

use super::{BoxFuture, Request, Scenario};
use crate::client::Client;
use crate::error::LoadError;

/// A GET of one entity path, expecting 200; needs no seeding.
#[derive(Clone, Copy, Debug, Default)]
pub struct Probe;

/// The path the probe asks for (any path works; this one has a realistic length).
const PATH: &str = "/ngsi-ld/v1/entities/urn:ngsi-ld:WaterObserved:nandu-000000";

impl Scenario for Probe {
    fn name(&self) -> &'static str {
        "baseline"
    }

    fn prepare<'a>(&'a self, _client: &'a Client) -> BoxFuture<'a, Result<(), LoadError>> {
        Box::pin(async { Ok(()) })
    }

    fn next_request(&self, _worker: usize, _i: u64) -> Request {
        Request::get(Uri::from_static(PATH), &[200], 1)
    }
}
