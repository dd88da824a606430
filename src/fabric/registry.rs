//! The CA's identity registry, with a registrar's token: register (`POST /api/v1/register`),
//! read, modify and remove one identity (`GET|PUT|DELETE /api/v1/identities/{id}`), and revoke
//! (`POST /api/v1/revoke`). Bodies and answers are fabric-ca v1.5.5's `api/client.go` types
//! (docs/dev/fabric-ca.md#request-shapes; docs/dev/fabric-ca.md#modify-and-remove; docs/dev/fabric-ca.md#revoke).

use std::fmt;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use http::Method;
use serde::{Deserialize, Serialize};
use tokio_util::sync::CancellationToken;

use super::ca::{null_default, Auth, CaEndpoint, Call, FabricCaClient, FabricCaError};
use super::identity::SigningIdentity;
use super::secret::Secret;

/// An identity attribute (`api.Attribute`); `ecert` ones go into enrollment certificates.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attribute {
    pub name: String,
    #[serde(default, deserialize_with = "null_default")]
    pub value: String,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub ecert: bool,
}

/// A registration (`api.RegistrationRequest`).
#[derive(Clone, Default, PartialEq, Eq, Serialize)]
pub struct RegisterRequest {
    pub id: String,
    /// `client`, `peer`, `orderer`, `admin`, `user`... (the CA defaults to `client`).
    #[serde(rename = "type")]
    pub identity_type: String,
    /// `None`: the CA generates one and answers it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<Secret>,
    /// -1 unlimited; `None`: the CA's default.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_enrollments: Option<i64>,
    /// `""`: the root affiliation.
    pub affiliation: String,
    pub attrs: Vec<Attribute>,
}

impl fmt::Debug for RegisterRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RegisterRequest")
            .field("id", &self.id)
            .field("type", &self.identity_type)
            .field("secret", &self.secret)
            .field("max_enrollments", &self.max_enrollments)
            .field("affiliation", &self.affiliation)
            .field("attrs", &self.attrs)
            .finish()
    }
}

/// A registered identity as the CA reports it (`api.GetIDResponse`, `api.IdentityResponse`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(default)]
pub struct IdentityInfo {
    #[serde(deserialize_with = "null_default")]
    pub id: String,
    #[serde(rename = "type", deserialize_with = "null_default")]
    pub identity_type: String,
    #[serde(deserialize_with = "null_default")]
    pub affiliation: String,
    /// Every attribute, the `hf.*` ones the CA adds included.
    #[serde(deserialize_with = "null_default")]
    pub attrs: Vec<Attribute>,
    pub max_enrollments: i64,
    #[serde(deserialize_with = "null_default")]
    pub caname: String,
}

/// A change to an identity (`api.ModifyIdentityRequest`), with fabric-ca's merge rules
/// (`lib/serveridentities.go` getModifyReq): an empty `identity_type` or `affiliation` keeps
/// it (`"."` sets the root affiliation); `max_enrollments` 0 keeps it; `attrs` are merged
/// by name, and an attribute with an empty value is removed; `secret` `None` keeps it.
#[derive(Clone, Default, PartialEq, Eq, Serialize)]
pub struct ModifyIdentityRequest {
    #[serde(rename = "type")]
    pub identity_type: String,
    pub affiliation: String,
    pub attrs: Vec<Attribute>,
    pub max_enrollments: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<Secret>,
}

impl fmt::Debug for ModifyIdentityRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ModifyIdentityRequest")
            .field("type", &self.identity_type)
            .field("affiliation", &self.affiliation)
            .field("attrs", &self.attrs)
            .field("max_enrollments", &self.max_enrollments)
            .field("secret", &self.secret)
            .finish()
    }
}

/// What to revoke (`api.RevocationRequest`): every certificate of `id`, or the one
/// certificate `serial` + `aki` (lower-case hex, as [`super::CertificateInfo`] gives them).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RevokeRequest {
    #[serde(rename = "id", skip_serializing_if = "String::is_empty")]
    pub enroll_id: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub serial: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub aki: String,
    /// An RFC 5280 reason name, e.g. `keycompromise`; empty: unspecified.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub reason: String,
    /// Ask for the CA's CRL in the answer.
    #[serde(skip)]
    pub gencrl: bool,
}

/// One revoked certificate (`api.RevokedCert`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(default)]
pub struct RevokedCert {
    #[serde(rename = "Serial", deserialize_with = "null_default")]
    pub serial: String,
    #[serde(rename = "AKI", deserialize_with = "null_default")]
    pub aki: String,
}

