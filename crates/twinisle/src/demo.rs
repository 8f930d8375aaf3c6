//! `twinisle demo`: the server on a fresh (or named) data directory, the embedded MQTT broker,
//! and the Hainan simulator provisioning its devices and publishing through the real device path
//! (FIWARE IoT Agent conventions over MQTT). Prints the dashboard URL and a short guide; stops
//! cleanly at `--duration` or on Ctrl-C.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::Args;

use crate::config::Config;
use crate::server::{self, Node};

/// The demo's options.
#[derive(Args, Clone)]
pub struct DemoArgs {
    /// HTTP listen address (API and dashboard).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:1026")]
    listen: SocketAddr,
    /// Data directory [default: a new temporary directory, removed at exit].
    #[arg(long, value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// MQTT listen address of the embedded broker [default: 127.0.0.1:1883, or a free port when
    /// that one is taken].
    #[arg(long, value_name = "ADDR")]
    mqtt_listen: Option<SocketAddr>,
    /// Simulated seconds per real second.
    #[arg(long, default_value_t = 60.0)]
    speed: f64,
    /// Seed of the simulation: the same seed gives the same island.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Multiplies the number of simulated devices (for load).
    #[arg(long, default_value_t = 1.0)]
    scale: f64,
    /// Stop after this long, e.g. `45s`, `10m`, `2h` [default: until Ctrl-C].
    #[arg(long, value_parser = parse_duration)]
    duration: Option<Duration>,
    /// TOML configuration file.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
}

fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let split = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let n: f64 = num
        .parse()
        .map_err(|_| format!("{s:?} is not a duration like 45s, 10m or 2h"))?;
    let secs = match unit {
        "" | "s" => n,
        "ms" => n / 1000.0,
        "m" => n * 60.0,
        "h" => n * 3600.0,
        _ => return Err(format!("{s:?}: unknown unit {unit:?} (use ms, s, m or h)")),
    };
    if !(secs.is_finite() && secs > 0.0) {
        return Err(format!("{s:?} must be a positive duration"));
    }
    Ok(Duration::from_secs_f64(secs))
}

/// The data directory and whether it is ours to remove at exit.
fn data_dir(args: &DemoArgs) -> Result<(PathBuf, bool), String> {
    if let Some(d) = &args.data_dir {
        return Ok((d.clone(), false));
    }
    let dir = std::env::temp_dir().join(format!("twinisle-demo-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    Ok((dir, true))
}

fn config(args: &DemoArgs, dir: PathBuf) -> Result<Config, String> {
    let mut c = Config::load(args.config.as_deref()).map_err(|e| e.to_string())?;
    c.server.listen = args.listen;
    c.server.data_dir = dir;
    c.iot.transport = iot::TransportKind::Embedded;
    c.iot.mqtt_listen = Some(match args.mqtt_listen {
        Some(m) => m,
        None => free_or_default(SocketAddr::from(([127, 0, 0, 1], 1883))),
    });
    Ok(c)
}

/// The default MQTT port when free; otherwise any free port (the simulator is told which).
fn free_or_default(addr: SocketAddr) -> SocketAddr {
    if std::net::TcpListener::bind(addr).is_ok() {
        return addr;
    }
    SocketAddr::new(addr.ip(), 0)
}

/// Runs the demo.
pub fn run(args: DemoArgs) -> Result<(), String> {
    let valid =
        args.speed.is_finite() && args.speed > 0.0 && args.scale > 0.0 && args.scale <= 1000.0;
    if !valid {
        return Err("--speed must be positive and --scale in (0, 1000]".into());
    }
    let (dir, temporary) = data_dir(&args)?;
    let config = config(&args, dir.clone())?;
    server::init_logging(&config.log.level);
    let result = server::runtime()?.block_on(serve_and_simulate(&args, &config));
    if temporary {
        let _ = std::fs::remove_dir_all(&dir);
    }
    result
}

async fn serve_and_simulate(args: &DemoArgs, config: &Config) -> Result<(), String> {
    let node = Node::start(config).await?;
    let listener = server::bind(config.server.listen).await?;
    let http = listener.local_addr().map_err(|e| e.to_string())?;
    let mqtt = node
        .mqtt_addr()
        .ok_or("the embedded MQTT broker did not start")?;
    let base_url = format!("http://{}", loopback(http));
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let server = tokio::spawn(
        axum::serve(listener, node.app.clone())
            .with_graceful_shutdown(wait_for(stop_rx.clone()))
            .into_future(),
    );
    println!("{}", sim::demo::guide(&base_url, args.speed));
    let mut opts = sim::demo::DemoOptions::new(base_url, loopback(mqtt));
    opts.speed = args.speed;
    opts.seed = args.seed;
    opts.scale = args.scale;
    opts.duration = args.duration;
    let outcome = sim::demo::run(opts, server::shutdown_signal()).await;
    let _ = stop_tx.send(true);
    let _ = server.await;
    node.shutdown().await;
    match outcome {
        Ok(stats) => {
            println!(
                "twinisle demo: stopped after publishing {} messages from {} devices",
                stats.published, stats.devices
            );
            Ok(())
        }
        Err(e) => Err(format!("the simulator stopped: {e}")),
    }
}

fn loopback(a: SocketAddr) -> SocketAddr {
    if a.ip().is_unspecified() {
        SocketAddr::from(([127, 0, 0, 1], a.port()))
    } else {
        a
    }
}

async fn wait_for(mut rx: tokio::sync::watch::Receiver<bool>) {
    let _ = rx.wait_for(|stop| *stop).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_like_people_write_them() {
        assert_eq!(parse_duration("45s"), Ok(Duration::from_secs(45)));
        assert_eq!(parse_duration("10m"), Ok(Duration::from_secs(600)));
        assert_eq!(parse_duration("2h"), Ok(Duration::from_secs(7200)));
        assert_eq!(parse_duration("1.5"), Ok(Duration::from_millis(1500)));
        assert!(
            parse_duration("soon").is_err()
                && parse_duration("0s").is_err()
                && parse_duration("3d").is_err()
        );
    }
}
