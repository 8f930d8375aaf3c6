//! Layered configuration: built-in defaults, then a TOML file, then `TWINISLE__SECTION__KEY`
//! environment variables, then command-line flags. Unknown keys are errors that name the key.
//! `twinisle config` prints the effective result.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// The whole configuration. Every section has defaults, so an empty file is valid.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    pub server: ServerConfig,
    /// Bounds on requests (body size, page sizes, batch sizes).
    pub limits: api::Limits,
    pub store: StoreConfig,
    /// JSON-LD @context resolution and the @context store.
    pub contexts: ngsi::context::ContextConfig,
    /// History of every attribute: storage partitions, retention, temporal API limits.
    pub history: history::HistoryConfig,
    /// Subscriptions and notifications: delivery, retries, outbox, live streams.
    pub notify: notify::NotifyConfig,
    /// The IoT platform: MQTT and HTTP southbound, provisioning, liveness, commands.
    pub iot: iot::IotConfig,
    pub log: LogConfig,
}

/// Where twinisle listens and keeps its data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServerConfig {
    /// Address of the HTTP API (1026 is the port FIWARE tools expect).
    pub listen: SocketAddr,
    /// Directory of the embedded store (write-ahead log, snapshots, hosted @contexts).
    pub data_dir: PathBuf,
    /// Public base URL of this server, used in links it hands out (e.g. to @contexts it serves).
    /// Empty: derived from `listen`.
    pub public_url: String,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 1026)),
            data_dir: PathBuf::from("./twinisle-data"),
            public_url: String::new(),
        }
    }
}

impl ServerConfig {
    /// The base URL clients reach this server at.
    pub fn base_url(&self) -> String {
        if self.public_url.is_empty() {
            format!("http://{}", self.listen)
        } else {
            self.public_url.trim_end_matches('/').to_string()
        }
    }
}

/// The embedded store's log and snapshot sizes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StoreConfig {
    /// Start a new write-ahead log segment after this many bytes.
    pub segment_bytes: u64,
    /// Write a snapshot (and drop the log it covers) after this many log bytes.
    pub snapshot_bytes: u64,
}

impl Default for StoreConfig {
    fn default() -> Self {
        let d = store::embedded::EmbeddedConfig::default();
        Self {
            segment_bytes: d.segment_bytes,
            snapshot_bytes: d.snapshot_bytes,
        }
    }
}

/// Logging.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LogConfig {
    /// A tracing filter, e.g. `info` or `twinisle=debug,info`. `RUST_LOG` overrides it.
    pub level: String,
}

impl Default for LogConfig {
    fn default() -> Self {
        Self {
            level: "info".into(),
        }
    }
}

/// A configuration that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("config file {path}: {message}")]
    File { path: PathBuf, message: String },
    #[error("environment variable {var}: {message}")]
    Env { var: String, message: String },
    #[error("configuration: {0}")]
    Invalid(String),
}

const ENV_PREFIX: &str = "TWINISLE__";

impl Config {
    /// Defaults, then `file`, then the environment.
    pub fn load(file: Option<&Path>) -> Result<Self, ConfigError> {
        Self::load_from(file, std::env::vars())
    }

    pub fn load_from(
        file: Option<&Path>,
        env: impl Iterator<Item = (String, String)>,
    ) -> Result<Self, ConfigError> {
        let mut table = toml::Table::new();
        if let Some(path) = file {
            let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
                path: path.into(),
                source,
            })?;
            let from_file: toml::Table =
                text.parse()
                    .map_err(|e: toml::de::Error| ConfigError::File {
                        path: path.into(),
                        message: e.to_string(),
                    })?;
            // Validate the file on its own first, so an unknown key is reported against the file.
            toml::Value::Table(from_file.clone())
                .try_into::<Config>()
                .map_err(|e| ConfigError::File {
                    path: path.into(),
                    message: e.to_string(),
                })?;
            table = from_file;
        }
        for (var, value) in env.filter(|(k, _)| k.starts_with(ENV_PREFIX)) {
            set_env_key(&mut table, &var, &value)?;
            toml::Value::Table(table.clone())
                .try_into::<Config>()
                .map_err(|e| ConfigError::Env {
                    var: var.clone(),
                    message: e.to_string(),
                })?;
        }
        toml::Value::Table(table)
            .try_into()
            .map_err(|e: toml::de::Error| ConfigError::Invalid(e.to_string()))
    }

    /// The effective configuration as TOML.
    pub fn to_toml(&self) -> String {
        toml::to_string_pretty(self)
            .unwrap_or_else(|e| format!("# cannot print the configuration: {e}\n"))
    }
}

/// `TWINISLE__SERVER__LISTEN=...` sets `server.listen`; the value is read as a TOML value when
/// it parses as one (numbers, booleans, arrays), else as a string.
fn set_env_key(table: &mut toml::Table, var: &str, value: &str) -> Result<(), ConfigError> {
    let path: Vec<String> = var[ENV_PREFIX.len()..]
        .split("__")
        .map(str::to_ascii_lowercase)
        .collect();
    if path.iter().any(String::is_empty) {
        return Err(ConfigError::Env {
            var: var.into(),
            message: "expected TWINISLE__SECTION__KEY".into(),
        });
    }
    let parsed = format!("v = {value}")
        .parse::<toml::Table>()
        .ok()
        .and_then(|mut t| t.remove("v"));
    let value = parsed.unwrap_or_else(|| toml::Value::String(value.to_string()));
    let (last, sections) = path.split_last().ok_or_else(|| ConfigError::Env {
        var: var.into(),
        message: "empty key".into(),
    })?;
    let mut node = table;
    for s in sections {
        let entry = node
            .entry(s.clone())
            .or_insert_with(|| toml::Value::Table(toml::Table::new()));
        node = entry.as_table_mut().ok_or_else(|| ConfigError::Env {
            var: var.into(),
            message: format!("{s} is not a section"),
        })?;
    }
    node.insert(last.clone(), value);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> impl Iterator<Item = (String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect::<Vec<_>>()
            .into_iter()
    }

    #[test]
    fn layers_apply_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("twinisle.toml");
        std::fs::write(
            &file,
            "[server]\nlisten = \"0.0.0.0:2000\"\n[limits]\nmax_page_size = 50\n",
        )
        .unwrap();
        let c = Config::load_from(
            Some(&file),
            env(&[("TWINISLE__LIMITS__MAX_PAGE_SIZE", "70"), ("OTHER", "x")]),
        )
        .unwrap();
        assert_eq!(c.server.listen.port(), 2000);
        assert_eq!(c.limits.max_page_size, 70);
        assert_eq!(
            c.limits.max_body_bytes,
            api::Limits::default().max_body_bytes
        );
    }

    #[test]
    fn unknown_keys_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("bad.toml");
        std::fs::write(&file, "[server]\nlisten_port = 1\n").unwrap();
        let e = Config::load_from(Some(&file), env(&[]))
            .unwrap_err()
            .to_string();
        assert!(e.contains("listen_port"), "{e}");
        let e = Config::load_from(None, env(&[("TWINISLE__SERVER__NOPE", "1")]))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("TWINISLE__SERVER__NOPE") && e.contains("nope"),
            "{e}"
        );
    }

    #[test]
    fn printed_config_reads_back() {
        let c = Config::default();
        let back: Config = toml::from_str(&c.to_toml()).unwrap();
        assert_eq!(back, c);
    }
}
