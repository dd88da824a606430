//! Certificates as the console stores them (base64 of the PEM text) and as Terraform users
//! want them (the PEM itself).

use base64::Engine as _;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// The PEM bytes behind a console certificate string. `None` unless the result is PEM:
/// line-wrapped base64 is accepted, but DER or other data that merely happens to be valid
/// base64 is not passed off as a certificate.
pub fn decode_b64_pem(b64: &str) -> Option<Vec<u8>> {
    let trimmed = b64.trim();
    if trimmed.starts_with("-----BEGIN") {
        return Some(trimmed.as_bytes().to_vec()); // the console also stores raw PEM as given
    }
    let compact: String = trimmed
        .chars()
        .filter(|c| !c.is_ascii_whitespace())
        .collect();
    let pem = base64::engine::general_purpose::STANDARD
        .decode(compact)
        .ok()?;
    let marker: &[u8] = b"-----BEGIN";
    pem.windows(marker.len())
        .any(|w| w == marker)
        .then_some(pem)
}

/// The PEM text of a console certificate string, or the string itself when it is not one.
pub fn pem_text(b64: &str) -> String {
    decode_b64_pem(b64)
        .and_then(|b| String::from_utf8(b).ok())
        .unwrap_or_else(|| b64.to_string())
}

/// One PEM bundle of the certificates among `b64s` (console strings) that are PEM, or `None`.
pub fn pem_bundle<'a>(b64s: impl IntoIterator<Item = &'a str>) -> Option<Vec<u8>> {
    let mut bundle = Vec::new();
    for pem in b64s.into_iter().filter_map(decode_b64_pem) {
        bundle.extend_from_slice(&pem);
        bundle.push(b'\n');
    }
    (!bundle.is_empty()).then_some(bundle)
}

/// A certificate as an MSP record keeps it, from PEM text or the console's base64 of it: the
/// canonical PEM text (line ends `\n`, one trailing newline), or why it cannot be one. The
/// console refuses X.509 v1 certificates with its "not a Base64 encoded PEM-string" message
/// (docs/dev/console-api.md#certificates-in-bodies), so they are refused here, before anything
/// is sent.
pub fn msp_certificate(given: &str) -> Result<String, String> {
    use x509_parser::prelude::{FromDer, X509Certificate, X509Version};
    let pem = decode_b64_pem(given)
        .and_then(|b| String::from_utf8(b).ok())
        .ok_or_else(|| "is neither a PEM certificate nor base64 of one".to_owned())?;
    let canonical = canonical_pem(&pem);
    let (_, parsed) = x509_parser::pem::parse_x509_pem(canonical.as_bytes())
        .map_err(|e| format!("is not a readable PEM certificate ({e})"))?;
    let (_, cert) = X509Certificate::from_der(&parsed.contents)
        .map_err(|e| format!("is not an X.509 certificate ({e})"))?;
    if cert.version() != X509Version::V3 {
        return Err(
            "is an X.509 v1 or v2 certificate; the console accepts only v3 certificates".to_owned(),
        );
    }
    Ok(canonical)
}

/// Requires a certificate the console accepts (X.509 v3, PEM or base64 of it), checked with
/// [`msp_certificate`]; in lists and sets each element is checked.
pub fn certificate_validator() -> impl crate::framework::Validator {
    CertificateRule
}

struct CertificateRule;

impl crate::framework::Validator for CertificateRule {
    fn description(&self) -> String {
        "must be a PEM X.509 v3 certificate".to_owned()
    }

    fn validate(
        &self,
        path: &crate::framework::AttributePath,
        v: &crate::framework::Value,
        diags: &mut crate::framework::Diagnostics,
    ) {
        let Some(text) = v.as_str() else { return };
        if let Err(e) = msp_certificate(text) {
            diags.attribute_error(
                path.clone(),
                "Invalid certificate",
                format!("Attribute {path} {e}."),
            );
        }
    }
}

/// PEM text with `\n` line ends and exactly one trailing newline.
pub fn canonical_pem(pem: &str) -> String {
    let mut text = pem.replace("\r\n", "\n").trim().to_owned();
    text.push('\n');
    text
}

/// The console's form of a certificate: base64 of its PEM text.
pub fn console_b64(pem: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(pem.as_bytes())
}

/// Whether two certificate strings (PEM or the console's base64 of it) are the same
/// certificate text.
pub fn same_certificate(a: &str, b: &str) -> bool {
    let text = |s: &str| {
        decode_b64_pem(s)
            .and_then(|b| String::from_utf8(b).ok())
            .map(|p| canonical_pem(&p))
    };
    match (text(a), text(b)) {
        (Some(x), Some(y)) => x == y,
        _ => a == b,
    }
}

/// Whether two lists hold the same certificates (PEM or base64 of it), whatever their order or
/// repeats.
pub fn same_certificates_unordered(a: &[String], b: &[String]) -> bool {
    let covered =
        |x: &[String], y: &[String]| x.iter().all(|c| y.iter().any(|d| same_certificate(c, d)));
    covered(a, b) && covered(b, a)
}

/// Each `CERTIFICATE` block of a PEM bundle as its own PEM text (ending in a newline), in
/// order; other blocks and text between them are left out. Only splits the text: reading each
/// certificate is `fabric::Certificate::from_pem`'s job.
pub fn certificate_blocks(bundle: &str) -> Vec<String> {
    const BEGIN: &str = "-----BEGIN CERTIFICATE-----";
    const END: &str = "-----END CERTIFICATE-----";
    let mut blocks = Vec::new();
    let mut rest = bundle;
    while let Some(start) = rest.find(BEGIN) {
        let Some(len) = rest[start..].find(END) else {
            break;
        };
        let end = start + len + END.len();
        blocks.push(format!("{}\n", &rest[start..end]));
        rest = &rest[end..];
    }
    blocks
}

/// A certificate time as `expires_at` attributes show it (RFC 3339, UTC).
pub fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&Rfc3339).unwrap_or_else(|_| t.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bundle_splits_into_its_certificates() {
        let a = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----";
        let b = "-----BEGIN CERTIFICATE-----\nBBBB\n-----END CERTIFICATE-----";
        let key = "-----BEGIN PRIVATE KEY-----\nKKKK\n-----END PRIVATE KEY-----";
        let bundle = format!("{a}\n{key}\n\n{b}\n-----BEGIN CERTIFICATE-----\ncut");
        assert_eq!(
            certificate_blocks(&bundle),
            [format!("{a}\n"), format!("{b}\n")]
        );
        assert!(certificate_blocks("none").is_empty());
    }
}
