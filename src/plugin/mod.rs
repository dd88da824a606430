//! The go-plugin process contract Terraform expects from a provider binary:
//! magic-cookie check, protocol negotiation, a private unix socket with AutoMTLS,
//! the handshake line, the health and controller side services, signals, panics
//! and hclog logs. It is generic over the tonic service it hosts and knows
//! nothing about providers or resources. The rules it follows: docs/dev/plugin-protocol.md#process.

mod cli;
pub mod controller;
pub mod debug;
pub mod handshake;
pub mod logging;
pub mod panic;
pub mod parent;
pub mod signals;
pub mod tls;
pub mod transport;

use std::convert::Infallible;
use std::ffi::OsString;
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use tokio_rustls::TlsAcceptor;
use tokio_util::sync::CancellationToken;
use tonic::body::Body;
use tonic::codegen::Service;
use tonic::server::NamedService;
use tonic::transport::Server;
use tonic_health::ServingStatus;
use tracing::{debug, warn};

use handshake::{Network, MAGIC_COOKIE_KEY, NOT_A_PLUGIN_MESSAGE, SUPPORTED_PROTOCOL_VERSIONS};

/// The provider's source address, used for reattach instructions and docs.
pub const PROVIDER_ADDRESS: &str = "registry.terraform.io/ibm-blockchain/blockchain";

/// Environment variable holding Terraform's client certificate (PEM) for AutoMTLS.
pub const CLIENT_CERT_ENV: &str = "PLUGIN_CLIENT_CERT";
/// Environment variable listing the tfplugin versions Terraform speaks.
pub const PROTOCOL_VERSIONS_ENV: &str = "PLUGIN_PROTOCOL_VERSIONS";

/// After shutdown starts, connections get this long to drain before we exit anyway
/// (Terraform itself kills the process after 2 s).
const SHUTDOWN_HARD_CAP: Duration = Duration::from_secs(2);
/// How long the runtime may spend on leftover blocking work at exit.
const RUNTIME_DRAIN: Duration = Duration::from_millis(100);

/// A tonic service this runtime can host next to its side services: what
/// `tonic::transport::Server::add_service` accepts, with tonic's own body types.
pub trait PluginService:
    Service<
        http::Request<Body>,
        Response = http::Response<Body>,
        Error = Infallible,
        Future: Send + 'static,
    > + NamedService
    + Clone
    + Send
    + Sync
    + 'static
{
}

impl<S> PluginService for S where
    S: Service<
            http::Request<Body>,
            Response = http::Response<Body>,
            Error = Infallible,
            Future: Send + 'static,
        > + NamedService
        + Clone
        + Send
        + Sync
        + 'static
{
}

