//! The servers of the deployed components of one host, by component id: each starts after the
//! deployer delay (before that its ports are bound but refuse connections, as a component's pods
//! starting; docs/dev/console-api.md#readiness), and is stopped on delete or shutdown.

use std::collections::HashMap;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpSocket;
use tokio::sync::Mutex;
use tokio::task::JoinHandle;

use crate::error::EmulatorError;

/// What a started component runs: stopping it releases its ports.
pub trait Servers: Send + 'static {
    fn stop(self) -> Pin<Box<dyn Future<Output = ()> + Send>>;
}

enum Running<S> {
    /// Waiting for the delay, or never able to serve; aborting the task frees the ports.
    Starting(JoinHandle<()>),
    Serving(S),
}

/// The running servers of one host's components.
pub struct Launcher<S> {
    running: Arc<Mutex<HashMap<String, Running<S>>>>,
}

impl<S> Default for Launcher<S> {
    fn default() -> Self {
        Launcher {
            running: Arc::new(Mutex::new(HashMap::new())),
        }
    }
}

/// Binds a loopback port without listening (connections are refused until `listen`);
/// `SO_REUSEADDR` so a restart can bind it again while old connections sit in `TIME_WAIT`.
pub fn reserve(port: u16) -> Result<TcpSocket, EmulatorError> {
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let socket = TcpSocket::new_v4()?;
    socket.set_reuseaddr(true)?;
    socket.bind(addr).map_err(|source| EmulatorError::Bind {
        addr: addr.to_string(),
        source,
    })?;
    Ok(socket)
}

impl<S: Servers> Launcher<S> {
    /// Runs `start` for component `id` after `delay`. `start` returns the servers once they
    /// serve, or `None` when the component cannot serve (it logs why; it keeps its ports bound
    /// while it stays registered here).
    pub async fn launch<F>(&self, id: &str, delay: Duration, start: F)
    where
        F: Future<Output = Option<S>> + Send + 'static,
    {
        let running = self.running.clone();
        let id_owned = id.to_string();
        // Held across the spawn so the task's `Serving` entry always replaces this `Starting` one.
        let mut guard = self.running.lock().await;
        let task = tokio::spawn(async move {
            tokio::time::sleep(delay).await;
            let Some(servers) = start.await else {
                return;
            };
            let mut map = running.lock().await;
            if let Some(slot) = map.get_mut(&id_owned) {
                *slot = Running::Serving(servers);
            } else {
                // Removed while starting: do not leave orphan servers behind.
                drop(map);
                servers.stop().await;
            }
        });
        if let Some(old) = guard.insert(id.to_string(), Running::Starting(task)) {
            drop(guard);
            stop(old).await;
        }
    }

    /// Stops the servers of `id`, if any.
    pub async fn stop(&self, id: &str) {
        let entry = self.running.lock().await.remove(id);
        if let Some(entry) = entry {
            stop(entry).await;
        }
    }

    /// Whether the servers of `id` serve.
    pub async fn is_serving(&self, id: &str) -> bool {
        matches!(self.running.lock().await.get(id), Some(Running::Serving(_)))
    }

    /// Stops every server.
    pub async fn stop_all(&self) {
        let all: Vec<Running<S>> = self.running.lock().await.drain().map(|(_, r)| r).collect();
        for r in all {
            stop(r).await;
        }
    }
}

async fn stop<S: Servers>(entry: Running<S>) {
    match entry {
        Running::Starting(task) => {
            task.abort();
            let _ = task.await;
        }
        Running::Serving(servers) => servers.stop().await,
    }
}
