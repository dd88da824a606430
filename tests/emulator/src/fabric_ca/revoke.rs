//! `POST /revoke` and `POST /gencrl` (fabric-ca v1.5.5 `lib/serverrevoke.go`,
//! `lib/servergencrl.go`; docs/dev/fabric-ca.md#revoke-and-crls).

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::attr_rules::names;
use super::authority;
use super::crl::{self, RevokedEntry};
use super::endpoint::{
    authenticate_token, parse_json, require_body, select_ca, target_ca_name, CaRequest, Reply,
};
use super::responses::{codes, ApiError};
use super::state::{CaInstance, FabricCaState, Identity};

/// `api.RevocationRequestNet`.
#[derive(Deserialize, Default)]
struct RevokeRequest {
    #[serde(default)]
    id: String,
    #[serde(default)]
    serial: String,
    #[serde(default)]
    aki: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    gencrl: bool,
}

/// `api.RevokedCert`, Go field names.
#[derive(Serialize, Clone)]
struct RevokedCert {
    #[serde(rename = "Serial")]
    serial: String,
    #[serde(rename = "AKI")]
    aki: String,
}

/// `revocationResponseNet`.
#[derive(Serialize)]
struct RevokeResponse {
    #[serde(rename = "RevokedCerts")]
    revoked_certs: Option<Vec<RevokedCert>>,
    #[serde(rename = "CRL")]
    crl: String,
}

/// `revocationReasonCodes`: an unknown or empty reason is 0 (unspecified).
fn reason_code(reason: &str) -> u8 {
    match reason {
        "keycompromise" => 1,
        "cacompromise" => 2,
        "affiliationchanged" => 3,
        "superseded" => 4,
        "cessationofoperation" => 5,
        "certificatehold" => 6,
        "removefromcrl" => 8,
        "privilegewithdrawn" => 9,
        "aacompromise" => 10,
        _ => 0,
    }
}

/// `parseInput`: lower case, leading zeros and colons removed.
fn parse_input(input: &str) -> String {
    input
        .to_lowercase()
        .trim_start_matches('0')
        .replace(':', "")
}

/// `checkAuth`: revoking someone else's certificates needs `hf.Revoker`.
fn check_auth(caller: &Identity, owner: &str) -> Result<(), ApiError> {
    if caller.id != owner && !authority::attribute_is_true(caller, names::REVOKER) {
        return Err(ApiError::authorization(
            codes::NOT_REVOKER,
            "Caller does not have authority to revoke",
        ));
    }
    Ok(())
}

