//! Enroll (`POST /api/v1/enroll`, HTTP Basic) and reenroll (`POST /api/v1/reenroll`, token of
//! the current certificate): a key made here, a CSR for the enroll id, and the certificate and
//! CA chain the CA answers (docs/dev/fabric-ca.md#enroll; docs/dev/fabric-ca.md#reenroll).

use std::fmt;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use http::Method;
use serde::{Deserialize, Serialize};
use tokio_util::sync::CancellationToken;

use super::ca::{Auth, CaEndpoint, CaInfo, Call, FabricCaClient, FabricCaError};
use super::csr::PrivateKey;
use super::identity::{Certificate, SigningIdentity};
use super::secret::Secret;

/// An attribute asked for in the certificate (fabric-ca `api.AttributeRequest`). Without
/// any, the CA adds the identity's `ecert: true` attributes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttributeRequest {
    pub name: String,
    /// Whether a missing attribute fails the enroll (`false`) or is skipped.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub optional: bool,
}

/// What to enroll.
#[derive(Clone, Default)]
pub struct EnrollRequest {
    pub enroll_id: String,
    pub secret: Secret,
    /// The signing profile: `Some("tls")` for a TLS certificate from the TLS CA.
    pub profile: Option<String>,
    /// SANs (DNS names or IP addresses): in the CSR and in the request's `hosts`, which
    /// replace the CSR's SANs at the CA (docs/dev/fabric-ca.md#tls-profile).
    pub hosts: Vec<String>,
    pub attr_reqs: Vec<AttributeRequest>,
    /// The key to certify; `None` makes a new one.
    pub key: Option<PrivateKey>,
}

impl fmt::Debug for EnrollRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EnrollRequest")
            .field("enroll_id", &self.enroll_id)
            .field("secret", &self.secret)
            .field("profile", &self.profile)
            .field("hosts", &self.hosts)
            .field("attr_reqs", &self.attr_reqs)
            .finish_non_exhaustive()
    }
}

/// What to ask for when renewing a certificate; the enroll id is the current certificate's.
#[derive(Debug, Clone, Default)]
pub struct ReenrollRequest {
    pub profile: Option<String>,
    pub hosts: Vec<String>,
    pub attr_reqs: Vec<AttributeRequest>,
    /// `None` makes a new key (as fabric-ca-client does unless told to reuse it).
    pub key: Option<PrivateKey>,
}

/// A certificate the CA issued, with its key, and what the CA said about itself.
#[derive(Debug, Clone)]
pub struct Enrollment {
    pub identity: SigningIdentity,
    /// The CA's chain (`ServerInfo.CAChain`, decoded): PEM, root first as fabric-ca sends it.
    pub ca_chain_pem: String,
    /// `ServerInfo.CAName`.
    pub ca_name: String,
    /// `ServerInfo.Version`: empty in enroll answers (recorded `enroll_bootstrap_admin`).
    pub server_version: String,
}

impl Enrollment {
    /// The chain's certificates, one PEM block each (for an MSP's root and intermediate lists).
    pub fn ca_chain(&self) -> Vec<String> {
        split_pem(&self.ca_chain_pem)
    }
}

impl CaInfo {
    /// The certificates of `CAChain` (base64 of the PEM chain), one PEM block each; empty when
    /// it is not base64 text.
    pub fn ca_chain_pems(&self) -> Vec<String> {
        decode_b64_text(&self.ca_chain)
            .map(|pem| split_pem(&pem))
            .unwrap_or_default()
    }
}

/// The body fabric-ca's `EnrollmentRequestNet` / `ReenrollmentRequestNet` decode (`api/net.go`,
/// cfssl `signer.SignRequest`), with the fields the recordings send, in their order.
#[derive(Serialize)]
struct SignRequestBody<'a> {
    certificate_request: &'a str,
    caname: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    profile: Option<&'a str>,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    hosts: &'a [String],
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    attr_reqs: &'a [AttributeRequest],
}

/// `result` of an enroll answer (`api.EnrollmentResponseNet`).
#[derive(Deserialize)]
struct EnrollmentResult {
    #[serde(rename = "Cert")]
    cert: String,
    #[serde(rename = "ServerInfo", default)]
    server_info: CaInfo,
}

/// What an enroll and a reenroll both ask the CA for.
struct Asked<'a> {
    key: &'a Option<PrivateKey>,
    profile: Option<&'a str>,
    hosts: &'a [String],
    attr_reqs: &'a [AttributeRequest],
}

impl Asked<'_> {
    /// The key (the given one, or a new P-256 key) and the signing request body for `enroll_id`.
    fn signing_request(
        &self,
        request: &str,
        enroll_id: &str,
        ca_name: &str,
    ) -> Result<(PrivateKey, Vec<u8>), FabricCaError> {
        let key = match self.key {
            Some(k) => k.clone(),
            None => PrivateKey::generate().map_err(|e| credentials(request, e))?,
        };
        let csr = key
            .csr_pem(enroll_id, self.hosts)
            .map_err(|e| credentials(request, e))?;
        let body = sign_request_body(&csr, ca_name, self.profile, self.hosts, self.attr_reqs)
            .map_err(|e| credentials(request, e))?;
        Ok((key, body))
    }
}

