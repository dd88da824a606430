//! The certificate and key model of a Fabric identity: an X.509 certificate as the CA issued it
//! (kept as the exact PEM text, because CA tokens sign those bytes), what the provider reads from
//! it (CN, NodeOU, expiry, serial and AKI for revocation, the fabric-ca attribute extension), and
//! a [`SigningIdentity`]: a certificate with the private key that matches it.

use std::fmt;

use serde_json::{Map, Value};
use thiserror::Error;
use time::OffsetDateTime;
use x509_parser::prelude::{FromDer, GeneralName, ParsedExtension, X509Certificate};

use super::csr::PrivateKey;
use super::ecdsa::{self, SignatureError};

/// OID of fabric-ca's attribute extension (docs/dev/fabric-ca.md#attribute-extension).
const FABRIC_ATTRS_OID: &str = "1.2.3.4.5.6.7.8.1";
/// Longest chain walked from a leaf to a root: deeper chains are refused, and a loop ends.
pub const MAX_CHAIN: usize = 8;

/// ecdsa-with-SHA256 (RFC 5758), the signature algorithm of Fabric CA's P-256 certificates.
const ECDSA_WITH_SHA256_OID: &str = "1.2.840.10045.4.3.2";

/// A certificate or identity that could not be read or does not hold together.
#[derive(Debug, Clone, Error, PartialEq, Eq)]
pub enum IdentityError {
    #[error("not a PEM X.509 certificate: {0}")]
    Certificate(String),
    #[error("the certificate's key is not ECDSA P-256")]
    NotP256,
    #[error("the private key does not belong to the certificate (CN {common_name:?})")]
    KeyMismatch { common_name: String },
    /// `issuer` did not sign the certificate, or signed it with a scheme other than
    /// ECDSA P-256 / SHA-256.
    #[error("the certificate (CN {common_name:?}) is not signed by {issuer:?}: {reason}")]
    NotSignedBy {
        common_name: String,
        issuer: String,
        reason: String,
    },
}

/// What the provider reads from a certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateInfo {
    /// Subject CN: the enroll id for certificates a Fabric CA issued.
    pub common_name: String,
    /// Subject OUs in order; Fabric CA puts the identity type (`client`, `peer`, `admin`, ...)
    /// first, then the affiliation's parts (docs/dev/fabric-ca.md#ous-from-the-identity-type).
    pub organizational_units: Vec<String>,
    pub issuer_common_name: String,
    pub not_before: OffsetDateTime,
    pub not_after: OffsetDateTime,
    /// Lower-case hex without leading zeros, as fabric-ca's revoke request wants it.
    pub serial_hex: String,
    /// Authority key identifier, lower-case hex without leading zeros (empty when absent).
    pub authority_key_id_hex: String,
    /// DNS names and IP addresses of the SAN extension, as text.
    pub hosts: Vec<String>,
    /// The `attrs` object of the fabric-ca attribute extension, when present.
    pub fabric_attrs: Option<Map<String, Value>>,
    /// The uncompressed P-256 public point.
    pub public_key_point: Vec<u8>,
}

/// A certificate as issued, with its parsed fields.
#[derive(Clone, PartialEq, Eq)]
pub struct Certificate {
    pem: String,
    der: Vec<u8>,
    info: CertificateInfo,
}

impl Certificate {
    /// Reads the first certificate of `pem` and keeps `pem` itself byte for byte (token auth
    /// signs those bytes: docs/dev/fabric-ca.md#token-auth).
    pub fn from_pem(pem: &str) -> Result<Self, IdentityError> {
        use rustls::pki_types::pem::PemObject as _;
        let der = rustls::pki_types::CertificateDer::from_pem_slice(pem.as_bytes())
            .map_err(|e| IdentityError::Certificate(e.to_string()))?
            .as_ref()
            .to_vec();
        let info = parse(&der)?;
        Ok(Self {
            pem: pem.to_owned(),
            der,
            info,
        })
    }

    pub fn pem(&self) -> &str {
        &self.pem
    }

    pub fn der(&self) -> &[u8] {
        &self.der
    }

    pub fn info(&self) -> &CertificateInfo {
        &self.info
    }

    /// Whether `now + window` is past the certificate's end (the re-enroll rule).
    pub fn expires_within(&self, now: OffsetDateTime, window: time::Duration) -> bool {
        now + window >= self.info.not_after
    }

    /// Verifies a DER ECDSA-SHA256 signature made by this certificate's key.
    pub fn verify(&self, msg: &[u8], der_signature: &[u8]) -> Result<(), SignatureError> {
        ecdsa::verify(&self.info.public_key_point, msg, der_signature)
    }

    /// Whether the certificate says it is a CA (basic constraints `CA:TRUE`): only those may
    /// issue certificates in an MSP's chain.
    pub fn is_ca(&self) -> bool {
        X509Certificate::from_der(&self.der).is_ok_and(|(_, c)| c.is_ca())
    }

