//! X.509 material: CA roots, the server's TLS certificate, CSR parsing and leaf issuance.
//!
//! Layouts follow the recorded certificates in `fixtures/fabric/identities/` (fabric-ca 1.5.5;
//! docs/dev/fabric-ca.md#certificate-layout):
//! roots are `C=US, ST=North Carolina, O=Hyperledger, OU=Fabric, CN=<name>` with KeyUsage
//! certSign+cRLSign, CA:TRUE pathlen 1 and SAN IP 127.0.0.1; enrollment certs have subject
//! `OU=<type>, CN=<id>`, KeyUsage digitalSignature, CA:FALSE, SKI/AKI and the attribute
//! extension; the `tls` profile adds keyEncipherment+keyAgreement and EKU serverAuth+clientAuth.

use rcgen::{
    BasicConstraints, CertificateParams, CustomExtension, DistinguishedName, DnType,
    ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair, KeyUsagePurpose, SanType, SerialNumber,
    SubjectPublicKeyInfo, PKCS_ECDSA_P256_SHA256,
};
use time::{Duration, OffsetDateTime};
use x509_parser::extensions::{GeneralName, ParsedExtension};
use x509_parser::prelude::FromDer;

use super::error::CaError;

/// Fabric CA attribute extension OID (`lib/attrmgr/attrmgr.go` AttrOID).
pub(crate) const ATTR_OID: &[u64] = &[1, 2, 3, 4, 5, 6, 7, 8, 1];

/// Root lifetime: fabric-ca's default CA cert expiry is 131400h (15 years); the recorded
/// roots span 2026-11-26 → 2041-11-22.
const ROOT_LIFETIME: Duration = Duration::hours(131_400);
/// Leaf lifetime: the IBP default of one year (the recording raised it to 10 years).
pub(crate) const LEAF_LIFETIME: Duration = Duration::hours(8_760);
/// cfssl back-dates `notBefore` by five minutes (recorded leaves: enrolled 18:54, notBefore 18:49).
const BACKDATE: Duration = Duration::minutes(5);

/// A PEM certificate with its PKCS#8 PEM private key.
pub(crate) struct KeyAndCert {
    pub cert_pem: String,
    pub key_pem: String,
}

/// Which signing profile a leaf is issued under.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Profile {
    /// The default enrollment-certificate profile.
    Enrollment,
    /// The `tls` profile (EKU serverAuth+clientAuth).
    Tls,
}

/// What the CA puts in an issued leaf certificate.
pub(crate) struct LeafSpec<'a> {
    pub common_name: &'a str,
    pub organizational_unit: &'a str,
    pub subject_public_key_info_der: &'a [u8],
    pub hosts: &'a [String],
    pub profile: Profile,
    pub attribute_extension: Option<Vec<u8>>,
    pub serial: SerialNumber,
}

/// A CSR whose signature verified.
#[derive(Debug)]
pub(crate) struct ParsedCsr {
    pub common_name: Option<String>,
    pub subject_public_key_info_der: Vec<u8>,
    pub requests_ca: bool,
    /// DNS names and IP addresses the CSR asks for (used when the request has no `hosts`).
    pub subject_alt_names: Vec<String>,
}

/// Why a CSR was refused.
#[derive(Debug, thiserror::Error)]
pub(crate) enum CsrError {
    #[error("failed to decode the PEM certificate request")]
    Pem,
    #[error("not a certificate or csr")]
    WrongLabel,
    #[error("failed to parse the certificate request: {0}")]
    Der(String),
    #[error("the certificate request signature is invalid")]
    Signature,
}

/// The "Fabric" subject used for roots and the server certificate, with the given CN.
fn fabric_subject(common_name: &str) -> DistinguishedName {
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CountryName, "US");
    dn.push(DnType::StateOrProvinceName, "North Carolina");
    dn.push(DnType::OrganizationName, "Hyperledger");
    dn.push(DnType::OrganizationalUnitName, "Fabric");
    dn.push(DnType::CommonName, common_name);
    dn
}

