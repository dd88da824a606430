//! The Fabric CA REST client: `GET <api_url>/cainfo?ca=<name>` over HTTPS (and, next,
//! register and enroll). A CA the console created answers `/cainfo` only once its pods serve
//! (docs/dev/fabric-ca.md#readiness-via-cainfo), which is how readiness is told.
//!
//! Trust: the given certificate (the CA's TLS certificate or root from the console, PEM or
//! base64 PEM) is both an extra root and a pin, plus the configured bundle and the system
//! roots. One HTTP client (and its connection pool) is kept per trusted set, so polling a
//! starting CA does not rebuild TLS state on every look.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use http::header::ACCEPT;
use rustls::pki_types::CertificateDer;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use thiserror::Error;
use tokio_util::sync::CancellationToken;
use url::Url;

use crate::net::tls;

/// Longest single request (a starting CA often accepts and then stalls).
const MAX_REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// How to reach Fabric CAs: the same trust and limits as the console's provider block.
#[derive(Debug, Clone)]
pub struct FabricCaConfig {
    /// Extra trusted roots (PEM), added to the system roots.
    pub bundle_pem: Option<Vec<u8>>,
    /// Disables certificate verification (throw-away test setups only).
    pub insecure: bool,
    pub request_timeout: Duration,
    pub user_agent: String,
}

/// A failed Fabric CA call; `request` is `"GET /cainfo"` (no host or credentials).
#[derive(Debug, Clone, Error, PartialEq)]
pub enum FabricCaError {
    #[error("invalid Fabric CA setting: {0}")]
    Config(String),
    #[error("{request}: could not reach the Fabric CA: {detail}")]
    Transport { request: String, detail: String },
    #[error("{request}: the Fabric CA did not answer in time")]
    Timeout { request: String },
    #[error("{request}: the Fabric CA's answer could not be read: {detail}")]
    Decode { request: String, detail: String },
    #[error("{request}: the Fabric CA answered {status}: {msg}")]
    Refused {
        request: String,
        status: u16,
        msg: String,
    },
    #[error("{request}: cancelled because Terraform asked the provider to stop")]
    Cancelled { request: String },
}

impl FabricCaError {
    /// Errors a starting CA gives (nothing listening yet, TLS not up, a proxy's 5xx, a
    /// stalled answer): waiting may end them. Configuration and trust errors it will not.
    pub fn is_not_serving_yet(&self) -> bool {
        match self {
            FabricCaError::Transport { detail, .. } => !tls::is_certificate_rejection(detail),
            FabricCaError::Timeout { .. } | FabricCaError::Decode { .. } => true,
            FabricCaError::Refused { status, .. } => *status >= 500,
            FabricCaError::Config(_) | FabricCaError::Cancelled { .. } => false,
        }
    }
}

impl From<tls::TlsError> for FabricCaError {
    fn from(e: tls::TlsError) -> Self {
        FabricCaError::Config(e.0)
    }
}

use crate::net::null_default;

/// The `result` of a `GET /cainfo` answer.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct CaInfo {
    #[serde(rename = "CAName", deserialize_with = "null_default")]
    pub ca_name: String,
    /// Base64 of the PEM chain.
    #[serde(rename = "CAChain", deserialize_with = "null_default")]
    pub ca_chain: String,
    #[serde(rename = "IssuerPublicKey", deserialize_with = "null_default")]
    pub issuer_public_key: String,
    #[serde(
        rename = "IssuerRevocationPublicKey",
        deserialize_with = "null_default"
    )]
    pub issuer_revocation_public_key: String,
    #[serde(rename = "Version", deserialize_with = "null_default")]
    pub version: String,
}

/// The Fabric CA response envelope `{result, errors, messages, success}`.
/// `result` stays raw: on errors the CA sends `"result":""`.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(default)]
struct Envelope {
    result: Value,
    #[serde(deserialize_with = "null_default")]
    errors: Vec<Message>,
    #[serde(deserialize_with = "null_default")]
    success: bool,
}

/// One entry of an `errors` list.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(default)]
struct Message {
    code: i64,
    #[serde(deserialize_with = "null_default")]
    message: String,
}

/// A client for the Fabric CAs of one provider block. Cheap to clone.
#[derive(Clone, Debug)]
pub struct FabricCaClient {
    bundle: Arc<Vec<CertificateDer<'static>>>,
    config: Arc<FabricCaConfig>,
    /// One HTTP client per extra trusted certificate set (keyed by its PEM bytes).
    clients: Arc<Mutex<HashMap<Vec<u8>, reqwest::Client>>>,
}

impl FabricCaClient {
    /// Fails on an unreadable bundle.
    pub fn new(config: FabricCaConfig) -> Result<Self, FabricCaError> {
        let bundle = match &config.bundle_pem {
            Some(pem) => tls::parse_certificates(pem)?,
            None => Vec::new(),
        };
        Ok(Self {
            bundle: Arc::new(bundle),
            config: Arc::new(config),
            clients: Arc::default(),
        })
    }

