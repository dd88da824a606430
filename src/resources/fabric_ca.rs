//! What the resources that talk to a Fabric CA themselves (not through the console) share:
//! where the CA is (the `api_url`, `ca_name` and `tls_cert` attributes, and the client's
//! [`CaEndpoint`] made from them), the enroll id rule, and an identity given as PEM texts
//! (certificate and private key) that signs the CA's tokens.

use crate::fabric::{CaEndpoint, SigningIdentity};
use crate::framework::{validators, Attribute, AttributePath, Diagnostics, Tf};
use crate::tf_model;

/// The console's `invalid_enroll_characters` rule (validation-regex.json), as a whitelist. It
/// also keeps an enroll id usable as the path segment of `/identities/{id}` and the `|` of an
/// import id free.
pub const ENROLL_ID_PATTERN: &str = r#"^[^:/<>#{}%`\[\]\\^~|\s"]+$"#;
/// What the enroll id pattern refuses, in words.
pub const ENROLL_ID_RULE: &str = "must not contain spaces or any of :/<>#{}%`[]\\^~|\"";
/// The name of a console-deployed server's enrollment CA (docs/dev/fabric-ca.md#ca-selection).
pub const DEFAULT_CA_NAME: &str = "ca";
/// The name of a console-deployed server's TLS CA (docs/dev/fabric-ca.md#ca-selection).
pub const DEFAULT_TLSCA_NAME: &str = "tlsca";

/// `api_url`: the Fabric CA server's HTTPS URL; another URL is another CA.
pub fn api_url_attribute(a: Attribute) -> Attribute {
    ca_url_rules(a.required().requires_replace().description(
        "HTTPS URL of the Fabric CA server, e.g. `blockchain_ca.org1.api_url`. Changing it \
         names another CA, so it forces a new resource.",
    ))
}

/// What every attribute holding a Fabric CA server's URL checks: an http(s) URL, compared by
/// meaning.
pub fn ca_url_rules(a: Attribute) -> Attribute {
    a.semantic_equality(same_url)
        .validate(validators::url_with_scheme(&["https", "http"]))
}

/// `ca_name`: the CA of the server (`?ca=`), `ca` by default.
pub fn ca_name_attribute(a: Attribute) -> Attribute {
    a.default_value(crate::framework::Value::string(DEFAULT_CA_NAME))
        .requires_replace()
        .description(
            "Name of the CA in the server (sent as `?ca=` and `caname`): `ca` (the default) for \
             enrollment certificates, `tlsca` for TLS certificates, e.g. \
             `blockchain_ca.org1.ca_name`. Changing it forces a new resource.",
        )
        .validate(validators::not_empty())
}

/// `tls_cert`: what the CA's HTTPS is trusted by.
pub fn tls_cert_attribute(a: Attribute) -> Attribute {
    a.optional()
        .description(
            "PEM certificate the CA's HTTPS endpoint is trusted by: its own TLS certificate \
             (`blockchain_ca.org1.tls_cert`) or a root it chains to; added to the provider's \
             trusted roots for this CA only. Without it the provider block's bundle and the system \
             roots are used.",
        )
        .validate(validators::regex_matches(
            "-----BEGIN CERTIFICATE-----",
            "must be a PEM certificate",
        ))
}

/// The enroll id rules (besides `required`): the console's characters, 1 to 255 of them
/// (fabric-ca's users table keeps ids in a VARCHAR(255)).
pub fn enroll_id_rules(a: Attribute) -> Attribute {
    a.validate(validators::length_between(1, 255))
        .validate(validators::regex_matches(ENROLL_ID_PATTERN, ENROLL_ID_RULE))
}

/// Two spellings of one URL (case of scheme and host, a trailing slash).
pub fn same_url(a: &str, b: &str) -> bool {
    let norm = |s: &str| {
        url::Url::parse(s.trim_end_matches('/'))
            .map(|u| u.to_string().trim_end_matches('/').to_owned())
            .unwrap_or_else(|_| s.to_owned())
    };
    a == b || norm(a) == norm(b)
}

