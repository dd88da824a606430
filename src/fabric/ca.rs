//! The Fabric CA REST client: one request core ([`FabricCaClient::call`]) over HTTPS that every
//! endpoint module uses (`cainfo` here, enroll and reenroll in `enroll.rs`, register,
//! identities and revoke in `registry.rs`). A CA the console created answers `/cainfo` only
//! once its pods serve (docs/dev/fabric-ca.md#readiness-via-cainfo), which is how readiness is told.
//!
//! Trust: the given certificate (the CA's TLS certificate or root from the console, PEM or
//! base64 PEM) is both an extra root and a pin, plus the configured bundle and the system
//! roots. One HTTP client (and its connection pool) is kept per trusted set, so polling a
//! starting CA does not rebuild TLS state on every look.
//!
//! No call is retried here. A call that changes the CA and loses its answer ends as
//! [`FabricCaError::Uncertain`] (docs/dev/fabric-ca.md#lost-answers).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use http::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE};
use http::{HeaderValue, Method};
use rustls::pki_types::CertificateDer;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio_util::sync::CancellationToken;
use url::{Position, Url};

pub use super::error::{FabricCaError, Refusal};
use super::identity::SigningIdentity;
use super::secret::Secret;
use super::token;
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

/// One CA of a Fabric CA server: where it listens, its name there (`ca` or `tlsca` on a
/// console-deployed server: docs/dev/fabric-ca.md#ca-selection), and the certificate its HTTPS
/// is trusted by (PEM or base64 PEM; `None`: the bundle and system roots).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CaEndpoint {
    pub api_url: String,
    pub ca_name: String,
    pub tls_root_pem: Option<Vec<u8>>,
}

pub(crate) use crate::net::null_default;

/// The `result` of a `GET /cainfo` answer (also `ServerInfo` in enroll answers).
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

/// How a request proves who sends it.
pub(crate) enum Auth<'a> {
    None,
    /// `Authorization: Basic b64(id:secret)` (enroll).
    Basic {
        id: &'a str,
        secret: &'a Secret,
    },
    /// A token signed by this identity (docs/dev/fabric-ca.md#token-auth).
    Token(&'a SigningIdentity),
}

/// One request: `method <api_url>/<segments>?ca=<name>&<query>`.
pub(crate) struct Call<'a> {
    pub method: Method,
    pub segments: &'a [&'a str],
    pub query: &'a [(&'a str, &'a str)],
    /// JSON bytes, sent exactly as signed.
    pub body: Option<Vec<u8>>,
    pub auth: Auth<'a>,
    /// Whether sending it twice does no harm. A call that is not loses its answer as
    /// [`FabricCaError::Uncertain`].
    pub idempotent: bool,
}

