//! X.509 material: CA roots, the server's TLS certificate, CSR parsing and leaf issuance.
//!
//! Layouts follow the recorded certificates in `fixtures/fabric/identities/` (fabric-ca 1.5.5;
//! docs/dev/fabric-ca.md#certificate-layout):
//! roots are `C=US, ST=North Carolina, O=Hyperledger, OU=Fabric, CN=<name>` with KeyUsage
//! certSign+cRLSign, CA:TRUE pathlen 1 and SAN IP 127.0.0.1; enrollment certs have subject
//! `OU=<type>, CN=<id>`, KeyUsage digitalSignature, CA:FALSE, SKI/AKI and the attribute
//! extension; the `tls` profile adds keyEncipherment+keyAgreement and EKU serverAuth+clientAuth.

use rcgen::string::PrintableString;
use rcgen::{
    BasicConstraints, CertificateParams, CustomExtension, DistinguishedName, DnType, DnValue,
    ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair, KeyUsagePurpose, SanType, SerialNumber,
    SubjectPublicKeyInfo, PKCS_ECDSA_P256_SHA256,
};
use time::{Duration, OffsetDateTime};
use x509_parser::extensions::{GeneralName, ParsedExtension};
use x509_parser::prelude::{FromDer, X509Certificate};

use super::der::{self, tag};
use super::error::CaError;
use super::profiles::SigningProfile;
use super::signer::CaSigner;
use super::state::CertRecord;
use super::token::key_hex;

/// Fabric CA attribute extension OID (`lib/attrmgr/attrmgr.go` AttrOID).
pub(crate) const ATTR_OID: &[u64] = &[1, 2, 3, 4, 5, 6, 7, 8, 1];

/// Root lifetime: fabric-ca's default CA cert expiry is 131400h (15 years); the recorded
/// roots span 2026-11-26 → 2041-11-22.
const ROOT_LIFETIME: Duration = Duration::hours(131_400);
/// Lifetime of the server's own HTTPS certificate (the IBP default of one year).
pub(crate) const LEAF_LIFETIME: Duration = Duration::hours(8_760);
/// cfssl back-dates a new root's `notBefore` by five minutes (recorded roots).
const BACKDATE: Duration = Duration::minutes(5);

/// A PEM certificate with its PKCS#8 PEM private key.
pub(crate) struct KeyAndCert {
    pub cert_pem: String,
    pub key_pem: String,
}

/// The subject attributes of a CSR that survive into the certificate (cfssl
/// `PopulateSubjectFromCSR`: C, ST, L, O and the serial number; the OUs are replaced).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct CsrNames {
    pub country: Vec<String>,
    pub province: Vec<String>,
    pub locality: Vec<String>,
    pub organization: Vec<String>,
    pub serial_number: Option<String>,
}

/// What the CA puts in an issued leaf certificate.
pub(crate) struct LeafSpec<'a> {
    pub common_name: &'a str,
    /// The CSR's surviving subject attributes.
    pub csr_names: &'a CsrNames,
    /// `OU`s in order: the identity type, then each affiliation element (`setRequestOUs`).
    pub organizational_units: &'a [String],
    pub subject_public_key_info_der: &'a [u8],
    pub hosts: &'a [String],
    pub profile: &'a SigningProfile,
    pub attribute_extension: Option<Vec<u8>>,
    pub serial: SerialNumber,
    /// The issuing time ("now").
    pub now: OffsetDateTime,
}

