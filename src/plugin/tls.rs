//! AutoMTLS as Terraform expects it: a fresh self-signed server certificate per
//! process, and a verifier that requires the one client certificate Terraform
//! handed us in `PLUGIN_CLIENT_CERT`.
//!
//! Terraform's client certificate is a self-signed CA (`CA:TRUE`, ECDSA P-521), which
//! webpki refuses as an end entity (`CaUsedAsEndEntity`). So instead of chain
//! validation we pin its exact DER and only check the handshake signatures, using
//! the aws-lc-rs provider because it can verify P-521 (docs/dev/plugin-protocol.md#automtls,
//! docs/dev/plugin-protocol.md#the-client-certificate-is-a-ca).

use std::fmt;
use std::sync::Arc;

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose, PKCS_ECDSA_P256_SHA256,
};
use rustls::client::danger::HandshakeSignatureValid;
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, UnixTime};
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::{CertificateError, DigitallySignedStruct, ServerConfig, SignatureScheme};

/// Why TLS could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// rcgen could not create the server key or certificate.
    #[error("generating the server certificate: {0}")]
    Generate(#[from] rcgen::Error),
    /// `PLUGIN_CLIENT_CERT` is not PEM or holds no certificate.
    #[error("PLUGIN_CLIENT_CERT holds no PEM certificate")]
    NoClientCert,
    /// `PLUGIN_CLIENT_CERT` is malformed PEM.
    #[error("reading PLUGIN_CLIENT_CERT: {0}")]
    ClientCertPem(#[source] std::io::Error),
    /// rustls rejected the configuration.
    #[error("building the TLS configuration: {0}")]
    Config(#[from] rustls::Error),
}

/// The server's certificate and private key, both DER.
pub struct ServerIdentity {
    cert: CertificateDer<'static>,
    key: PrivatePkcs8KeyDer<'static>,
}

impl fmt::Debug for ServerIdentity {
    // The private key must never reach a log.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServerIdentity")
            .field("cert_len", &self.cert.len())
            .finish_non_exhaustive()
    }
}

impl ServerIdentity {
    /// Generates a self-signed ECDSA P-256 certificate the way go-plugin does:
    /// SAN and CN `localhost` (the client dials with that server name), CA:TRUE,
    /// usable for both server and client authentication.
    pub fn generate() -> Result<Self, TlsError> {
        let key_pair = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256)?;
        let mut params = CertificateParams::new(vec!["localhost".to_owned()])?;
        let mut name = DistinguishedName::new();
        name.push(DnType::OrganizationName, "HashiCorp");
        name.push(DnType::CommonName, "localhost");
        params.distinguished_name = name;
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![
            KeyUsagePurpose::DigitalSignature,
            KeyUsagePurpose::KeyEncipherment,
            KeyUsagePurpose::KeyAgreement,
            KeyUsagePurpose::KeyCertSign,
        ];
        params.extended_key_usages = vec![
            ExtendedKeyUsagePurpose::ServerAuth,
            ExtendedKeyUsagePurpose::ClientAuth,
        ];
        let cert = params.self_signed(&key_pair)?;
        Ok(Self {
            cert: cert.der().clone(),
            key: PrivatePkcs8KeyDer::from(key_pair.serialize_der()),
        })
    }

    /// The certificate's DER, as announced in the handshake line.
    pub fn cert_der(&self) -> &[u8] {
        self.cert.as_ref()
    }
}

/// Extracts the first certificate from the PEM text of `PLUGIN_CLIENT_CERT`.
pub fn parse_client_cert(pem: &str) -> Result<CertificateDer<'static>, TlsError> {
    let mut reader = pem.as_bytes();
    let first = rustls_pemfile::certs(&mut reader).next();
    match first {
        Some(Ok(cert)) => Ok(cert),
        Some(Err(err)) => Err(TlsError::ClientCertPem(err)),
        None => Err(TlsError::NoClientCert),
    }
}

/// The rustls server configuration for AutoMTLS: our identity, the pinned client
/// certificate required, and ALPN `h2` (grpc-go refuses connections without it).
pub fn server_config(
    identity: &ServerIdentity,
    client_cert: CertificateDer<'static>,
) -> Result<Arc<ServerConfig>, TlsError> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let verifier = PinnedClientCert::new(client_cert, &provider);
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_client_cert_verifier(Arc::new(verifier))
        .with_single_cert(
            vec![identity.cert.clone()],
            PrivateKeyDer::Pkcs8(identity.key.clone_key()),
        )?;
    config.alpn_protocols = vec![b"h2".to_vec()];
    Ok(Arc::new(config))
}

/// Accepts exactly one client certificate, byte for byte, and requires it.
#[derive(Debug)]
pub struct PinnedClientCert {
    pinned: CertificateDer<'static>,
    algorithms: WebPkiSupportedAlgorithms,
}

