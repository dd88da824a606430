//! Runs the real provider binary the way Terraform does and checks the go-plugin
//! contract: cookie, handshake line, AutoMTLS with a pinned client certificate,
//! the health and controller services, signals and clean exit.

use std::future::Future;
use std::io;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::process::Stdio;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use base64::engine::general_purpose::STANDARD_NO_PAD;
use base64::Engine as _;
use hyper_util::rt::TokioIo;
use rcgen::{BasicConstraints, CertificateParams, ExtendedKeyUsagePurpose, IsCa, KeyPair};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::WebPkiSupportedAlgorithms;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName, UnixTime};
use rustls::{AlertDescription, ClientConfig, DigitallySignedStruct, SignatureScheme};
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, BufReader};
use tokio::net::UnixStream;
use tokio::process::{Child, ChildStdout, Command};
use tokio_rustls::TlsConnector;
use tonic::codegen::Service;
use tonic::transport::{Channel, Endpoint, Uri};
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;
use tonic_health::pb::HealthCheckRequest;

use tfprovider_blockchain::proto::go_plugin::grpc_controller_client::GrpcControllerClient;
use tfprovider_blockchain::proto::go_plugin::Empty;

const BIN: &str = env!("CARGO_BIN_EXE_terraform-provider-blockchain");
const COOKIE: &str = "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2";
const STEP: Duration = Duration::from_secs(10);

/// A client certificate made like Terraform's: self-signed ECDSA P-521, CA:TRUE.
struct ClientIdentity {
    pem: String,
    cert: CertificateDer<'static>,
    key: PrivatePkcs8KeyDer<'static>,
}

fn client_identity() -> ClientIdentity {
    let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P521_SHA512).unwrap();
    let mut params = CertificateParams::new(vec!["localhost".to_owned()]).unwrap();
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.extended_key_usages = vec![
        ExtendedKeyUsagePurpose::ClientAuth,
        ExtendedKeyUsagePurpose::ServerAuth,
    ];
    let cert = params.self_signed(&key).unwrap();
    ClientIdentity {
        pem: cert.pem(),
        cert: cert.der().clone(),
        key: PrivatePkcs8KeyDer::from(key.serialize_der()),
    }
}

/// Trusts exactly the server certificate from the handshake line, as go-plugin does.
#[derive(Debug)]
struct PinnedServer {
    cert: Vec<u8>,
    algorithms: WebPkiSupportedAlgorithms,
}

impl ServerCertVerifier for PinnedServer {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        _ocsp: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        assert_eq!(server_name.to_str(), "localhost");
        if end_entity.as_ref() == self.cert.as_slice() {
            Ok(ServerCertVerified::assertion())
        } else {
            Err(rustls::Error::InvalidCertificate(
                rustls::CertificateError::UnknownIssuer,
            ))
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

fn client_tls(server_cert: &[u8], identity: Option<&ClientIdentity>) -> TlsConnector {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let verifier = PinnedServer {
        cert: server_cert.to_vec(),
        algorithms: provider.signature_verification_algorithms,
    };
    let builder = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier));
    let mut config = match identity {
        Some(id) => builder
            .with_client_auth_cert(
                vec![id.cert.clone()],
                PrivateKeyDer::Pkcs8(id.key.clone_key()),
            )
            .unwrap(),
        None => builder.with_no_client_auth(),
    };
    config.alpn_protocols = vec![b"h2".to_vec()];
    TlsConnector::from(Arc::new(config))
}

trait Io: AsyncRead + AsyncWrite + Send + Unpin {}
impl<T: AsyncRead + AsyncWrite + Send + Unpin> Io for T {}

/// Dials the unix socket, optionally wrapping it in TLS, for tonic's channel.
#[derive(Clone)]
struct UnixConnector {
    path: PathBuf,
    tls: Option<TlsConnector>,
}

