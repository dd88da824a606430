//! TLS settings shared by the console client and the Fabric CA probe: system
//! roots plus a configured bundle plus per-call trusted certificates.
//!
//! A Fabric CA's TLS certificate as the console reports it
//! (`msp.component.tls_cert`) is often a leaf, not a root. webpki cannot use a
//! leaf as a trust anchor, so certificates given for a call are also *pinned*:
//! a server presenting exactly one of them is accepted (its handshake signature
//! is still checked).

use std::sync::Arc;

use base64::Engine;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, CryptoProvider};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};

use thiserror::Error;

/// A certificate or TLS setting that cannot be used.
#[derive(Debug, Clone, Error, PartialEq)]
#[error("{0}")]
pub struct TlsError(pub String);

/// Parses certificates from PEM, or from base64 of PEM (the console's format,
/// docs/dev/console-api.md#certificates-in-bodies).
/// Returns an error when nothing usable is found.
pub fn parse_certificates(input: &[u8]) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let pem = if contains(input, b"-----BEGIN") {
        input.to_vec()
    } else {
        let compact: Vec<u8> = input
            .iter()
            .copied()
            .filter(|b| !b.is_ascii_whitespace())
            .collect();
        base64::engine::general_purpose::STANDARD
            .decode(&compact)
            .map_err(|_| {
                TlsError("a certificate is neither PEM nor base64-encoded PEM".to_owned())
            })?
    };
    let certs: Vec<CertificateDer<'static>> = rustls_pemfile::certs(&mut pem.as_slice())
        .collect::<Result<_, _>>()
        .map_err(|e| TlsError(format!("unreadable PEM certificate: {e}")))?;
    if certs.is_empty() {
        return Err(TlsError("no certificate found in the given PEM".to_owned()));
    }
    Ok(certs)
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// The crypto provider used everywhere (aws-lc-rs, matching the rest of the crate).
/// The system's trust roots, read once per process on first use (reading them costs
/// milliseconds, and every client and probe needs the same set).
fn system_roots() -> &'static [CertificateDer<'static>] {
    static ROOTS: std::sync::OnceLock<Vec<CertificateDer<'static>>> = std::sync::OnceLock::new();
    ROOTS.get_or_init(|| rustls_native_certs::load_native_certs().certs)
}

pub(crate) fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::aws_lc_rs::default_provider())
}

