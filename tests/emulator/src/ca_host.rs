//! Runs the Fabric CA endpoint of every deployer-created CA: generates its state, reserves a
//! loopback port, starts serving only after the deployer delay (before that the port refuses
//! connections, as a real CA does while its pods start; docs/dev/console-api.md#readiness), persists
//! the state on every registry change and restores it after a restart on the same port.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};
use tokio::net::TcpSocket;
use tokio::sync::Mutex;

use crate::error::EmulatorError;
use crate::fabric_ca::{self, CaServerHandle, CaSettings, FabricCaState};
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

/// The port of one CA and the state its server serves (shared with the server, so a
/// reconfiguration reaches it).
struct Hosted {
    port: u16,
    state: Arc<Mutex<FabricCaState>>,
}

/// The CA servers of one console.
pub struct CaHost {
    console: String,
    store: Store,
    running: Launcher<CaServerHandle>,
    hosted: Mutex<HashMap<String, Hosted>>,
}

impl CaHost {
    pub fn new(console: &str, store: Store) -> CaHost {
        CaHost {
            console: console.to_string(),
            store,
            running: Launcher::default(),
            hosted: Mutex::new(HashMap::new()),
        }
    }

    /// Creates a CA for component `id` with the settings of its two CAs and schedules it to
    /// serve after `delay`.
    pub async fn create(
        &self,
        id: &str,
        ca: CaSettings,
        tlsca: CaSettings,
        delay: Duration,
    ) -> Result<CaInfo, EmulatorError> {
        let state = tokio::task::spawn_blocking(move || {
            let mut state = FabricCaState::generate(&ca.identities, &tlsca.identities)?;
            let (ca_name, tlsca_name) = (state.ca_name().to_owned(), state.tlsca_name().to_owned());
            state.apply_settings(&ca_name, &ca);
            state.apply_settings(&tlsca_name, &tlsca);
            Ok::<_, fabric_ca::CaError>(state)
        })
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

    /// Applies new settings to the running CA of `id`, as its restart with the merged
    /// configuration would (fabric-operator restarts the pods on an override change), and
    /// persists them.
    pub async fn reconfigure(
        &self,
        id: &str,
        ca: &CaSettings,
        tlsca: &CaSettings,
    ) -> Result<(), EmulatorError> {
        let hosted = {
            let map = self.hosted.lock().await;
            map.get(id).map(|h| (h.port, h.state.clone()))
        };
        let Some((port, state)) = hosted else {
            return Err(EmulatorError::Ca(format!("no CA server for {id}")));
        };
        let mut state = state.lock().await;
        let (ca_name, tlsca_name) = (state.ca_name().to_owned(), state.tlsca_name().to_owned());
        state.apply_settings(&ca_name, ca);
        state.apply_settings(&tlsca_name, tlsca);
        self.persist(id, port, &state)
    }

    fn persist(&self, id: &str, port: u16, state: &FabricCaState) -> Result<(), EmulatorError> {
        let doc = json!({"port": port, "state": serde_json::to_value(state)?});
        self.store.put_hosted(CA_TYPE, &self.console, id, &doc)
    }

    async fn start(&self, id: &str, socket: TcpSocket, state: FabricCaState, delay: Duration) {
        let port = socket.local_addr().map(|a| a.port()).unwrap_or_default();
        let state = Arc::new(Mutex::new(state));
        let served = state.clone();
        self.hosted
            .lock()
            .await
            .insert(id.to_string(), Hosted { port, state });
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
            match fabric_ca::serve(listener, served, on_change).await {
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
        self.hosted.lock().await.remove(id);
        self.store.delete_hosted(CA_TYPE, &self.console, id)
    }

    /// Whether the CA of `id` has started serving.
    pub async fn is_serving(&self, id: &str) -> bool {
        self.running.is_serving(id).await
    }

    /// Stops every CA server (state stays persisted).
    pub async fn shutdown(&self) {
        self.running.stop_all().await;
        self.hosted.lock().await.clear();
    }
}