/// A client for the Fabric CAs of one provider block. Cheap to clone.
#[derive(Clone, Debug)]
pub struct FabricCaClient {
    bundle: Arc<Vec<CertificateDer<'static>>>,
    config: Arc<FabricCaConfig>,
    /// One HTTP client per extra trusted certificate set (keyed by its PEM bytes).
    clients: Arc<Mutex<HashMap<Vec<u8>, reqwest::Client>>>,
    /// `/cainfo` answers already had, per CA endpoint (see [`FabricCaClient::ca_info_once`]).
    ca_infos: Arc<Mutex<HashMap<CaEndpoint, Arc<tokio::sync::OnceCell<CaInfo>>>>>,
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
            ca_infos: Arc::default(),
        })
    }

    /// The HTTP client that trusts `root_pem` (and the bundle and system roots).
    pub(super) fn http_for(
        &self,
        root_pem: Option<&[u8]>,
    ) -> Result<reqwest::Client, FabricCaError> {
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
        let ca = CaEndpoint {
            api_url: api_url.to_owned(),
            ca_name: ca_name.to_owned(),
            tls_root_pem: root_pem.map(<[u8]>::to_vec),
        };
        let call = Call {
            method: Method::GET,
            segments: &["cainfo"],
            query: &[],
            body: None,
            auth: Auth::None,
            idempotent: true,
        };
        self.call(&ca, call, cancel).await
    }

    /// The CA's `/cainfo`, asked at most once per endpoint for the life of this client (one
    /// provider process: one Terraform command's walk), however many resources read it and
    /// however concurrently: a chain is read at plan time, and the plan's cost must not grow
    /// with the number of resources on one CA. A failure is not kept: the next caller asks
    /// again. Callers that watch a CA change (readiness polls) use [`Self::ca_info`].
    pub async fn ca_info_once(
        &self,
        ca: &CaEndpoint,
        cancel: &CancellationToken,
    ) -> Result<CaInfo, FabricCaError> {
        let cell = {
            let mut infos = self
                .ca_infos
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            Arc::clone(infos.entry(ca.clone()).or_default())
        };
        cell.get_or_try_init(|| {
            self.ca_info(&ca.api_url, &ca.ca_name, ca.tls_root_pem.as_deref(), cancel)
        })
        .await
        .cloned()
    }

    /// Sends one request and decodes the `result` of a successful answer into `T`.
    pub(crate) async fn call<T: DeserializeOwned>(
        &self,
        ca: &CaEndpoint,
        call: Call<'_>,
        cancel: &CancellationToken,
    ) -> Result<T, FabricCaError> {
        let url = endpoint_url(&ca.api_url, call.segments, &ca.ca_name, call.query)?;
        let request = format!("{} {}", call.method, url.path());
        if cancel.is_cancelled() {
            return Err(FabricCaError::Cancelled { request });
        }
        let http = self.http_for(ca.tls_root_pem.as_deref())?;
        let body = call.body.unwrap_or_default();
        let mut builder = http
            .request(call.method.clone(), url.clone())
            .header(ACCEPT, "application/json");
        if !body.is_empty() {
            builder = builder.header(CONTENT_TYPE, "application/json");
        }
        match call.auth {
            Auth::None => {}
            Auth::Basic { id, secret } => builder = builder.basic_auth(id, Some(secret.expose())),
            Auth::Token(identity) => {
                // The server signs `RequestURI()`: the path and query as sent.
                let uri = &url[Position::BeforePath..];
                let mut value = token::token(identity, call.method.as_str(), uri, &body)
                    .map_err(|e| FabricCaError::Credentials {
                        request: request.clone(),
                        detail: e.to_string(),
                    })
                    .and_then(|t| {
                        HeaderValue::from_str(&t).map_err(|e| FabricCaError::Credentials {
                            request: request.clone(),
                            detail: e.to_string(),
                        })
                    })?;
                value.set_sensitive(true);
                builder = builder.header(AUTHORIZATION, value);
            }
        }
        if !body.is_empty() {
            builder = builder.body(body);
        }
        let send = async {
            let resp = builder.send().await?;
            let status = resp.status().as_u16();
            Ok::<_, reqwest::Error>((status, resp.text().await?))
        };
        let lost = |detail: String| FabricCaError::Uncertain {
            request: request.clone(),
            detail,
        };
        let (status, text) = tokio::select! {
            biased;
            _ = cancel.cancelled() => {
                return Err(if call.idempotent {
                    FabricCaError::Cancelled { request }
                } else {
                    lost("cancelled because Terraform asked the provider to stop, after the request left".to_owned())
                });
            }
            r = send => match r {
                Ok(answer) => answer,
                // Nothing left the provider: safe to say so, whatever the call.
                Err(e) if e.is_connect() => return Err(FabricCaError::Transport {
                    request, detail: crate::net::describe(&e),
                }),
                Err(e) if !call.idempotent => return Err(lost(if e.is_timeout() {
                    "no answer in time".to_owned()
                } else {
                    crate::net::describe(&e)
                })),
                Err(e) if e.is_timeout() => return Err(FabricCaError::Timeout { request }),
                Err(e) => return Err(FabricCaError::Transport {
                    request, detail: crate::net::describe(&e),
                }),
            },
        };
        let ok_status = (200..300).contains(&status);
        // A change the CA made but whose answer we cannot use is still a change.
        let unreadable = |detail: String| {
            if ok_status && !call.idempotent {
                lost(format!(
                    "it answered {status} but the answer could not be read: {detail}"
                ))
            } else {
                FabricCaError::Decode {
                    request: request.clone(),
                    detail,
                }
            }
        };
        let envelope: Envelope =
            serde_json::from_str(&text).map_err(|e| unreadable(e.to_string()))?;
        if ok_status && envelope.success {
            return serde_json::from_value(envelope.result).map_err(|e| unreadable(e.to_string()));
        }
        let code = envelope.errors.first().map(|m| m.code);
        let errors: Vec<String> = envelope
            .errors
            .iter()
            .map(|m| format!("{} (code {})", m.message, m.code))
            .collect();
        Err(FabricCaError::Refused {
            request,
            status,
            refusal: Refusal::classify(status, code),
            code,
            msg: if errors.is_empty() {
                "it did not report success".to_owned()
            } else {
                errors.join("; ")
            },
        })
    }
}

