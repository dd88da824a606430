//! The Fabric CA client the operator enrolls a peer with (fabric-operator
//! `pkg/initializer/common/enroller/fabcaclient.go`, fabric-ca `lib/client.go`), over real HTTPS
//! to whatever CA the create names: `GET /cainfo` first (`PingCA`), then `POST /enroll` with a
//! fresh P-256 key and a CSR whose CN is the enroll id (docs/dev/emulator-peer.md#enrollment).
//!
//! Trust follows Go's `x509.CertPool` as the operator builds it from the create's `tls_cert`: a
//! server verifies if its chain ends in one of those certificates, or if it presents one of them
//! itself (Go accepts a leaf that is in the pool); the host name is checked either way.

use std::sync::Arc;
use std::time::Duration;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use rcgen::{CertificateParams, DistinguishedName, DnType, KeyPair, PKCS_ECDSA_P256_SHA256};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, CryptoProvider};
use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::server::ParsedCertificate;
use rustls::{CertificateError, DigitallySignedStruct, RootCertStore, SignatureScheme};
use serde::Deserialize;
use serde_json::{json, Value};

/// How long one CA call may take (the operator's `PingCA` uses its enroll timeout; bounded here
/// so tests never hang).
const CALL_TIMEOUT: Duration = Duration::from_secs(10);

/// What a successful enroll hands back (fabric-operator `config.Response`).
#[derive(Clone, Debug)]
pub struct Enrolled {
    pub cert_pem: String,
    pub key_pem: String,
    /// The CA chain of `ServerInfo.CAChain`, one PEM per certificate.
    pub ca_chain: Vec<String>,
}

/// A client of one CA endpoint (`https://host:port`).
pub struct CaClient {
    base: String,
    http: reqwest::Client,
}

/// Certificates from PEM text or base64 of PEM (the console's form).
pub fn pem_certificates(text: &str) -> Vec<String> {
    let pem = if text.trim_start().starts_with("-----BEGIN") {
        text.to_owned()
    } else {
        STANDARD
            .decode(text.trim())
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
            .unwrap_or_default()
    };
    let mut out = Vec::new();
    let mut rest = pem.as_str();
    while let Some(start) = rest.find("-----BEGIN CERTIFICATE-----") {
        let Some(len) = rest[start..].find("-----END CERTIFICATE-----") else {
            break;
        };
        let end = start + len + "-----END CERTIFICATE-----".len();
        out.push(format!("{}\n", &rest[start..end]));
        rest = &rest[end..];
    }
    out
}

impl CaClient {
    /// A client of `https://host:port` trusting `tls_cert` (PEM or base64 PEM).
    pub fn new(host: &str, port: &str, tls_cert: &str) -> Result<CaClient, String> {
        let trusted: Vec<CertificateDer<'static>> = pem_certificates(tls_cert)
            .iter()
            .filter_map(|p| CertificateDer::from_pem_slice(p.as_bytes()).ok())
            .collect();
        CaClient::build(host, port, trusted, false)
    }

    /// A client of `https://host:port` that accepts any server certificate, as athena's own
    /// CA requests do (`component_lib.js` `get_ca_data`: `rejectUnauthorized: false`).
    pub fn insecure(host: &str, port: &str) -> Result<CaClient, String> {
        CaClient::build(host, port, Vec::new(), true)
    }

    fn build(
        host: &str,
        port: &str,
        trusted: Vec<CertificateDer<'static>>,
        insecure: bool,
    ) -> Result<CaClient, String> {
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let mut verifier = PoolVerifier::new(trusted, provider.clone());
        verifier.insecure = insecure;
        let verifier = Arc::new(verifier);
        let mut tls = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| e.to_string())?
            .dangerous()
            .with_custom_certificate_verifier(verifier)
            .with_no_client_auth();
        tls.alpn_protocols = vec![b"http/1.1".to_vec()];
        let http = reqwest::Client::builder()
            .timeout(CALL_TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .tls_backend_preconfigured(tls)
            .build()
            .map_err(|e| e.to_string())?;
        Ok(CaClient {
            base: format!("https://{host}:{port}"),
            http,
        })
    }