/// `[now - 5 min, now + lifetime]`, truncated to the minute like cfssl.
fn validity(lifetime: Duration) -> Result<(OffsetDateTime, OffsetDateTime), CaError> {
    let now = OffsetDateTime::now_utc();
    let now = now
        .replace_second(0)
        .and_then(|t| t.replace_nanosecond(0))
        .map_err(|e| CaError::InvalidMaterial(format!("clock: {e}")))?;
    Ok((now - BACKDATE, now + lifetime))
}

/// A unique positive 20-byte serial: 12 random bytes then the state's counter.
pub(crate) fn serial_from_counter(counter: u64) -> SerialNumber {
    let mut bytes: [u8; 20] = [0; 20];
    let random: [u8; 12] = rand::random();
    bytes[..12].copy_from_slice(&random);
    // Positive, and never a leading zero byte, so it always encodes as 20 bytes.
    bytes[0] = (bytes[0] & 0x7f) | 0x40;
    bytes[12..].copy_from_slice(&counter.to_be_bytes());
    SerialNumber::from_slice(&bytes)
}

/// Generate a self-signed P-256 root like fabric-ca's (see module docs).
pub(crate) fn generate_root(
    common_name: &str,
    serial: SerialNumber,
) -> Result<KeyAndCert, CaError> {
    let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256)?;
    let (not_before, not_after) = validity(ROOT_LIFETIME)?;
    let mut params = CertificateParams::default();
    params.distinguished_name = fabric_subject(common_name);
    params.not_before = not_before;
    params.not_after = not_after;
    params.serial_number = Some(serial);
    params.is_ca = IsCa::Ca(BasicConstraints::Constrained(1));
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    params.subject_alt_names = vec![SanType::IpAddress(std::net::IpAddr::V4(
        std::net::Ipv4Addr::LOCALHOST,
    ))];
    let cert = params.self_signed(&key)?;
    Ok(KeyAndCert {
        cert_pem: cert.pem(),
        key_pem: key.serialize_pem(),
    })
}

/// Generate the HTTPS server certificate, signed by the default CA's root.
///
/// Recorded `ca/ca-server-tls-cert.pem`: KeyUsage digitalSignature+keyEncipherment+keyAgreement,
/// EKU serverAuth+clientAuth, CA:FALSE, SAN DNS:localhost + IP:127.0.0.1.
pub(crate) fn generate_server_tls(
    issuer_cert_pem: &str,
    issuer_key_pem: &str,
    serial: SerialNumber,
) -> Result<KeyAndCert, CaError> {
    let issuer = load_issuer(issuer_cert_pem, issuer_key_pem)?;
    let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256)?;
    let (not_before, not_after) = validity(LEAF_LIFETIME)?;
    let mut params = CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])?;
    params.distinguished_name = fabric_subject("localhost");
    params.not_before = not_before;
    params.not_after = not_after;
    params.serial_number = Some(serial);
    params.is_ca = IsCa::ExplicitNoCa;
    params.key_usages = vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::KeyEncipherment,
        KeyUsagePurpose::KeyAgreement,
    ];
    params.extended_key_usages = vec![
        ExtendedKeyUsagePurpose::ServerAuth,
        ExtendedKeyUsagePurpose::ClientAuth,
    ];
    params.use_authority_key_identifier_extension = true;
    let cert = params.signed_by(&key, &issuer)?;
    Ok(KeyAndCert {
        cert_pem: cert.pem(),
        key_pem: key.serialize_pem(),
    })
}

/// Load a stored CA (root PEM + PKCS#8 key PEM) as an rcgen issuer.
fn load_issuer(cert_pem: &str, key_pem: &str) -> Result<Issuer<'static, KeyPair>, CaError> {
    let key = KeyPair::from_pem(key_pem)
        .map_err(|e| CaError::InvalidMaterial(format!("CA private key: {e}")))?;
    Issuer::from_ca_cert_pem(cert_pem, key)
        .map_err(|e| CaError::InvalidMaterial(format!("CA certificate: {e}")))
}

