//! `twinisle demo`'s driver: given a running twinisle, it creates the scenario's static
//! entities through the NGSI-LD API, provisions service groups and devices through the IoT
//! Agent API, then publishes the simulated island's measurements over MQTT in simulated real
//! time, until the duration passes or the shutdown signal fires.
//!
//! Owns pacing and the conversation with the server; the island itself is [`crate::world`].
//! It goes through the same doors a real deployment would (HTTP and MQTT, nothing written
//! into the store directly). It prints nothing: it logs with `tracing` and returns
//! [`DemoStats`]; the CLI decides what the user sees.

mod setup;

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use tokio::time::{Instant, sleep, sleep_until};

use crate::error::LoadError;
use crate::hainan::GeoDataError;
use crate::mqtt::{MqttClient, MqttError};
use crate::timefmt::unix_now;
use crate::world::{MALFORMED_RATE, TRACK, World, WorldConfig};

/// Publications sent before the driver checks the clock and the stop signal again.
const BURST: usize = 500;
/// The longest the driver sleeps between checks.
const MAX_NAP: Duration = Duration::from_millis(250);

/// How to run the demo.
#[derive(Clone, Debug)]
pub struct DemoOptions {
    /// The server root, e.g. `http://127.0.0.1:1026`.
    pub base_url: String,
    /// The server's MQTT listener.
    pub mqtt_addr: SocketAddr,
    /// Simulated seconds per wall-clock second.
    pub speed: f64,
    /// Seed of every random draw: the same seed and start give the same messages.
    pub seed: u64,
    /// Multiplies device counts (for load).
    pub scale: f64,
    /// Stop after this much wall-clock time (from the call), or run until shutdown.
    pub duration: Option<Duration>,
    /// Simulated start (Unix seconds); `None` starts at the current minute.
    pub start: Option<i64>,
    /// Share of messages followed by a deliberately malformed one.
    pub malformed_rate: f64,
    /// How long to keep retrying while the server's HTTP and MQTT ports come up.
    pub ready_timeout: Duration,
}

impl DemoOptions {
    /// Defaults: speed 60, seed 1, scale 1, no duration, start now, 30 s to get ready.
    pub fn new(base_url: impl Into<String>, mqtt_addr: SocketAddr) -> Self {
        Self {
            base_url: base_url.into(),
            mqtt_addr,
            speed: 60.0,
            seed: 1,
            scale: 1.0,
            duration: None,
            start: None,
            malformed_rate: MALFORMED_RATE,
            ready_timeout: Duration::from_secs(30),
        }
    }

    fn validate(&self) -> Result<(), DemoError> {
        let bad = |what: &str| Err(DemoError::Options(what.to_owned()));
        if !(self.speed.is_finite() && self.speed > 0.0) {
            return bad("--speed must be a positive number");
        }
        if !(self.scale.is_finite() && (0.0..=1000.0).contains(&self.scale)) {
            return bad("--scale must be between 0 and 1000");
        }
        if !(0.0..=1.0).contains(&self.malformed_rate) {
            return bad("the malformed-message rate must be between 0 and 1");
        }
        Ok(())
    }
}

/// What a demo run did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DemoStats {
    /// Devices provisioned.
    pub devices: usize,
    /// Service groups provisioned.
    pub service_groups: usize,
    /// Static entities upserted.
    pub static_entities: usize,
    /// MQTT publications sent (including malformed ones).
    pub published: u64,
    /// Of those, deliberately malformed.
    pub malformed: u64,
    /// QoS 1 publications the broker acknowledged.
    pub acknowledged: u64,
    /// Simulated start, Unix seconds.
    pub sim_start: i64,
    /// Simulated time of the last publication, Unix seconds.
    pub sim_reached: i64,
    /// The most the publisher fell behind the simulated clock, simulated seconds.
    pub max_lag_s: i64,
}

