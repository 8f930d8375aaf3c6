//! The demo's set-up conversation: wait for the server, upsert the static entities, provision
//! service groups and devices, and open the MQTT connection the devices' messages share.
//!
//! Owns retries and status handling of these requests. Re-running against a server that
//! already has the scenario (a persistent data directory) is fine: "already exists" answers
//! count as success.

use std::time::Duration;

use bytes::Bytes;
use http::{Method, Uri};
use serde_json::Value;
use tokio::time::{Instant, sleep};

use super::{DemoError, DemoOptions};
use crate::client::{Client, Target};
use crate::mqtt::{MqttClient, MqttOptions};
use crate::report::snippet;
use crate::scenario::{Request, UPSERT_PATH};
use crate::workload::to_body;
use crate::world::{World, device_batches, service_groups, static_entities};

/// The IoT Agent provisioning endpoints.
const SERVICES_PATH: &str = "/iot/services";
const DEVICES_PATH: &str = "/iot/devices";
/// A cheap request that any NGSI-LD server answers once it is up.
const PROBE_PATH: &str = "/ngsi-ld/v1/types";
/// Entities per upsert: county boundaries are large, so keep bodies well under any cap.
const ENTITY_BATCH: usize = 6;
/// First and longest pause between readiness attempts.
const RETRY_FIRST: Duration = Duration::from_millis(100);
const RETRY_MAX: Duration = Duration::from_secs(1);

/// What set-up produced.
pub struct Ready {
    /// Service groups created.
    pub service_groups: usize,
    /// Static entities upserted.
    pub static_entities: usize,
    /// The devices' MQTT connection.
    pub mqtt: MqttClient,
}

/// Runs every set-up step in order.
pub async fn prepare(opts: &DemoOptions, world: &World) -> Result<Ready, DemoError> {
    let client = wait_for_http(opts).await?;
    let entities = static_entities(world.geo(), world.weather());
    for batch in entities.chunks(ENTITY_BATCH) {
        let body = to_body(&Value::Array(batch.to_vec()));
        post(&client, "static entities", UPSERT_PATH, body, &[201, 204]).await?;
    }
    tracing::info!(count = entities.len(), "demo: static entities upserted");
    let groups = service_groups();
    let group_count = groups["services"].as_array().map_or(0, Vec::len);
    post(
        &client,
        "service groups",
        SERVICES_PATH,
        to_body(&groups),
        &[200, 201, 204, 409],
    )
    .await?;
    for batch in device_batches(world.devices(), opts.speed) {
        post(
            &client,
            "devices",
            DEVICES_PATH,
            to_body(&batch),
            &[200, 201, 204, 409],
        )
        .await?;
    }
    tracing::info!(
        groups = group_count,
        devices = world.devices().len(),
        "demo: devices provisioned"
    );
    let mqtt = wait_for_mqtt(opts).await?;
    Ok(Ready {
        service_groups: group_count,
        static_entities: entities.len(),
        mqtt,
    })
}

/// Resolves the server and retries a probe until it answers (any status will do).
async fn wait_for_http(opts: &DemoOptions) -> Result<Client, DemoError> {
    let target = Target::resolve(&opts.base_url).await?;
    let client = Client::new(target, None)?;
    let probe = || Request::get(Uri::from_static(PROBE_PATH), &[200], 0);
    retry(opts, &opts.base_url, || client.send(probe())).await?;
    Ok(client)
}

/// Retries the MQTT handshake until the broker accepts it.
async fn wait_for_mqtt(opts: &DemoOptions) -> Result<MqttClient, DemoError> {
    let mqtt_opts = MqttOptions::new(format!("twinisle-demo-{}", opts.seed));
    let addr = opts.mqtt_addr;
    retry(opts, &addr.to_string(), || {
        MqttClient::connect(addr, &mqtt_opts)
    })
    .await
}

/// Calls `attempt` with growing pauses until it succeeds or `ready_timeout` passes.
async fn retry<T, F, Fut, E>(opts: &DemoOptions, what: &str, mut attempt: F) -> Result<T, DemoError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, E>>,
    E: std::fmt::Display,
{
    let give_up = Instant::now() + opts.ready_timeout;
    let mut pause = RETRY_FIRST;
    loop {
        match attempt().await {
            Ok(value) => return Ok(value),
            Err(e) if Instant::now() >= give_up => {
                return Err(DemoError::NotReady {
                    url: what.to_owned(),
                    seconds: opts.ready_timeout.as_secs(),
                    last: e.to_string(),
                });
            }
            Err(e) => tracing::debug!(target = what, error = %e, "demo: not ready yet"),
        }
        sleep(pause).await;
        pause = (pause * 2).min(RETRY_MAX);
    }
}

/// POSTs `body` to `path`; statuses in `ok` succeed, 207 (a partial batch) is logged and
/// tolerated, anything else fails the step.
async fn post(
    client: &Client,
    step: &'static str,
    path: &'static str,
    body: Bytes,
    ok: &'static [u16],
) -> Result<(), DemoError> {
    let req = Request::with_body(Method::POST, Uri::from_static(path), body, ok);
    let reply = client.send(req).await?;
    let status = reply.status.as_u16();
    if ok.contains(&status) {
        return Ok(());
    }
    let body = snippet(&reply.body, 300);
    if status == 207 {
        tracing::warn!(step, %body, "demo: some items of a batch were rejected");
        return Ok(());
    }
    Err(DemoError::Rejected {
        step,
        path,
        status,
        body,
    })
}