/// Issue a leaf certificate for a verified CSR public key; returns the PEM.
pub(crate) fn issue_leaf(
    issuer_cert_pem: &str,
    issuer_key_pem: &str,
    spec: LeafSpec<'_>,
) -> Result<String, CaError> {
    let issuer = load_issuer(issuer_cert_pem, issuer_key_pem)?;
    let public_key = SubjectPublicKeyInfo::from_der(spec.subject_public_key_info_der)?;
    let (not_before, not_after) = validity(LEAF_LIFETIME)?;
    let mut params = CertificateParams::new(spec.hosts.to_vec())?;
    let mut dn = DistinguishedName::new();
    dn.push(DnType::OrganizationalUnitName, spec.organizational_unit);
    dn.push(DnType::CommonName, spec.common_name);
    params.distinguished_name = dn;
    params.not_before = not_before;
    params.not_after = not_after;
    params.serial_number = Some(spec.serial);
    params.is_ca = IsCa::ExplicitNoCa;
    params.use_authority_key_identifier_extension = true;
    match spec.profile {
        Profile::Enrollment => {
            params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        }
        Profile::Tls => {
            params.key_usages = vec![
                KeyUsagePurpose::DigitalSignature,
                KeyUsagePurpose::KeyEncipherment,
                KeyUsagePurpose::KeyAgreement,
            ];
            params.extended_key_usages = vec![
                ExtendedKeyUsagePurpose::ServerAuth,
                ExtendedKeyUsagePurpose::ClientAuth,
            ];
        }
    }
    if let Some(content) = spec.attribute_extension {
        // The extension value is the raw JSON bytes (non-critical), as in the recorded certs.
        params
            .custom_extensions
            .push(CustomExtension::from_oid_content(ATTR_OID, content));
    }
    Ok(params.signed_by(&public_key, &issuer)?.pem())
}

/// Decode a PEM CSR and verify its self-signature (fabric-ca `processSignRequest`).
pub(crate) fn parse_csr(pem: &str) -> Result<ParsedCsr, CsrError> {
    let (_, block) = x509_parser::pem::parse_x509_pem(pem.as_bytes()).map_err(|_| CsrError::Pem)?;
    if block.label != "CERTIFICATE REQUEST" && block.label != "NEW CERTIFICATE REQUEST" {
        return Err(CsrError::WrongLabel);
    }
    let (_, csr) =
        x509_parser::certification_request::X509CertificationRequest::from_der(&block.contents)
            .map_err(|e| CsrError::Der(e.to_string()))?;
    csr.verify_signature().map_err(|_| CsrError::Signature)?;
    let info = &csr.certification_request_info;
    let common_name = info
        .subject
        .iter_common_name()
        .next()
        .and_then(|cn| cn.as_str().ok())
        .map(str::to_owned);
    let mut requests_ca = false;
    let mut subject_alt_names = Vec::new();
    for ext in csr.requested_extensions().into_iter().flatten() {
        match ext {
            ParsedExtension::BasicConstraints(bc) => requests_ca |= bc.ca,
            ParsedExtension::SubjectAlternativeName(san) => {
                for name in &san.general_names {
                    match name {
                        GeneralName::DNSName(dns) => subject_alt_names.push((*dns).to_owned()),
                        GeneralName::IPAddress(ip) => {
                            if let Some(ip) = ip_from_bytes(ip) {
                                subject_alt_names.push(ip.to_string());
                            }
                        }
                        _ => {}
                    }
                }
            }
            _ => {}
        }
    }
    Ok(ParsedCsr {
        common_name,
        subject_public_key_info_der: info.subject_pki.raw.to_vec(),
        requests_ca,
        subject_alt_names,
    })
}

fn ip_from_bytes(bytes: &[u8]) -> Option<std::net::IpAddr> {
    match bytes.len() {
        4 => <[u8; 4]>::try_from(bytes).ok().map(std::net::IpAddr::from),
        16 => <[u8; 16]>::try_from(bytes).ok().map(std::net::IpAddr::from),
        _ => None,
    }
}

/// Decode the first PEM certificate block to DER.
#[cfg(test)]
pub(crate) fn pem_to_der(pem: &str) -> Result<Vec<u8>, CaError> {
    let (_, block) = x509_parser::pem::parse_x509_pem(pem.as_bytes())
        .map_err(|e| CaError::InvalidMaterial(format!("PEM: {e}")))?;
    Ok(block.contents)
}

#[cfg(test)]
mod tests {
    use super::*;
    use x509_parser::prelude::*;

