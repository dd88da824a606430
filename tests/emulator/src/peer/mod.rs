//! The running side of deployer-created peers: per peer, loopback ports for its gRPC listener
//! (`api_url`), its operations endpoint (`operations_url`) and its gRPC-web proxy
//! (`grpcwp_url`, bound but not served), which start listening only after the deployer delay
//! (docs/dev/console-api.md#readiness) with the TLS certificate the operator obtained for it.
//! The state (ports, TLS material, the deployer's record of the peer) is persisted so a
//! restarted emulator brings the peer back on the same ports (docs/dev/emulator-peer.md).

pub mod ca_client;
mod grpc;
mod operations;
pub mod operator;
pub mod probe;

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex as StdMutex};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::net::TcpSocket;

use crate::error::EmulatorError;
use crate::launcher::{reserve, Launcher, Servers};
use crate::store::Store;
use crate::tls_server::{self, ServerHandle};

/// The component type whose deployments these servers are.
pub const PEER_TYPE: &str = "fabric-peer";

/// The loopback ports of one peer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PeerPorts {
    /// The gRPC listener (`api_url`).
    pub grpc: u16,
    /// The operations endpoint (`operations_url`).
    pub operations: u16,
    /// The gRPC-web proxy (`grpcwp_url`): bound, never listening.
    pub grpcweb: u16,
}

/// The TLS identity the peer's listeners present.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PeerTls {
    /// The peer's TLS certificate (PEM).
    pub cert_pem: String,
    /// Its private key (PEM).
    pub key_pem: String,
    /// The TLS CA chain that issued it (PEM, root last), what a client trusts.
    pub ca_certs: Vec<String>,
}

impl fmt::Debug for PeerTls {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PeerTls")
            .field("cert_pem", &self.cert_pem)
            .field("key_pem", &"[redacted]")
            .field("ca_certs", &self.ca_certs)
            .finish()
    }
}

/// What the host keeps for one peer.
#[derive(Clone, Serialize, Deserialize)]
struct Record {
    ports: PeerPorts,
    tls: PeerTls,
    /// The deployer's view of the peer (its component JSON), owned by the console's peer host.
    deployer: Value,
}

/// The listeners of a serving peer.
struct PeerServers {
    operations: ServerHandle,
    grpc: ServerHandle,
    /// Keeps the gRPC-web port reserved.
    _grpcweb: TcpSocket,
}

impl Servers for PeerServers {
    fn stop(self) -> Pin<Box<dyn Future<Output = ()> + Send>> {
        Box::pin(async move {
            self.operations.shutdown().await;
            self.grpc.shutdown().await;
        })
    }
}

/// The peers of one console.
pub struct PeerHost {
    console: String,
    store: Store,
    records: StdMutex<HashMap<String, Record>>,
    running: Launcher<PeerServers>,
}

/// The three sockets of a peer, bound in [`PeerPorts`] order.
struct Sockets {
    grpc: TcpSocket,
    operations: TcpSocket,
    grpcweb: TcpSocket,
}

impl Sockets {
    fn reserve(ports: Option<PeerPorts>) -> Result<Sockets, EmulatorError> {
        let p = ports.unwrap_or(PeerPorts {
            grpc: 0,
            operations: 0,
            grpcweb: 0,
        });
        Ok(Sockets {
            grpc: reserve(p.grpc)?,
            operations: reserve(p.operations)?,
            grpcweb: reserve(p.grpcweb)?,
        })
    }

    fn ports(&self) -> Result<PeerPorts, EmulatorError> {
        Ok(PeerPorts {
            grpc: self.grpc.local_addr()?.port(),
            operations: self.operations.local_addr()?.port(),
            grpcweb: self.grpcweb.local_addr()?.port(),
        })
    }
}

impl PeerHost {
    pub fn new(console: &str, store: Store) -> PeerHost {
        PeerHost {
            console: console.to_string(),
            store,
            records: StdMutex::new(HashMap::new()),
            running: Launcher::default(),
        }
    }

    fn records(&self) -> std::sync::MutexGuard<'_, HashMap<String, Record>> {
        self.records.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn persist(&self, id: &str, record: &Record) -> Result<(), EmulatorError> {
        let doc = serde_json::to_value(record)?;
        self.store.put_hosted(PEER_TYPE, &self.console, id, &doc)
    }