    /// The HTTP client that trusts `root_pem` (and the bundle and system roots).
    fn http_for(&self, root_pem: Option<&[u8]>) -> Result<reqwest::Client, FabricCaError> {
        let key = root_pem.unwrap_or_default().to_vec();
        let mut clients = self
            .clients
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(c) = clients.get(&key) {
            return Ok(c.clone());
        }
        let trusted = match root_pem {
            Some(pem) => tls::parse_certificates(pem)?,
            None => Vec::new(),
        };
        let tls_cfg =
            tls::client_config(&self.bundle, &trusted, self.config.insecure, &[b"http/1.1"])?;
        let http = reqwest::Client::builder()
            .user_agent(self.config.user_agent.clone())
            .timeout(self.config.request_timeout.min(MAX_REQUEST_TIMEOUT))
            .redirect(reqwest::redirect::Policy::none())
            .tls_backend_preconfigured(tls_cfg)
            .build()
            .map_err(|e| FabricCaError::Config(format!("cannot build the HTTP client: {e}")))?;
        clients.insert(key, http.clone());
        Ok(http)
    }

    /// One `/cainfo` request (no retries: callers poll).
    pub async fn ca_info(
        &self,
        api_url: &str,
        ca_name: &str,
        root_pem: Option<&[u8]>,
        cancel: &CancellationToken,
    ) -> Result<CaInfo, FabricCaError> {
        let url = cainfo_url(api_url, ca_name)?;
        let request = format!("GET {}", url.path());
        let http = self.http_for(root_pem)?;
        let send = async {
            let resp = http
                .get(url.clone())
                .header(ACCEPT, "application/json")
                .send()
                .await?;
            let status = resp.status().as_u16();
            Ok::<_, reqwest::Error>((status, resp.text().await?))
        };
        let (status, body) = tokio::select! {
            biased;
            _ = cancel.cancelled() => return Err(FabricCaError::Cancelled { request }),
            r = send => r.map_err(|e| {
                if e.is_timeout() {
                    FabricCaError::Timeout { request: request.clone() }
                } else {
                    FabricCaError::Transport { request: request.clone(), detail: crate::net::describe(&e) }
                }
            })?,
        };
        let envelope: Envelope =
            serde_json::from_str(&body).map_err(|e| FabricCaError::Decode {
                request: request.clone(),
                detail: e.to_string(),
            })?;
        if (200..300).contains(&status) && envelope.success {
            return serde_json::from_value(envelope.result).map_err(|e| FabricCaError::Decode {
                request,
                detail: e.to_string(),
            });
        }
        let errors: Vec<String> = envelope
            .errors
            .iter()
            .map(|m| format!("{} (code {})", m.message, m.code))
            .collect();
        Err(FabricCaError::Refused {
            request,
            status,
            msg: if errors.is_empty() {
                "it did not report success".to_owned()
            } else {
                errors.join("; ")
            },
        })
    }
}

