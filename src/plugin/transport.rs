//! The listening side: a private unix socket, optional TLS on each accepted
//! connection, and the stream of ready connections tonic serves.

use std::io;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{UnixListener, UnixStream};
use tokio::sync::mpsc;
use tokio_rustls::TlsAcceptor;
use tokio_stream::wrappers::ReceiverStream;
use tokio_util::sync::CancellationToken;
use tonic::transport::server::Connected;
use tracing::{debug, warn};

/// Environment variable naming the directory for the socket (go-plugin's name;
/// docs/dev/plugin-protocol.md#unix-socket).
pub const SOCKET_DIR_ENV: &str = "PLUGIN_UNIX_SOCKET_DIR";

/// A TLS handshake that has not finished by then is abandoned.
const TLS_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// Pause after a failed `accept` (for example EMFILE) so the loop does not spin.
const ACCEPT_ERROR_BACKOFF: Duration = Duration::from_millis(50);
/// How many fresh names to try when a socket path is already taken.
const BIND_ATTEMPTS: usize = 8;

/// Removes the socket file when dropped, so no stale sockets pile up in the temp dir.
#[derive(Debug)]
pub struct SocketGuard {
    path: PathBuf,
}

impl SocketGuard {
    /// The socket's path, as announced in the handshake line.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for SocketGuard {
    fn drop(&mut self) {
        if let Err(err) = std::fs::remove_file(&self.path) {
            if err.kind() != io::ErrorKind::NotFound {
                debug!(path = %self.path.display(), error = %err, "could not remove plugin socket");
            }
        }
        super::panic::forget_socket(&self.path);
    }
}

/// Binds a unix socket with a unique name in `dir` (or the temp dir).
pub fn bind_unix_socket(dir: Option<&Path>) -> io::Result<(UnixListener, SocketGuard)> {
    let dir = dir.map_or_else(std::env::temp_dir, Path::to_path_buf);
    let mut last_err = None;
    for _ in 0..BIND_ATTEMPTS {
        let path = dir.join(format!("plugin{:016x}", rand::random::<u64>()));
        match UnixListener::bind(&path) {
            Ok(listener) => {
                super::panic::remember_socket(&path);
                return Ok((listener, SocketGuard { path }));
            }
            Err(err) if err.kind() == io::ErrorKind::AddrInUse => last_err = Some(err),
            Err(err) => return Err(err),
        }
    }
    Err(last_err.unwrap_or_else(|| io::Error::from(io::ErrorKind::AddrInUse)))
}

/// One accepted connection, plaintext or TLS, as a single type tonic can serve.
pub enum PluginStream {
    /// Plaintext (debug mode, or AutoMTLS disabled).
    Plain(UnixStream),
    /// After a successful mutual-TLS handshake.
    Tls(Box<tokio_rustls::server::TlsStream<UnixStream>>),
}

impl Connected for PluginStream {
    type ConnectInfo = ();

    fn connect_info(&self) -> Self::ConnectInfo {}
}

impl AsyncRead for PluginStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            PluginStream::Plain(s) => Pin::new(s).poll_read(cx, buf),
            PluginStream::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for PluginStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            PluginStream::Plain(s) => Pin::new(s).poll_write(cx, buf),
            PluginStream::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            PluginStream::Plain(s) => Pin::new(s).poll_write_vectored(cx, bufs),
            PluginStream::Tls(s) => Pin::new(s.as_mut()).poll_write_vectored(cx, bufs),
        }
    }

    fn is_write_vectored(&self) -> bool {
        match self {
            PluginStream::Plain(s) => s.is_write_vectored(),
            PluginStream::Tls(s) => s.is_write_vectored(),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            PluginStream::Plain(s) => Pin::new(s).poll_flush(cx),
            PluginStream::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            PluginStream::Plain(s) => Pin::new(s).poll_shutdown(cx),
            PluginStream::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
        }
    }
}

/// Accepts connections until `shutdown` fires, completing TLS handshakes in their
/// own tasks so one slow or hostile client cannot stall the others. Connections
/// that fail the handshake (no or wrong client certificate) are dropped here and
/// never reach tonic.
pub fn incoming(
    listener: UnixListener,
    tls: Option<TlsAcceptor>,
    shutdown: CancellationToken,
) -> ReceiverStream<io::Result<PluginStream>> {
    let (tx, rx) = mpsc::channel(16);
    tokio::spawn(async move {
        loop {
            let accepted = tokio::select! {
                () = shutdown.cancelled() => break,
                () = tx.closed() => break,
                accepted = listener.accept() => accepted,
            };
            let stream = match accepted {
                Ok((stream, _)) => stream,
                Err(err) => {
                    warn!(error = %err, "accepting a plugin connection failed");
                    tokio::time::sleep(ACCEPT_ERROR_BACKOFF).await;
                    continue;
                }
            };
            match &tls {
                None => {
                    if tx.send(Ok(PluginStream::Plain(stream))).await.is_err() {
                        break;
                    }
                }
                Some(acceptor) => {
                    let acceptor = acceptor.clone();
                    let tx = tx.clone();
                    tokio::spawn(async move {
                        match tokio::time::timeout(TLS_HANDSHAKE_TIMEOUT, acceptor.accept(stream))
                            .await
                        {
                            Ok(Ok(tls_stream)) => {
                                // A closed channel means the server is shutting down.
                                let _ = tx.send(Ok(PluginStream::Tls(Box::new(tls_stream)))).await;
                            }
                            Ok(Err(err)) => {
                                warn!(error = %err, "rejected a plugin connection: TLS handshake failed")
                            }
                            Err(_) => {
                                warn!("rejected a plugin connection: TLS handshake timed out")
                            }
                        }
                    });
                }
            }
        }
        debug!("stopped accepting plugin connections");
    });
    ReceiverStream::new(rx)
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio_stream::StreamExt;

    #[tokio::test]
    async fn socket_is_unique_and_removed_on_drop() {
        let dir = tempfile::tempdir().unwrap();
        let (_l1, g1) = bind_unix_socket(Some(dir.path())).unwrap();
        let (_l2, g2) = bind_unix_socket(Some(dir.path())).unwrap();
        assert_ne!(g1.path(), g2.path());
        assert!(g1.path().starts_with(dir.path()));
        assert!(g1.path().exists());
        let path = g1.path().to_path_buf();
        drop(g1);
        assert!(!path.exists());
    }

    #[tokio::test]
    async fn plaintext_connections_flow_through_and_stop_on_shutdown() {
        let dir = tempfile::tempdir().unwrap();
        let (listener, guard) = bind_unix_socket(Some(dir.path())).unwrap();
        let token = CancellationToken::new();
        let mut stream = incoming(listener, None, token.clone());

        let mut client = UnixStream::connect(guard.path()).await.unwrap();
        let mut served = tokio::time::timeout(Duration::from_secs(5), stream.next())
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        client.write_all(b"ping").await.unwrap();
        let mut buf = [0u8; 4];
        served.read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"ping");

        token.cancel();
        let end = tokio::time::timeout(Duration::from_secs(5), stream.next())
            .await
            .unwrap();
        assert!(end.is_none());
    }
}