impl Service<Uri> for UnixConnector {
    type Response = TokioIo<Box<dyn Io>>;
    type Error = io::Error;
    type Future = Pin<Box<dyn Future<Output = io::Result<Self::Response>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, _uri: Uri) -> Self::Future {
        let this = self.clone();
        Box::pin(async move {
            let stream = UnixStream::connect(&this.path).await?;
            let io: Box<dyn Io> = match this.tls {
                Some(tls) => {
                    let name = ServerName::try_from("localhost").map_err(io::Error::other)?;
                    Box::new(tls.connect(name, stream).await?)
                }
                None => Box::new(stream),
            };
            Ok(TokioIo::new(io))
        })
    }
}

async fn connect(path: &Path, tls: Option<TlsConnector>) -> Result<Channel, String> {
    let connector = UnixConnector {
        path: path.to_path_buf(),
        tls,
    };
    let endpoint = Endpoint::from_static("http://localhost")
        .connect_timeout(STEP)
        .timeout(STEP);
    tokio::time::timeout(STEP, endpoint.connect_with_connector(connector))
        .await
        .map_err(|_| "connect timed out".to_owned())?
        .map_err(|err| format!("connect: {err}"))
}

/// Connects and asks for the health of service "plugin".
async fn plugin_health(path: &Path, tls: Option<TlsConnector>) -> Result<ServingStatus, String> {
    let channel = connect(path, tls).await?;
    let reply = tokio::time::timeout(
        STEP,
        HealthClient::new(channel).check(HealthCheckRequest {
            service: "plugin".to_owned(),
        }),
    )
    .await
    .map_err(|_| "health check timed out".to_owned())?
    .map_err(|status| format!("health check: {status}"))?;
    Ok(reply.into_inner().status())
}

/// The server's verdict on our client certificate, read as the TLS alert it sends.
///
/// In TLS 1.3 the client's handshake is complete once it has sent its certificate and
/// Finished; the server judges the certificate afterwards, sends an alert and closes. An
/// HTTP/2 client writes its preface straight away and so races that close: it may read the
/// alert, or fail first with EPIPE or a cancelled request that no longer names the cause.
/// Sending nothing and only reading leaves the alert as the one thing we can observe.
async fn tls_rejection(path: &Path, tls: TlsConnector) -> rustls::Error {
    let stream = UnixStream::connect(path).await.unwrap();
    let name = ServerName::try_from("localhost").unwrap();
    let mut tls_stream = tokio::time::timeout(STEP, tls.connect(name, stream))
        .await
        .expect("client handshake in time")
        .expect("TLS 1.3: the client finishes its handshake before the server judges it");
    let mut buf = [0u8; 64];
    let read = tokio::time::timeout(STEP, tls_stream.read(&mut buf))
        .await
        .expect("the server answers in time");
    let err = read.expect_err("the server sent data to a rejected client");
    let inner = err.into_inner().expect("a TLS error, not a bare I/O error");
    *inner.downcast::<rustls::Error>().expect("a rustls error")
}

/// The running plugin and what its handshake told us.
struct Plugin {
    child: Child,
    _stdout: BufReader<ChildStdout>,
    socket: PathBuf,
    cert: Option<Vec<u8>>,
    _dir: tempfile::TempDir,
}

fn command(dir: &Path) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("PLUGIN_UNIX_SOCKET_DIR", dir)
        .env("PLUGIN_PROTOCOL_VERSIONS", "6,5")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true);
    cmd
}

async fn start(client_cert_pem: Option<&str>) -> Plugin {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = command(dir.path());
    cmd.env("TF_PLUGIN_MAGIC_COOKIE", COOKIE);
    if let Some(pem) = client_cert_pem {
        cmd.env("PLUGIN_CLIENT_CERT", pem);
    }
    let mut child = cmd.spawn().unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    tokio::time::timeout(STEP, stdout.read_line(&mut line))
        .await
        .expect("handshake line in time")
        .unwrap();
    let fields: Vec<&str> = line.trim_end_matches('\n').split('|').collect();
    assert_eq!(fields.len(), 6, "handshake line: {line:?}");
    assert_eq!(&fields[..3], &["1", "5", "unix"]);
    assert_eq!(fields[4], "grpc");
    let socket = PathBuf::from(fields[3]);
    assert!(
        socket.starts_with(dir.path()),
        "socket {socket:?} not in PLUGIN_UNIX_SOCKET_DIR"
    );
    let cert = if fields[5].is_empty() {
        None
    } else {
        assert!(
            !fields[5].contains('='),
            "certificate must be unpadded base64"
        );
        Some(
            STANDARD_NO_PAD
                .decode(fields[5])
                .expect("base64 std without padding"),
        )
    };
    Plugin {
        child,
        _stdout: stdout,
        socket,
        cert,
        _dir: dir,
    }
}

