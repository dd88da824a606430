//! Shared request plumbing of the fabric-ca endpoints (CA selection, body checks, token
//! authentication) and `/cainfo`. Endpoints are plain functions over [`FabricCaState`],
//! independent of HTTP; checks run in fabric-ca v1.5.5's order so a request fails the same way.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use serde::{Deserialize, Serialize};

use super::query::query_param;
use super::responses::{codes, success_body, ApiError};
use super::state::{CaInstance, FabricCaState, Identity};
use super::token::{verify_token_expiry, TokenError, VerifiedCaller};

/// `Version` reported by `/cainfo` (the recorded server is v1.5.5).
const SERVER_VERSION: &str = "1.5.5";

/// The parts of an HTTP request the endpoints look at.
pub(crate) struct CaRequest<'a> {
    pub method: &'a str,
    /// Request target exactly as received: path plus `?query` (Go's `RequestURI()`).
    pub uri: &'a str,
    pub query: Option<&'a str>,
    pub authorization: Option<&'a str>,
    pub body: &'a [u8],
}

/// A successful answer.
#[derive(Debug)]
pub(crate) struct Reply {
    pub status: u16,
    pub body: Vec<u8>,
    pub location: Option<String>,
    /// The registry changed: persist the state.
    pub changed: bool,
}

impl Reply {
    pub(crate) fn ok<T: Serialize>(status: u16, result: &T) -> Self {
        Reply {
            status,
            body: success_body(result),
            location: None,
            changed: false,
        }
    }
}

/// `api.CAInfoResponseNet`, field order as Go marshals it.
#[derive(Serialize)]
pub(crate) struct CaInfo<'a> {
    #[serde(rename = "CAName")]
    ca_name: &'a str,
    #[serde(rename = "CAChain")]
    ca_chain: String,
    #[serde(rename = "IssuerPublicKey")]
    issuer_public_key: &'a str,
    #[serde(rename = "IssuerRevocationPublicKey")]
    issuer_revocation_public_key: String,
    #[serde(rename = "Version")]
    version: &'a str,
}

impl<'a> CaInfo<'a> {
    pub(crate) fn of(ca: &'a CaInstance, version: &'a str) -> Self {
        CaInfo {
            ca_name: &ca.name,
            ca_chain: STANDARD.encode(ca.root_cert_pem.as_bytes()),
            issuer_public_key: &ca.issuer_public_key,
            issuer_revocation_public_key: STANDARD
                .encode(ca.issuer_revocation_public_key_pem.as_bytes()),
            version,
        }
    }
}

/// The CA a request targets (`serverrequestcontext.go` getCAName;
/// docs/dev/fabric-ca.md#ca-selection): `?ca=` wins, then the body's `caname`, then the default CA.
/// An unparsable body is a 400.
pub(crate) fn target_ca_name(
    state: &FabricCaState,
    req: &CaRequest<'_>,
) -> Result<String, ApiError> {
    if let Some(name) = query_param(req.query, "ca").filter(|n| !n.is_empty()) {
        return Ok(name);
    }
    if !req.body.is_empty() {
        #[derive(Deserialize)]
        struct CaNameOnly {
            caname: Option<String>,
        }
        let parsed: CaNameOnly = parse_json(req.body)?;
        if let Some(name) = parsed.caname.filter(|n| !n.is_empty()) {
            return Ok(name);
        }
    }
    Ok(state.default_ca_name().to_owned())
}

pub(crate) fn parse_json<'de, T: Deserialize<'de>>(body: &'de [u8]) -> Result<T, ApiError> {
    // fabric-ca also echoes the body in this message; we do not, as it may hold a secret.
    serde_json::from_slice(body).map_err(|e| {
        ApiError::http(
            400,
            codes::BAD_REQ_BODY,
            format!("Invalid request body: {e}"),
        )
    })
}

pub(crate) fn require_body(body: &[u8]) -> Result<(), ApiError> {
    if body.is_empty() {
        return Err(ApiError::http(
            400,
            codes::EMPTY_REQ_BODY,
            "Empty request body",
        ));
    }
    Ok(())
}

pub(crate) fn select_ca<'s>(
    state: &'s FabricCaState,
    name: &str,
) -> Result<&'s CaInstance, ApiError> {
    state
        .instance(name)
        .ok_or_else(|| ApiError::ca_not_found(name))
}

/// `GET|POST|HEAD /cainfo` and `/api/v1/cainfo`: no authentication.
pub(crate) fn cainfo(state: &FabricCaState, req: &CaRequest<'_>) -> Result<Reply, ApiError> {
    let name = target_ca_name(state, req)?;
    let ca = select_ca(state, &name)?;
    Ok(Reply::ok(200, &CaInfo::of(ca, SERVER_VERSION)))
}

/// Token authentication (`TokenAuthentication` + `verifyX509Token` + `GetCaller`).
pub(crate) fn authenticate_token<'s>(
    state: &'s FabricCaState,
    ca_name: &str,
    req: &CaRequest<'_>,
) -> Result<(VerifiedCaller, &'s Identity), ApiError> {
    authenticate_token_expiry(state, ca_name, req, false)
}

/// [`authenticate_token`] with `reenrollignorecertexpiry` for the reenroll endpoint.
pub(crate) fn authenticate_token_expiry<'s>(
    state: &'s FabricCaState,
    ca_name: &str,
    req: &CaRequest<'_>,
    ignore_expiry: bool,
) -> Result<(VerifiedCaller, &'s Identity), ApiError> {
    let header = req
        .authorization
        .filter(|h| !h.is_empty())
        .ok_or_else(|| ApiError::http(401, codes::NO_AUTH_HDR, "No authorization header"))?;
    let ca = select_ca(state, ca_name)?;
    let caller = verify_token_expiry(
        req.method,
        req.uri,
        req.body,
        header,
        &ca.root_cert_pem,
        ignore_expiry,
    )
    .map_err(|e| {
        let local = match &e {
            TokenError::UntrustedCertificate | TokenError::TrustedRoot => e.to_string(),
            TokenError::Expired => e.to_string(),
            _ => format!("Invalid token in authorization header: {e}"),
        };
        ApiError::authentication(e.local_code(), local)
    })?;
    // The certificate must be one this CA issued, and not revoked (`ca.GetCertificate`).
    let record = ca
        .certificates
        .iter()
        .find(|c| c.serial == caller.serial_hex && c.aki == caller.aki_hex)
        .ok_or_else(|| {
            ApiError::authentication(
                codes::CERT_NOT_FOUND,
                format!(
                    "Certificate not found with AKI '{}' and serial '{}'",
                    caller.aki_hex, caller.serial_hex
                ),
            )
        })?;
    if record.revoked_at.is_some() {
        return Err(ApiError::authentication(
            codes::CERT_REVOKED,
            "The certificate in the authorization header is a revoked certificate",
        ));
    }
    let identity = ca
        .identities
        .get(&caller.enrollment_id)
        .ok_or_else(|| ApiError::authentication(codes::GETTING_USER, "Failed to get user"))?;
    Ok((caller, identity))
}