    /// Checks that `issuer`'s key made this certificate's signature (ECDSA P-256 / SHA-256, as
    /// a P-256 Fabric CA signs). Names are not compared: the signature decides.
    pub fn verify_issued_by(&self, issuer: &Certificate) -> Result<(), IdentityError> {
        let refused = |reason: String| IdentityError::NotSignedBy {
            common_name: self.info.common_name.clone(),
            issuer: issuer.info.common_name.clone(),
            reason,
        };
        let (_, cert) = X509Certificate::from_der(&self.der)
            .map_err(|e| IdentityError::Certificate(e.to_string()))?;
        let algorithm = cert.signature_algorithm.algorithm.to_id_string();
        if algorithm != ECDSA_WITH_SHA256_OID {
            return Err(refused(format!(
                "signature algorithm {algorithm} is not ecdsa-with-SHA256"
            )));
        }
        issuer
            .verify(cert.tbs_certificate.as_ref(), &cert.signature_value.data)
            .map_err(|e| refused(e.to_string()))
    }

    /// Whether `issuer` signed this certificate: its subject is this certificate's issuer and
    /// its key made the signature ([`Certificate::verify_issued_by`]).
    pub fn is_issued_by(&self, issuer: &Certificate) -> bool {
        let names = |der: &[u8]| {
            let (_, c) = X509Certificate::from_der(der).ok()?;
            let tbs = &c.tbs_certificate;
            Some((tbs.subject.as_raw().to_vec(), tbs.issuer.as_raw().to_vec()))
        };
        let (Some((_, my_issuer)), Some((their_subject, _))) =
            (names(&self.der), names(&issuer.der))
        else {
            return false;
        };
        my_issuer == their_subject && self.verify_issued_by(issuer).is_ok()
    }

    /// The certificates from this one's issuer up to one of `roots`, each signed by the next,
    /// the root last, through any of `intermediates`; `None` when no root is reached within
    /// [`MAX_CHAIN`] steps. Signatures decide (names are not compared).
    pub fn chain_to<'a>(
        &self,
        roots: &'a [Certificate],
        intermediates: &'a [Certificate],
    ) -> Option<Vec<&'a Certificate>> {
        let mut path: Vec<&Certificate> = Vec::new();
        let mut current = self;
        for _ in 0..MAX_CHAIN {
            if let Some(root) = roots.iter().find(|r| current.verify_issued_by(r).is_ok()) {
                path.push(root);
                return Some(path);
            }
            let next = intermediates.iter().find(|i| {
                i.der != current.der
                    && !path.iter().any(|p| p.der == i.der)
                    && current.verify_issued_by(i).is_ok()
            })?;
            path.push(next);
            current = next;
        }
        None
    }

    /// Whether this certificate chains, through `chain` (a CA chain as Fabric CA sends it,
    /// root first, intermediates after), to a self-signed root in it.
    pub fn chains_to(&self, chain: &[Certificate]) -> bool {
        let (roots, intermediates): (Vec<Certificate>, Vec<Certificate>) =
            chain.iter().cloned().partition(|c| c.is_issued_by(c));
        self.chain_to(&roots, &intermediates).is_some()
    }
}

impl fmt::Debug for Certificate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Certificate")
            .field("common_name", &self.info.common_name)
            .field("ous", &self.info.organizational_units)
            .field("issuer", &self.info.issuer_common_name)
            .field("serial", &self.info.serial_hex)
            .field("not_after", &self.info.not_after)
            .finish()
    }
}

/// A certificate and the private key that matches it: what signs CA tokens (and, later,
/// Fabric transactions). Its Debug shows the certificate only.
#[derive(Clone, Debug)]
pub struct SigningIdentity {
    certificate: Certificate,
    key: PrivateKey,
}

impl SigningIdentity {
    /// Fails when the key's public point is not the certificate's.
    pub fn new(certificate: Certificate, key: PrivateKey) -> Result<Self, IdentityError> {
        if key.public_key_point() != certificate.info.public_key_point.as_slice() {
            return Err(IdentityError::KeyMismatch {
                common_name: certificate.info.common_name.clone(),
            });
        }
        Ok(Self { certificate, key })
    }

    /// From the PEM texts (the certificate as issued, the key PKCS#8 or SEC1).
    pub fn from_pem(cert_pem: &str, key_pem: &str) -> Result<Self, IdentityError> {
        let certificate = Certificate::from_pem(cert_pem)?;
        let key = PrivateKey::from_pem(key_pem).map_err(|_| IdentityError::KeyMismatch {
            common_name: certificate.info.common_name.clone(),
        })?;
        Self::new(certificate, key)
    }

    pub fn certificate(&self) -> &Certificate {
        &self.certificate
    }

