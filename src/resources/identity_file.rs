//! Identity files as other tools write them: the console wallet's identity export and the
//! Fabric Ansible collection's enrolled identity file (docs/dev/identity-import.md#identity-files).
//! Both are one JSON object holding base64 PEMs; this reads either into PEM texts.
//!
//! Error messages name fields, never values: the file holds a private key.

use serde_json::{Map, Value};

use crate::resources::pem::decode_b64_pem;

/// Which tool wrote an identity file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdentityFileFormat {
    /// The console's export button: `{name, type: "identity", cert, private_key}`.
    Console,
    /// The Ansible collection's `enrolled_identity` file: `{name, cert, private_key, ca, hsm}`.
    Ansible,
}

impl IdentityFileFormat {
    pub fn describe(self) -> &'static str {
        match self {
            IdentityFileFormat::Console => "console identity export",
            IdentityFileFormat::Ansible => "Ansible identity file",
        }
    }
}

/// An identity file's content, PEMs decoded.
#[derive(Clone, PartialEq, Eq)]
pub struct IdentityFile {
    pub format: IdentityFileFormat,
    pub name: Option<String>,
    /// The certificate's PEM text.
    pub cert_pem: String,
    /// The private key's PEM text.
    pub private_key_pem: String,
    /// The CA chain's PEM text (Ansible `ca`), when the file has one.
    pub ca_pem: Option<String>,
    /// `msp_id`, which neither tool writes today but a file may carry.
    pub msp_id: Option<String>,
}

impl std::fmt::Debug for IdentityFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IdentityFile")
            .field("format", &self.format)
            .field("name", &self.name)
            .field("msp_id", &self.msp_id)
            .finish_non_exhaustive()
    }
}

/// Reads an identity file, telling the two formats apart: the console writes `type:
/// "identity"`, the Ansible collection writes `hsm` and no `type`.
pub fn parse_identity_file(text: &str) -> Result<IdentityFile, String> {
    // Parsed as a Value first: serde's typed errors would quote the offending value.
    let doc: Value = serde_json::from_str(text).map_err(|e| {
        format!(
            "not JSON (line {}, column {}): expected the console's identity export or an \
             Ansible identity file",
            e.line(),
            e.column()
        )
    })?;
    let Value::Object(doc) = doc else {
        return Err(
            "not a JSON object: expected one identity, as the console exports it".to_owned(),
        );
    };
    let format = match doc.get("type") {
        Some(Value::String(t)) if t == "identity" => IdentityFileFormat::Console,
        Some(Value::String(t)) => {
            return Err(format!(
                "a console export of type {t:?}, not an identity (`type` must be \"identity\")"
            ))
        }
        Some(_) => return Err("`type` is not a string".to_owned()),
        None => IdentityFileFormat::Ansible,
    };
    let what = format.describe();
    if doc.get("hsm").and_then(Value::as_bool) == Some(true) {
        return Err(format!(
            "the {what} says `hsm: true`: its private key lives in an HSM, and this provider \
             signs with the key itself"
        ));
    }
    let cert_pem =
        pem_field(&doc, "cert", what)?.ok_or_else(|| format!("the {what} has no `cert`"))?;
    let private_key_pem = pem_field(&doc, "private_key", what)?
        .ok_or_else(|| format!("the {what} has no `private_key`"))?;
    Ok(IdentityFile {
        format,
        name: text_field(&doc, "name", what)?,
        cert_pem,
        private_key_pem,
        ca_pem: pem_field(&doc, "ca", what)?,
        msp_id: text_field(&doc, "msp_id", what)?,
    })
}

fn text_field(doc: &Map<String, Value>, key: &str, what: &str) -> Result<Option<String>, String> {
    match doc.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(format!("`{key}` of the {what} is not a string")),
    }
}

/// A base64 PEM (as both tools write it) or a PEM as is (the console's import accepts both).
fn pem_field(doc: &Map<String, Value>, key: &str, what: &str) -> Result<Option<String>, String> {
    let Some(text) = text_field(doc, key, what)? else {
        return Ok(None);
    };
    decode_b64_pem(&text)
        .and_then(|b| String::from_utf8(b).ok())
        .map(Some)
        .ok_or_else(|| format!("`{key}` of the {what} is neither a PEM nor a base64 PEM"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine as _;

    const CERT: &str = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
    const KEY: &str = "-----BEGIN PRIVATE KEY-----\nSECRETKEYBYTES\n-----END PRIVATE KEY-----\n";

    fn b64(s: &str) -> String {
        base64::engine::general_purpose::STANDARD.encode(s)
    }

    #[test]
    fn the_console_export_is_told_by_its_type() {
        let text = serde_json::json!({
            "name": "org1admin", "type": "identity", "cert": b64(CERT), "private_key": b64(KEY),
            "peers": ["peer0"],
        })
        .to_string();
        let file = parse_identity_file(&text).unwrap();
        assert_eq!(file.format, IdentityFileFormat::Console);
        assert_eq!(file.name.as_deref(), Some("org1admin"));
        assert_eq!(file.cert_pem, CERT);
        assert_eq!(file.private_key_pem, KEY);
        assert_eq!(file.ca_pem, None);
    }

    #[test]
    fn the_ansible_file_is_told_by_the_missing_type_and_keeps_its_ca() {
        let text = serde_json::json!({
            "name": "Org1 Admin", "cert": b64(CERT), "private_key": b64(KEY), "ca": b64(CERT),
            "hsm": false,
        })
        .to_string();
        let file = parse_identity_file(&text).unwrap();
        assert_eq!(file.format, IdentityFileFormat::Ansible);
        assert_eq!(file.ca_pem.as_deref(), Some(CERT));
        // Raw PEMs are accepted too (trimmed).
        let raw = serde_json::json!({"name": "x", "cert": CERT, "private_key": KEY}).to_string();
        assert_eq!(parse_identity_file(&raw).unwrap().cert_pem, CERT.trim());
    }

    #[test]
    fn bad_files_are_refused_without_quoting_the_key() {
        let cases = [
            "{not json".to_owned(),
            "[1]".to_owned(),
            serde_json::json!({"type": "msp", "cert": b64(CERT)}).to_string(),
            serde_json::json!({"type": "identity", "cert": b64(CERT)}).to_string(),
            serde_json::json!({"type": "identity", "cert": b64(CERT), "private_key": "SECRETKEYBYTES"})
                .to_string(),
            serde_json::json!({"cert": b64(CERT), "private_key": b64(KEY), "hsm": true}).to_string(),
            serde_json::json!({"cert": b64(CERT), "private_key": 7}).to_string(),
        ];
        for text in cases {
            let err = parse_identity_file(&text).unwrap_err();
            assert!(!err.contains("SECRETKEYBYTES"), "{err}");
            assert!(!err.contains(&b64(KEY)), "{err}");
        }
        let err = parse_identity_file(
            &serde_json::json!({"cert": b64(CERT), "private_key": b64(KEY), "hsm": true})
                .to_string(),
        )
        .unwrap_err();
        assert!(err.contains("HSM"), "{err}");
    }
}