    /// `FabCAClient.PingCA`: `GET /cainfo`. Only a failed request is an error: the operator
    /// wraps a nil error for a non-200 answer, which `errors.Wrapf` turns into success.
    pub async fn ping(&self) -> Result<(), String> {
        let url = format!("{}/cainfo", self.base);
        match self.http.get(&url).send().await {
            Ok(_) => Ok(()),
            Err(e) => Err(format!(
                "pinging '{url}' failed: health check request failed: Get \"{url}\": {}",
                go_cause(&e, &self.base)
            )),
        }
    }

    /// `GET /cainfo?ca=<name>`: the CA's `CAChain` (base64 of the PEM chain) as athena reads it.
    pub async fn ca_chain(&self, ca_name: &str) -> Result<String, String> {
        let url = format!("{}/cainfo?ca={ca_name}", self.base);
        let resp = self
            .http
            .get(&url)
            .send()
            .await
            .map_err(|e| e.to_string())?;
        let body: Value = resp.json().await.map_err(|e| e.to_string())?;
        body.pointer("/result/CAChain")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| "unable to parse ca response".to_owned())
    }

    /// fabric-ca-client `Enroll` (x509): a new key, a CSR with CN `id` and the SANs `hosts`,
    /// `POST /enroll` with Basic auth, the request's `hosts` and `caname`.
    pub async fn enroll(
        &self,
        id: &str,
        secret: &str,
        ca_name: &str,
        hosts: &[String],
    ) -> Result<Enrolled, String> {
        let (csr_pem, key_pem) = csr(id, hosts)?;
        let mut body = json!({"certificate_request": csr_pem, "caname": ca_name});
        if !hosts.is_empty() {
            body["hosts"] = json!(hosts);
        }
        let url = format!("{}/enroll", self.base);
        let resp = self
            .http
            .post(&url)
            .basic_auth(id, Some(secret))
            .json(&body)
            .send()
            .await
            .map_err(|e| {
                format!(
                    "POST failure of request: POST {url}: {}",
                    go_cause(&e, &self.base)
                )
            })?;
        let status = resp.status().as_u16();
        let text = resp
            .text()
            .await
            .map_err(|e| format!("Failed to read response of request: POST {url}: {e}"))?;
        let parsed: CfsslResponse = serde_json::from_str(&text)
            .map_err(|e| format!("Failed to parse response: {text}: {e}"))?;
        // lib/client.go SendReq: server errors first, then the status, then `success`.
        if !parsed.errors.is_empty() {
            let msgs: Vec<String> = parsed
                .errors
                .iter()
                .map(|e| {
                    format!(
                        "Response from server: Error Code: {} - {}\n",
                        e.code, e.message
                    )
                })
                .collect();
            return Err(msgs.join("\n"));
        }
        if status >= 400 {
            return Err(format!(
                "Failed with server status code {status} for request:\nPOST {url}"
            ));
        }
        let result: EnrollResult = parsed
            .result
            .filter(|_| parsed.success)
            .and_then(|r| serde_json::from_value(r).ok())
            .ok_or_else(|| format!("Server returned failure for request:\nPOST {url}"))?;
        let decode = |b64: &str, what: &str| {
            STANDARD
                .decode(b64)
                .ok()
                .and_then(|b| String::from_utf8(b).ok())
                .ok_or_else(|| format!("Failed to decode {what}"))
        };
        let cert_pem = decode(&result.cert, "certificate")?;
        let chain = decode(&result.server_info.ca_chain, "CA chain")?;
        Ok(Enrolled {
            cert_pem,
            key_pem,
            ca_chain: pem_certificates(&chain),
        })
    }
}

/// A new P-256 key and a CSR for it with `CN=<id>` and the hosts as SANs (fabric-ca
/// `newCertificateRequest`: no other subject names when the client has no CSR config).
fn csr(id: &str, hosts: &[String]) -> Result<(String, String), String> {
    let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).map_err(|e| e.to_string())?;
    let mut params = CertificateParams::new(hosts.to_vec()).map_err(|e| e.to_string())?;
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, id);
    params.distinguished_name = dn;
    let csr = params.serialize_request(&key).map_err(|e| e.to_string())?;
    let pem = csr.pem().map_err(|e| e.to_string())?;
    Ok((pem, key.serialize_pem()))
}