/// `POST /revoke`: one certificate by serial + AKI, or every certificate of an identity (which
/// is then revoked too and can no longer enroll).
pub(crate) fn revoke(state: &mut FabricCaState, req: &CaRequest<'_>) -> Result<Reply, ApiError> {
    require_body(req.body)?;
    let request: RevokeRequest = parse_json(req.body)?;
    let ca_name = target_ca_name(state, req)?;
    let (token, caller) = authenticate_token(state, &ca_name, req)?;
    let caller = caller.clone();
    let ca = select_ca(state, &ca_name)?;
    let (aki, serial) = (parse_input(&request.aki), parse_input(&request.serial));
    let reason = reason_code(&request.reason);
    let now = OffsetDateTime::now_utc().unix_timestamp();
    let not_found = |id: &str| {
        ApiError::http(
            404,
            codes::REVOKE_ID_NOT_FOUND,
            format!("Identity {id} was not found: Failed to get User: sql: no rows in result set"),
        )
    };

    let revoked: Vec<RevokedCert> = if !serial.is_empty() && !aki.is_empty() {
        let index = ca
            .certificates
            .iter()
            .position(|c| c.serial == serial && c.aki == aki)
            .ok_or_else(|| {
                ApiError::http(
                    404,
                    codes::REV_CERT_NOT_FOUND,
                    format!(
                        "Certificate with serial {serial} and AKI {aki} was not found: sql: no rows in result set"
                    ),
                )
            })?;
        let record = &ca.certificates[index];
        check_auth(&caller, &record.id)?;
        if record.revoked_at.is_some() {
            return Err(ApiError::http(
                404,
                codes::CERT_ALREADY_REVOKED,
                format!("Certificate with serial {serial} and AKI {aki} was already revoked"),
            ));
        }
        if !request.id.is_empty() && request.id != record.id {
            return Err(ApiError::http(
                400,
                codes::CERT_WRONG_OWNER,
                format!(
                    "Certificate with serial {serial} and AKI {aki} is not owned by {}",
                    request.id
                ),
            ));
        }
        let owner = ca
            .identities
            .get(&record.id)
            .ok_or_else(|| not_found(&record.id))?;
        if !(aki == token.aki_hex && serial == token.serial_hex) {
            authority::can_manage_user(&caller, owner)?;
        }
        let ca = instance_mut(state, &ca_name)?;
        let record = &mut ca.certificates[index];
        record.revoked_at = Some(now);
        record.reason = reason;
        vec![RevokedCert { serial, aki }]
    } else if !request.id.is_empty() {
        check_auth(&caller, &request.id)?;
        let user = ca
            .identities
            .get(&request.id)
            .ok_or_else(|| not_found(&request.id))?;
        if caller.id != user.id {
            authority::can_manage_user(&caller, user)?;
        }
        let ca = instance_mut(state, &ca_name)?;
        if let Some(user) = ca.identities.get_mut(&request.id) {
            user.revoked = true;
        }
        ca.certificates
            .iter_mut()
            .filter(|c| c.id == request.id && c.revoked_at.is_none())
            .map(|c| {
                c.revoked_at = Some(now);
                c.reason = reason;
                RevokedCert {
                    serial: c.serial.clone(),
                    aki: c.aki.clone(),
                }
            })
            .collect()
    } else {
        return Err(ApiError::http(
            400,
            codes::MISSING_REVOKE_ARGS,
            "Either Name or Serial and AKI are required for a revoke request",
        ));
    };

    let crl = if request.gencrl && !revoked.is_empty() {
        STANDARD.encode(crl_of(select_ca(state, &ca_name)?, None)?)
    } else {
        String::new()
    };
    let mut reply = Reply::ok(
        200,
        &RevokeResponse {
            revoked_certs: (!revoked.is_empty()).then_some(revoked),
            crl,
        },
    );
    reply.changed = true;
    Ok(reply)
}

fn instance_mut<'s>(
    state: &'s mut FabricCaState,
    name: &str,
) -> Result<&'s mut CaInstance, ApiError> {
    state
        .instance_mut(name)
        .ok_or_else(|| ApiError::ca_not_found(name))
}

/// `api.GenCRLRequest` as sent: RFC 3339 strings; Go's zero time (year 1, which Go clients
/// send for "unset") and absent fields are unset.
#[derive(Deserialize, Default)]
struct GenCrlRequestNet {
    #[serde(default)]
    revokedafter: Option<String>,
    #[serde(default)]
    revokedbefore: Option<String>,
    #[serde(default)]
    expireafter: Option<String>,
    #[serde(default)]
    expirebefore: Option<String>,
}

#[derive(Default)]
struct GenCrlRequest {
    revokedafter: Option<OffsetDateTime>,
    revokedbefore: Option<OffsetDateTime>,
    expireafter: Option<OffsetDateTime>,
    expirebefore: Option<OffsetDateTime>,
}

impl GenCrlRequest {
    fn parse(net: GenCrlRequestNet) -> Result<Self, ApiError> {
        let time = |v: Option<String>| -> Result<Option<OffsetDateTime>, ApiError> {
            let Some(text) = v else { return Ok(None) };
            let t = OffsetDateTime::parse(&text, &time::format_description::well_known::Rfc3339)
                .map_err(|e| {
                    ApiError::http(
                        400,
                        codes::BAD_REQ_BODY,
                        format!("Invalid request body: parsing time \"{text}\": {e}"),
                    )
                })?;
            Ok((t.year() > 1).then_some(t))
        };
        Ok(GenCrlRequest {
            revokedafter: time(net.revokedafter)?,
            revokedbefore: time(net.revokedbefore)?,
            expireafter: time(net.expireafter)?,
            expirebefore: time(net.expirebefore)?,
        })
    }
}

