//! Certificate checks and the `?parsed_certs=included` view.
//!
//! athena accepts a base64-encoded PEM or a raw PEM (`import.msp.raw-pem-not-base64`) and rejects
//! anything else, including X.509 v1 certificates (`import.ca.invalid.x509-v1-cert`), with
//! `invalid_certificate`.

use base64::Engine;
use serde_json::{json, Map, Value};
use x509_parser::prelude::*;

/// The DER bytes of a valid X.509 v3 certificate given as base64 PEM or raw PEM; `None` otherwise.
/// As athena reads it (`libs/ot_misc.js` `parseCertificate`): a string that contains
/// `-----BEGIN CERTIFICATE-----` anywhere is PEM as it is, anything else is base64-decoded
/// the way Node's `Buffer.from(s, 'base64')` does, which ignores whitespace, accepts the URL-safe
/// alphabet and does not need the padding (docs/dev/msp.md#certificates-the-console-accepts).
pub fn decode_cert(s: &str) -> Option<Vec<u8>> {
    let pem_text = if let Some(start) = s.find("-----BEGIN CERTIFICATE-----") {
        s.as_bytes()[start..].to_vec()
    } else {
        node_base64(s)?
    };
    let (_, pem) = x509_parser::pem::parse_x509_pem(&pem_text).ok()?;
    if pem.label != "CERTIFICATE" {
        return None;
    }
    let (_, cert) = X509Certificate::from_der(&pem.contents).ok()?;
    if cert.version() != X509Version::V3 {
        return None;
    }
    Some(pem.contents)
}

/// Base64 as Node decodes it for athena: whitespace skipped, `-` and `_` read as `+` and `/`,
/// the trailing `=` padding optional.
fn node_base64(s: &str) -> Option<Vec<u8>> {
    use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
    const NODE: GeneralPurpose = GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        GeneralPurposeConfig::new()
            .with_decode_padding_mode(DecodePaddingMode::Indifferent)
            .with_decode_allow_trailing_bits(true),
    );
    let compact: String = s
        .chars()
        .filter(|c| !c.is_ascii_whitespace())
        .map(|c| match c {
            '-' => '+',
            '_' => '/',
            c => c,
        })
        .collect();
    NODE.decode(compact.as_bytes()).ok()
}

fn short_name(oid: &x509_parser::der_parser::Oid) -> String {
    match oid.to_id_string().as_str() {
        "2.5.4.6" => "C".into(),
        "2.5.4.8" => "ST".into(),
        "2.5.4.7" => "L".into(),
        "2.5.4.10" => "O".into(),
        "2.5.4.11" => "OU".into(),
        "2.5.4.3" => "CN".into(),
        "2.5.4.5" => "serialNumber".into(),
        "2.5.4.9" => "STREET".into(),
        other => other.to_string(),
    }
}

/// `/C=US/ST=North Carolina/.../CN=...` plus the `subject_parts` map (`components.get.ca.parsed-certs`).
fn name_parts(name: &X509Name) -> (String, Map<String, Value>) {
    let mut text = String::new();
    let mut parts = Map::new();
    for attr in name.iter_attributes() {
        let key = short_name(attr.attr_type());
        let val = attr.as_str().unwrap_or_default().to_string();
        text.push_str(&format!("/{key}={val}"));
        parts.insert(key, Value::String(val));
    }
    (text, parts)
}

fn signature_name(oid: &str) -> &str {
    match oid {
        "1.2.840.10045.4.3.2" => "SHA256withECDSA",
        "1.2.840.10045.4.3.3" => "SHA384withECDSA",
        "1.2.840.10045.4.3.4" => "SHA512withECDSA",
        "1.2.840.113549.1.1.11" => "SHA256withRSA",
        "1.2.840.113549.1.1.12" => "SHA384withRSA",
        "1.3.101.112" => "Ed25519",
        other => other,
    }
}