/// A revoke's answer; `crl_pem` when a CRL was asked for.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Revocation {
    pub revoked: Vec<RevokedCert>,
    pub crl_pem: Option<String>,
}

/// `revocationResponseNet` (`lib/serverrevoke.go`).
#[derive(Deserialize)]
struct RevocationResult {
    #[serde(rename = "RevokedCerts", default, deserialize_with = "null_default")]
    revoked: Vec<RevokedCert>,
    #[serde(rename = "CRL", default, deserialize_with = "null_default")]
    crl: String,
}

#[derive(Deserialize)]
struct SecretResult {
    secret: Secret,
}

/// `body` with the CA's name as the last field `caname`, as the recordings send it.
#[derive(Serialize)]
struct WithCaName<'a, T: Serialize> {
    #[serde(flatten)]
    body: &'a T,
    caname: &'a str,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    gencrl: bool,
}

fn json_body<T: Serialize>(
    request: &str,
    body: &T,
    ca_name: &str,
    gencrl: bool,
) -> Result<Vec<u8>, FabricCaError> {
    serde_json::to_vec(&WithCaName {
        body,
        caname: ca_name,
        gencrl,
    })
    .map_err(|e| FabricCaError::Credentials {
        request: request.to_owned(),
        detail: e.to_string(),
    })
}

impl FabricCaClient {
    /// Registers `req.id`; answers its secret (the CA's generated one when none was given).
    /// Not idempotent: a lost answer is [`FabricCaError::Uncertain`] (read the identity to
    /// find out; a second try says [`super::Refusal::AlreadyRegistered`]).
    pub async fn register(
        &self,
        ca: &CaEndpoint,
        registrar: &SigningIdentity,
        req: &RegisterRequest,
        cancel: &CancellationToken,
    ) -> Result<Secret, FabricCaError> {
        let body = json_body("POST /api/v1/register", req, &ca.ca_name, false)?;
        let call = Call {
            method: Method::POST,
            segments: &["api", "v1", "register"],
            query: &[],
            body: Some(body),
            auth: Auth::Token(registrar),
            idempotent: false,
        };
        let result: SecretResult = self.call(ca, call, cancel).await?;
        Ok(result.secret)
    }

    /// Reads one identity; [`super::Refusal::NotFound`] when there is none.
    pub async fn get_identity(
        &self,
        ca: &CaEndpoint,
        registrar: &SigningIdentity,
        id: &str,
        cancel: &CancellationToken,
    ) -> Result<IdentityInfo, FabricCaError> {
        let call = Call {
            method: Method::GET,
            segments: &["api", "v1", "identities", id],
            query: &[],
            body: None,
            auth: Auth::Token(registrar),
            idempotent: true,
        };
        self.call(ca, call, cancel).await
    }

    /// Changes one identity (merge rules on [`ModifyIdentityRequest`]) and answers it as
    /// it now is. Sending the same change twice gives the same identity.
    pub async fn modify_identity(
        &self,
        ca: &CaEndpoint,
        registrar: &SigningIdentity,
        id: &str,
        req: &ModifyIdentityRequest,
        cancel: &CancellationToken,
    ) -> Result<IdentityInfo, FabricCaError> {
        let body = json_body("PUT /api/v1/identities", req, &ca.ca_name, false)?;
        let call = Call {
            method: Method::PUT,
            segments: &["api", "v1", "identities", id],
            query: &[],
            body: Some(body),
            auth: Auth::Token(registrar),
            idempotent: true,
        };
        self.call(ca, call, cancel).await
    }

    /// Removes one identity and answers what it was. A CA deployed without
    /// `cfg.identities.allowremove` refuses with [`super::Refusal::RemovalRefused`]; removing
    /// the registrar itself needs `force`. A second removal is [`super::Refusal::NotFound`].
    pub async fn remove_identity(
        &self,
        ca: &CaEndpoint,
        registrar: &SigningIdentity,
        id: &str,
        force: bool,
        cancel: &CancellationToken,
    ) -> Result<IdentityInfo, FabricCaError> {
        let call = Call {
            method: Method::DELETE,
            segments: &["api", "v1", "identities", id],
            query: &[("force", if force { "true" } else { "false" })],
            body: None,
            auth: Auth::Token(registrar),
            idempotent: true,
        };
        self.call(ca, call, cancel).await
    }

