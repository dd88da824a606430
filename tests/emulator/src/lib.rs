//! blockchain-emulator: a loopback-only stand-in for Fabric Operations Consoles and
//! the Fabric CAs they create, for the provider's tests and demo.
//!
//! Every console behaviour comes from the recordings in `fixtures/console/` (athena 2.5.2-99) or a
//! cited reference; see `fixtures/console/README.md` and `docs/dev/console-api.md`.

// No unwrap/expect where user input or a server's answer could reach it (tests may).
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

pub mod ca_host;
pub mod certs;
pub mod clock;
pub mod config;
pub mod console;
pub mod error;
pub mod fabric_ca;
pub mod faults;
pub mod http;
pub mod launcher;
pub mod limits;
pub mod peer;
pub mod server;
pub mod spec;
pub mod store;
pub mod tls_server;
pub mod units;
pub mod validate;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

pub use clock::Clock;
pub use config::{ConsoleSpec, EmulatorConfig};
pub use error::EmulatorError;
pub use faults::{FaultInjector, FaultState};

use console::{Console, ConsoleParams};
use store::Store;

struct Running {
    console: Arc<Console>,
    url: String,
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

/// A running emulator: one HTTP server per console, plus the component servers they created.
pub struct Emulator {
    consoles: Vec<Running>,
    clock: Clock,
    /// The configuration it runs with, every console's port resolved: what a restart binds.
    cfg: EmulatorConfig,
    store: Store,
}

/// How long a restart waits for the last requests of the stopped consoles to let go of the
/// database before it opens it again.
const RELEASE_WAIT: Duration = Duration::from_secs(10);

impl Emulator {
    /// Binds every console on 127.0.0.1, restores persisted components and their servers, and serves.
    pub async fn start(cfg: EmulatorConfig) -> Result<Emulator, EmulatorError> {
        let store = Store::open(cfg.db_path.as_deref())?;
        Emulator::start_on(cfg, store).await
    }

    async fn start_on(mut cfg: EmulatorConfig, store: Store) -> Result<Emulator, EmulatorError> {
        let clock = Clock::default();
        let mut consoles: Vec<Running> = Vec::new();
        for spec in &mut cfg.consoles {
            if consoles.iter().any(|r| r.console.name == spec.name) {
                return Err(EmulatorError::DuplicateConsole(spec.name.clone()));
            }
            let addr = SocketAddr::from(([127, 0, 0, 1], spec.port));
            let listener = TcpListener::bind(addr)
                .await
                .map_err(|source| EmulatorError::Bind {
                    addr: addr.to_string(),
                    source,
                })?;
            let port = listener.local_addr()?.port();
            spec.port = port;
            let console = Arc::new(Console::new(ConsoleParams {
                name: spec.name.clone(),
                port,
                api_key: spec.api_key.clone(),
                api_secret: spec.api_secret.clone(),
                store: store.clone(),
                clock: clock.clone(),
                deployer_delay: cfg.deployer_delay,
                create_latency: cfg.create_latency,
                rate_limit: cfg.rate_limit_writes_per_min,
            })?);
            console.restore_hosts().await?;
            let (stop, rx) = watch::channel(false);
            let task = tokio::spawn(server::serve(listener, console.clone(), rx));
            tracing::info!(console = %spec.name, port, "console listening");
            consoles.push(Running {
                url: format!("http://127.0.0.1:{port}"),
                console,
                stop,
                task,
            });
        }
        Ok(Emulator {
            consoles,
            clock,
            cfg,
            store,
        })
    }

    /// Kills every console and starts it again after `down_for`, on the same ports and
    /// database, as an emulator process killed and restarted with the same `--db` would be
    /// (fault injection for reliability tests, not a console behaviour): connections in
    /// progress are cut, held creates and writes are dropped unprocessed, and what lives only in
    /// memory is gone (caches, rate limits, lockouts, creates in flight, fault switches). The
    /// components and their CA servers come back from the database. An emulator without a
    /// database file keeps its in-memory one across the restart, as a file would be kept.
    pub async fn restart(self, down_for: Duration) -> Result<Emulator, EmulatorError> {
        let Emulator {
            consoles,
            cfg,
            store,
            ..
        } = self;
        stop_all(consoles).await;
        // Detached requests of the stopped consoles may still hold the database for a moment.
        let deadline = tokio::time::Instant::now() + RELEASE_WAIT;
        while store.handles() > 1 && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        tokio::time::sleep(down_for).await;
        let store = match cfg.db_path.as_deref() {
            Some(path) => {
                drop(store);
                Store::open(Some(path))?
            }
            None => store,
        };
        Emulator::start_on(cfg, store).await
    }

    fn find(&self, name: &str) -> Option<&Running> {
        self.consoles.iter().find(|r| r.console.name == name)
    }

    /// `http://127.0.0.1:<port>` of the named console.
    pub fn console_url(&self, name: &str) -> Option<String> {
        self.find(name).map(|r| r.url.clone())
    }

    /// `(name, url)` of every console, in configuration order.
    pub fn consoles(&self) -> Vec<(String, String)> {
        self.consoles
            .iter()
            .map(|r| (r.console.name.clone(), r.url.clone()))
            .collect()
    }

    /// The fault switches of the named console.
    pub fn faults(&self, name: &str) -> Option<FaultInjector> {
        self.find(name).map(|r| r.console.faults.clone())
    }

    /// Every HTTP request the console received (admin `/_emulator/` routes excluded); 0 if unknown.
    pub fn request_count(&self, name: &str) -> u64 {
        self.find(name)
            .map(|r| r.console.request_count())
            .unwrap_or(0)
    }

