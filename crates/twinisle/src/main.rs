//! `twinisle`: one binary for the live digital twin. `serve` runs the NGSI-LD broker on the
//! embedded store; `config` prints the effective configuration.

mod config;
mod server;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

use config::Config;

/// glibc's allocator spends a quarter of the write path in malloc/free under concurrency and
/// fragments a large twin; mimalloc measured markedly faster here (see README, Benchmarks).
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
    /// Run the server: the NGSI-LD API on the embedded store (nothing else to install).
    Serve(ServeArgs),
    /// Print the effective configuration (defaults, file, environment and flags) as TOML.
    Config(ServeArgs),
}

/// Where to listen and keep data; flags override the config file and environment.
#[derive(Args, Clone)]
struct ServeArgs {
    /// HTTP listen address [default: 127.0.0.1:1026, the port FIWARE tools expect].
    #[arg(long, value_name = "ADDR")]
    listen: Option<SocketAddr>,
    /// Data directory of the embedded store [default: ./twinisle-data].
    #[arg(long, value_name = "DIR")]
    data_dir: Option<PathBuf>,
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
        Ok(c)
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Serve(args) => args.load().map_err(|e| e.to_string()).and_then(server::run),
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