/// `<api_url>/cainfo?ca=<name>`, keeping any path prefix of `api_url`.
fn cainfo_url(api_url: &str, ca_name: &str) -> Result<Url, FabricCaError> {
    let mut url = Url::parse(api_url)
        .map_err(|e| FabricCaError::Config(format!("invalid CA api_url {api_url:?}: {e}")))?;
    if !matches!(url.scheme(), "http" | "https") || url.cannot_be_a_base() {
        return Err(FabricCaError::Config(format!(
            "the CA api_url must be https://host:port, got {api_url}"
        )));
    }
    if let Ok(mut path) = url.path_segments_mut() {
        path.pop_if_empty().push("cainfo");
    }
    url.set_query(None);
    url.query_pairs_mut().append_pair("ca", ca_name);
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cainfo_url_is_built_under_the_api_url() {
        assert_eq!(
            cainfo_url("https://127.0.0.1:7054", "ca").unwrap().as_str(),
            "https://127.0.0.1:7054/cainfo?ca=ca"
        );
        assert_eq!(
            cainfo_url("https://ca.example.org:443/prefix/", "tls ca")
                .unwrap()
                .as_str(),
            "https://ca.example.org/prefix/cainfo?ca=tls+ca"
        );
        assert!(cainfo_url("grpcs://x:1", "ca").is_err());
        assert!(cainfo_url("not a url", "ca").is_err());
    }

    mod live {
        use super::*;
        use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};
        use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
        use std::sync::Arc;
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        use tokio::net::TcpListener;

        const CAINFO: &str = include_str!("../../tests/fixtures/console/cainfo_ca.response.json");

        /// A root CA and a server leaf for 127.0.0.1 signed by it (as a Fabric
        /// CA's TLS cert is), both PEM.
        struct Pki {
            root_pem: String,
            leaf_pem: String,
            leaf_der: rustls::pki_types::CertificateDer<'static>,
            leaf_key: Vec<u8>,
        }

        fn pki() -> Pki {
            let root_key = KeyPair::generate().unwrap();
            let mut root_params = CertificateParams::new(Vec::<String>::new()).unwrap();
            root_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
            let root = root_params.self_signed(&root_key).unwrap();
            let issuer = Issuer::new(root_params, root_key);
            let leaf_key = KeyPair::generate().unwrap();
            let leaf = CertificateParams::new(vec!["127.0.0.1".to_owned()])
                .unwrap()
                .signed_by(&leaf_key, &issuer)
                .unwrap();
            Pki {
                root_pem: root.pem(),
                leaf_pem: leaf.pem(),
                leaf_der: leaf.der().clone(),
                leaf_key: leaf_key.serialize_der(),
            }
        }

        /// Serves `body` with `status` over TLS to every connection; returns the api_url.
        async fn tls_ca(
            pki: &Pki,
            status: u16,
            body: &'static str,
        ) -> (String, tokio::task::JoinHandle<()>) {
            let cfg = rustls::ServerConfig::builder_with_provider(tls::provider())
                .with_safe_default_protocol_versions()
                .unwrap()
                .with_no_client_auth()
                .with_single_cert(
                    vec![pki.leaf_der.clone()],
                    PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(pki.leaf_key.clone())),
                )
                .unwrap();
            let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(cfg));
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = listener.local_addr().unwrap();
            let task = tokio::spawn(async move {
                while let Ok((sock, _)) = listener.accept().await {
                    let acceptor = acceptor.clone();
                    tokio::spawn(async move {
                        let Ok(mut tls) = acceptor.accept(sock).await else {
                            return;
                        };
                        let mut buf = [0u8; 4096];
                        let _ = tls.read(&mut buf).await;
                        let resp = format!(
                            "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: {}\r\n\r\n{body}",
                            body.len()
                        );
                        let _ = tls.write_all(resp.as_bytes()).await;
                        let _ = tls.shutdown().await;
                    });
                }
            });
            (format!("https://127.0.0.1:{}", addr.port()), task)
        }

        fn never() -> CancellationToken {
            CancellationToken::new()
        }

        fn client() -> FabricCaClient {
            FabricCaClient::new(FabricCaConfig {
                bundle_pem: None,
                insecure: false,
                request_timeout: Duration::from_secs(5),
                user_agent: "test".into(),
            })
            .unwrap()
        }

        #[tokio::test]
        async fn cainfo_succeeds_when_trusting_the_root_or_pinning_the_tls_cert() {
            let pki = pki();
            let (api_url, _server) = tls_ca(&pki, 200, CAINFO).await;
            let c = client();
            let info = c
                .ca_info(&api_url, "ca", Some(pki.root_pem.as_bytes()), &never())
                .await
                .unwrap();
            assert_eq!(info.ca_name, "ca");
            assert!(info.ca_chain.starts_with("LS0tLS1CRUdJTi"));
            // The console hands out the CA's TLS leaf as base64 PEM: pinned.
            let b64 =
                base64::Engine::encode(&base64::engine::general_purpose::STANDARD, &pki.leaf_pem);
            let info = c
                .ca_info(&api_url, "ca", Some(b64.as_bytes()), &never())
                .await
                .unwrap();
            assert_eq!(info.ca_name, "ca");
        }

        #[tokio::test]
        async fn one_http_client_serves_every_probe_of_a_ca() {
            let pki = pki();
            let (api_url, _server) = tls_ca(&pki, 200, CAINFO).await;
            let c = client();
            for _ in 0..3 {
                c.ca_info(&api_url, "ca", Some(pki.root_pem.as_bytes()), &never())
                    .await
                    .unwrap();
            }
            assert_eq!(c.clients.lock().unwrap().len(), 1);
        }

        #[tokio::test]
        async fn a_closed_port_is_a_transport_error_to_wait_out() {
            let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            let api_url = format!("https://{}", probe.local_addr().unwrap());
            drop(probe);
            let err = client()
                .ca_info(&api_url, "ca", None, &never())
                .await
                .unwrap_err();
            assert!(err.is_not_serving_yet(), "{err}");
        }

        #[tokio::test]
        async fn cainfo_refuses_an_untrusted_server() {
            let pki = pki();
            let other = pki_other();
            let (api_url, _server) = tls_ca(&pki, 200, CAINFO).await;
            let err = client()
                .ca_info(&api_url, "ca", Some(other.as_bytes()), &never())
                .await
                .unwrap_err();
            assert!(matches!(err, FabricCaError::Transport { .. }), "{err}");
        }

        /// A root unrelated to the server.
        pub(super) fn pki_other() -> String {
            pki().root_pem
        }

        #[tokio::test]
        async fn cainfo_errors_from_the_ca_are_reported() {
            let pki = pki();
            // The real fabric-ca-server answer for an unknown CA name.
            let body =
                include_str!("../../tests/fixtures/console/error_cainfo_unknown_ca.response.json");
            let (api_url, _server) = tls_ca(&pki, 404, body).await;
            let err = client()
                .ca_info(
                    &api_url,
                    "nosuchca",
                    Some(pki.root_pem.as_bytes()),
                    &never(),
                )
                .await
                .unwrap_err();
            assert!(
                err.to_string()
                    .contains("CA 'nosuchca' does not exist (code 19)"),
                "{err}"
            );
        }
    }
}
