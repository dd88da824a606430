//! Runs the Fabric CA endpoint of every deployer-created CA: generates its state, reserves a
//! loopback port, starts serving only after the deployer delay (before that the port refuses
//! connections, as a real CA does while its pods start; docs/dev/console-api.md#readiness), persists
//! the state on every registry change and restores it after a restart on the same port.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};
use tokio::net::TcpSocket;
use tokio::sync::Mutex;

use crate::error::EmulatorError;
use crate::fabric_ca::{self, BootstrapIdentity, CaServerHandle, FabricCaState};
use crate::launcher::{reserve, Launcher, Servers};
use crate::store::Store;

/// The component type whose deployments these servers are.
pub const CA_TYPE: &str = "fabric-ca";

/// What the console needs to describe a created CA.
#[derive(Clone, Debug)]
pub struct CaInfo {
    pub port: u16,
    pub ca_name: String,
    pub tlsca_name: String,
    pub ca_root_pem: String,
    pub tlsca_root_pem: String,
    pub tls_cert_pem: String,
}

impl Servers for CaServerHandle {
    fn stop(self) -> Pin<Box<dyn Future<Output = ()> + Send>> {
        Box::pin(self.shutdown())
    }
}

/// The CA servers of one console.
pub struct CaHost {
    console: String,
    store: Store,
    running: Launcher<CaServerHandle>,
}

impl CaHost {
    pub fn new(console: &str, store: Store) -> CaHost {
        CaHost {
            console: console.to_string(),
            store,
            running: Launcher::default(),
        }
    }

    /// Creates a CA for component `id` and schedules it to serve after `delay`.
    pub async fn create(
        &self,
        id: &str,
        ca_ids: Vec<BootstrapIdentity>,
        tlsca_ids: Vec<BootstrapIdentity>,
        delay: Duration,
    ) -> Result<CaInfo, EmulatorError> {
        let state =
            tokio::task::spawn_blocking(move || FabricCaState::generate(&ca_ids, &tlsca_ids))
                .await
                .map_err(|e| EmulatorError::Ca(e.to_string()))?
                .map_err(|e| EmulatorError::Ca(e.to_string()))?;
        let socket = reserve(0)?;
        let port = socket.local_addr()?.port();
        let info = CaInfo {
            port,
            ca_name: state.ca_name().to_string(),
            tlsca_name: state.tlsca_name().to_string(),
            ca_root_pem: state.ca_root_pem().to_string(),
            tlsca_root_pem: state.tlsca_root_pem().to_string(),
            tls_cert_pem: state.tls_cert_pem().to_string(),
        };
        self.persist(id, port, &state)?;
        self.start(id, socket, state, delay).await;
        Ok(info)
    }

    fn persist(&self, id: &str, port: u16, state: &FabricCaState) -> Result<(), EmulatorError> {
        let doc = json!({"port": port, "state": serde_json::to_value(state)?});
        self.store.put_hosted(CA_TYPE, &self.console, id, &doc)
    }

    async fn start(&self, id: &str, socket: TcpSocket, state: FabricCaState, delay: Duration) {
        let store = self.store.clone();
        let console = self.console.clone();
        let id_owned = id.to_string();
        let start = async move {
            let listener = match socket.listen(1024) {
                Ok(l) => l,
                Err(e) => {
                    tracing::error!(console = %console, ca = %id_owned, error = %e, "CA listen failed");
                    return None;
                }
            };
            let port = listener.local_addr().map(|a| a.port()).unwrap_or_default();
            let (c2, i2) = (console.clone(), id_owned.clone());
            let on_change: Arc<dyn Fn(&FabricCaState) + Send + Sync> =
                Arc::new(move |s: &FabricCaState| {
                    let doc =
                        serde_json::to_value(s).map(|state| json!({"port": port, "state": state}));
                    match doc {
                        Ok(doc) => {
                            if let Err(e) = store.put_hosted(CA_TYPE, &c2, &i2, &doc) {
                                tracing::error!(ca = %i2, error = %e, "persisting CA state failed");
                            }
                        }
                        Err(e) => {
                            tracing::error!(ca = %i2, error = %e, "serialising CA state failed")
                        }
                    }
                });
            match fabric_ca::serve(listener, Arc::new(Mutex::new(state)), on_change).await {
                Ok(handle) => {
                    tracing::info!(console = %console, ca = %id_owned, port, "CA serving");
                    Some(handle)
                }
                Err(e) => {
                    tracing::error!(console = %console, ca = %id_owned, error = %e, "CA serve failed");
                    None
                }
            }
        };
        self.running.launch(id, delay, start).await;
    }

    /// Restarts every persisted CA on its old port, serving at once.
    pub async fn restore(&self) -> Result<(), EmulatorError> {
        for (id, doc) in self.store.load_hosted(CA_TYPE, &self.console)? {
            let port = doc.get("port").and_then(Value::as_u64).unwrap_or_default() as u16;
            let state: FabricCaState = match doc.get("state").cloned().map(serde_json::from_value) {
                Some(Ok(s)) => s,
                _ => {
                    tracing::error!(ca = %id, "stored CA state unreadable; skipped");
                    continue;
                }
            };
            match reserve(port) {
                Ok(socket) => self.start(&id, socket, state, Duration::ZERO).await,
                Err(e) => tracing::error!(ca = %id, port, error = %e, "cannot restore CA port"),
            }
        }
        Ok(())
    }

    /// Stops the CA of `id` (if any) and forgets its state.
    pub async fn remove(&self, id: &str) -> Result<(), EmulatorError> {
        self.running.stop(id).await;
        self.store.delete_hosted(CA_TYPE, &self.console, id)
    }

    /// Whether the CA of `id` has started serving.
    pub async fn is_serving(&self, id: &str) -> bool {
        self.running.is_serving(id).await
    }

    /// Stops every CA server (state stays persisted).
    pub async fn shutdown(&self) {
        self.running.stop_all().await;
    }
}