    /// Revokes certificates (the revoker needs `hf.Revoker`). Not idempotent: a second
    /// revoke of one certificate is [`super::Refusal::AlreadyRevoked`].
    pub async fn revoke(
        &self,
        ca: &CaEndpoint,
        revoker: &SigningIdentity,
        req: &RevokeRequest,
        cancel: &CancellationToken,
    ) -> Result<Revocation, FabricCaError> {
        let request = "POST /api/v1/revoke";
        let body = json_body(request, req, &ca.ca_name, req.gencrl)?;
        let call = Call {
            method: Method::POST,
            segments: &["api", "v1", "revoke"],
            query: &[],
            body: Some(body),
            auth: Auth::Token(revoker),
            idempotent: false,
        };
        let result: RevocationResult = self.call(ca, call, cancel).await?;
        let crl_pem = if result.crl.is_empty() {
            None
        } else {
            let bytes = STANDARD
                .decode(&result.crl)
                .map_err(|e| FabricCaError::Decode {
                    request: request.to_owned(),
                    detail: format!("CRL: {e}"),
                })?;
            Some(String::from_utf8_lossy(&bytes).into_owned())
        };
        Ok(Revocation {
            revoked: result.revoked,
            crl_pem,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    use crate::fabric::fixtures::read;

    /// The recorded registration body, rebuilt from its inputs, byte for byte.
    #[test]
    fn the_register_body_is_the_recorded_one() {
        let req = RegisterRequest {
            id: "org1admin".into(),
            identity_type: "admin".into(),
            secret: Some("org1adminpw".into()),
            max_enrollments: Some(-1),
            affiliation: String::new(),
            attrs: vec![],
        };
        let body = json_body("r", &req, "ca", false).unwrap();
        assert_eq!(
            String::from_utf8(body).unwrap(),
            read("ca/register_org1admin.request.json")
        );
        assert!(!format!("{req:?}").contains("org1adminpw"));
        // No secret: the CA makes one. Attributes as `api.Attribute`.
        let req = RegisterRequest {
            id: "u".into(),
            identity_type: "client".into(),
            attrs: vec![
                Attribute {
                    name: "role".into(),
                    value: "auditor".into(),
                    ecert: true,
                },
                Attribute {
                    name: "team".into(),
                    value: "a".into(),
                    ecert: false,
                },
            ],
            ..Default::default()
        };
        assert_eq!(
            String::from_utf8(json_body("r", &req, "ca", false).unwrap()).unwrap(),
            r#"{"id":"u","type":"client","affiliation":"","attrs":[{"name":"role","value":"auditor","ecert":true},{"name":"team","value":"a"}],"caname":"ca"}"#
        );
    }

    #[test]
    fn recorded_register_answers_decode() {
        let v: Value = serde_json::from_str(&read("ca/register_org1admin.response.json")).unwrap();
        let r: SecretResult = serde_json::from_value(v["result"].clone()).unwrap();
        assert_eq!(r.secret.expose(), "org1adminpw");
        // The identities-API answer is an IdentityResponse.
        let v: Value =
            serde_json::from_str(&read("ca/register_org1peer0_identities_api.response.json"))
                .unwrap();
        let info: IdentityInfo = serde_json::from_value(v["result"].clone()).unwrap();
        assert_eq!(info.id, "org1peer0");
        assert_eq!(info.identity_type, "peer");
        assert_eq!(info.max_enrollments, -1);
        assert_eq!(info.caname, "ca");
        assert_eq!(
            info.attrs[0],
            Attribute {
                name: "hf.EnrollmentID".into(),
                value: "org1peer0".into(),
                ecert: true
            }
        );
    }

    #[test]
    fn modify_and_revoke_bodies_follow_fabric_ca_types() {
        let modify = ModifyIdentityRequest {
            identity_type: "peer".into(),
            affiliation: ".".into(),
            attrs: vec![Attribute {
                name: "role".into(),
                value: String::new(),
                ecert: false,
            }],
            max_enrollments: 3,
            secret: None,
        };
        assert_eq!(
            String::from_utf8(json_body("r", &modify, "ca", false).unwrap()).unwrap(),
            r#"{"type":"peer","affiliation":".","attrs":[{"name":"role","value":""}],"max_enrollments":3,"caname":"ca"}"#
        );
        let revoke = RevokeRequest {
            serial: "52b4".into(),
            aki: "885b".into(),
            reason: "superseded".into(),
            gencrl: true,
            ..Default::default()
        };
        assert_eq!(
            String::from_utf8(json_body("r", &revoke, "ca", revoke.gencrl).unwrap()).unwrap(),
            r#"{"serial":"52b4","aki":"885b","reason":"superseded","caname":"ca","gencrl":true}"#
        );
    }
}