    pub fn key(&self) -> &PrivateKey {
        &self.key
    }

    /// The enroll id the certificate was issued to.
    pub fn enroll_id(&self) -> &str {
        &self.certificate.info.common_name
    }
}

fn parse(der: &[u8]) -> Result<CertificateInfo, IdentityError> {
    let (_, cert) =
        X509Certificate::from_der(der).map_err(|e| IdentityError::Certificate(e.to_string()))?;
    let spki = cert.public_key();
    let is_p256 = spki.algorithm.algorithm.to_id_string() == "1.2.840.10045.2.1"
        && spki
            .algorithm
            .parameters
            .as_ref()
            .and_then(|p| p.as_oid().ok())
            .is_some_and(|oid| oid.to_id_string() == "1.2.840.10045.3.1.7");
    if !is_p256 {
        return Err(IdentityError::NotP256);
    }
    let tbs = &cert.tbs_certificate;
    let mut hosts = Vec::new();
    let mut authority_key_id_hex = String::new();
    let mut fabric_attrs = None;
    for ext in tbs.extensions() {
        match ext.parsed_extension() {
            ParsedExtension::SubjectAlternativeName(san) => {
                for name in &san.general_names {
                    match name {
                        GeneralName::DNSName(d) => hosts.push((*d).to_owned()),
                        GeneralName::IPAddress(ip) => hosts.extend(ip_text(ip)),
                        _ => {}
                    }
                }
            }
            ParsedExtension::AuthorityKeyIdentifier(aki) => {
                if let Some(id) = &aki.key_identifier {
                    authority_key_id_hex = hex_trimmed(id.0);
                }
            }
            _ if ext.oid.to_id_string() == FABRIC_ATTRS_OID => {
                fabric_attrs = serde_json::from_slice::<Value>(ext.value)
                    .ok()
                    .and_then(|v| v.get("attrs").and_then(Value::as_object).cloned());
            }
            _ => {}
        }
    }
    let time = |t: x509_parser::time::ASN1Time| {
        OffsetDateTime::from_unix_timestamp(t.timestamp())
            .map_err(|e| IdentityError::Certificate(e.to_string()))
    };
    Ok(CertificateInfo {
        common_name: texts(tbs.subject.iter_common_name())
            .into_iter()
            .next()
            .unwrap_or_default(),
        organizational_units: texts(tbs.subject.iter_organizational_unit()),
        issuer_common_name: texts(tbs.issuer.iter_common_name())
            .into_iter()
            .next()
            .unwrap_or_default(),
        not_before: time(tbs.validity.not_before)?,
        not_after: time(tbs.validity.not_after)?,
        serial_hex: hex_trimmed(tbs.raw_serial()),
        authority_key_id_hex,
        hosts,
        fabric_attrs,
        public_key_point: spki.subject_public_key.data.to_vec(),
    })
}

fn texts<'a, 'b: 'a>(
    attrs: impl Iterator<Item = &'a x509_parser::x509::AttributeTypeAndValue<'b>>,
) -> Vec<String> {
    attrs
        .filter_map(|a| a.as_str().ok().map(str::to_owned))
        .collect()
}

fn ip_text(octets: &[u8]) -> Option<String> {
    match octets.len() {
        4 => <[u8; 4]>::try_from(octets)
            .ok()
            .map(|o| std::net::Ipv4Addr::from(o).to_string()),
        16 => <[u8; 16]>::try_from(octets)
            .ok()
            .map(|o| std::net::Ipv6Addr::from(o).to_string()),
        _ => None,
    }
}