/// `<api_url>/<segments>?ca=<name>&<query>`, keeping any path prefix of `api_url`.
fn endpoint_url(
    api_url: &str,
    segments: &[&str],
    ca_name: &str,
    query: &[(&str, &str)],
) -> Result<Url, FabricCaError> {
    let mut url = Url::parse(api_url)
        .map_err(|e| FabricCaError::Config(format!("invalid CA api_url {api_url:?}: {e}")))?;
    if !matches!(url.scheme(), "http" | "https") || url.cannot_be_a_base() {
        return Err(FabricCaError::Config(format!(
            "the CA api_url must be https://host:port, got {api_url}"
        )));
    }
    if let Ok(mut path) = url.path_segments_mut() {
        path.pop_if_empty().extend(segments);
    }
    url.set_query(None);
    {
        let mut pairs = url.query_pairs_mut();
        pairs.append_pair("ca", ca_name);
        for (k, v) in query {
            pairs.append_pair(k, v);
        }
    }
    Ok(url)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    #[test]
    fn urls_are_built_under_the_api_url() {
        assert_eq!(
            endpoint_url("https://127.0.0.1:7054", &["cainfo"], "ca", &[])
                .unwrap()
                .as_str(),
            "https://127.0.0.1:7054/cainfo?ca=ca"
        );
        assert_eq!(
            endpoint_url(
                "https://ca.example.org:443/prefix/",
                &["cainfo"],
                "tls ca",
                &[]
            )
            .unwrap()
            .as_str(),
            "https://ca.example.org/prefix/cainfo?ca=tls+ca"
        );
        // An enroll id is one path segment, escaped; the extra query follows `ca`.
        let url = endpoint_url(
            "https://127.0.0.1:7054",
            &["api", "v1", "identities", "peer/1 x"],
            "ca",
            &[("force", "false")],
        )
        .unwrap();
        assert_eq!(
            &url[Position::BeforePath..],
            "/api/v1/identities/peer%2F1%20x?ca=ca&force=false"
        );
        assert!(endpoint_url("grpcs://x:1", &["cainfo"], "ca", &[]).is_err());
        assert!(endpoint_url("not a url", &["cainfo"], "ca", &[]).is_err());
    }

    pub(crate) mod live {
        use super::*;
        use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};
        use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
        use std::sync::Arc;
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        use tokio::net::TcpListener;

        const CAINFO: &str = include_str!("../../tests/fixtures/console/cainfo_ca.response.json");

        /// A root CA and a server leaf for 127.0.0.1 signed by it (as a Fabric
        /// CA's TLS cert is), both PEM.
        pub(crate) struct Pki {
            pub(crate) root_pem: String,
            leaf_pem: String,
            leaf_der: rustls::pki_types::CertificateDer<'static>,
            leaf_key: Vec<u8>,
        }

        pub(crate) fn pki() -> Pki {
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
        pub(crate) async fn tls_ca(
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

        pub(crate) fn client() -> FabricCaClient {
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
        async fn cainfo_once_asks_each_ca_endpoint_once() {
            let pki = pki();
            let (api_url, server) = tls_ca(&pki, 200, CAINFO).await;
            let c = client();
            let ca = CaEndpoint {
                api_url: api_url.clone(),
                ca_name: "ca".into(),
                tls_root_pem: Some(pki.root_pem.clone().into_bytes()),
            };
            let cancel = never();
            let (a, b) = tokio::join!(c.ca_info_once(&ca, &cancel), c.ca_info_once(&ca, &cancel));
            assert_eq!(a.unwrap(), b.unwrap());
            // The CA goes away: the answer already had still serves, a fresh ask fails, and
            // another CA of the server is another endpoint (asked, so it fails too).
            server.abort();
            let _ = server.await;
            assert_eq!(c.ca_info_once(&ca, &never()).await.unwrap().ca_name, "ca");
            assert!(c
                .ca_info(&api_url, "ca", Some(pki.root_pem.as_bytes()), &never())
                .await
                .is_err());
            let tlsca = CaEndpoint {
                ca_name: "tlsca".into(),
                ..ca.clone()
            };
            assert!(c.ca_info_once(&tlsca, &never()).await.is_err());
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
        pub(crate) fn pki_other() -> String {
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