fn send_signal(child: &Child, signal: &str) {
    let pid = child.id().expect("child still running").to_string();
    let status = std::process::Command::new("kill")
        .args([signal, &pid])
        .status()
        .unwrap();
    assert!(status.success());
}

async fn wait_exit(child: &mut Child, limit: Duration) -> std::process::ExitStatus {
    tokio::time::timeout(limit, child.wait())
        .await
        .expect("plugin exits in time")
        .unwrap()
}

#[tokio::test]
async fn mtls_serves_health_rejects_foreign_clients_and_shuts_down() {
    let client = client_identity();
    let mut plugin = start(Some(&client.pem)).await;
    let server_cert = plugin
        .cert
        .clone()
        .expect("AutoMTLS announces a server certificate");

    let status = plugin_health(
        &plugin.socket,
        Some(client_tls(&server_cert, Some(&client))),
    )
    .await
    .unwrap();
    assert_eq!(status, ServingStatus::Serving);

    let no_cert = plugin_health(&plugin.socket, Some(client_tls(&server_cert, None))).await;
    assert!(
        no_cert.is_err(),
        "a client without a certificate was served"
    );
    assert_eq!(
        tls_rejection(&plugin.socket, client_tls(&server_cert, None)).await,
        rustls::Error::AlertReceived(AlertDescription::CertificateRequired)
    );

    let stranger = client_identity();
    let wrong_cert = plugin_health(
        &plugin.socket,
        Some(client_tls(&server_cert, Some(&stranger))),
    )
    .await;
    assert!(
        wrong_cert.is_err(),
        "a client with a foreign certificate was served"
    );
    assert_eq!(
        tls_rejection(&plugin.socket, client_tls(&server_cert, Some(&stranger))).await,
        rustls::Error::AlertReceived(AlertDescription::AccessDenied)
    );

    let plaintext = plugin_health(&plugin.socket, None).await;
    assert!(plaintext.is_err(), "a plaintext client was served");

    // The plugin is still healthy after the rejections.
    let channel = connect(
        &plugin.socket,
        Some(client_tls(&server_cert, Some(&client))),
    )
    .await
    .unwrap();
    let status = HealthClient::new(channel.clone())
        .check(HealthCheckRequest {
            service: "plugin".to_owned(),
        })
        .await
        .unwrap();
    assert_eq!(status.into_inner().status(), ServingStatus::Serving);

    // Shutdown replies, then the process exits while our connection is still open.
    GrpcControllerClient::new(channel.clone())
        .shutdown(Empty {})
        .await
        .unwrap();
    let exit = wait_exit(&mut plugin.child, Duration::from_secs(2)).await;
    assert!(exit.success(), "exit status {exit:?}");
    assert!(!plugin.socket.exists(), "socket file left behind");
    drop(channel);
}

#[tokio::test]
async fn without_client_cert_serves_plaintext_with_empty_cert_field() {
    let mut plugin = start(None).await;
    assert!(plugin.cert.is_none());
    assert_eq!(
        plugin_health(&plugin.socket, None).await.unwrap(),
        ServingStatus::Serving
    );
    send_signal(&plugin.child, "-TERM");
    let exit = wait_exit(&mut plugin.child, STEP).await;
    assert!(exit.success(), "exit status {exit:?}");
    assert!(!plugin.socket.exists(), "socket file left behind");
}

#[tokio::test]
async fn sigint_is_ignored_while_serving() {
    let mut plugin = start(None).await;
    send_signal(&plugin.child, "-INT");
    // Let the signal land, then prove the process is alive and still serving.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        plugin.child.try_wait().unwrap().is_none(),
        "plugin died on SIGINT"
    );
    assert_eq!(
        plugin_health(&plugin.socket, None).await.unwrap(),
        ServingStatus::Serving
    );
    send_signal(&plugin.child, "-TERM");
    assert!(wait_exit(&mut plugin.child, STEP).await.success());
}