/// `POST /gencrl`: the CA's CRL, for callers with `hf.GenCRL`.
pub(crate) fn gencrl(state: &FabricCaState, req: &CaRequest<'_>) -> Result<Reply, ApiError> {
    require_body(req.body)?;
    let request = GenCrlRequest::parse(parse_json(req.body)?)?;
    let ca_name = target_ca_name(state, req)?;
    let (_, caller) = authenticate_token(state, &ca_name, req)?;
    if !authority::attribute_is_true(caller, names::GEN_CRL) {
        return Err(ApiError::authorization(
            codes::NO_GEN_CRL_AUTH,
            format!(
                "The identity '{}' does not have authority to generate a CRL",
                caller.id
            ),
        ));
    }
    let ca = select_ca(state, &ca_name)?;
    let pem = crl_of(ca, Some(&request))?;
    #[derive(Serialize)]
    struct GenCrlResponse {
        #[serde(rename = "CRL")]
        crl: String,
    }
    Ok(Reply::ok(
        200,
        &GenCrlResponse {
            crl: STANDARD.encode(pem),
        },
    ))
}

/// `genCRL` + `GetRevokedCertificates`: revoked certificates, by default only unexpired ones
/// (`expireafter` defaults to now), within the asked revocation and expiry windows.
fn crl_of(ca: &CaInstance, request: Option<&GenCrlRequest>) -> Result<String, ApiError> {
    let default = GenCrlRequest::default();
    let r = request.unwrap_or(&default);
    if let (Some(after), Some(before)) = (r.revokedafter, r.revokedbefore) {
        if after > before {
            return Err(ApiError::http(
                400,
                codes::INVALID_REVOKED_AFTER,
                "Invalid 'revokedafter' value. It must not be a timestamp greater than 'revokedbefore'",
            ));
        }
    }
    if let (Some(after), Some(before)) = (r.expireafter, r.expirebefore) {
        if after > before {
            return Err(ApiError::http(
                400,
                codes::INVALID_EXPIRED_AFTER,
                "Invalid 'expireafter' value. It must not be a timestamp greater than 'expirebefore'",
            ));
        }
    }
    let now = OffsetDateTime::now_utc();
    let expire_after = r.expireafter.unwrap_or(now).unix_timestamp();
    let entries: Vec<RevokedEntry> = ca
        .certificates
        .iter()
        .filter_map(|c| c.revoked_at.map(|at| (c, at)))
        .filter(|(c, _)| c.not_after > expire_after)
        .filter(|(c, _)| {
            r.expirebefore
                .is_none_or(|b| c.not_after < b.unix_timestamp())
        })
        .filter(|(_, at)| r.revokedafter.is_none_or(|a| *at > a.unix_timestamp()))
        .filter(|(_, at)| r.revokedbefore.is_none_or(|b| *at < b.unix_timestamp()))
        .filter_map(|(c, at)| {
            Some(RevokedEntry {
                serial: hex_bytes(&c.serial)?,
                revoked_at: OffsetDateTime::from_unix_timestamp(at).ok()?,
            })
        })
        .collect();
    crl::generate_crl(&ca.root_cert_pem, &ca.root_key_pem, &entries, now).map_err(|_| {
        ApiError::http(
            500,
            codes::GEN_CRL,
            format!("Failed to generate CRL for CA '{}'", ca.name),
        )
    })
}

/// Big-endian bytes of a hex serial (odd lengths get a leading zero nibble).
fn hex_bytes(hex: &str) -> Option<Vec<u8>> {
    let padded = if hex.len() % 2 == 1 {
        format!("0{hex}")
    } else {
        hex.to_owned()
    };
    (0..padded.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(padded.get(i..i + 2)?, 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inputs_and_reasons_parse_like_fabric_ca() {
        assert_eq!(parse_input("00:AB:cd"), "abcd");
        assert_eq!(reason_code("keycompromise"), 1);
        assert_eq!(reason_code(""), 0);
        assert_eq!(reason_code("KeyCompromise"), 0);
        assert_eq!(hex_bytes("abc"), Some(vec![0x0a, 0xbc]));
    }
}
