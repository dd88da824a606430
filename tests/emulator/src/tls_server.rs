//! TLS listeners on loopback shared by the emulated components (a CA's HTTPS endpoint, a peer's
//! operations and gRPC listeners): the server configuration from PEM, the accept loop with a
//! bounded handshake and one task per connection, and a handle that stops all of it.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::{JoinHandle, JoinSet};
use tokio_rustls::server::TlsStream;
use tokio_rustls::TlsAcceptor;

/// How long a client may take to finish the TLS handshake.
const TLS_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// Pause after a failed `accept` (e.g. out of file descriptors) before trying again.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(50);

/// Why a TLS server configuration could not be built from the given PEM material.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct TlsSetupError(pub String);

/// A running TLS server. Dropping it stops the server as [`shutdown`](Self::shutdown) does,
/// without waiting.
pub struct ServerHandle {
    /// The address the server listens on.
    pub addr: SocketAddr,
    stop: watch::Sender<bool>,
    task: Option<JoinHandle<()>>,
}

impl ServerHandle {
    /// Stop accepting, close open connections, release the port, and wait for all of it.
    pub async fn shutdown(mut self) {
        let _ = self.stop.send(true);
        if let Some(task) = self.task.take() {
            if let Err(e) = task.await {
                tracing::warn!(error = %e, "TLS server task ended abnormally");
            }
        }
    }
}

impl Drop for ServerHandle {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}

/// A rustls server configuration presenting `cert_chain_pem` (leaf first) with `key_pem`
/// (PKCS#8 or SEC1), offering the given ALPN protocols, without client authentication.
pub fn server_config(
    cert_chain_pem: &str,
    key_pem: &str,
    alpn: &[&[u8]],
) -> Result<rustls::ServerConfig, TlsSetupError> {
    let certs = CertificateDer::pem_slice_iter(cert_chain_pem.as_bytes())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| TlsSetupError(format!("server TLS certificate: {e}")))?;
    if certs.is_empty() {
        return Err(TlsSetupError(
            "server TLS certificate: no certificate in the PEM".to_owned(),
        ));
    }
    let key = PrivateKeyDer::from_pem_slice(key_pem.as_bytes())
        .map_err(|e| TlsSetupError(format!("server TLS key: {e}")))?;
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| TlsSetupError(e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| TlsSetupError(e.to_string()))?;
    config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    Ok(config)
}

/// Accepts TLS connections on `listener` and runs `handler` on each established one (`label`
/// names the server in logs).
pub fn spawn<H, F>(
    listener: TcpListener,
    config: Arc<rustls::ServerConfig>,
    label: &'static str,
    handler: H,
) -> std::io::Result<ServerHandle>
where
    H: Fn(TlsStream<TcpStream>, SocketAddr) -> F + Clone + Send + Sync + 'static,
    F: Future<Output = ()> + Send + 'static,
{
    let addr = listener.local_addr()?;
    let acceptor = TlsAcceptor::from(config);
    let (stop, stopped) = watch::channel(false);
    let task = tokio::spawn(accept_loop(listener, acceptor, label, handler, stopped));
    tracing::info!(%addr, server = label, "listening");
    Ok(ServerHandle {
        addr,
        stop,
        task: Some(task),
    })
}

/// An HTTPS/1.1 server answering with `router`.
pub fn spawn_http(
    listener: TcpListener,
    config: Arc<rustls::ServerConfig>,
    label: &'static str,
    router: Router,
) -> std::io::Result<ServerHandle> {
    spawn(listener, config, label, move |tls, peer| {
        let router = router.clone();
        async move {
            let service = TowerToHyperService::new(router);
            if let Err(e) = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(tls), service)
                .await
            {
                tracing::debug!(%peer, server = label, error = %e, "connection error");
            }
        }
    })
}

async fn accept_loop<H, F>(
    listener: TcpListener,
    acceptor: TlsAcceptor,
    label: &'static str,
    handler: H,
    mut stopped: watch::Receiver<bool>,
) where
    H: Fn(TlsStream<TcpStream>, SocketAddr) -> F + Clone + Send + Sync + 'static,
    F: Future<Output = ()> + Send + 'static,
{
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            // A send or a dropped handle both end the loop.
            _ = stopped.changed() => break,
            accepted = listener.accept() => match accepted {
                Ok((tcp, peer)) => {
                    let (acceptor, handler) = (acceptor.clone(), handler.clone());
                    connections.spawn(async move {
                        if let Some(tls) = handshake(&acceptor, tcp, peer, label).await {
                            handler(tls, peer).await;
                        }
                    });
                }
                Err(e) => {
                    tracing::warn!(server = label, error = %e, "accept failed");
                    tokio::time::sleep(ACCEPT_BACKOFF).await;
                }
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
    drop(listener);
    connections.shutdown().await;
    tracing::debug!(server = label, "stopped");
}

async fn handshake(
    acceptor: &TlsAcceptor,
    tcp: TcpStream,
    peer: SocketAddr,
    label: &'static str,
) -> Option<TlsStream<TcpStream>> {
    match tokio::time::timeout(TLS_HANDSHAKE_TIMEOUT, acceptor.accept(tcp)).await {
        Ok(Ok(tls)) => Some(tls),
        Ok(Err(e)) => {
            tracing::debug!(%peer, server = label, error = %e, "TLS handshake failed");
            None
        }
        Err(_) => {
            tracing::debug!(%peer, server = label, "TLS handshake timed out");
            None
        }
    }
}