#[tokio::test]
async fn without_the_cookie_the_binary_explains_and_exits_1() {
    let dir = tempfile::tempdir().unwrap();
    let output = tokio::time::timeout(STEP, command(dir.path()).stderr(Stdio::piped()).output())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(output.stdout.is_empty());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("This binary is a plugin. These are not meant to be executed directly."),
        "{stderr}"
    );
    assert!(
        stderr.contains("load any plugins automatically"),
        "{stderr}"
    );
}

#[tokio::test]
async fn debug_mode_prints_reattach_json_and_stops_on_sigint() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = command(dir.path()).arg("--debug").spawn().unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let reattach = tokio::time::timeout(STEP, async {
        loop {
            let mut line = String::new();
            if stdout.read_line(&mut line).await.unwrap() == 0 {
                panic!("stdout closed before TF_REATTACH_PROVIDERS");
            }
            if let Some(rest) = line.trim().strip_prefix("TF_REATTACH_PROVIDERS='") {
                break rest.trim_end_matches('\'').to_owned();
            }
        }
    })
    .await
    .unwrap();
    let json: serde_json::Value = serde_json::from_str(&reattach).unwrap();
    let entry = &json[tfprovider_blockchain::plugin::PROVIDER_ADDRESS];
    assert_eq!(entry["Protocol"], "grpc");
    assert_eq!(entry["ProtocolVersion"], 5);
    assert_eq!(entry["Test"], true);
    assert_eq!(entry["Pid"], child.id().unwrap());
    assert_eq!(entry["Addr"]["Network"], "unix");
    let socket = PathBuf::from(entry["Addr"]["String"].as_str().unwrap());
    assert_eq!(
        plugin_health(&socket, None).await.unwrap(),
        ServingStatus::Serving
    );

    send_signal(&child, "-INT");
    assert!(wait_exit(&mut child, STEP).await.success());
    assert!(!socket.exists(), "socket file left behind");
}

/// Whether process `pid` has ended (gone, or a zombie nobody reaped yet).
fn has_ended(pid: &str) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        Ok(stat) => stat
            .rsplit_once(')')
            .is_some_and(|(_, rest)| rest.trim_start().starts_with('Z')),
    }
}

#[tokio::test]
async fn the_provider_exits_when_terraform_is_killed() {
    let dir = tempfile::tempdir().unwrap();
    // A stand-in for Terraform: a shell that starts the provider and is then killed -9.
    let mut parent = Command::new("sh");
    parent
        .arg("-c")
        .arg("\"$0\" > \"$1/handshake\" & echo $!; wait")
        .arg(BIN)
        .arg(dir.path())
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("PLUGIN_UNIX_SOCKET_DIR", dir.path())
        .env("PLUGIN_PROTOCOL_VERSIONS", "5")
        .env("TF_PLUGIN_MAGIC_COOKIE", COOKIE)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true);
    let mut parent = parent.spawn().unwrap();
    let mut out = BufReader::new(parent.stdout.take().unwrap());
    let mut pid = String::new();
    tokio::time::timeout(STEP, out.read_line(&mut pid))
        .await
        .expect("provider pid in time")
        .unwrap();
    let pid = pid.trim().to_string();
    // Serving: the handshake line is out.
    let handshake = dir.path().join("handshake");
    for _ in 0..100 {
        if std::fs::read_to_string(&handshake).is_ok_and(|h| h.contains("|unix|")) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        !has_ended(&pid),
        "the provider serves while Terraform lives"
    );
    send_signal(&parent, "-KILL");
    let _ = parent.wait().await;
    let mut ended = false;
    for _ in 0..100 {
        if has_ended(&pid) {
            ended = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    if !ended {
        let _ = std::process::Command::new("kill")
            .args(["-9", &pid])
            .status();
    }
    assert!(ended, "the provider outlived Terraform by more than 5 s");
}