/// Builds a rustls client config. `trusted` certificates act both as extra
/// roots and as pins; `insecure` turns verification off entirely.
pub fn client_config(
    bundle: &[CertificateDer<'static>],
    trusted: &[CertificateDer<'static>],
    insecure: bool,
    alpn: &[&[u8]],
) -> Result<ClientConfig, TlsError> {
    let provider = provider();
    let verifier = Arc::new(Verifier::new(bundle, trusted, insecure, provider.clone()));
    let mut cfg = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| TlsError(format!("TLS setup failed: {e}")))?
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth();
    cfg.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    Ok(cfg)
}

/// webpki over (system + bundle + trusted) roots, then exact-match pins.
#[derive(Debug)]
struct Verifier {
    webpki: Option<Arc<WebPkiServerVerifier>>,
    pins: Vec<CertificateDer<'static>>,
    insecure: bool,
    provider: Arc<CryptoProvider>,
}

impl Verifier {
    fn new(
        bundle: &[CertificateDer<'static>],
        trusted: &[CertificateDer<'static>],
        insecure: bool,
        provider: Arc<CryptoProvider>,
    ) -> Self {
        let mut roots = RootCertStore::empty();
        let (_, ignored) = roots.add_parsable_certificates(system_roots().iter().cloned());
        if ignored > 0 {
            tracing::debug!(ignored, "some system root certificates could not be used");
        }
        let (_, ignored) = roots.add_parsable_certificates(bundle.iter().chain(trusted).cloned());
        if ignored > 0 {
            tracing::warn!(
                ignored,
                "some configured certificates could not be used as TLS roots"
            );
        }
        let webpki = if roots.is_empty() {
            None
        } else {
            WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
                .build()
                .ok()
        };
        Self {
            webpki,
            // Every certificate the user gave is also accepted as the server's own: a console
            // with a self-signed certificate (CA:TRUE, as `openssl req -x509` makes) is pinned
            // by giving that certificate, which webpki alone refuses as `CaUsedAsEndEntity`.
            pins: bundle.iter().chain(trusted).cloned().collect(),
            insecure,
            provider,
        }
    }
}

impl ServerCertVerifier for Verifier {
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
        let verdict = match &self.webpki {
            Some(w) => {
                w.verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
            }
            None => Err(rustls::Error::InvalidCertificate(
                rustls::CertificateError::UnknownIssuer,
            )),
        };
        match verdict {
            Ok(v) => Ok(v),
            Err(_) if self.pins.iter().any(|p| p.as_ref() == end_entity.as_ref()) => {
                Ok(ServerCertVerified::assertion())
            }
            Err(e) => Err(e),
        }
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

/// Whether a transport error chain says the server's certificate was refused: permanent,
/// never worth a retry.
pub fn is_certificate_rejection(detail: &str) -> bool {
    detail.contains("invalid peer certificate")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A self-signed certificate for 127.0.0.1 with CA:TRUE (what `openssl req -x509` makes),
    /// and its key.
    fn self_signed_ca() -> (CertificateDer<'static>, Vec<u8>) {
        let key = rcgen::KeyPair::generate().unwrap();
        let mut params = rcgen::CertificateParams::new(vec!["127.0.0.1".to_owned()]).unwrap();
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        let cert = params.self_signed(&key).unwrap();
        (cert.der().clone(), key.serialize_der())
    }

    /// Runs one TLS handshake in memory; `Err` carries the client's error text.
    async fn handshake(
        server_cert: (CertificateDer<'static>, Vec<u8>),
        bundle: &[CertificateDer<'static>],
    ) -> Result<(), String> {
        use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
        let server_cfg = rustls::ServerConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(
                vec![server_cert.0],
                PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(server_cert.1)),
            )
            .unwrap();
        let client_cfg = client_config(bundle, &[], false, &[]).unwrap();
        let (a, b) = tokio::io::duplex(64 * 1024);
        let server = tokio::spawn(async move {
            let _ = tokio_rustls::TlsAcceptor::from(Arc::new(server_cfg))
                .accept(b)
                .await;
        });
        let name = ServerName::try_from("127.0.0.1").unwrap();
        let r = tokio_rustls::TlsConnector::from(Arc::new(client_cfg))
            .connect(name, a)
            .await
            .map(|_| ())
            .map_err(|e| e.to_string());
        server.abort();
        r
    }

    #[tokio::test]
    async fn a_pinned_self_signed_console_certificate_is_trusted() {
        let (cert, key) = self_signed_ca();
        handshake((cert.clone(), key), std::slice::from_ref(&cert))
            .await
            .unwrap();
    }

    #[tokio::test]
    async fn an_unknown_certificate_is_refused_as_a_certificate_rejection() {
        let (cert, key) = self_signed_ca();
        let (other, _) = self_signed_ca();
        let err = handshake((cert, key), &[other]).await.unwrap_err();
        assert!(is_certificate_rejection(&err), "{err}");
    }

    const PEM: &str = include_str!("../../tests/fixtures/console/certs/org1-ca-tls.pem");

    #[test]
    fn certificates_parse_from_pem_and_from_base64_pem() {
        let raw = parse_certificates(PEM.as_bytes()).unwrap();
        let b64 = base64::engine::general_purpose::STANDARD.encode(PEM);
        let decoded = parse_certificates(b64.as_bytes()).unwrap();
        assert_eq!(raw.len(), 1);
        assert_eq!(raw, decoded);
    }

    #[test]
    fn garbage_is_a_config_error() {
        assert!(matches!(
            parse_certificates(b"not a cert"),
            Err(TlsError(_))
        ));
        assert!(matches!(
            parse_certificates(b"-----BEGIN NOTHING-----"),
            Err(TlsError(_))
        ));
    }
}
