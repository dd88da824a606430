//! The Fabric CA readiness probe: `GET <api_url>/cainfo?ca=<name>` over HTTPS.
//! A created CA answers this only once its pods serve (console-api.md §3,
//! "Readiness"), so the CA resource polls it after a create.
//!
//! Trust: the given certificate (the CA's TLS cert or root from the console,
//! PEM or base64 PEM) is both an extra root and a pin, plus the configured
//! bundle and the system roots.

use std::time::{Duration, Instant};

use http::header::ACCEPT;
use http::Method;
use url::Url;

use super::client::{cancelled, classify, decode, read_answer, AttemptError, ConsoleClient};
use super::error::ConsoleError;
use super::models::{CaInfo, FabricCaEnvelope};
use super::tls;

/// Longest single probe (a starting CA often accepts and then stalls).
const MAX_PROBE_TIMEOUT: Duration = Duration::from_secs(30);

impl ConsoleClient {
    /// One `/cainfo` request (no retries: callers poll, see
    /// [`ConsoleClient::wait_ca_ready`]).
    pub async fn ca_info(
        &self,
        api_url: &str,
        ca_name: &str,
        root_pem: Option<&[u8]>,
    ) -> Result<CaInfo, ConsoleError> {
        let url = cainfo_url(api_url, ca_name)?;
        let request = format!("{} {}", Method::GET, url.path());
        let trusted = match root_pem {
            Some(pem) => tls::parse_certificates(pem)?,
            None => Vec::new(),
        };
        let tls_cfg = tls::client_config(
            &self.inner.bundle,
            &trusted,
            self.inner.insecure,
            &[b"http/1.1"],
        )?;
        let http = reqwest::Client::builder()
            .user_agent(self.inner.user_agent.clone())
            .timeout(self.inner.request_timeout.min(MAX_PROBE_TIMEOUT))
            .redirect(reqwest::redirect::Policy::none())
            .tls_backend_preconfigured(tls_cfg)
            .build()
            .map_err(|e| ConsoleError::Config(format!("cannot build the HTTP client: {e}")))?;
        let send = async {
            let resp = http
                .get(url.clone())
                .header(ACCEPT, "application/json")
                .send()
                .await?;
            read_answer(resp).await
        };
        let answer = tokio::select! {
            biased;
            _ = self.cancel.cancelled() => return Err(cancelled(&request)),
            r = send => r,
        };
        let answer = match answer {
            Ok(a) => a,
            Err(AttemptError::Fatal(e)) => return Err(e),
            Err(AttemptError::Http(e)) => return Err(classify(&request, &e).1),
        };
        let envelope: FabricCaEnvelope = decode(&request, &answer.body)?;
        let errors: Vec<String> = envelope
            .errors
            .iter()
            .map(|m| format!("{} (code {})", m.message, m.code))
            .collect();
        if (200..300).contains(&answer.status) && envelope.success {
            return serde_json::from_value(envelope.result).map_err(|e| ConsoleError::Decode {
                request,
                detail: e.to_string(),
            });
        }
        Err(ConsoleError::Server {
            request,
            status: answer.status,
            msg: if errors.is_empty() {
                "the Fabric CA did not report success".to_owned()
            } else {
                format!("the Fabric CA answered: {}", errors.join("; "))
            },
        })
    }

    /// Polls [`ConsoleClient::ca_info`] every `interval` until it succeeds or
    /// `timeout` passes (a new CA refuses connections while its pods start).
    pub async fn wait_ca_ready(
        &self,
        api_url: &str,
        ca_name: &str,
        root_pem: Option<&[u8]>,
        timeout: Duration,
        interval: Duration,
    ) -> Result<CaInfo, ConsoleError> {
        let started = Instant::now();
        loop {
            let last = match self.ca_info(api_url, ca_name, root_pem).await {
                Ok(info) => return Ok(info),
                Err(e @ (ConsoleError::Cancelled { .. } | ConsoleError::Config(_))) => {
                    return Err(e)
                }
                Err(e) => e,
            };
            let elapsed = started.elapsed();
            if elapsed >= timeout {
                return Err(ConsoleError::WaitTimeout {
                    what: format!("the Fabric CA at {api_url} (ca {ca_name}) to answer /cainfo"),
                    waited: elapsed,
                    last: Some(last.to_string()),
                });
            }
            tracing::debug!(api_url, ca_name, "CA not ready yet: {last}");
            self.pause(interval.min(timeout - elapsed), api_url).await?;
        }
    }
}

