//! The CA's signer: ECDSA P-256 with SHA-256 whose S is always in the lower half of the curve
//! order, as fabric-ca's BCCSP signer makes it (vendored `fabric/bccsp/sw/ecdsa.go` signECDSA → `ToLowS`;
//! docs/dev/fabric-ca.md#low-s-everywhere). rcgen and aws-lc leave S as it comes, so every
//! certificate they build is signed again here: the to-be-signed part is kept (or its subject
//! replaced) and a low-S signature replaces theirs.

use p256::ecdsa::signature::Signer as _;
use p256::ecdsa::{Signature, SigningKey};
use p256::pkcs8::DecodePrivateKey as _;

use super::der::{self, tag};
use super::error::CaError;

/// ecdsa-with-SHA256 (1.2.840.10045.4.3.2), parameters absent as Go writes it.
pub(crate) fn ecdsa_with_sha256() -> Vec<u8> {
    der::constructed(tag::SEQUENCE, &[&der::oid(&[1, 2, 840, 10045, 4, 3, 2])])
}

/// A CA private key that signs low-S.
pub(crate) struct CaSigner {
    key: SigningKey,
}

impl CaSigner {
    /// Load a PKCS#8 PEM P-256 key (as the state stores it).
    pub(crate) fn from_pkcs8_pem(pem: &str) -> Result<Self, CaError> {
        let key = SigningKey::from_pkcs8_pem(pem)
            .map_err(|e| CaError::InvalidMaterial(format!("CA private key: {e}")))?;
        Ok(CaSigner { key })
    }

    /// DER ECDSA-SHA256 signature of `message`, S normalised to low-S.
    pub(crate) fn sign(&self, message: &[u8]) -> Vec<u8> {
        let signature: Signature = self.key.sign(message);
        let signature = signature.normalize_s().unwrap_or(signature);
        signature.to_der().as_bytes().to_vec()
    }

    /// `SEQUENCE { tbs, ecdsa-with-SHA256, BIT STRING signature }`: the layout of both a
    /// certificate and a CRL.
    pub(crate) fn sign_structure(&self, tbs: &[u8]) -> Vec<u8> {
        let signature = self.sign(tbs);
        let mut bits = Vec::with_capacity(signature.len() + 1);
        bits.push(0); // no unused bits
        bits.extend_from_slice(&signature);
        der::constructed(
            tag::SEQUENCE,
            &[tbs, &ecdsa_with_sha256(), &der::tlv(tag::BIT_STRING, &bits)],
        )
    }

    /// Re-sign a DER certificate, optionally with its subject replaced by `subject` (an
    /// encoded Name). Everything else in the to-be-signed part is kept byte for byte.
    pub(crate) fn resign_certificate(
        &self,
        cert_der: &[u8],
        subject: Option<&[u8]>,
    ) -> Result<Vec<u8>, CaError> {
        let bad = |e: der::DerError| CaError::InvalidMaterial(format!("certificate: {e}"));
        let (cert, _) = der::read_tlv(cert_der).map_err(bad)?;
        let parts = der::children(cert.content).map_err(bad)?;
        let tbs = parts
            .first()
            .filter(|t| t.tag == tag::SEQUENCE)
            .ok_or_else(|| CaError::InvalidMaterial("certificate without TBS".to_owned()))?;
        let tbs = match subject {
            None => tbs.raw.to_vec(),
            Some(subject) => replace_subject(tbs.content, subject).map_err(bad)?,
        };
        Ok(self.sign_structure(&tbs))
    }
}

/// TBSCertificate ::= SEQUENCE { [0] version, serial, signature, issuer, validity, subject, … }
fn replace_subject(tbs_content: &[u8], subject: &[u8]) -> Result<Vec<u8>, der::DerError> {
    let fields = der::children(tbs_content)?;
    // The explicit [0] version is present in every v3 certificate.
    let subject_index = if fields.first().is_some_and(|f| f.tag == 0xa0) {
        5
    } else {
        4
    };
    let mut parts: Vec<&[u8]> = fields.iter().map(|f| f.raw).collect();
    let slot = parts
        .get_mut(subject_index)
        .ok_or(der::DerError::new("TBS without subject"))?;
    *slot = subject;
    Ok(der::constructed(tag::SEQUENCE, &parts))
}

/// Whether a DER ECDSA signature has S ≤ n/2 (what Fabric's MSP and fabric-ca require).
pub fn is_low_s(signature_der: &[u8]) -> bool {
    Signature::from_der(signature_der).is_ok_and(|s| s.normalize_s().is_none())
}

/// The signature BIT STRING's content (without the unused-bits byte) of a certificate or CRL.
pub fn signature_of(signed_der: &[u8]) -> Option<Vec<u8>> {
    let (outer, _) = der::read_tlv(signed_der).ok()?;
    let parts = der::children(outer.content).ok()?;
    let bits = parts.get(2).filter(|t| t.tag == tag::BIT_STRING)?;
    bits.content.get(1..).map(<[u8]>::to_vec)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rcgen::{CertificateParams, KeyPair, PKCS_ECDSA_P256_SHA256};
    use x509_parser::prelude::{FromDer, X509Certificate};

    #[test]
    fn every_signature_is_low_s_and_verifies() {
        let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).unwrap();
        let signer = CaSigner::from_pkcs8_pem(&key.serialize_pem()).unwrap();
        let params = CertificateParams::new(vec!["x".to_owned()]).unwrap();
        let original = params.self_signed(&key).unwrap().der().to_vec();
        for _ in 0..64 {
            // rcgen's own signature is random; ours is fixed by RFC 6979 but always low-S.
            let der = signer.resign_certificate(&original, None).unwrap();
            let sig = signature_of(&der).unwrap();
            assert!(is_low_s(&sig));
            let (_, cert) = X509Certificate::from_der(&der).unwrap();
            assert!(cert.verify_signature(None).is_ok());
        }
        for i in 0..256u32 {
            assert!(is_low_s(&signer.sign(&i.to_be_bytes())), "message {i}");
        }
    }

    #[test]
    fn a_replaced_subject_is_signed() {
        let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).unwrap();
        let signer = CaSigner::from_pkcs8_pem(&key.serialize_pem()).unwrap();
        let original = CertificateParams::default().self_signed(&key).unwrap();
        let rdn = der::set_of(vec![der::constructed(
            tag::SEQUENCE,
            &[&der::oid(&[2, 5, 4, 3]), &der::go_string("replaced")],
        )]);
        let name = der::tlv(tag::SEQUENCE, &rdn);
        let der = signer
            .resign_certificate(original.der(), Some(&name))
            .unwrap();
        let (_, cert) = X509Certificate::from_der(&der).unwrap();
        assert_eq!(cert.subject().to_string(), "CN=replaced");
        assert!(cert.verify_signature(Some(cert.public_key())).is_ok());
    }

    #[test]
    fn high_s_is_detected() {
        let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).unwrap();
        let signer = CaSigner::from_pkcs8_pem(&key.serialize_pem()).unwrap();
        let low = Signature::from_der(&signer.sign(b"m")).unwrap();
        let (r, s) = low.split_scalars();
        let high = Signature::from_scalars(r, -*s).unwrap();
        assert!(!is_low_s(high.to_der().as_bytes()));
    }
}
