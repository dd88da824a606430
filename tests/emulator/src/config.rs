//! Emulator configuration: which consoles to run and how the emulated deployer behaves.

use std::path::PathBuf;
use std::time::Duration;

/// One emulated console (one "region").
#[derive(Clone, Debug)]
pub struct ConsoleSpec {
    /// Region label, used to address the console in the library API.
    pub name: String,
    /// Loopback port; 0 picks a free one.
    pub port: u16,
    /// The API key accepted with HTTP Basic auth (roles reader, writer and manager).
    pub api_key: String,
    /// Its secret.
    pub api_secret: String,
}

/// Everything [`crate::Emulator::start`] needs.
#[derive(Clone, Debug)]
pub struct EmulatorConfig {
    pub consoles: Vec<ConsoleSpec>,
    /// redb file; `None` keeps everything in memory (lost on shutdown).
    pub db_path: Option<PathBuf>,
    /// How long a created CA's endpoint refuses connections before it serves (pods starting;
    /// docs/dev/console-api.md#readiness).
    pub deployer_delay: Duration,
    /// Non-GET `/ak/` requests per client per minute (athena's `max_req_per_min_ak`, default 25;
    /// docs/dev/console-api.md#rate-limits); GETs get four times this.
    pub rate_limit_writes_per_min: u32,
    /// How long the deployer holds a CA create before athena answers it (the CR being reconciled;
    /// real consoles take seconds to minutes, up to athena's 105 s `deployer_timeout`,
    /// docs/dev/console-api.md#create-waits-for-the-deployer). Zero answers at once.
    pub create_latency: Duration,
}

impl Default for EmulatorConfig {
    fn default() -> Self {
        EmulatorConfig {
            consoles: Vec::new(),
            db_path: None,
            deployer_delay: Duration::from_secs(2),
            rate_limit_writes_per_min: 25,
            create_latency: Duration::ZERO,
        }
    }
}

impl ConsoleSpec {
    /// A console with the given name, port and credentials.
    pub fn new(
        name: impl Into<String>,
        port: u16,
        api_key: impl Into<String>,
        api_secret: impl Into<String>,
    ) -> Self {
        ConsoleSpec {
            name: name.into(),
            port,
            api_key: api_key.into(),
            api_secret: api_secret.into(),
        }
    }
}