/// A CSR whose signature verified.
#[derive(Debug)]
pub(crate) struct ParsedCsr {
    pub common_name: Option<String>,
    pub names: CsrNames,
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

/// A DN value as Go marshals a string: PrintableString when it can be, like the recorded roots.
fn go_dn_value(value: &str) -> DnValue {
    match PrintableString::try_from(value) {
        Ok(p) => DnValue::PrintableString(p),
        Err(_) => DnValue::Utf8String(value.to_owned()),
    }
}

/// The "Fabric" subject used for roots and the server certificate, with the given CN.
fn fabric_subject(common_name: &str) -> DistinguishedName {
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CountryName, go_dn_value("US"));
    dn.push(DnType::StateOrProvinceName, go_dn_value("North Carolina"));
    dn.push(DnType::OrganizationName, go_dn_value("Hyperledger"));
    dn.push(DnType::OrganizationalUnitName, go_dn_value("Fabric"));
    dn.push(DnType::CommonName, go_dn_value(common_name));
    dn
}

/// Now, truncated to the minute.
fn minute(now: OffsetDateTime) -> Result<OffsetDateTime, CaError> {
    now.replace_second(0)
        .and_then(|t| t.replace_nanosecond(0))
        .map_err(|e| CaError::InvalidMaterial(format!("clock: {e}")))
}

/// Go's `time.Round(time.Minute)`: to the nearest minute, halves up.
fn round_to_minute(now: OffsetDateTime) -> Result<OffsetDateTime, CaError> {
    let down = minute(now)?;
    Ok(if now - down >= Duration::seconds(30) {
        down + Duration::minutes(1)
    } else {
        down
    })
}