/// The client's endpoint for a CA given by the three attributes.
pub fn endpoint(api_url: &str, ca_name: &Tf<String>, tls_cert: &Tf<String>) -> CaEndpoint {
    CaEndpoint {
        api_url: api_url.trim_end_matches('/').to_owned(),
        ca_name: ca_name.as_str().unwrap_or(DEFAULT_CA_NAME).to_owned(),
        tls_root_pem: tls_cert.as_str().map(|p| p.as_bytes().to_vec()),
    }
}

tf_model! {
    /// An identity that signs CA requests: its certificate as the CA issued it and its key.
    #[derive(Debug, Clone, Default, PartialEq)]
    pub struct SigningIdentityModel {
        pub certificate: Tf<String> => |a| a.required()
            .description("PEM certificate of the identity, as the CA issued it (kept byte for byte: the CA's tokens sign it)."),
        pub private_key: Tf<String> => |a| a.required().sensitive()
            .description("PEM private key (PKCS#8 or SEC1, ECDSA P-256) of the certificate. Sensitive: never shown in plans or logs."),
    }
}

impl SigningIdentityModel {
    /// The identity, `None` while a part is unknown; an error (never showing the key) when
    /// the texts are no certificate and matching key.
    pub fn signing_identity(&self) -> Result<Option<SigningIdentity>, String> {
        let (Some(cert), Some(key)) = (self.certificate.as_str(), self.private_key.as_str()) else {
            return Ok(None);
        };
        SigningIdentity::from_pem(cert, key)
            .map(Some)
            .map_err(|e| e.to_string())
    }
}

/// The signing identity of a block, or an error at `path` when it is null or unusable.
pub fn signing_identity(
    block: &Tf<SigningIdentityModel>,
    path: AttributePath,
) -> Result<SigningIdentity, Diagnostics> {
    let invalid = |detail: String| {
        let mut d = Diagnostics::new();
        d.attribute_error(path.clone(), "Unusable signing identity", detail);
        d
    };
    let Some(model) = block.known() else {
        return Err(invalid(format!(
            "{path} is needed to sign the request to the CA and is not set."
        )));
    };
    match model.signing_identity() {
        Ok(Some(identity)) => Ok(identity),
        Ok(None) => Err(invalid(format!("{path} is not known."))),
        Err(e) => Err(invalid(e)),
    }
}

/// Plan-time check of a block's identity: the certificate parses and the key is its own.
pub fn check_signing_identity(
    block: &Tf<SigningIdentityModel>,
    path: AttributePath,
    diags: &mut Diagnostics,
) {
    if let Some(Err(e)) = block.known().map(SigningIdentityModel::signing_identity) {
        diags.attribute_error(path, "Unusable signing identity", e);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_compare_by_meaning() {
        assert!(same_url(
            "https://CA.example.org:7054/",
            "https://ca.example.org:7054"
        ));
        assert!(!same_url(
            "https://ca.example.org:7054",
            "https://ca.example.org:7055"
        ));
    }

    #[test]
    fn the_endpoint_defaults_to_the_enrollment_ca() {
        let e = endpoint("https://127.0.0.1:7054/", &Tf::Null, &Tf::Null);
        assert_eq!(e.api_url, "https://127.0.0.1:7054");
        assert_eq!(e.ca_name, "ca");
        assert!(e.tls_root_pem.is_none());
    }

    #[test]
    fn a_bad_identity_is_an_error_that_never_shows_the_key() {
        let m = SigningIdentityModel {
            certificate: "not a certificate".into(),
            private_key: "-----BEGIN PRIVATE KEY-----\nc2VjcmV0\n-----END PRIVATE KEY-----\n"
                .into(),
        };
        let mut d = Diagnostics::new();
        let path = AttributePath::attribute("registrar");
        check_signing_identity(&Tf::Known(m.clone()), path.clone(), &mut d);
        assert!(d.has_errors());
        assert!(!d.to_string().contains("c2VjcmV0"), "{d}");
        assert!(signing_identity(&Tf::Known(m), path.clone()).is_err());
        // Unknown parts are checked once known.
        let unknown = SigningIdentityModel {
            certificate: Tf::Unknown,
            ..Default::default()
        };
        let mut d = Diagnostics::new();
        check_signing_identity(&Tf::Known(unknown), path, &mut d);
        assert!(d.is_empty());
    }
}
