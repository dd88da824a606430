//! Fabric CA X.509 token authentication, as a pure function so it can be tested on the
//! recorded tokens.
//!
//! Token = `base64(certPEM) "." base64(DER ECDSA-SHA256 signature)`; the signed payload is
//! `METHOD "." base64(uri incl. query) "." base64(body) "." base64(certPEM)`, all standard
//! base64 with padding (fabric-ca v1.5.5 `util/util.go` VerifyToken/decodeToken). The server
//! checks the signature first (BCCSP rejects high-S), then that the cert was issued by the
//! selected CA and is unexpired (`lib/serverrequestcontext.go` verifyX509Token;
//! docs/dev/fabric-ca.md#token-auth).
//!
//! Deliberate difference: the 1.5.x `FABRIC_CA_SERVER_COMPATIBILITY_MODE_V1_3` fallback
//! (signature over `base64(body) "." base64(cert)` only) is not accepted, matching
//! fabric-ca ≥ 1.5.14 where that mode defaults to off.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use p256::ecdsa::signature::Verifier as _;
use p256::ecdsa::{Signature, VerifyingKey};
use x509_parser::prelude::{FromDer, X509Certificate};

use super::responses::codes;

/// The authenticated caller of a token-authenticated request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedCaller {
    /// Enrollment ID: the certificate's CN.
    pub enrollment_id: String,
    /// The caller's certificate, PEM.
    pub cert_pem: String,
    /// Its serial number, lower-case hex without leading zeros (fabric-ca's certificates key).
    pub serial_hex: String,
    /// Its authority key identifier, lower-case hex without leading zeros.
    pub aki_hex: String,
}

/// Why a token was rejected. Each maps to fabric-ca's local error (the client only ever
/// sees 401 code 20 "Authentication failure").
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    /// Not two '.'-separated parts.
    #[error("Invalid token format; expecting 2 parts separated by '.'")]
    Format,
    /// The first part is not base64 of a PEM certificate.
    #[error("Failed to decode base64 encoded x509 cert")]
    CertEncoding,
    /// The PEM does not hold a parsable X.509 certificate.
    #[error("Error in parsing x509 certificate given block bytes")]
    CertParse,
    /// The second part is not base64.
    #[error("Invalid base64 encoded signature in token")]
    SignatureEncoding,
    /// The signature is not DER ECDSA, or the key is not P-256.
    #[error("Token signature validation failure: malformed signature or unsupported key")]
    SignatureFormat,
    /// S is above half the curve order (BCCSP's message, shortened).
    #[error("Token signature validation failure: Invalid S. Must be smaller than half the order")]
    HighS,
    /// The signature does not verify over the rebuilt payload (wrong URI, body, method…).
    #[error("Token signature validation failed")]
    SignatureMismatch,
    /// The certificate was not issued by the selected CA.
    #[error("Untrusted certificate: Failed to verify certificate: x509: certificate signed by unknown authority")]
    UntrustedCertificate,
    /// The certificate is outside its validity period.
    #[error("The certificate in the authorization header is a revoked or expired certificate")]
    Expired,
    /// The trusted root given to the verifier is unusable (a server-side problem).
    #[error("trusted root certificate is unusable")]
    TrustedRoot,
}

impl TokenError {
    /// fabric-ca's local (logged) error code for this failure.
    pub fn local_code(&self) -> u32 {
        match self {
            TokenError::UntrustedCertificate | TokenError::TrustedRoot => {
                codes::UNTRUSTED_CERTIFICATE
            }
            TokenError::Expired => codes::CERT_EXPIRED,
            _ => codes::INVALID_TOKEN,
        }
    }
}

/// The exact bytes a client signs for a token (`b64_cert` is the token's first part).
pub fn build_signed_payload(method: &str, uri: &str, body: &[u8], b64_cert: &str) -> String {
    format!(
        "{method}.{}.{}.{b64_cert}",
        STANDARD.encode(uri.as_bytes()),
        STANDARD.encode(body)
    )
}

/// Verify an `Authorization` token against the CA root `trusted_root_pem`.
///
/// `uri` must be the request target exactly as received (path and query string).
pub fn verify_token(
    method: &str,
    uri: &str,
    body: &[u8],
    header: &str,
    trusted_root_pem: &str,
) -> Result<VerifiedCaller, TokenError> {
    verify_token_expiry(method, uri, body, header, trusted_root_pem, false)
}