/// `[now - 5 min, now + lifetime]`, truncated to the minute like cfssl.
fn validity(lifetime: Duration) -> Result<(OffsetDateTime, OffsetDateTime), CaError> {
    let now = minute(OffsetDateTime::now_utc())?;
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

/// PEM of a DER certificate.
fn cert_pem(der: &[u8]) -> String {
    pem_encode("CERTIFICATE", der)
}

/// PEM with 64-column base64 lines, as Go's `pem.Encode` writes it.
pub(crate) fn pem_encode(label: &str, der: &[u8]) -> String {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for chunk in b64.as_bytes().chunks(64) {
        out.push_str(&String::from_utf8_lossy(chunk));
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

/// Generate a self-signed P-256 root like fabric-ca's (see module docs), signed low-S.
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
    let key_pem = key.serialize_pem();
    let der = CaSigner::from_pkcs8_pem(&key_pem)?.resign_certificate(cert.der(), None)?;
    Ok(KeyAndCert {
        cert_pem: cert_pem(&der),
        key_pem,
    })
}

/// Generate the HTTPS server certificate, signed (low-S) by the default CA's root.
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
    let der = CaSigner::from_pkcs8_pem(issuer_key_pem)?.resign_certificate(cert.der(), None)?;
    Ok(KeyAndCert {
        cert_pem: cert_pem(&der),
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

/// The validity period of a PEM certificate.
pub(crate) fn validity_of(cert_pem: &str) -> Result<(OffsetDateTime, OffsetDateTime), CaError> {
    let der = pem_block(cert_pem)?;
    let (_, cert) = X509Certificate::from_der(&der)
        .map_err(|e| CaError::InvalidMaterial(format!("CA certificate: {e}")))?;
    let v = cert.validity();
    Ok((v.not_before.to_datetime(), v.not_after.to_datetime()))
}

/// The DER of the first PEM block.
pub(crate) fn pem_block(pem: &str) -> Result<Vec<u8>, CaError> {
    let (_, block) = x509_parser::pem::parse_x509_pem(pem.as_bytes())
        .map_err(|e| CaError::InvalidMaterial(format!("PEM: {e}")))?;
    Ok(block.contents)
}

/// One RDN `SET { SEQUENCE { type, value }… }` holding every value of one attribute type.
fn rdn(type_oid: &[u64], values: &[String]) -> Vec<u8> {
    let oid = der::oid(type_oid);
    der::set_of(
        values
            .iter()
            .map(|v| der::constructed(tag::SEQUENCE, &[&oid, &der::go_string(v)]))
            .collect(),
    )
}

/// The issued subject, encoded as Go's `pkix.Name.ToRDNSequence` does: C, ST, L, O, then all
/// OUs in *one* multi-valued RDN, CN, serial number (cfssl builds a `pkix.Name`; fabric-ca
/// `setRequestOUs` gives the OUs).
pub(crate) fn leaf_subject(names: &CsrNames, ous: &[String], common_name: &str) -> Vec<u8> {
    let mut rdns = Vec::new();
    for (oid, values) in [
        (&[2u64, 5, 4, 6][..], &names.country),
        (&[2, 5, 4, 8], &names.province),
        (&[2, 5, 4, 7], &names.locality),
        (&[2, 5, 4, 10], &names.organization),
    ] {
        if !values.is_empty() {
            rdns.push(rdn(oid, values));
        }
    }
    let ous: Vec<String> = ous.iter().filter(|o| !o.is_empty()).cloned().collect();
    if !ous.is_empty() {
        rdns.push(rdn(&[2, 5, 4, 11], &ous));
    }
    if !common_name.is_empty() {
        rdns.push(rdn(&[2, 5, 4, 3], &[common_name.to_owned()]));
    }
    if let Some(serial) = names.serial_number.as_ref().filter(|s| !s.is_empty()) {
        rdns.push(rdn(&[2, 5, 4, 5], std::slice::from_ref(serial)));
    }
    der::tlv(tag::SEQUENCE, &rdns.concat())
}

/// cfssl `OverrideHosts`: an IP address, an e-mail address or a DNS name each.
fn san_of(host: &str) -> Result<SanType, CaError> {
    if let Ok(ip) = host.parse::<std::net::IpAddr>() {
        return Ok(SanType::IpAddress(ip));
    }
    let text = host
        .to_owned()
        .try_into()
        .map_err(|e| CaError::InvalidMaterial(format!("host '{host}': {e}")))?;
    Ok(if host.contains('@') {
        SanType::Rfc822Name(text)
    } else {
        SanType::DnsName(text)
    })
}

/// Issue a leaf certificate for a verified CSR public key; returns the PEM.
///
/// Validity as `lib/serverenroll.go` handleEnroll sets it: `notBefore` is the CA
/// certificate's own `notBefore` (the request's zero time is "before" it), `notAfter` is now
/// rounded to the minute plus the profile's expiry, capped at the CA's `notAfter`
/// (docs/dev/fabric-ca.md#certificate-validity).
pub(crate) fn issue_leaf(
    issuer_cert_pem: &str,
    issuer_key_pem: &str,
    spec: LeafSpec<'_>,
) -> Result<String, CaError> {
    let issuer = load_issuer(issuer_cert_pem, issuer_key_pem)?;
    let public_key = SubjectPublicKeyInfo::from_der(spec.subject_public_key_info_der)?;
    let (ca_not_before, ca_not_after) = validity_of(issuer_cert_pem)?;
    let wanted = round_to_minute(spec.now)? + Duration::hours(spec.profile.expiry_hours);
    let mut params = CertificateParams::default();
    params.subject_alt_names = spec
        .hosts
        .iter()
        .map(|h| san_of(h))
        .collect::<Result<_, _>>()?;
    // Placeholder; the real subject (with its multi-valued OU RDN) is put in when re-signing.
    params.distinguished_name = DistinguishedName::new();
    params.not_before = ca_not_before;
    params.not_after = wanted.min(ca_not_after);
    params.serial_number = Some(spec.serial);
    params.is_ca = if spec.profile.is_ca {
        IsCa::Ca(BasicConstraints::Unconstrained)
    } else {
        IsCa::ExplicitNoCa
    };
    params.use_authority_key_identifier_extension = true;
    let (key_usages, extended_key_usages) = spec.profile.usages();
    params.key_usages = key_usages;
    params.extended_key_usages = extended_key_usages;
    if let Some(content) = spec.attribute_extension {
        // The extension value is the raw JSON bytes (non-critical), as in the recorded certs.
        params
            .custom_extensions
            .push(CustomExtension::from_oid_content(ATTR_OID, content));
    }
    let cert = params.signed_by(&public_key, &issuer)?;
    let subject = leaf_subject(spec.csr_names, spec.organizational_units, spec.common_name);
    let der =
        CaSigner::from_pkcs8_pem(issuer_key_pem)?.resign_certificate(cert.der(), Some(&subject))?;
    Ok(cert_pem(&der))
}

/// The certificates-table row of a certificate issued to `id` (`lib/certdbaccessor.go`).
pub(crate) fn record_of(id: &str, cert_pem: &str) -> Result<CertRecord, CaError> {
    let der = pem_block(cert_pem)?;
    let (_, cert) = X509Certificate::from_der(&der)
        .map_err(|e| CaError::InvalidMaterial(format!("issued certificate: {e}")))?;
    let aki = cert
        .extensions()
        .iter()
        .find_map(|e| match e.parsed_extension() {
            ParsedExtension::AuthorityKeyIdentifier(a) => {
                a.key_identifier.as_ref().map(|k| k.0.to_vec())
            }
            _ => None,
        })
        .unwrap_or_default();
    Ok(CertRecord {
        id: id.to_owned(),
        serial: key_hex(cert.raw_serial()),
        aki: key_hex(&aki),
        not_after: cert.validity().not_after.timestamp(),
        revoked_at: None,
        reason: 0,
        pem: cert_pem.to_owned(),
    })
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
    let mut names = CsrNames::default();
    let text =
        |a: &x509_parser::x509::AttributeTypeAndValue<'_>| a.as_str().ok().map(str::to_owned);
    names.country = info.subject.iter_country().filter_map(text).collect();
    names.province = info
        .subject
        .iter_state_or_province()
        .filter_map(text)
        .collect();
    names.locality = info.subject.iter_locality().filter_map(text).collect();
    names.organization = info.subject.iter_organization().filter_map(text).collect();
    names.serial_number = info
        .subject
        .iter_by_oid(&x509_parser::oid_registry::OID_X509_SERIALNUMBER)
        .find_map(text);
    let mut requests_ca = false;
    let mut subject_alt_names = Vec::new();
    for ext in csr.requested_extensions().into_iter().flatten() {
        match ext {
            ParsedExtension::BasicConstraints(bc) => requests_ca |= bc.ca,
            ParsedExtension::SubjectAlternativeName(san) => {
                for name in &san.general_names {
                    match name {
                        GeneralName::DNSName(dns) => subject_alt_names.push((*dns).to_owned()),
                        GeneralName::RFC822Name(mail) => subject_alt_names.push((*mail).to_owned()),
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
        names,
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

    fn leaf(
        root: &KeyAndCert,
        profile: &SigningProfile,
        ous: &[String],
        hosts: &[String],
    ) -> String {
        let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).unwrap();
        let spki = rcgen::PublicKeyData::subject_public_key_info(&key);
        issue_leaf(
            &root.cert_pem,
            &root.key_pem,
            LeafSpec {
                common_name: "peer0",
                csr_names: &CsrNames {
                    organization: vec!["Hyperledger".into()],
                    ..CsrNames::default()
                },
                organizational_units: ous,
                subject_public_key_info_der: &spki,
                hosts,
                profile,
                attribute_extension: None,
                serial: serial_from_counter(2),
                now: OffsetDateTime::now_utc(),
            },
        )
        .unwrap()
    }

    #[test]
    fn tls_profile_leaf_has_sans_and_ekus_and_chains_to_root() {
        let root = generate_root("tlsca", serial_from_counter(1)).unwrap();
        let tls = crate::fabric_ca::profiles::SigningConfig::for_ca("tlsca").default;
        let hosts = vec!["peer0.example.com".to_owned(), "127.0.0.1".to_owned()];
        let pem = leaf(&root, &tls, &["peer".to_owned()], &hosts);
        let der = parse(&pem);
        let (_, cert) = X509Certificate::from_der(&der).unwrap();
        assert_eq!(
            cert.subject().to_string(),
            "O=Hyperledger, OU=peer, CN=peer0"
        );
        let eku = cert.extended_key_usage().unwrap().unwrap().value;
        assert!(eku.server_auth && eku.client_auth);
        let ku = cert.key_usage().unwrap().unwrap().value;
        assert!(ku.digital_signature() && ku.key_encipherment() && ku.key_agreement());
        let san = cert.subject_alternative_name().unwrap().unwrap().value;
        assert_eq!(san.general_names.len(), 2);
        let root_der = parse(&root.cert_pem);
        let (_, root_cert) = X509Certificate::from_der(&root_der).unwrap();
        assert!(cert.verify_signature(Some(root_cert.public_key())).is_ok());
        assert_eq!(cert.issuer().as_raw(), root_cert.subject().as_raw());
        // handleEnroll: notBefore is the CA's; notAfter is capped at the CA's (131400 h).
        assert_eq!(cert.validity().not_before, root_cert.validity().not_before);
        assert_eq!(cert.validity().not_after, root_cert.validity().not_after);
    }

    #[test]
    fn affiliation_ous_share_one_rdn_like_go() {
        let root = generate_root("ca", serial_from_counter(1)).unwrap();
        let profile = crate::fabric_ca::profiles::SigningConfig::for_ca("ca").default;
        let ous = ["peer", "org1", "department1"].map(String::from);
        let pem = leaf(&root, &profile, &ous, &[]);
        let der = parse(&pem);
        let (_, cert) = X509Certificate::from_der(&der).unwrap();
        let rdns: Vec<_> = cert.subject().iter().collect();
        assert_eq!(rdns.len(), 3, "O, one OU set, CN");
        let ou_values: Vec<&str> = rdns[1].iter().map(|a| a.as_str().unwrap()).collect();
        // DER SET OF order: shorter encodings first.
        assert_eq!(ou_values, ["org1", "peer", "department1"]);
        assert!(cert.subject_alternative_name().unwrap().is_none());
        let ku = cert.key_usage().unwrap().unwrap().value;
        assert!(ku.digital_signature() && !ku.key_encipherment());
        let lifetime =
            cert.validity().not_after.timestamp() - OffsetDateTime::now_utc().unix_timestamp();
        assert!((lifetime - 8_760 * 3_600).abs() < 120, "{lifetime}");
    }

    #[test]
    fn every_root_server_and_leaf_signature_is_low_s() {
        let profile = crate::fabric_ca::profiles::SigningConfig::for_ca("ca").default;
        for i in 0..24 {
            let root = generate_root(&format!("org{i}ca"), serial_from_counter(1)).unwrap();
            let server =
                generate_server_tls(&root.cert_pem, &root.key_pem, serial_from_counter(2)).unwrap();
            let issued = leaf(&root, &profile, &["client".to_owned()], &[]);
            let root_der = parse(&root.cert_pem);
            for pem in [&root.cert_pem, &server.cert_pem, &issued] {
                let der = parse(pem);
                let sig = crate::fabric_ca::signer::signature_of(&der).unwrap();
                assert!(crate::fabric_ca::signer::is_low_s(&sig), "{i}: high S");
                let (_, cert) = X509Certificate::from_der(&der).unwrap();
                let (_, root_cert) = X509Certificate::from_der(&root_der).unwrap();
                assert!(cert.verify_signature(Some(root_cert.public_key())).is_ok());
            }
        }
    }

    #[test]
    fn round_to_minute_is_half_up() {
        let t = ::time::macros::datetime!(2026-11-26 18:54:29 UTC);
        assert_eq!(
            round_to_minute(t).unwrap(),
            ::time::macros::datetime!(2026-11-26 18:54 UTC)
        );
        let t = ::time::macros::datetime!(2026-11-26 18:54:30 UTC);
        assert_eq!(
            round_to_minute(t).unwrap(),
            ::time::macros::datetime!(2026-11-26 18:55 UTC)
        );
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
}