fn sign_request_body(
    csr_pem: &str,
    ca_name: &str,
    profile: Option<&str>,
    hosts: &[String],
    attr_reqs: &[AttributeRequest],
) -> Result<Vec<u8>, serde_json::Error> {
    serde_json::to_vec(&SignRequestBody {
        certificate_request: csr_pem,
        caname: ca_name,
        profile,
        hosts,
        attr_reqs,
    })
}

/// The enrollment an answer describes, for `key`. The certificate must certify that key.
fn enrollment_from(result: EnrollmentResult, key: PrivateKey) -> Result<Enrollment, String> {
    let cert_pem = decode_b64_text(&result.cert).map_err(|e| format!("Cert: {e}"))?;
    let certificate = Certificate::from_pem(&cert_pem).map_err(|e| e.to_string())?;
    let identity = SigningIdentity::new(certificate, key).map_err(|e| e.to_string())?;
    let ca_chain_pem =
        decode_b64_text(&result.server_info.ca_chain).map_err(|e| format!("CAChain: {e}"))?;
    Ok(Enrollment {
        identity,
        ca_chain_pem,
        ca_name: result.server_info.ca_name,
        server_version: result.server_info.version,
    })
}

fn decode_b64_text(b64: &str) -> Result<String, String> {
    let bytes = STANDARD.decode(b64).map_err(|e| e.to_string())?;
    String::from_utf8(bytes).map_err(|e| e.to_string())
}

/// Each `-----BEGIN ...-----` to `-----END ...-----` block, with a final newline.
pub(crate) fn split_pem(pem: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    for line in pem.lines() {
        if line.starts_with("-----BEGIN ") {
            current.clear();
        }
        current.push_str(line.trim_end());
        current.push('\n');
        if line.starts_with("-----END ") {
            out.push(std::mem::take(&mut current));
        }
    }
    out
}

impl FabricCaClient {
    /// Enrolls `req.enroll_id`. Not idempotent (each enroll counts against `max_enrollments`):
    /// a lost answer is [`FabricCaError::Uncertain`].
    pub async fn enroll(
        &self,
        ca: &CaEndpoint,
        req: &EnrollRequest,
        cancel: &CancellationToken,
    ) -> Result<Enrollment, FabricCaError> {
        let request = "POST /api/v1/enroll";
        let asked = Asked {
            key: &req.key,
            profile: req.profile.as_deref(),
            hosts: &req.hosts,
            attr_reqs: &req.attr_reqs,
        };
        let (key, body) = asked.signing_request(request, &req.enroll_id, &ca.ca_name)?;
        let call = Call {
            method: Method::POST,
            segments: &["api", "v1", "enroll"],
            query: &[],
            body: Some(body),
            auth: Auth::Basic {
                id: &req.enroll_id,
                secret: &req.secret,
            },
            idempotent: false,
        };
        let result: EnrollmentResult = self.call(ca, call, cancel).await?;
        enrollment_from(result, key).map_err(|detail| issued_but_unusable(request, detail))
    }

    /// Renews `current`'s certificate (same enroll id), signing the request with it.
    /// Not idempotent: a lost answer is [`FabricCaError::Uncertain`].
    pub async fn reenroll(
        &self,
        ca: &CaEndpoint,
        current: &SigningIdentity,
        req: &ReenrollRequest,
        cancel: &CancellationToken,
    ) -> Result<Enrollment, FabricCaError> {
        let request = "POST /api/v1/reenroll";
        let asked = Asked {
            key: &req.key,
            profile: req.profile.as_deref(),
            hosts: &req.hosts,
            attr_reqs: &req.attr_reqs,
        };
        let (key, body) = asked.signing_request(request, current.enroll_id(), &ca.ca_name)?;
        let call = Call {
            method: Method::POST,
            segments: &["api", "v1", "reenroll"],
            query: &[],
            body: Some(body),
            auth: Auth::Token(current),
            idempotent: false,
        };
        let result: EnrollmentResult = self.call(ca, call, cancel).await?;
        enrollment_from(result, key).map_err(|detail| issued_but_unusable(request, detail))
    }
}

fn credentials(request: &str, e: impl fmt::Display) -> FabricCaError {
    FabricCaError::Credentials {
        request: request.to_owned(),
        detail: e.to_string(),
    }
}