/// Why the demo could not run.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    /// An option is out of range.
    #[error("invalid demo option: {0}")]
    Options(String),
    /// The embedded map data is unusable (a build defect).
    #[error(transparent)]
    Geo(#[from] GeoDataError),
    /// The server never answered.
    #[error("twinisle at {url} was not ready within {seconds} s: {last}")]
    NotReady {
        /// The HTTP root or MQTT address tried.
        url: String,
        /// How long the driver kept trying.
        seconds: u64,
        /// The last failure.
        last: String,
    },
    /// The server refused a set-up request.
    #[error("{step}: POST {path} answered {status}: {body}")]
    Rejected {
        /// Which step (static entities, service groups, devices).
        step: &'static str,
        /// The request path.
        path: &'static str,
        /// The status received.
        status: u16,
        /// The start of the response body.
        body: String,
    },
    /// An HTTP exchange failed.
    #[error(transparent)]
    Http(#[from] LoadError),
    /// The MQTT connection failed.
    #[error(transparent)]
    Mqtt(#[from] MqttError),
}

/// Runs the demo against a server that is (or is about to be) listening.
///
/// Returns when `duration` has passed or `shutdown` completes; a shutdown during set-up is a
/// clean stop, not an error.
pub async fn run(
    opts: DemoOptions,
    shutdown: impl Future<Output = ()>,
) -> Result<DemoStats, DemoError> {
    opts.validate()?;
    let deadline = opts.duration.map(|d| Instant::now() + d);
    let stop = async move {
        match deadline {
            Some(at) => tokio::select! {
                () = shutdown => {}
                () = sleep_until(at) => {}
            },
            None => shutdown.await,
        }
    };
    tokio::pin!(stop);
    let start = opts.start.unwrap_or_else(|| unix_now().div_euclid(60) * 60);
    let mut cfg = WorldConfig::new(opts.seed, opts.scale, start);
    cfg.malformed_rate = opts.malformed_rate;
    let mut world = World::new(cfg)?;
    let mut stats = DemoStats {
        devices: world.devices().len(),
        sim_start: start,
        sim_reached: start,
        ..DemoStats::default()
    };
    let ready = tokio::select! {
        r = setup::prepare(&opts, &world) => r?,
        () = &mut stop => return Ok(stats),
    };
    stats.service_groups = ready.service_groups;
    stats.static_entities = ready.static_entities;
    tracing::info!(
        devices = stats.devices,
        speed = opts.speed,
        "demo: publishing the island"
    );
    let mut mqtt = ready.mqtt;
    publish(&mut world, &mut mqtt, &opts, &mut stats, &mut stop).await?;
    stats.acknowledged = mqtt.acknowledged();
    if let Err(e) = mqtt.disconnect(Duration::from_secs(2)).await {
        tracing::debug!(error = %e, "demo: MQTT disconnect");
    }
    tracing::info!(
        published = stats.published,
        malformed = stats.malformed,
        "demo: stopped"
    );
    Ok(stats)
}

/// Publishes every message when its simulated time comes, until `stop`.
async fn publish(
    world: &mut World,
    mqtt: &mut MqttClient,
    opts: &DemoOptions,
    stats: &mut DemoStats,
    stop: &mut (impl Future<Output = ()> + Unpin),
) -> Result<(), DemoError> {
    let anchor = Instant::now();
    let start = world.config().start;
    loop {
        let now = start + (anchor.elapsed().as_secs_f64() * opts.speed) as i64;
        let mut sent = 0;
        while sent < BURST {
            match world.next_time() {
                Some(t) if t <= now => {}
                _ => break,
            }
            let Some(m) = world.next_message() else { break };
            tokio::select! {
                r = mqtt.publish(&m.topic, &m.payload) => r?,
                () = &mut *stop => return Ok(()),
            }
            stats.published += 1;
            stats.malformed += u64::from(m.malformed);
            stats.sim_reached = m.sim_time;
            stats.max_lag_s = stats.max_lag_s.max(now - m.sim_time);
            sent += 1;
        }
        mqtt.flush().await?;
        mqtt.keep_alive().await?;
        let nap = match world.next_time() {
            _ if sent == BURST => Duration::ZERO,
            Some(t) => {
                let due = (t - start) as f64 / opts.speed;
                Duration::from_secs_f64((due - anchor.elapsed().as_secs_f64()).max(0.0))
                    .min(MAX_NAP)
            }
            None => MAX_NAP,
        };
        tokio::select! {
            () = sleep(nap) => {}
            () = &mut *stop => return Ok(()),
        }
    }
}

/// The short text the CLI prints when the demo starts: what to open, what is happening, and
/// when the typhoon arrives in wall-clock time at `speed`.
pub fn guide(base_url: &str, speed: f64) -> String {
    let base = base_url.trim_end_matches('/');
    let at = |hours: f64| wall(hours * 3600.0 / speed.max(1e-9));
    let fix = |i: usize| TRACK.get(i).map_or(0.0, |f| f.hours);
    let mut out = String::new();
    out.push_str("twinisle demo: a living Hainan, fed through the real device path\n\n");
    out.push_str(&format!("  Dashboard   {base}/\n"));
    out.push_str(&format!("  Types       {base}/ngsi-ld/v1/types\n"));
    out.push_str(&format!(
        "  Vessels     {base}/ngsi-ld/v1/entities?type=Vessel&options=keyValues\n"
    ));
    out.push_str(&format!(
        "  A river     {base}/ngsi-ld/v1/temporal/entities/urn:ngsi-ld:FloodMonitoring:nandu-05?lastN=20\n\n"
    ));
    out.push_str(
        "On the island: the 19 divisions, river gauges on the Nandu, Changhua and Wanquan, air-quality\n\
         and weather stations, G98 and Haikou traffic counters, wave buoys, AIS ferries, cargo ships and\n\
         fishing boats, and ranger trackers in the rainforest park. Every device speaks MQTT (IoT Agent\n\
         JSON or UltraLight); a few freeze, drift, fall silent or send garbage.\n\n",
    );
    out.push_str(&format!(
        "Typhoon schedule (simulated hours, wall clock at --speed {speed}):\n"
    ));
    let lines = [
        (
            fix(0),
            "typhoon 200 km east of Wenchang; outer rain bands reach the north-east",
        ),
        (
            fix(1),
            "landfall near Wenchang; Qiongzhou Strait ferries stay in port",
        ),
        (
            fix(3),
            "over Ding'an and Tunchang; gales in Haikou; traffic slows",
        ),
        (
            fix(4),
            "over the central mountains; rivers rising, gauges passing alert levels",
        ),
        (
            fix(5),
            "leaves the west coast near Dongfang; Changhua gauges at danger",
        ),
        (
            fix(6),
            "weakening in the Gulf of Tonkin; boats return to sea",
        ),
    ];
    for (hours, what) in lines {
        let when = format!("+{hours:.0} h");
        out.push_str(&format!("  {when:<6} {:>8}  {what}\n", at(hours)));
    }
    out.push_str("\nPress Ctrl-C to stop.\n");
    out
}

/// `h:mm:ss` or `m:ss` for a span of wall-clock seconds.
fn wall(seconds: f64) -> String {
    let s = seconds.round() as u64;
    match (s / 3600, s / 60 % 60, s % 60) {
        (0, m, s) => format!("{m}:{s:02}"),
        (h, m, s) => format!("{h}:{m:02}:{s:02}"),
    }
}

#[cfg(test)]
mod tests;
