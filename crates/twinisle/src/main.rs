//! `twinisle`: one binary for the live digital twin. `serve` runs the broker (NGSI-LD API, IoT
//! platform, dashboard) on the embedded store; `demo` adds a simulated Hainan driven through the
//! real device path; `config` prints the effective configuration.

mod config;
mod demo;
mod server;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

use config::Config;

/// glibc's allocator spent a quarter of the write path in malloc/free under concurrency;
/// mimalloc measured markedly faster here (see README, Benchmarks).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// twinisle: a live, queryable, historied digital twin of a region (ETSI NGSI-LD API).
#[derive(Parser)]
#[command(version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server: NGSI-LD API, IoT platform (MQTT + HTTP southbound) and the operations
    /// dashboard, on the embedded store (nothing else to install).
    Serve(ServeArgs),
    /// Run the server with a simulated Hainan (sensors, ships, a typhoon) publishing over MQTT,
    /// and open the dashboard: the whole idea in one minute.
    Demo(demo::DemoArgs),
    /// Print the effective configuration (defaults, file, environment and flags) as TOML.
    Config(ServeArgs),
}

/// Where to listen and keep data; flags override the config file and environment.
#[derive(Args, Clone)]
pub struct ServeArgs {
    /// HTTP listen address [default: 127.0.0.1:1026, the port FIWARE tools expect].
    #[arg(long, value_name = "ADDR")]
    listen: Option<SocketAddr>,
    /// Data directory of the embedded store [default: ./twinisle-data].
    #[arg(long, value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// Address of the embedded MQTT broker devices publish to [default: 127.0.0.1:1883; when
    /// that default is taken, e.g. by Mosquitto, MQTT is off and a warning says so].
    #[arg(long, value_name = "ADDR")]
    mqtt_listen: Option<SocketAddr>,
    /// TOML configuration file (see `twinisle config` for every key).
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
}

impl ServeArgs {
    fn load(&self) -> Result<Config, config::ConfigError> {
        let mut c = Config::load(self.config.as_deref())?;
        if let Some(l) = self.listen {
            c.server.listen = l;
        }
        if let Some(d) = &self.data_dir {
            c.server.data_dir = d.clone();
        }
        match self.mqtt_listen {
            Some(m) => c.iot.mqtt_listen = Some(m),
            None => default_mqtt_or_off(&mut c),
        }
        Ok(c)
    }
}

/// A default MQTT address that is already taken must not stop the HTTP API from starting (a
/// machine running Mosquitto has 1883): MQTT is turned off with a warning. An address the user
/// chose explicitly fails hard instead, naming `--mqtt-listen`.
fn default_mqtt_or_off(c: &mut Config) {
    let default = iot::IotConfig::default().mqtt_listen;
    if c.iot.transport != iot::TransportKind::Embedded || c.iot.mqtt_listen != default {
        return;
    }
    if let Some(addr) = default
        && std::net::TcpListener::bind(addr).is_err()
    {
        eprintln!(
            "twinisle: warning: {addr} is in use, so the embedded MQTT broker is off; pass --mqtt-listen ADDR to run it elsewhere (HTTP southbound stays on)"
        );
        c.iot.transport = iot::TransportKind::None;
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Serve(args) => args.load().map_err(|e| e.to_string()).and_then(server::run),
        Command::Demo(args) => demo::run(args),
        Command::Config(args) => args
            .load()
            .map(|c| print!("{}", c.to_toml()))
            .map_err(|e| e.to_string()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("twinisle: {e}");
            ExitCode::FAILURE
        }
    }
}
