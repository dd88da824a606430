//! A peer's gRPC listener (`api_url`, `grpcs://`): TLS with the peer's certificate, ALPN `h2`.
//!
//! No gRPC service is emulated yet: a connection completes the TLS handshake (so a client can
//! check the certificate it is shown) and is then closed. This is the seam for the peer's
//! services: [`serve_connection`] is where an HTTP/2 gRPC server (the Endorser, Deliver and
//! Gossip services of Fabric `core/peer`) takes the established TLS stream.

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::io::AsyncWriteExt as _;
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::server::TlsStream;

use crate::tls_server::{self, ServerHandle};

/// Serves the gRPC listener on `listener`.
pub fn serve(
    listener: TcpListener,
    mut tls: rustls::ServerConfig,
) -> std::io::Result<ServerHandle> {
    tls.alpn_protocols = vec![b"h2".to_vec()];
    tls_server::spawn(listener, Arc::new(tls), "peer gRPC", serve_connection)
}

/// One established TLS connection of a gRPC client.
async fn serve_connection(mut tls: TlsStream<TcpStream>, peer: SocketAddr) {
    tracing::debug!(%peer, "peer gRPC: no service is emulated yet; closing the connection");
    let _ = tls.shutdown().await;
}
