//! Fabric CA token authentication (docs/dev/fabric-ca.md#token-auth; fabric-ca `util/util.go`
//! GenECDSAToken): `Authorization: b64(cert PEM) "." b64(signature)`, the signature a low-S
//! ECDSA-SHA256 over `METHOD "." b64(URI with its query) "." b64(body) "." b64(cert PEM)`.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use thiserror::Error;

use super::ecdsa::SignatureError;
use super::identity::{Certificate, IdentityError, SigningIdentity};

/// A token that could not be made or does not verify.
#[derive(Debug, Clone, Error, PartialEq, Eq)]
pub enum TokenError {
    #[error("malformed CA token: {0}")]
    Malformed(&'static str),
    #[error("CA token certificate: {0}")]
    Certificate(#[from] IdentityError),
    #[error("CA token signature: {0}")]
    Signature(#[from] SignatureError),
}

/// The bytes a token signs. `uri` is the request target as sent (path and `?query`: the
/// server signs `RequestURI()`, docs/dev/fabric-ca.md#token-uri-includes-the-query); `body`
/// the exact bytes sent, empty for GET and DELETE.
pub fn signed_payload(method: &str, uri: &str, body: &[u8], cert_pem: &[u8]) -> String {
    format!(
        "{method}.{}.{}.{}",
        STANDARD.encode(uri),
        STANDARD.encode(body),
        STANDARD.encode(cert_pem)
    )
}

/// The `Authorization` value for one request made by `identity`.
pub fn token(
    identity: &SigningIdentity,
    method: &str,
    uri: &str,
    body: &[u8],
) -> Result<String, TokenError> {
    let cert = identity.certificate().pem().as_bytes();
    let signature = identity
        .key()
        .sign(signed_payload(method, uri, body, cert).as_bytes())?;
    Ok(format!(
        "{}.{}",
        STANDARD.encode(cert),
        STANDARD.encode(signature)
    ))
}

/// A token taken apart: the certificate and the DER signature.
#[derive(Debug, Clone)]
pub struct DecodedToken {
    pub certificate: Certificate,
    pub signature: Vec<u8>,
}

/// Splits a token and checks its signature over this request, as the server does before
/// it looks at the certificate's issuer (fabric-ca `util/util.go` VerifyToken; the low-S
/// rule is checked by the caller with [`super::ecdsa::is_low_s`] when it matters).
pub fn verify_token(
    token: &str,
    method: &str,
    uri: &str,
    body: &[u8],
) -> Result<DecodedToken, TokenError> {
    let (b64_cert, b64_sig) = token.split_once('.').ok_or(TokenError::Malformed(
        "no '.' between certificate and signature",
    ))?;
    let cert_pem = STANDARD
        .decode(b64_cert)
        .map_err(|_| TokenError::Malformed("certificate is not base64"))?;
    let signature = STANDARD
        .decode(b64_sig)
        .map_err(|_| TokenError::Malformed("signature is not base64"))?;
    let cert_text = std::str::from_utf8(&cert_pem)
        .map_err(|_| TokenError::Malformed("certificate is not PEM text"))?;
    let certificate = Certificate::from_pem(cert_text)?;
    certificate.verify(
        signed_payload(method, uri, body, &cert_pem).as_bytes(),
        &signature,
    )?;
    Ok(DecodedToken {
        certificate,
        signature,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fabric::ecdsa::is_low_s;
    use serde_json::Value;

    use crate::fabric::fixtures::read_bytes as read;

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    /// Every token-authenticated exchange of the recording whose token the `ca` registrar
    /// (the bootstrap admin) made over the URI that was sent.
    const SIGNED_BY_BOOTSTRAP_ADMIN: [&str; 4] = [
        "register_org1admin",
        "register_org1peer0_identities_api",
        "error_register_duplicate",
        "error_bad_token_high_s",
    ];

    /// Rebuilds each recorded signed payload from the request and the registrar's
    /// certificate, byte for byte, and verifies the recorded signature with it.
    #[test]
    fn recorded_tokens_sign_the_payload_we_rebuild() {
        let cert = read("identities/bootstrap-admin.cert.pem");
        for name in SIGNED_BY_BOOTSTRAP_ADMIN {
            let meta: Value =
                serde_json::from_slice(&read(&format!("ca/{name}.meta.json"))).unwrap();
            let request = &meta["request"];
            let body = read(&format!("ca/{name}.request.json"));
            let method = request["method"].as_str().unwrap();
            let path = request["path"].as_str().unwrap();
            assert_eq!(meta["token"]["uri_signed"], path, "{name}");
            let payload = signed_payload(method, path, &body, &cert);
            assert_eq!(
                payload.as_bytes(),
                read(&format!("ca/{name}.token_signed_payload.txt")),
                "{name}"
            );
            let header = request["headers"]["Authorization"].as_str().unwrap();
            let decoded = verify_token(header, method, path, &body).unwrap();
            assert_eq!(decoded.certificate.pem().as_bytes(), cert, "{name}");
            let recorded_sig = hex(meta["token"]["signature_der_hex"].as_str().unwrap());
            assert_eq!(decoded.signature, recorded_sig, "{name}");
            assert_eq!(
                is_low_s(&recorded_sig).unwrap(),
                meta["token"]["signature_s_is_low"].as_bool().unwrap(),
                "{name}"
            );
        }
    }

    /// The token the server refused for signing the path without `?ca=ca`: it verifies over
    /// what it signed, and not over the request as sent.
    #[test]
    fn the_recorded_token_without_the_query_fails_over_the_sent_uri() {
        let name = "error_bad_token_uri_without_query";
        let meta: Value = serde_json::from_slice(&read(&format!("ca/{name}.meta.json"))).unwrap();
        let body = read(&format!("ca/{name}.request.json"));
        let header = meta["request"]["headers"]["Authorization"]
            .as_str()
            .unwrap();
        let sent = meta["request"]["path"].as_str().unwrap();
        let signed = meta["token"]["uri_signed"].as_str().unwrap();
        assert_eq!(
            (sent, signed),
            ("/api/v1/register?ca=ca", "/api/v1/register")
        );
        verify_token(header, "POST", signed, &body).unwrap();
        let err = verify_token(header, "POST", sent, &body).unwrap_err();
        assert_eq!(err, TokenError::Signature(SignatureError::Invalid));
        assert_eq!(
            signed_payload(
                "POST",
                signed,
                &body,
                &read("identities/bootstrap-admin.cert.pem")
            )
            .as_bytes(),
            read(&format!("ca/{name}.token_signed_payload.txt"))
        );
    }

    /// The token made with the `tlsca` admin verifies cryptographically: the CA refused it for
    /// its issuer (docs/dev/fabric-ca.md#token-certificate-from-the-selected-ca).
    #[test]
    fn the_recorded_other_ca_token_is_signed_by_the_tlsca_admin() {
        let name = "error_bad_token_cert_from_other_ca";
        let meta: Value = serde_json::from_slice(&read(&format!("ca/{name}.meta.json"))).unwrap();
        let body = read(&format!("ca/{name}.request.json"));
        let header = meta["request"]["headers"]["Authorization"]
            .as_str()
            .unwrap();
        let path = meta["request"]["path"].as_str().unwrap();
        let decoded = verify_token(header, "POST", path, &body).unwrap();
        assert_eq!(decoded.certificate.info().issuer_common_name, "org1tlsca");
    }

    #[test]
    fn our_tokens_are_low_s_and_verify_over_the_request_only() {
        let id = SigningIdentity::from_pem(
            std::str::from_utf8(&read("identities/bootstrap-admin.cert.pem")).unwrap(),
            std::str::from_utf8(&read("identities/bootstrap-admin.key.pem")).unwrap(),
        )
        .unwrap();
        let body = br#"{"id":"x","type":"client","affiliation":"","attrs":[],"caname":"ca"}"#;
        for _ in 0..16 {
            let t = token(&id, "POST", "/api/v1/register?ca=ca", body).unwrap();
            let decoded = verify_token(&t, "POST", "/api/v1/register?ca=ca", body).unwrap();
            assert!(is_low_s(&decoded.signature).unwrap());
            assert!(verify_token(&t, "PUT", "/api/v1/register?ca=ca", body).is_err());
            assert!(verify_token(&t, "POST", "/api/v1/register?ca=tlsca", body).is_err());
            assert!(verify_token(&t, "POST", "/api/v1/register?ca=ca", b"{}").is_err());
        }
        let get = token(&id, "GET", "/api/v1/identities/x?ca=ca", b"").unwrap();
        verify_token(&get, "GET", "/api/v1/identities/x?ca=ca", b"").unwrap();
        assert!(verify_token("no-dot", "GET", "/", b"").is_err());
    }
}