    /// Deployer updates and deletes the named console holds right now (the `write_latency`
    /// fault switch; 0 if unknown).
    pub fn writes_held(&self, name: &str) -> usize {
        self.find(name)
            .map(|r| r.console.faults.writes_held())
            .unwrap_or(0)
    }

    /// Deployer creates the named console has received and not yet answered (0 if unknown).
    pub async fn creates_in_flight(&self, name: &str) -> usize {
        match self.find(name) {
            Some(r) => r.console.creates_in_flight().await,
            None => 0,
        }
    }

    /// The console's stored components as a plain `GET /components/{id}` shows them.
    pub async fn components(&self, name: &str) -> Vec<serde_json::Value> {
        match self.find(name) {
            Some(r) => r.console.component_docs().await,
            None => Vec::new(),
        }
    }

    /// The deployer's view of the created component `id` of the named console, in athena's
    /// field names (`api_url`, `operations_url`, `tls_ca_root_certs`, `cr_status`, ...):
    /// what `?deployment_attrs=included` reads sync into its document. `None` for imported or
    /// unknown components.
    pub async fn deployment(
        &self,
        name: &str,
        id: &str,
    ) -> Option<serde_json::Map<String, serde_json::Value>> {
        self.find(name)?.console.deployment(id).await
    }

    /// `GET <operations_url>/healthz` of the created peer `id` of the named console, over TLS
    /// verified against the TLS CA certificates its enrollment returned (host name included):
    /// `(status, body)`. An error when the peer is unknown, not serving yet, or fails
    /// verification.
    pub async fn peer_healthz(
        &self,
        name: &str,
        id: &str,
    ) -> Result<(u16, serde_json::Value), String> {
        let deployment = self
            .deployment(name, id)
            .await
            .ok_or_else(|| format!("no deployed component {id} on console {name}"))?;
        let url = deployment
            .get("operations_url")
            .and_then(serde_json::Value::as_str)
            .ok_or_else(|| format!("component {id} has no operations_url"))?;
        let roots: Vec<String> = deployment
            .get("tls_ca_root_certs")
            .and_then(serde_json::Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(serde_json::Value::as_str)
                    .flat_map(peer::ca_client::pem_certificates)
                    .collect()
            })
            .unwrap_or_default();
        peer::probe::get_json(&format!("{url}/healthz"), &roots).await
    }

    /// Moves the emulator clock forward (stale caches, lockouts and rate windows expire).
    pub fn advance_clock(&self, by: Duration) {
        self.clock.advance(by);
    }

    /// Stops every console and CA server; persisted state stays in the database file.
    pub async fn shutdown(self) {
        stop_all(self.consoles).await;
    }
}

async fn stop_all(consoles: Vec<Running>) {
    for r in consoles {
        let _ = r.stop.send(true);
        let _ = r.task.await;
        r.console.shutdown().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_send<T: Send>(_: &T) {}

    #[test]
    fn futures_and_handles_are_send() {
        let fut = Emulator::start(EmulatorConfig::default());
        assert_send(&fut);
        drop(fut);
    }

    #[tokio::test]
    async fn duplicate_console_names_are_refused() {
        let spec = ConsoleSpec::new("a", 0, "k", "s");
        let cfg = EmulatorConfig {
            consoles: vec![spec.clone(), spec],
            ..EmulatorConfig::default()
        };
        assert!(matches!(
            Emulator::start(cfg).await,
            Err(EmulatorError::DuplicateConsole(_))
        ));
    }

    #[tokio::test]
    async fn a_restart_binds_the_same_ports_and_keeps_the_database() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("restart.redb");
        for db_path in [Some(db.clone()), None] {
            let cfg = EmulatorConfig {
                consoles: vec![ConsoleSpec::new("a", 0, "k", "s")],
                db_path,
                ..EmulatorConfig::default()
            };
            let emu = Emulator::start(cfg).await.unwrap();
            let url = emu.console_url("a").unwrap();
            let doc = serde_json::json!({"id": "kept", "type": "msp", "display_name": "Kept"});
            emu.store.put_component("a", "kept", &doc).unwrap();
            emu.faults("a").unwrap().server_errors(3, 503);
            let emu = emu.restart(Duration::from_millis(10)).await.unwrap();
            assert_eq!(emu.console_url("a"), Some(url), "same port");
            let ids: Vec<_> = emu
                .components("a")
                .await
                .iter()
                .map(|c| c["id"].clone())
                .collect();
            assert_eq!(ids, ["kept"], "the database survives");
            assert_eq!(emu.faults("a").unwrap().snapshot(), FaultState::default());
            emu.shutdown().await;
        }
    }

    #[tokio::test]
    async fn accessors_report_each_console() {
        let cfg = EmulatorConfig {
            consoles: vec![
                ConsoleSpec::new("a", 0, "k", "s"),
                ConsoleSpec::new("b", 0, "k", "s"),
            ],
            ..EmulatorConfig::default()
        };
        let emu = Emulator::start(cfg).await.unwrap();
        let all = emu.consoles();
        assert_eq!(all.len(), 2);
        assert_eq!(emu.console_url("b"), Some(all[1].1.clone()));
        assert!(emu.console_url("zzz").is_none() && emu.faults("zzz").is_none());
        assert_eq!(emu.request_count("a"), 0);
        assert!(emu.components("a").await.is_empty());
        emu.shutdown().await;
    }
}