/// The CA issued something (the enrollment counted) that cannot be used.
fn issued_but_unusable(request: &str, detail: String) -> FabricCaError {
    FabricCaError::Decode {
        request: request.to_owned(),
        detail: format!("the issued certificate is unusable: {detail}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    use crate::fabric::fixtures::read;

    /// Our body for the recorded inputs is the recorded body, byte for byte.
    #[test]
    fn enroll_bodies_are_the_recorded_ones() {
        for (name, ca_name, profile, hosts) in [
            ("enroll_bootstrap_admin", "ca", None, vec![]),
            ("enroll_org1admin", "ca", None, vec![]),
            (
                "enroll_tls_org1peer0",
                "tlsca",
                Some("tls"),
                vec![
                    "peer0.org1.example.com".to_owned(),
                    "localhost".to_owned(),
                    "127.0.0.1".to_owned(),
                ],
            ),
        ] {
            let recorded = read(&format!("ca/{name}.request.json"));
            let parsed: Value = serde_json::from_str(&recorded).unwrap();
            let csr = parsed["certificate_request"].as_str().unwrap();
            let ours = sign_request_body(csr, ca_name, profile, &hosts, &[]).unwrap();
            assert_eq!(String::from_utf8(ours).unwrap(), recorded, "{name}");
        }
        let with_attrs = sign_request_body(
            "CSR",
            "ca",
            None,
            &[],
            &[
                AttributeRequest {
                    name: "hf.Type".into(),
                    optional: false,
                },
                AttributeRequest {
                    name: "role".into(),
                    optional: true,
                },
            ],
        )
        .unwrap();
        assert_eq!(
            String::from_utf8(with_attrs).unwrap(),
            r#"{"certificate_request":"CSR","caname":"ca","attr_reqs":[{"name":"hf.Type"},{"name":"role","optional":true}]}"#
        );
    }

    /// The recorded answers decode to the recorded identities, with the keys that were
    /// enrolled, and the CA chain the recording names.
    #[test]
    fn recorded_enroll_answers_decode() {
        for (name, key, cert, chain, ou) in [
            (
                "enroll_bootstrap_admin",
                "bootstrap-admin.key.pem",
                "bootstrap-admin.cert.pem",
                "org1-ca-root.pem",
                "client",
            ),
            (
                "enroll_org1admin",
                "org1admin.key.pem",
                "org1admin.cert.pem",
                "org1-ca-root.pem",
                "admin",
            ),
            (
                "enroll_tls_org1peer0",
                "org1peer0-tls.key.pem",
                "org1peer0-tls.cert.pem",
                "org1-tlsca-root.pem",
                "peer",
            ),
        ] {
            let envelope: Value =
                serde_json::from_str(&read(&format!("ca/{name}.response.json"))).unwrap();
            let result: EnrollmentResult =
                serde_json::from_value(envelope["result"].clone()).unwrap();
            let key = PrivateKey::from_pem(&read(&format!("identities/{key}"))).unwrap();
            let e = enrollment_from(result, key).unwrap();
            assert_eq!(
                e.identity.certificate().pem(),
                read(&format!("identities/{cert}"))
            );
            assert_eq!(e.identity.certificate().info().organizational_units, [ou]);
            assert_eq!(
                e.ca_chain_pem,
                read(&format!("identities/{chain}")),
                "{name}"
            );
            assert_eq!(e.ca_chain().len(), 1);
            assert_eq!(e.server_version, "");
        }
    }

    #[test]
    fn the_recorded_cainfo_chain_is_the_enroll_chain() {
        let envelope: Value = serde_json::from_str(&read("ca/cainfo_ca.response.json")).unwrap();
        let info: CaInfo = serde_json::from_value(envelope["result"].clone()).unwrap();
        assert_eq!(info.ca_chain_pems(), [read("identities/org1-ca-root.pem")]);
        assert!(CaInfo::default().ca_chain_pems().is_empty());
    }

    #[test]
    fn an_answer_for_another_key_is_refused() {
        let envelope: Value =
            serde_json::from_str(&read("ca/enroll_org1admin.response.json")).unwrap();
        let result: EnrollmentResult = serde_json::from_value(envelope["result"].clone()).unwrap();
        let err = enrollment_from(result, PrivateKey::generate().unwrap()).unwrap_err();
        assert!(err.contains("does not belong"), "{err}");
    }

    #[test]
    fn the_enroll_request_debug_hides_the_secret() {
        let req = EnrollRequest {
            enroll_id: "admin".into(),
            secret: "adminpw".into(),
            ..Default::default()
        };
        let shown = format!("{req:?}");
        assert!(
            shown.contains("admin") && !shown.contains("adminpw"),
            "{shown}"
        );
    }

    #[test]
    fn pem_chains_split_into_blocks() {
        let a = "-----BEGIN CERTIFICATE-----\nAAA\n-----END CERTIFICATE-----\n";
        let b = "-----BEGIN CERTIFICATE-----\nBBB\n-----END CERTIFICATE-----";
        assert_eq!(
            split_pem(&format!("{a}{b}\n")),
            [a.to_owned(), format!("{b}\n")]
        );
        assert!(split_pem("").is_empty());
    }
}