/// `<api_url>/cainfo?ca=<name>`, keeping any path prefix of `api_url`.
fn cainfo_url(api_url: &str, ca_name: &str) -> Result<Url, ConsoleError> {
    let mut url = Url::parse(api_url)
        .map_err(|e| ConsoleError::Config(format!("invalid CA api_url {api_url:?}: {e}")))?;
    if !matches!(url.scheme(), "http" | "https") || url.cannot_be_a_base() {
        return Err(ConsoleError::Config(format!(
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
        use crate::console::testutil::test_config;
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

        fn client() -> ConsoleClient {
            ConsoleClient::new(test_config(Url::parse("http://127.0.0.1:1").unwrap())).unwrap()
        }

        #[tokio::test]
        async fn cainfo_succeeds_when_trusting_the_root_or_pinning_the_tls_cert() {
            let pki = pki();
            let (api_url, _server) = tls_ca(&pki, 200, CAINFO).await;
            let c = client();
            let info = c
                .ca_info(&api_url, "ca", Some(pki.root_pem.as_bytes()))
                .await
                .unwrap();
            assert_eq!(info.ca_name, "ca");
            assert!(info.ca_chain.starts_with("LS0tLS1CRUdJTi"));
            // The console hands out the CA's TLS leaf as base64 PEM: pinned.
            let b64 =
                base64::Engine::encode(&base64::engine::general_purpose::STANDARD, &pki.leaf_pem);
            let info = c
                .ca_info(&api_url, "ca", Some(b64.as_bytes()))
                .await
                .unwrap();
            assert_eq!(info.ca_name, "ca");
        }

        #[tokio::test]
        async fn cainfo_refuses_an_untrusted_server() {
            let pki = pki();
            let other = pki_other();
            let (api_url, _server) = tls_ca(&pki, 200, CAINFO).await;
            let err = client()
                .ca_info(&api_url, "ca", Some(other.as_bytes()))
                .await
                .unwrap_err();
            assert!(matches!(err, ConsoleError::Transport { .. }), "{err}");
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
                .ca_info(&api_url, "nosuchca", Some(pki.root_pem.as_bytes()))
                .await
                .unwrap_err();
            assert!(
                err.to_string()
                    .contains("CA 'nosuchca' does not exist (code 19)"),
                "{err}"
            );
        }

        #[tokio::test]
        async fn wait_ca_ready_polls_until_the_ca_serves() {
            let pki = pki();
            // Reserve a port, keep it closed for a while (pods starting), then serve.
            let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            let port = probe.local_addr().unwrap().port();
            drop(probe);
            let api_url = format!("https://127.0.0.1:{port}");
            let pki2 = Pki {
                root_pem: pki.root_pem.clone(),
                leaf_pem: pki.leaf_pem.clone(),
                leaf_der: pki.leaf_der.clone(),
                leaf_key: pki.leaf_key.clone(),
            };
            let starter = tokio::spawn(async move {
                tokio::time::sleep(Duration::from_millis(300)).await;
                let cfg = rustls::ServerConfig::builder_with_provider(tls::provider())
                    .with_safe_default_protocol_versions()
                    .unwrap()
                    .with_no_client_auth()
                    .with_single_cert(
                        vec![pki2.leaf_der.clone()],
                        PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(pki2.leaf_key.clone())),
                    )
                    .unwrap();
                let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(cfg));
                let listener = TcpListener::bind(("127.0.0.1", port)).await.unwrap();
                let (sock, _) = listener.accept().await.unwrap();
                let mut tls = acceptor.accept(sock).await.unwrap();
                let mut buf = [0u8; 4096];
                let _ = tls.read(&mut buf).await;
                let resp = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: {}\r\n\r\n{CAINFO}",
                    CAINFO.len()
                );
                tls.write_all(resp.as_bytes()).await.unwrap();
                let _ = tls.shutdown().await;
            });
            let info = client()
                .wait_ca_ready(
                    &api_url,
                    "ca",
                    Some(pki.root_pem.as_bytes()),
                    Duration::from_secs(10),
                    Duration::from_millis(100),
                )
                .await
                .unwrap();
            assert_eq!(info.ca_name, "ca");
            starter.await.unwrap();
        }

        #[tokio::test]
        async fn wait_ca_ready_times_out_with_the_last_error() {
            let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            let api_url = format!("https://{}", probe.local_addr().unwrap());
            drop(probe);
            let err = client()
                .wait_ca_ready(
                    &api_url,
                    "ca",
                    None,
                    Duration::from_millis(300),
                    Duration::from_millis(50),
                )
                .await
                .unwrap_err();
            assert!(matches!(err, ConsoleError::WaitTimeout { .. }), "{err}");
            assert!(err.to_string().contains("last error"), "{err}");
        }
    }
}