    fn parse(pem: &str) -> Vec<u8> {
        super::pem_to_der(pem).unwrap()
    }

    #[test]
    fn root_is_a_pathlen_1_ca_with_fabric_subject() {
        let root = generate_root("org1ca", serial_from_counter(1)).unwrap();
        let der = parse(&root.cert_pem);
        let (_, cert) = X509Certificate::from_der(&der).unwrap();
        assert_eq!(
            cert.subject().to_string(),
            "C=US, ST=North Carolina, O=Hyperledger, OU=Fabric, CN=org1ca"
        );
        let bc = cert.basic_constraints().unwrap().unwrap().value;
        assert!(bc.ca);
        assert_eq!(bc.path_len_constraint, Some(1));
        let ku = cert.key_usage().unwrap().unwrap().value;
        assert!(ku.key_cert_sign() && ku.crl_sign());
        assert!(cert.verify_signature(None).is_ok());
        assert!(root.key_pem.contains("BEGIN PRIVATE KEY"));
    }

    #[test]
    fn serials_are_20_bytes_positive_and_unique() {
        let a = serial_from_counter(7).to_bytes();
        let b = serial_from_counter(8).to_bytes();
        assert_eq!(a.len(), 20);
        assert!(a[0] & 0x80 == 0 && a[0] != 0);
        assert_ne!(a, b);
        assert_eq!(&a[12..], &7u64.to_be_bytes());
    }

    #[test]
    fn tls_profile_leaf_has_sans_and_ekus_and_chains_to_root() {
        let root = generate_root("tlsca", serial_from_counter(1)).unwrap();
        let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).unwrap();
        let spki = rcgen::PublicKeyData::subject_public_key_info(&key);
        let hosts = vec!["peer0.example.com".to_owned(), "127.0.0.1".to_owned()];
        let pem = issue_leaf(
            &root.cert_pem,
            &root.key_pem,
            LeafSpec {
                common_name: "peer0",
                organizational_unit: "peer",
                subject_public_key_info_der: &spki,
                hosts: &hosts,
                profile: Profile::Tls,
                attribute_extension: None,
                serial: serial_from_counter(2),
            },
        )
        .unwrap();
        let der = parse(&pem);
        let (_, cert) = X509Certificate::from_der(&der).unwrap();
        assert_eq!(cert.subject().to_string(), "OU=peer, CN=peer0");
        let eku = cert.extended_key_usage().unwrap().unwrap().value;
        assert!(eku.server_auth && eku.client_auth);
        let san = cert.subject_alternative_name().unwrap().unwrap().value;
        assert_eq!(san.general_names.len(), 2);
        let root_der = parse(&root.cert_pem);
        let (_, root_cert) = X509Certificate::from_der(&root_der).unwrap();
        assert!(cert.verify_signature(Some(root_cert.public_key())).is_ok());
        assert_eq!(cert.issuer(), root_cert.subject());
    }

    #[test]
    fn csr_with_broken_signature_is_refused() {
        let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).unwrap();
        let mut params = CertificateParams::default();
        params.distinguished_name = DistinguishedName::new();
        params.distinguished_name.push(DnType::CommonName, "user1");
        let csr = params.serialize_request(&key).unwrap();
        let good = parse_csr(&csr.pem().unwrap()).unwrap();
        assert_eq!(good.common_name.as_deref(), Some("user1"));
        let mut der = csr.der().to_vec();
        let last = der.len() - 1;
        der[last] ^= 0x01;
        let bad_pem = pem_encode("CERTIFICATE REQUEST", &der);
        assert!(matches!(parse_csr(&bad_pem), Err(CsrError::Signature)));
        assert!(matches!(parse_csr("garbage"), Err(CsrError::Pem)));
    }

    fn pem_encode(label: &str, der: &[u8]) -> String {
        use base64::Engine as _;
        let b64 = base64::engine::general_purpose::STANDARD.encode(der);
        let mut out = format!("-----BEGIN {label}-----\n");
        for chunk in b64.as_bytes().chunks(64) {
            out.push_str(std::str::from_utf8(chunk).unwrap());
            out.push('\n');
        }
        out.push_str(&format!("-----END {label}-----\n"));
        out
    }
}