#[derive(Deserialize)]
struct CfsslError {
    code: i64,
    message: String,
}

#[derive(Deserialize)]
struct CfsslResponse {
    #[serde(default)]
    success: bool,
    #[serde(default)]
    errors: Vec<CfsslError>,
    /// `""` on failures, so read as any value first.
    result: Option<Value>,
}

#[derive(Deserialize)]
struct EnrollResult {
    #[serde(rename = "Cert")]
    cert: String,
    #[serde(rename = "ServerInfo")]
    server_info: ServerInfo,
}

#[derive(Deserialize)]
struct ServerInfo {
    #[serde(rename = "CAChain")]
    ca_chain: String,
}

/// Go's wording of why a request failed, as far as reqwest tells (the connect and TLS cases the
/// operator logs most).
fn go_cause(e: &reqwest::Error, base: &str) -> String {
    let addr = base.trim_start_matches("https://");
    if e.is_timeout() {
        "context deadline exceeded (Client.Timeout exceeded while awaiting headers)".to_owned()
    } else if e.is_connect() {
        let mut source: Option<&dyn std::error::Error> = Some(e);
        let mut tls = false;
        while let Some(s) = source {
            if s.to_string().contains("certificate") {
                tls = true;
            }
            source = s.source();
        }
        if tls {
            "tls: failed to verify certificate: x509: certificate signed by unknown authority"
                .to_owned()
        } else {
            format!("dial tcp {addr}: connect: connection refused")
        }
    } else {
        e.to_string()
    }
}

/// Go `RootCAs` semantics over the given certificates (see the module comment).
#[derive(Debug)]
struct PoolVerifier {
    webpki: Option<Arc<WebPkiServerVerifier>>,
    pool: Vec<CertificateDer<'static>>,
    /// Accept any certificate (handshake signatures are still checked).
    insecure: bool,
    provider: Arc<CryptoProvider>,
}

impl PoolVerifier {
    fn new(pool: Vec<CertificateDer<'static>>, provider: Arc<CryptoProvider>) -> Self {
        let mut roots = RootCertStore::empty();
        roots.add_parsable_certificates(pool.iter().cloned());
        let webpki = (!roots.is_empty())
            .then(|| {
                WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
                    .build()
                    .ok()
            })
            .flatten();
        PoolVerifier {
            webpki,
            pool,
            insecure: false,
            provider,
        }
    }
}

impl ServerCertVerifier for PoolVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        if self.insecure {
            return Ok(ServerCertVerified::assertion());
        }
        if let Some(webpki) = &self.webpki {
            if webpki
                .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
                .is_ok()
            {
                return Ok(ServerCertVerified::assertion());
            }
        }
        if self.pool.iter().any(|c| c.as_ref() == end_entity.as_ref()) {
            let parsed = ParsedCertificate::try_from(end_entity)?;
            rustls::client::verify_server_name(&parsed, server_name)?;
            return Ok(ServerCertVerified::assertion());
        }
        Err(rustls::Error::InvalidCertificate(
            CertificateError::UnknownIssuer,
        ))
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn certificates_come_from_pem_or_base64_pem() {
        let pem = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n-----BEGIN CERTIFICATE-----\nBBBB\n-----END CERTIFICATE-----\n";
        assert_eq!(pem_certificates(pem).len(), 2);
        assert_eq!(pem_certificates(&STANDARD.encode(pem)).len(), 2);
        assert!(pem_certificates("not a cert").is_empty());
    }

    #[test]
    fn the_csr_names_the_enroll_id_and_hosts() {
        let (pem, key) = csr("peer0", &["127.0.0.1".into(), "peer0.org1".into()]).unwrap();
        assert!(pem.starts_with("-----BEGIN CERTIFICATE REQUEST-----"));
        assert!(key.contains("PRIVATE KEY"));
        let parsed = crate::fabric_ca::parse_csr_for_tests(&pem);
        assert_eq!(parsed.0.as_deref(), Some("peer0"));
        assert_eq!(parsed.1, ["127.0.0.1", "peer0.org1"]);
    }
}