    /// Reserves the ports of new peer `id`, records it with the deployer record `deployer`
    /// makes for those ports, and schedules its listeners to start after `delay`.
    pub async fn create(
        &self,
        id: &str,
        tls: PeerTls,
        delay: Duration,
        deployer: impl FnOnce(PeerPorts) -> Value,
    ) -> Result<PeerPorts, EmulatorError> {
        let sockets = Sockets::reserve(None)?;
        let ports = sockets.ports()?;
        let record = Record {
            ports,
            tls: tls.clone(),
            deployer: deployer(ports),
        };
        self.persist(id, &record)?;
        self.records().insert(id.to_string(), record);
        self.start(id, sockets, tls, delay).await;
        Ok(ports)
    }

    /// The deployer's record of peer `id`.
    pub fn deployer(&self, id: &str) -> Option<Value> {
        self.records().get(id).map(|r| r.deployer.clone())
    }

    /// Replaces the deployer's record of peer `id` (an update went through).
    pub fn set_deployer(&self, id: &str, deployer: Value) -> Result<(), EmulatorError> {
        let record = {
            let mut records = self.records();
            let Some(record) = records.get_mut(id) else {
                return Ok(());
            };
            record.deployer = deployer;
            record.clone()
        };
        self.persist(id, &record)
    }

    /// The TLS identity of peer `id`.
    pub fn tls(&self, id: &str) -> Option<PeerTls> {
        self.records().get(id).map(|r| r.tls.clone())
    }

    /// The ports of peer `id`.
    pub fn ports(&self, id: &str) -> Option<PeerPorts> {
        self.records().get(id).map(|r| r.ports)
    }

    async fn start(&self, id: &str, sockets: Sockets, tls: PeerTls, delay: Duration) {
        let (console, peer) = (self.console.clone(), id.to_string());
        let start = async move {
            let config = match tls_server::server_config(&tls.cert_pem, &tls.key_pem, &[]) {
                Ok(c) => c,
                Err(e) => {
                    // As a peer pod whose secrets hold unusable keys: it never serves, and its
                    // ports stay taken (refusing) until it is deleted.
                    tracing::error!(console = %console, peer = %peer, error = %e, "peer cannot start");
                    let _held = sockets;
                    std::future::pending::<()>().await;
                    return None;
                }
            };
            let listen = |s: TcpSocket| s.listen(1024);
            let (grpc, operations) = match (listen(sockets.grpc), listen(sockets.operations)) {
                (Ok(g), Ok(o)) => (g, o),
                (Err(e), _) | (_, Err(e)) => {
                    tracing::error!(console = %console, peer = %peer, error = %e, "peer listen failed");
                    return None;
                }
            };
            let mut ops_config = config.clone();
            ops_config.alpn_protocols = vec![b"http/1.1".to_vec()];
            let operations = match tls_server::spawn_http(
                operations,
                Arc::new(ops_config),
                "peer operations",
                operations::router(),
            ) {
                Ok(h) => h,
                Err(e) => {
                    tracing::error!(peer = %peer, error = %e, "peer operations failed");
                    return None;
                }
            };
            let grpc = match grpc::serve(grpc, config) {
                Ok(h) => h,
                Err(e) => {
                    tracing::error!(peer = %peer, error = %e, "peer gRPC failed");
                    operations.shutdown().await;
                    return None;
                }
            };
            tracing::info!(console = %console, peer = %peer, "peer serving");
            Some(PeerServers {
                operations,
                grpc,
                _grpcweb: sockets.grpcweb,
            })
        };
        self.running.launch(id, delay, start).await;
    }

    /// Restarts every persisted peer on its old ports, serving at once.
    pub async fn restore(&self) -> Result<(), EmulatorError> {
        for (id, doc) in self.store.load_hosted(PEER_TYPE, &self.console)? {
            let record: Record = match serde_json::from_value(doc) {
                Ok(r) => r,
                Err(e) => {
                    tracing::error!(peer = %id, error = %e, "stored peer state unreadable; skipped");
                    continue;
                }
            };
            let sockets = match Sockets::reserve(Some(record.ports)) {
                Ok(s) => s,
                Err(e) => {
                    tracing::error!(peer = %id, error = %e, "cannot restore the peer's ports");
                    continue;
                }
            };
            let tls = record.tls.clone();
            self.records().insert(id.clone(), record);
            self.start(&id, sockets, tls, Duration::ZERO).await;
        }
        Ok(())
    }

    /// Stops the listeners of `id` (if any) and forgets it.
    pub async fn remove(&self, id: &str) -> Result<(), EmulatorError> {
        self.running.stop(id).await;
        self.records().remove(id);
        self.store.delete_hosted(PEER_TYPE, &self.console, id)
    }

    /// Whether the listeners of `id` serve.
    pub async fn is_serving(&self, id: &str) -> bool {
        self.running.is_serving(id).await
    }

    /// Stops every peer's listeners (the state stays persisted).
    pub async fn shutdown(&self) {
        self.running.stop_all().await;
    }
}