/// The parsed form athena adds next to a certificate; `None` when the value is not a certificate.
pub fn parse_cert(value: &str, now_ms: i64) -> Option<Value> {
    let der = decode_cert(value)?;
    let (_, cert) = X509Certificate::from_der(&der).ok()?;
    let (issuer, _) = name_parts(cert.issuer());
    let (subject, subject_parts) = name_parts(cert.subject());
    let not_before = cert.validity().not_before.timestamp() * 1000;
    let not_after = cert.validity().not_after.timestamp() * 1000;
    let serial: String = cert
        .raw_serial()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    // Only the first SAN, as a [type, value] pair (docs/dev/console-api.md#parsed-certificates).
    let san = cert
        .subject_alternative_name()
        .ok()
        .flatten()
        .and_then(|ext| ext.value.general_names.first().cloned())
        .map(|gn| match gn {
            GeneralName::DNSName(d) => json!(["DNS", d]),
            GeneralName::IPAddress(ip) => json!(["IP Address", ip_text(ip)]),
            GeneralName::RFC822Name(e) => json!(["email", e]),
            GeneralName::URI(u) => json!(["URI", u]),
            other => json!(["other", other.to_string()]),
        })
        .unwrap_or(Value::Null);
    let days_left = (not_after - now_ms) as f64 / 86_400_000.0;
    let b64 = if value.trim_start().starts_with("-----BEGIN") {
        base64::engine::general_purpose::STANDARD.encode(value)
    } else {
        value.to_string()
    };
    let mut out = Map::new();
    out.insert("base_64_pem".into(), Value::String(b64));
    out.insert("issuer".into(), Value::String(issuer));
    out.insert("not_after_ts".into(), json!(not_after));
    out.insert("not_before_ts".into(), json!(not_before));
    out.insert("serial_number_hex".into(), Value::String(serial));
    out.insert(
        "signature_algorithm".into(),
        Value::String(
            signature_name(&cert.signature_algorithm.algorithm.to_id_string()).to_string(),
        ),
    );
    out.insert("subject".into(), Value::String(subject));
    out.insert("subject_alt_names".into(), san);
    out.insert("subject_parts".into(), Value::Object(subject_parts));
    out.insert(
        "time_left".into(),
        Value::String(format!("{days_left:.1} days")),
    );
    out.insert("X509_version".into(), json!(3));
    Some(Value::Object(out))
}

fn ip_text(raw: &[u8]) -> String {
    match raw.len() {
        4 => std::net::Ipv4Addr::new(raw[0], raw[1], raw[2], raw[3]).to_string(),
        16 => {
            let mut b = [0u8; 16];
            b.copy_from_slice(raw);
            std::net::Ipv6Addr::from(b).to_string()
        }
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CA: &str = include_str!("../fixtures/console/certs/org1-ca.pem");
    const V1: &str = include_str!("../fixtures/console/certs/v1.pem");
    const PEER_TLS: &str = include_str!("../fixtures/console/certs/peer0-tls.pem");

    fn b64(s: &str) -> String {
        base64::engine::general_purpose::STANDARD.encode(s)
    }

    #[test]
    fn accepts_base64_and_raw_pem_rejects_v1_and_garbage() {
        assert!(decode_cert(&b64(CA)).is_some());
        assert!(decode_cert(CA).is_some());
        assert!(decode_cert(&b64(V1)).is_none());
        assert!(decode_cert("bm90IGEgY2VydA==").is_none());
        assert!(decode_cert("not base64 at all").is_none());
        // Node's decoder: line-wrapped, unpadded and URL-safe base64 are all read.
        let wrapped: String = b64(CA)
            .as_bytes()
            .chunks(64)
            .map(|c| format!("{}\n", String::from_utf8_lossy(c)))
            .collect();
        assert!(decode_cert(&wrapped).is_some());
        let url_safe = b64(CA).replace('+', "-").replace('/', "_");
        assert!(decode_cert(url_safe.trim_end_matches('=')).is_some());
        // PEM after other text is still PEM to athena.
        assert!(decode_cert(&format!("admin cert:\n{CA}")).is_some());
    }

    #[test]
    fn parsed_view_matches_recorded_fields() {
        let p = parse_cert(&b64(CA), 1_795_719_422_000).unwrap();
        assert_eq!(
            p["subject"],
            "/C=US/ST=North Carolina/L=Durham/O=org1.example.com/CN=ca.org1.example.com"
        );
        assert_eq!(
            p["serial_number_hex"],
            "1a0d1646cb3076201004691b6b562a257b92aa79"
        );
        assert_eq!(p["signature_algorithm"], "SHA256withECDSA");
        assert_eq!(p["subject_alt_names"], Value::Null);
        assert_eq!(p["time_left"], "5475.0 days");
        let t = parse_cert(&b64(PEER_TLS), 1_795_719_422_000).unwrap();
        assert_eq!(
            t["subject_alt_names"],
            json!(["DNS", "peer0.org1.example.com"])
        );
    }
}