/// Why serving failed.
#[derive(Debug, thiserror::Error)]
pub enum PluginError {
    /// The tokio runtime could not start.
    #[error("starting the async runtime: {0}")]
    Runtime(#[source] io::Error),
    /// Signal handlers could not be registered.
    #[error("registering signal handlers: {0}")]
    Signals(#[source] io::Error),
    /// The unix socket could not be created.
    #[error("creating the plugin socket: {0}")]
    Socket(#[source] io::Error),
    /// AutoMTLS could not be set up.
    #[error("setting up AutoMTLS: {0}")]
    Tls(#[from] tls::TlsError),
    /// The handshake could not be written.
    #[error("writing the handshake to stdout: {0}")]
    Stdout(#[source] io::Error),
    /// The gRPC server failed.
    #[error("serving gRPC: {0}")]
    Serve(#[from] tonic::transport::Error),
}

/// Everything `serve` takes from the environment, separated out for tests.
#[derive(Debug, Clone, Default)]
pub struct ServeConfig {
    /// Debug (reattach) mode: plaintext, instructions instead of a handshake, and
    /// Ctrl-C stops the server.
    pub debug: bool,
    /// `PLUGIN_PROTOCOL_VERSIONS` as given.
    pub protocol_versions: Option<String>,
    /// `PLUGIN_CLIENT_CERT` (a public certificate): AutoMTLS is on when present.
    pub client_cert_pem: Option<String>,
    /// `PLUGIN_UNIX_SOCKET_DIR`, else the temp dir.
    pub socket_dir: Option<PathBuf>,
}

impl ServeConfig {
    /// Reads the go-plugin variables; empty values count as unset, as in go-plugin.
    pub fn from_env(debug: bool) -> Self {
        let var = |key: &str| std::env::var(key).ok().filter(|value| !value.is_empty());
        Self {
            debug,
            protocol_versions: var(PROTOCOL_VERSIONS_ENV),
            client_cert_pem: var(CLIENT_CERT_ENV),
            socket_dir: var(transport::SOCKET_DIR_ENV).map(PathBuf::from),
        }
    }
}

/// The whole program: parse arguments, check the cookie, set up logs and panics,
/// serve `make_service()` until Terraform is done, and map the outcome to an exit
/// code (1 for misuse or failure; 2 after a panic, from the hook).
pub fn main_entry<S, F>(make_service: F) -> ExitCode
where
    F: FnOnce() -> S,
    S: PluginService,
{
    let args: Vec<OsString> = std::env::args_os().collect();
    let program = args
        .first()
        .and_then(|arg0| Path::new(arg0).file_name())
        .map_or_else(
            || env!("CARGO_PKG_NAME").to_owned(),
            |name| name.to_string_lossy().into_owned(),
        );
    let debug = match cli::parse(args.get(1..).unwrap_or_default()) {
        cli::Command::Serve => false,
        cli::Command::Debug => true,
        cli::Command::Help => {
            print!("{}", cli::usage(&program));
            return ExitCode::SUCCESS;
        }
        cli::Command::Version => {
            println!("{program} {}", env!("CARGO_PKG_VERSION"));
            return ExitCode::SUCCESS;
        }
        cli::Command::Invalid(arg) => {
            eprint!("unknown argument: {arg}\n\n{}", cli::usage(&program));
            return ExitCode::from(1);
        }
    };

    panic::install_hook();
    if !debug && !handshake::cookie_is_valid(std::env::var(MAGIC_COOKIE_KEY).ok().as_deref()) {
        eprint!("{NOT_A_PLUGIN_MESSAGE}");
        return ExitCode::from(1);
    }
    logging::init(logging::level_from_env(|key| std::env::var(key).ok()));

    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("Error: {}", PluginError::Runtime(err));
            return ExitCode::from(1);
        }
    };
    let result =
        runtime.block_on(async { serve(make_service(), ServeConfig::from_env(debug)).await });
    runtime.shutdown_timeout(RUNTIME_DRAIN);
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("Error: {err}");
            ExitCode::from(1)
        }
    }
}

/// Serves `service` (plus health and controller) on a fresh unix socket, announces
/// it on stdout, and returns once shutdown was requested (GRPCController/Shutdown,
/// SIGTERM, or SIGINT in debug mode) and connections drained, at most
/// [`SHUTDOWN_HARD_CAP`] later. Must run inside a tokio runtime.
pub async fn serve<S: PluginService>(service: S, config: ServeConfig) -> Result<(), PluginError> {
    let shutdown = CancellationToken::new();
    // First, so SIGINT is ignored before Terraform can know we exist.
    let signals = signals::Signals::install().map_err(PluginError::Signals)?;

    let version = handshake::negotiate_protocol(
        config.protocol_versions.as_deref(),
        SUPPORTED_PROTOCOL_VERSIONS,
    );
    let (listener, socket) =
        transport::bind_unix_socket(config.socket_dir.as_deref()).map_err(PluginError::Socket)?;

    let (acceptor, cert_der) = match (&config.client_cert_pem, config.debug) {
        (Some(pem), false) => {
            let identity = tls::ServerIdentity::generate()?;
            let tls_config = tls::server_config(&identity, tls::parse_client_cert(pem)?)?;
            (
                Some(TlsAcceptor::from(tls_config)),
                Some(identity.cert_der().to_vec()),
            )
        }
        _ => (None, None),
    };

    let (health_reporter, health) = tonic_health::server::health_reporter();
    health_reporter
        .set_service_status("plugin", ServingStatus::Serving)
        .await;
    let router = Server::builder()
        .add_service(health)
        .add_service(controller::Controller::new(shutdown.clone()).into_service())
        .add_service(service);

    let announcement = if config.debug {
        let reattach =
            debug::reattach_json(PROVIDER_ADDRESS, version, std::process::id(), socket.path());
        debug::instructions(PROVIDER_ADDRESS, &reattach)
    } else {
        let addr = socket.path().to_string_lossy();
        format!(
            "{}\n",
            handshake::handshake_line(version, Network::Unix, &addr, cert_der.as_deref())
        )
    };
    announce(&announcement).map_err(PluginError::Stdout)?;
    debug!(socket = %socket.path().display(), protocol = version, tls = acceptor.is_some(), "plugin serving");

    signals.spawn_watcher(shutdown.clone(), config.debug);
    if !config.debug {
        // In --debug mode a person runs the provider from a shell and stops it with Ctrl-C.
        parent::exit_with_parent(shutdown.clone());
    }
    let incoming = transport::incoming(listener, acceptor, shutdown.clone());
    let server = router.serve_with_incoming_shutdown(incoming, shutdown.clone().cancelled_owned());
    tokio::select! {
        result = server => result?,
        () = hard_deadline(&shutdown) => {
            warn!("connections still open {SHUTDOWN_HARD_CAP:?} after shutdown began; exiting anyway");
        }
    }
    debug!("plugin stopped");
    drop(socket);
    Ok(())
}

/// Writes the announcement to stdout in one go and flushes: Terraform reads the
/// first line as the handshake and waits for it.
fn announce(text: &str) -> io::Result<()> {
    let mut stdout = io::stdout().lock();
    stdout.write_all(text.as_bytes())?;
    stdout.flush()
}

/// Completes [`SHUTDOWN_HARD_CAP`] after shutdown begins.
async fn hard_deadline(shutdown: &CancellationToken) {
    shutdown.cancelled().await;
    tokio::time::sleep(SHUTDOWN_HARD_CAP).await;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::tfplugin5::provider_server::{Provider, ProviderServer};

    fn assert_plugin_service<S: PluginService>() {}

    /// Generated tonic servers, the tfplugin5 provider included, can be hosted.
    #[allow(dead_code)]
    fn generated_servers_are_plugin_services<P: Provider>() {
        assert_plugin_service::<ProviderServer<P>>();
        assert_plugin_service::<
            crate::proto::go_plugin::grpc_controller_server::GrpcControllerServer<
                controller::Controller,
            >,
        >();
    }

    #[test]
    fn config_defaults_to_plaintext_in_the_temp_dir() {
        let config = ServeConfig::default();
        assert!(!config.debug);
        assert!(config.client_cert_pem.is_none());
        assert!(config.socket_dir.is_none());
    }

    #[tokio::test]
    async fn serve_rejects_a_bad_client_certificate_before_announcing() {
        let dir = tempfile::tempdir().unwrap();
        let config = ServeConfig {
            client_cert_pem: Some("not pem".to_owned()),
            socket_dir: Some(dir.path().to_path_buf()),
            ..ServeConfig::default()
        };
        let service = controller::Controller::new(CancellationToken::new()).into_service();
        let err = serve(service, config).await.unwrap_err();
        assert!(
            matches!(err, PluginError::Tls(tls::TlsError::NoClientCert)),
            "{err}"
        );
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            0,
            "socket left behind"
        );
    }
}