/// [`verify_token`], optionally accepting an expired certificate (`reenroll` with
/// `ca.reenrollignorecertexpiry`, which fabric-operator turns on; `verifyX509Token`).
pub(crate) fn verify_token_expiry(
    method: &str,
    uri: &str,
    body: &[u8],
    header: &str,
    trusted_root_pem: &str,
    ignore_expiry: bool,
) -> Result<VerifiedCaller, TokenError> {
    let mut parts = header.split('.');
    let (b64_cert, b64_sig) = match (parts.next(), parts.next(), parts.next()) {
        (Some(c), Some(s), None) if !c.is_empty() => (c, s),
        _ => return Err(TokenError::Format),
    };
    let cert_pem_bytes = STANDARD
        .decode(b64_cert)
        .map_err(|_| TokenError::CertEncoding)?;
    let cert_pem = String::from_utf8(cert_pem_bytes).map_err(|_| TokenError::CertEncoding)?;
    let cert_der = pem_block(&cert_pem, "CERTIFICATE").ok_or(TokenError::CertParse)?;
    let (_, cert) = X509Certificate::from_der(&cert_der).map_err(|_| TokenError::CertParse)?;
    let sig_der = STANDARD
        .decode(b64_sig)
        .map_err(|_| TokenError::SignatureEncoding)?;

    // 1. Signature (util.VerifyToken): low-S first, as BCCSP does, then ECDSA-SHA256.
    let signature = Signature::from_der(&sig_der).map_err(|_| TokenError::SignatureFormat)?;
    if signature.normalize_s().is_some() {
        return Err(TokenError::HighS);
    }
    let key = VerifyingKey::from_sec1_bytes(&cert.public_key().subject_public_key.data)
        .map_err(|_| TokenError::SignatureFormat)?;
    let payload = build_signed_payload(method, uri, body, b64_cert);
    key.verify(payload.as_bytes(), &signature)
        .map_err(|_| TokenError::SignatureMismatch)?;

    // 2. Issued by this CA (CA.VerifyCertificate), then expiry.
    let root_der = pem_block(trusted_root_pem, "CERTIFICATE").ok_or(TokenError::TrustedRoot)?;
    let (_, root) = X509Certificate::from_der(&root_der).map_err(|_| TokenError::TrustedRoot)?;
    if cert.issuer().as_raw() != root.subject().as_raw()
        || cert.verify_signature(Some(root.public_key())).is_err()
    {
        return Err(TokenError::UntrustedCertificate);
    }
    if !ignore_expiry && !cert.validity().is_valid() {
        return Err(TokenError::Expired);
    }

    let enrollment_id = cert
        .subject()
        .iter_common_name()
        .next()
        .and_then(|cn| cn.as_str().ok())
        .unwrap_or_default()
        .to_owned();
    let aki = cert
        .extensions()
        .iter()
        .find_map(|e| match e.parsed_extension() {
            x509_parser::extensions::ParsedExtension::AuthorityKeyIdentifier(a) => {
                a.key_identifier.as_ref().map(|k| k.0.to_vec())
            }
            _ => None,
        })
        .unwrap_or_default();
    Ok(VerifiedCaller {
        enrollment_id,
        cert_pem,
        serial_hex: key_hex(cert.raw_serial()),
        aki_hex: key_hex(&aki),
    })
}

/// Lower-case hex without leading zeros, as fabric-ca keys its certificates table
/// (`hex.EncodeToString` / `util.GetSerialAsHex`, then `strings.TrimLeft(…, "0")`).
pub(crate) fn key_hex(bytes: &[u8]) -> String {
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    hex.trim_start_matches('0').to_owned()
}

/// DER contents of the first PEM block with the given label.
fn pem_block(pem: &str, label: &str) -> Option<Vec<u8>> {
    let (_, block) = x509_parser::pem::parse_x509_pem(pem.as_bytes()).ok()?;
    (block.label == label).then_some(block.contents)
}

#[cfg(test)]
pub(crate) mod test_support {
    //! Token creation for tests (the emulator itself only verifies tokens).
    use super::*;
    use p256::ecdsa::signature::Signer as _;
    use p256::ecdsa::SigningKey;
    use p256::pkcs8::DecodePrivateKey as _;

    /// A low-S token like fabric-sdk-node's `generateAuthToken`.
    pub(crate) fn make_token(
        method: &str,
        uri: &str,
        body: &[u8],
        cert_pem: &str,
        key_pkcs8_pem: &str,
    ) -> String {
        let key = SigningKey::from_pkcs8_pem(key_pkcs8_pem).unwrap();
        let b64_cert = STANDARD.encode(cert_pem.as_bytes());
        let payload = build_signed_payload(method, uri, body, &b64_cert);
        let sig: Signature = key.sign(payload.as_bytes());
        let sig = sig.normalize_s().unwrap_or(sig);
        format!("{b64_cert}.{}", STANDARD.encode(sig.to_der().as_bytes()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payload_layout_is_method_uri_body_cert() {
        assert_eq!(
            build_signed_payload("POST", "/a?ca=ca", b"{}", "Q0VSVA=="),
            "POST.L2E/Y2E9Y2E=.e30=.Q0VSVA=="
        );
        assert_eq!(build_signed_payload("GET", "/x", b"", "C"), "GET.L3g=..C");
    }

    #[test]
    fn malformed_tokens_are_rejected_with_format_errors() {
        assert_eq!(
            verify_token("POST", "/", b"", "nodot", "").unwrap_err(),
            TokenError::Format
        );
        assert_eq!(
            verify_token("POST", "/", b"", "a.b.c", "").unwrap_err(),
            TokenError::Format
        );
        assert_eq!(
            verify_token("POST", "/", b"", "!!!.AAAA", "").unwrap_err(),
            TokenError::CertEncoding
        );
        assert_eq!(TokenError::HighS.local_code(), 25);
        assert_eq!(TokenError::UntrustedCertificate.local_code(), 26);
    }
}