/// Lower-case hex without leading zero digits (fabric-ca `lib/serverrevoke.go` compares
/// serials and AKIs that way).
fn hex_trimmed(bytes: &[u8]) -> String {
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    let trimmed = hex.trim_start_matches('0');
    if trimmed.is_empty() && !hex.is_empty() {
        "0".to_owned()
    } else {
        trimmed.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ADMIN_CERT: &str =
        include_str!("../../tests/fixtures/fabric/identities/org1admin.cert.pem");
    const ADMIN_KEY: &str =
        include_str!("../../tests/fixtures/fabric/identities/org1admin.key.pem");
    const BOOTSTRAP_KEY: &str =
        include_str!("../../tests/fixtures/fabric/identities/bootstrap-admin.key.pem");
    const PEER_TLS_CERT: &str =
        include_str!("../../tests/fixtures/fabric/identities/org1peer0-tls.cert.pem");
    const CA_ROOT: &str = include_str!("../../tests/fixtures/fabric/identities/org1-ca-root.pem");
    const TLSCA_ROOT: &str =
        include_str!("../../tests/fixtures/fabric/identities/org1-tlsca-root.pem");

    /// SKI of `identities/org1-ca-root.pem` (shared `identities/index.json`).
    const ROOT_SKI: &str = "885b6309359b02f85728876285c46e0da7f823d6";

    #[test]
    fn a_recorded_admin_certificate_reads_as_its_index_says() {
        let cert = Certificate::from_pem(ADMIN_CERT).unwrap();
        let info = cert.info();
        assert_eq!(info.common_name, "org1admin");
        assert_eq!(info.organizational_units, ["admin"]);
        assert_eq!(info.issuer_common_name, "org1ca");
        assert_eq!(info.not_after.year(), 2036);
        let attrs = info.fabric_attrs.as_ref().unwrap();
        assert_eq!(attrs["hf.Type"], "admin");
        assert_eq!(attrs["hf.EnrollmentID"], "org1admin");
        assert_eq!(cert.pem(), ADMIN_CERT, "kept byte for byte");
        // Values from the shared identities/index.json: the serial, the ca root's SKI as AKI.
        assert_eq!(info.serial_hex, "52b4112fda25dec49bac1cdac962c7f7fe818eba");
        assert_eq!(info.authority_key_id_hex, ROOT_SKI);
        assert_eq!(
            info.not_after,
            time::macros::datetime!(2036-11-23 18:54:00 UTC)
        );
    }

    #[test]
    fn a_recorded_tls_certificate_lists_its_hosts() {
        let info = Certificate::from_pem(PEER_TLS_CERT).unwrap().info().clone();
        assert_eq!(info.issuer_common_name, "org1tlsca");
        assert_eq!(
            info.hosts,
            ["peer0.org1.example.com", "localhost", "127.0.0.1"]
        );
        assert!(info.fabric_attrs.is_some());
    }

    #[test]
    fn a_signing_identity_needs_the_matching_key() {
        let id = SigningIdentity::from_pem(ADMIN_CERT, ADMIN_KEY).unwrap();
        assert_eq!(id.enroll_id(), "org1admin");
        let sig = id.key().sign(b"payload").unwrap();
        id.certificate().verify(b"payload", &sig).unwrap();
        let err = SigningIdentity::from_pem(ADMIN_CERT, BOOTSTRAP_KEY).unwrap_err();
        assert!(matches!(err, IdentityError::KeyMismatch { .. }), "{err}");
        assert!(!format!("{id:?}").contains("PRIVATE"));
    }

    #[test]
    fn expiry_window() {
        let cert = Certificate::from_pem(ADMIN_CERT).unwrap();
        let end = cert.info().not_after;
        assert!(!cert.expires_within(end - time::Duration::days(31), time::Duration::days(30)));
        assert!(cert.expires_within(end - time::Duration::days(29), time::Duration::days(30)));
    }

    #[test]
    fn recorded_certificates_chain_to_their_own_roots_only() {
        let root = Certificate::from_pem(CA_ROOT).unwrap();
        let tls_root = Certificate::from_pem(TLSCA_ROOT).unwrap();
        let admin = Certificate::from_pem(ADMIN_CERT).unwrap();
        let peer_tls = Certificate::from_pem(PEER_TLS_CERT).unwrap();
        assert!(admin.is_issued_by(&root));
        assert!(root.is_issued_by(&root), "self-signed");
        assert!(admin.chains_to(std::slice::from_ref(&root)));
        assert!(peer_tls.chains_to(&[root.clone(), tls_root.clone()]));
        assert!(!admin.chains_to(std::slice::from_ref(&tls_root)));
        assert!(!peer_tls.chains_to(std::slice::from_ref(&root)));
        assert!(!admin.chains_to(&[]));
        // A leaf is not a root: a chain of the leaf itself proves nothing.
        assert!(!admin.chains_to(std::slice::from_ref(&admin)));
    }

    #[test]
    fn a_recorded_certificate_is_issued_by_its_root_only() {
        let root = Certificate::from_pem(include_str!(
            "../../tests/fixtures/fabric/identities/org1-ca-root.pem"
        ))
        .unwrap();
        let tls_root = Certificate::from_pem(include_str!(
            "../../tests/fixtures/fabric/identities/org1-tlsca-root.pem"
        ))
        .unwrap();
        let admin = Certificate::from_pem(ADMIN_CERT).unwrap();
        admin.verify_issued_by(&root).unwrap();
        root.verify_issued_by(&root).unwrap(); // self-signed
        let err = admin.verify_issued_by(&tls_root).unwrap_err();
        assert!(matches!(err, IdentityError::NotSignedBy { .. }), "{err}");
        assert!(root.is_ca() && !admin.is_ca());
    }

    #[test]
    fn hex_is_trimmed_like_fabric_ca() {
        assert_eq!(hex_trimmed(&[0x00, 0x0a, 0xbc]), "abc");
        assert_eq!(hex_trimmed(&[0x00]), "0");
        assert_eq!(hex_trimmed(&[]), "");
    }
}
