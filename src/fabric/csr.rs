//! The enrollment key pair and its certificate signing request. The key is made here, on the
//! provider's side, and never leaves it except in the state the resource keeps; the CA only
//! sees the CSR (docs/dev/fabric-ca.md#enroll).

use std::fmt;
use std::sync::Arc;

use rcgen::{CertificateParams, DistinguishedName, DnType, KeyPair, PKCS_ECDSA_P256_SHA256};
use thiserror::Error;

use super::ecdsa::{self, SignatureError};

/// A key or CSR that could not be made or read.
#[derive(Debug, Clone, Error, PartialEq, Eq)]
pub enum KeyError {
    #[error("cannot generate a P-256 key: {0}")]
    Generate(String),
    /// Never carries the key's bytes.
    #[error("not a P-256 private key in PEM (PKCS#8 or SEC1): {0}")]
    Unreadable(String),
    /// A readable private key of another kind (RSA, P-384, Ed25519, ...).
    #[error("the private key is {0}, not ECDSA P-256")]
    NotP256(String),
    #[error("cannot build the certificate request: {0}")]
    Csr(String),
}

/// An ECDSA P-256 private key (the identity's signing key). Debug and Display never show it;
/// only [`PrivateKey::to_pkcs8_pem`] does, for the state that must keep it.
#[derive(Clone)]
pub struct PrivateKey(Arc<KeyPair>);

impl PrivateKey {
    /// A fresh key from the system's random source.
    pub fn generate() -> Result<Self, KeyError> {
        KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256)
            .map(|k| Self(Arc::new(k)))
            .map_err(|e| KeyError::Generate(e.to_string()))
    }

    /// Reads a P-256 key, PKCS#8 (`BEGIN PRIVATE KEY`, as Fabric CA's keystore and the
    /// console's export hold it) or SEC1 (`BEGIN EC PRIVATE KEY`).
    pub fn from_pem(pem: &str) -> Result<Self, KeyError> {
        KeyPair::from_pem_and_sign_algo(pem, &PKCS_ECDSA_P256_SHA256)
            .map(|k| Self(Arc::new(k)))
            .map_err(|e| match KeyPair::from_pem(pem) {
                // Readable with its own algorithm: say which, never the key.
                Ok(other) => KeyError::NotP256(algorithm_name(other.algorithm())),
                Err(_) => KeyError::Unreadable(e.to_string()),
            })
    }

    /// Unencrypted PKCS#8 PEM: the secret itself. Keep it out of logs and diagnostics.
    pub fn to_pkcs8_pem(&self) -> String {
        self.0.serialize_pem()
    }

    /// The uncompressed public point (65 bytes, `04 || X || Y`).
    pub fn public_key_point(&self) -> &[u8] {
        self.0.public_key_raw()
    }

    /// A low-S DER ECDSA-SHA256 signature over `msg`.
    pub fn sign(&self, msg: &[u8]) -> Result<Vec<u8>, SignatureError> {
        ecdsa::sign_low_s(&self.0, msg)
    }

    /// A PKCS#10 request, PEM, with subject `CN=<common_name>` and `hosts` as SANs (IP
    /// addresses as IP SANs). Fabric CA requires the CN to be the enroll id
    /// (docs/dev/fabric-ca.md#csr-common-name) and replaces the OUs itself.
    pub fn csr_pem(&self, common_name: &str, hosts: &[String]) -> Result<String, KeyError> {
        let mut params =
            CertificateParams::new(hosts.to_vec()).map_err(|e| KeyError::Csr(e.to_string()))?;
        let mut dn = DistinguishedName::new();
        dn.push(DnType::CommonName, common_name);
        params.distinguished_name = dn;
        params
            .serialize_request(self.0.as_ref())
            .and_then(|csr| csr.pem())
            .map_err(|e| KeyError::Csr(e.to_string()))
    }
}

/// A key algorithm as users know it.
fn algorithm_name(alg: &rcgen::SignatureAlgorithm) -> String {
    let known = [
        (&rcgen::PKCS_RSA_SHA256, "an RSA key"),
        (&rcgen::PKCS_RSA_SHA384, "an RSA key"),
        (&rcgen::PKCS_RSA_SHA512, "an RSA key"),
        (&rcgen::PKCS_ECDSA_P384_SHA384, "an ECDSA P-384 key"),
        (&rcgen::PKCS_ED25519, "an Ed25519 key"),
    ];
    known
        .iter()
        .find(|(a, _)| *a == alg)
        .map(|(_, name)| (*name).to_owned())
        .unwrap_or_else(|| format!("{alg:?}"))
}

