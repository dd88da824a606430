//! Certificate revocation lists as fabric-ca v1.5.5 makes them (`lib/servergencrl.go` genCRL →
//! cfssl `crl.CreateGenericCRL` → Go's `x509.Certificate.CreateCRL`): a v2 CRL issued under the
//! CA certificate's subject, `thisUpdate` now, `nextUpdate` now + `crl.expiry` (24 h in the
//! operator's files), one entry (serial, revocation time, no entry extensions) per revoked
//! unexpired certificate, and the CA's subject key id as authority key identifier. Signed
//! low-S (docs/dev/fabric-ca.md#crls).

use time::{Duration, OffsetDateTime};
use x509_parser::extensions::ParsedExtension;
use x509_parser::prelude::{FromDer, X509Certificate};

use super::certs::{pem_block, pem_encode};
use super::der::{self, tag};
use super::error::CaError;
use super::signer::{ecdsa_with_sha256, CaSigner};

/// `crl.expiry` of both operator configuration files.
pub(crate) const CRL_EXPIRY: Duration = Duration::hours(24);

/// One revoked certificate in a CRL.
pub(crate) struct RevokedEntry {
    /// Big-endian serial number.
    pub serial: Vec<u8>,
    pub revoked_at: OffsetDateTime,
}

/// A PEM `X509 CRL` (fabric-ca's `crlPemType`) signed by the CA of `ca_cert_pem`.
pub(crate) fn generate_crl(
    ca_cert_pem: &str,
    ca_key_pem: &str,
    revoked: &[RevokedEntry],
    now: OffsetDateTime,
) -> Result<String, CaError> {
    let ca_der = pem_block(ca_cert_pem)?;
    let (_, ca) = X509Certificate::from_der(&ca_der)
        .map_err(|e| CaError::InvalidMaterial(format!("CA certificate: {e}")))?;
    let subject_key_id = ca
        .extensions()
        .iter()
        .find_map(|e| match e.parsed_extension() {
            ParsedExtension::SubjectKeyIdentifier(id) => Some(id.0.to_vec()),
            _ => None,
        });
    let mut fields = vec![
        der::unsigned_integer(&[1]), // v2
        ecdsa_with_sha256(),
        ca.subject().as_raw().to_vec(),
        der::go_time(now),
        der::go_time(now + CRL_EXPIRY),
    ];
    if !revoked.is_empty() {
        let entries: Vec<Vec<u8>> = revoked
            .iter()
            .map(|r| {
                der::constructed(
                    tag::SEQUENCE,
                    &[
                        &der::unsigned_integer(&r.serial),
                        &der::go_time(r.revoked_at),
                    ],
                )
            })
            .collect();
        fields.push(der::tlv(tag::SEQUENCE, &entries.concat()));
    }
    if let Some(id) = subject_key_id {
        // AuthorityKeyIdentifier ::= SEQUENCE { keyIdentifier [0] IMPLICIT OCTET STRING }
        let aki = der::tlv(tag::SEQUENCE, &der::tlv(0x80, &id));
        let extension = der::constructed(
            tag::SEQUENCE,
            &[
                &der::oid(&[2, 5, 29, 35]),
                &der::tlv(tag::OCTET_STRING, &aki),
            ],
        );
        let extensions = der::tlv(tag::SEQUENCE, &extension);
        fields.push(der::tlv(0xa0, &extensions));
    }
    let tbs = der::tlv(tag::SEQUENCE, &fields.concat());
    let crl = CaSigner::from_pkcs8_pem(ca_key_pem)?.sign_structure(&tbs);
    Ok(pem_encode("X509 CRL", &crl))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fabric_ca::certs::{generate_root, serial_from_counter};
    use crate::fabric_ca::signer::{is_low_s, signature_of};
    use x509_parser::revocation_list::CertificateRevocationList;

    #[test]
    fn crl_lists_revoked_serials_and_is_signed_low_s_by_the_ca() {
        let root = generate_root("org1ca", serial_from_counter(1)).unwrap();
        let now = time::macros::datetime!(2026-11-26 19:00:00 UTC);
        let entries = [
            RevokedEntry {
                serial: vec![0x40, 0x01, 0x02],
                revoked_at: now - Duration::minutes(3),
            },
            RevokedEntry {
                serial: vec![0x81],
                revoked_at: now - Duration::minutes(1),
            },
        ];
        for _ in 0..16 {
            let pem = generate_crl(&root.cert_pem, &root.key_pem, &entries, now).unwrap();
            assert!(pem.starts_with("-----BEGIN X509 CRL-----\n"));
            let der = pem_block(&pem).unwrap();
            assert!(is_low_s(&signature_of(&der).unwrap()));
            let (_, crl) = CertificateRevocationList::from_der(&der).unwrap();
            let root_der = pem_block(&root.cert_pem).unwrap();
            let (_, ca) = X509Certificate::from_der(&root_der).unwrap();
            assert!(crl.verify_signature(ca.public_key()).is_ok());
            assert_eq!(crl.issuer(), ca.subject());
            assert_eq!(crl.version().map(|v| v.0), Some(1));
            assert_eq!(crl.last_update().to_datetime(), now);
            assert_eq!(
                crl.next_update().map(|t| t.to_datetime()),
                Some(now + Duration::hours(24))
            );
            let serials: Vec<String> = crl
                .iter_revoked_certificates()
                .map(|r| r.raw_serial_as_string())
                .collect();
            assert_eq!(serials, ["40:01:02", "00:81"]);
            assert!(crl
                .extensions()
                .iter()
                .any(|e| e.oid.to_id_string() == "2.5.29.35"));
        }
    }

    #[test]
    fn an_empty_crl_has_no_entry_list() {
        let root = generate_root("org1ca", serial_from_counter(1)).unwrap();
        let pem = generate_crl(
            &root.cert_pem,
            &root.key_pem,
            &[],
            OffsetDateTime::now_utc(),
        )
        .unwrap();
        let der = pem_block(&pem).unwrap();
        let (_, crl) = CertificateRevocationList::from_der(&der).unwrap();
        assert_eq!(crl.iter_revoked_certificates().count(), 0);
    }
}