impl PinnedClientCert {
    /// Pins `cert`; handshake signatures are checked with `provider`'s algorithms.
    pub fn new(cert: CertificateDer<'static>, provider: &CryptoProvider) -> Self {
        Self {
            pinned: cert,
            algorithms: provider.signature_verification_algorithms,
        }
    }

    fn check_pinned(&self, cert: &CertificateDer<'_>) -> Result<(), rustls::Error> {
        if cert.as_ref() == self.pinned.as_ref() {
            Ok(())
        } else {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::ApplicationVerificationFailure,
            ))
        }
    }
}

impl ClientCertVerifier for PinnedClientCert {
    fn client_auth_mandatory(&self) -> bool {
        true
    }

    // No hints: Go clients then offer their only certificate unconditionally.
    fn root_hint_subjects(&self) -> &[rustls::DistinguishedName] {
        &[]
    }

    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        self.check_pinned(end_entity)?;
        Ok(ClientCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.check_pinned(cert)?;
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.check_pinned(cert)?;
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rcgen::PKCS_ECDSA_P521_SHA512;
    use x509_parser::prelude::{FromDer, X509Certificate};

    fn client_cert_pem() -> (String, CertificateDer<'static>) {
        let key = KeyPair::generate_for(&PKCS_ECDSA_P521_SHA512).unwrap();
        let mut params = CertificateParams::new(vec!["localhost".to_owned()]).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let cert = params.self_signed(&key).unwrap();
        (cert.pem(), cert.der().clone())
    }

    #[test]
    fn server_certificate_is_a_localhost_ca_for_server_and_client_auth() {
        let identity = ServerIdentity::generate().unwrap();
        let (_, cert) = X509Certificate::from_der(identity.cert_der()).unwrap();
        let basic = cert.basic_constraints().unwrap().unwrap();
        assert!(basic.value.ca);
        let san = cert.subject_alternative_name().unwrap().unwrap();
        assert!(format!("{:?}", san.value.general_names).contains("localhost"));
        let eku = cert.extended_key_usage().unwrap().unwrap();
        assert!(eku.value.server_auth && eku.value.client_auth);
        assert!(cert.validity().is_valid());
    }

    #[test]
    fn debug_output_hides_the_private_key() {
        let identity = ServerIdentity::generate().unwrap();
        let text = format!("{identity:?}");
        assert!(text.contains("cert_len"));
        assert!(!text.contains("key"));
    }

    #[test]
    fn client_cert_pem_is_parsed_to_its_der() {
        let (pem, der) = client_cert_pem();
        assert_eq!(parse_client_cert(&pem).unwrap(), der);
    }

    #[test]
    fn empty_or_foreign_pem_is_rejected() {
        assert!(matches!(parse_client_cert(""), Err(TlsError::NoClientCert)));
        assert!(matches!(
            parse_client_cert("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"),
            Err(TlsError::NoClientCert)
        ));
    }

    #[test]
    fn verifier_accepts_only_the_pinned_certificate() {
        let (_, pinned) = client_cert_pem();
        let (_, other) = client_cert_pem();
        let provider = rustls::crypto::aws_lc_rs::default_provider();
        let verifier = PinnedClientCert::new(pinned.clone(), &provider);
        assert!(verifier.client_auth_mandatory());
        assert!(verifier.offer_client_auth());
        assert!(verifier
            .verify_client_cert(&pinned, &[], UnixTime::now())
            .is_ok());
        assert!(verifier
            .verify_client_cert(&other, &[], UnixTime::now())
            .is_err());
        assert!(verifier
            .supported_verify_schemes()
            .contains(&SignatureScheme::ECDSA_NISTP521_SHA512));
    }

    /// The AutoMTLS key is the process's first random draw, before the handshake line. With
    /// aws-lc's default CPU-jitter seeding that draw cost ~35 ms of CPU, the whole of a 30 ms
    /// start-up; .cargo/config.toml sets AWS_LC_SYS_NO_JITTER_ENTROPY so aws-lc seeds from the
    /// OS instead (docs/dev/startup.md).
    #[test]
    fn aws_lc_seeds_from_the_os_not_from_cpu_jitter() {
        assert!(
            aws_lc_rs::try_fips_cpu_jitter_entropy().is_err(),
            "aws-lc was built with CPU-jitter entropy: build inside the repository, whose \
             .cargo/config.toml sets AWS_LC_SYS_NO_JITTER_ENTROPY=1"
        );
    }

    #[test]
    fn server_config_offers_h2() {
        let identity = ServerIdentity::generate().unwrap();
        let (_, client) = client_cert_pem();
        let config = server_config(&identity, client).unwrap();
        assert_eq!(config.alpn_protocols, vec![b"h2".to_vec()]);
    }
}