impl fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PrivateKey(P-256, redacted)")
    }
}

impl fmt::Display for PrivateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted P-256 private key]")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use x509_parser::prelude::{FromDer, GeneralName, ParsedExtension, X509CertificationRequest};

    const RECORDED_KEY: &str =
        include_str!("../../tests/fixtures/fabric/identities/org1admin.key.pem");

    #[test]
    fn the_key_never_shows_in_debug_or_display() {
        let key = PrivateKey::generate().unwrap();
        let pem = key.to_pkcs8_pem();
        let body: String = pem.lines().nth(1).unwrap().chars().take(24).collect();
        for shown in [
            format!("{key:?}"),
            format!("{key}"),
            format!("{:?}", Some(&key)),
        ] {
            assert!(shown.contains("redacted"), "{shown}");
            assert!(!shown.contains(&body), "{shown}");
        }
    }

    #[test]
    fn a_recorded_fabric_ca_key_reads_and_round_trips() {
        let key = PrivateKey::from_pem(RECORDED_KEY).unwrap();
        assert_eq!(key.public_key_point().len(), 65);
        let again = PrivateKey::from_pem(&key.to_pkcs8_pem()).unwrap();
        assert_eq!(again.public_key_point(), key.public_key_point());
        let err =
            PrivateKey::from_pem("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")
                .unwrap_err();
        assert!(!err.to_string().contains("AAAA"), "{err}");
    }

    #[test]
    fn a_key_of_another_kind_is_named_not_shown() {
        let rsa = KeyPair::generate_for(&rcgen::PKCS_RSA_SHA256).unwrap();
        let p384 = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P384_SHA384).unwrap();
        for (key, kind) in [(rsa, "an RSA key"), (p384, "an ECDSA P-384 key")] {
            let err = PrivateKey::from_pem(&key.serialize_pem()).unwrap_err();
            assert_eq!(err, KeyError::NotP256(kind.to_owned()));
        }
    }

    #[test]
    fn the_csr_names_the_enroll_id_and_the_hosts() {
        let key = PrivateKey::generate().unwrap();
        let hosts = vec!["peer0.org1.example.com".to_owned(), "127.0.0.1".to_owned()];
        let pem = key.csr_pem("org1peer0", &hosts).unwrap();
        assert!(
            pem.starts_with("-----BEGIN CERTIFICATE REQUEST-----\n"),
            "{pem}"
        );
        let der = rustls::pki_types::pem::PemObject::from_pem_slice(pem.as_bytes())
            .map(|d: rustls::pki_types::CertificateSigningRequestDer<'_>| d.as_ref().to_vec())
            .unwrap();
        let (_, csr) = X509CertificationRequest::from_der(&der).unwrap();
        let info = &csr.certification_request_info;
        ecdsa::verify(
            key.public_key_point(),
            info.raw,
            csr.signature_value.data.as_ref(),
        )
        .unwrap();
        let cns: Vec<_> = info
            .subject
            .iter_common_name()
            .map(|a| a.as_str().unwrap())
            .collect();
        assert_eq!(cns, ["org1peer0"]);
        assert_eq!(info.subject.iter().count(), 1, "CN only");
        assert_eq!(
            info.subject_pki.subject_public_key.data.as_ref(),
            key.public_key_point()
        );
        let sans: Vec<String> = csr
            .requested_extensions()
            .into_iter()
            .flatten()
            .filter_map(|e| match e {
                ParsedExtension::SubjectAlternativeName(san) => Some(san),
                _ => None,
            })
            .flat_map(|san| san.general_names.iter())
            .map(|n| match n {
                GeneralName::DNSName(d) => d.to_string(),
                GeneralName::IPAddress(ip) => format!("ip:{ip:?}"),
                other => format!("{other:?}"),
            })
            .collect();
        assert_eq!(sans, ["peer0.org1.example.com", "ip:[127, 0, 0, 1]"]);
        // Without hosts: no SAN extension at all, as in the recorded CSRs.
        let bare = key.csr_pem("admin", &[]).unwrap();
        assert!(bare.len() < pem.len());
    }
}
