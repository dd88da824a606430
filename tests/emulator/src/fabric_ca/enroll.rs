//! `POST /enroll` and `POST /reenroll` (`lib/serverenroll.go`): Basic or token
//! authentication, then a CSR becomes a certificate signed by the selected CA under the asked
//! signing profile (docs/dev/fabric-ca.md#enroll).

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use serde::{Deserialize, Serialize};

use super::attr_rules::names;
use super::authority;
use super::certs::{self, LeafSpec};
use super::endpoint::{
    authenticate_token_expiry, parse_json, require_body, select_ca, target_ca_name, CaInfo,
    CaRequest, Reply,
};
use super::responses::{codes, ApiError};
use super::state::{FabricCaState, Identity};

/// `api.AttributeRequest`.
#[derive(Deserialize)]
struct AttrReq {
    name: String,
    #[serde(default)]
    optional: bool,
}

/// The fields of cfssl's `SignRequest` + fabric-ca's `EnrollmentRequestNet` we honour.
#[derive(Deserialize)]
struct EnrollRequest {
    certificate_request: Option<String>,
    hosts: Option<Vec<String>>,
    profile: Option<String>,
    attr_reqs: Option<Vec<AttrReq>>,
}

#[derive(Serialize)]
struct EnrollResult<'a> {
    #[serde(rename = "Cert")]
    cert: String,
    #[serde(rename = "ServerInfo")]
    server_info: CaInfo<'a>,
}

/// Decode `Authorization: Basic b64(id:secret)` (Go's `Request.BasicAuth`).
fn basic_credentials(header: &str) -> Option<(String, String)> {
    let (scheme, encoded) = header.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = String::from_utf8(STANDARD.decode(encoded.trim()).ok()?).ok()?;
    let (id, secret) = decoded.split_once(':')?;
    Some((id.to_owned(), secret.to_owned()))
}

/// `BasicAuthentication` (`lib/serverrequestcontext.go`) + `User.Login`
/// (`lib/server/user/user.go`): the enroll id if the secret is right and it may enroll again.
/// Wrong passwords are counted (the change is returned so it can be saved).
fn basic_authentication(
    state: &mut FabricCaState,
    ca_name: &str,
    id: &str,
    secret: &str,
) -> Result<(), ApiError> {
    let ca = state
        .instance_mut(ca_name)
        .ok_or_else(|| ApiError::ca_not_found(ca_name))?;
    if ca.max_enrollments == 0 {
        return Err(ApiError::authentication(
            codes::ENROLL_DISABLED,
            "Enroll is disabled",
        ));
    }
    let (ca_max, allowed) = (ca.max_enrollments, ca.password_attempts);
    let identity = ca.identities.get_mut(id).ok_or_else(|| {
        ApiError::authentication(
            codes::INVALID_USER,
            "Failed to get user: Failed to get User: sql: no rows in result set",
        )
    })?;
    if allowed > 0 && identity.incorrect_password_attempts == allowed {
        // Not an authentication error: this message reaches the client.
        return Err(ApiError::http(
            401,
            codes::PASSWORD_ATTEMPTS,
            format!(
                "Incorrect password entered {allowed} times, max incorrect password limit of {allowed} reached"
            ),
        ));
    }
    let login_failure = |reason: String| {
        ApiError::authentication(codes::INVALID_PASS, format!("Login failure: {reason}"))
    };
    if identity.secret != secret {
        identity.incorrect_password_attempts =
            identity.incorrect_password_attempts.saturating_add(1);
        // The recorded server log: "Login failure: Password mismatch: crypto/bcrypt: …".
        return Err(login_failure(
            "Password mismatch: crypto/bcrypt: hashedPassword is not the hash of the given password"
                .to_owned(),
        ));
    }
    if identity.max_enrollments == 0 {
        return Err(login_failure(format!(
            "Zero is an invalid value for maximum enrollments on identity '{id}'"
        )));
    }
    if identity.revoked {
        return Err(login_failure(format!(
            "User {id} is revoked; access denied"
        )));
    }
    let mut max = identity.max_enrollments;
    if ca_max != -1 && (max > ca_max || max == -1) {
        max = ca_max;
    }
    if max != -1 && i128::from(identity.enrollments) >= i128::from(max) {
        return Err(login_failure(format!(
            "The identity {id} has already enrolled {max} times, it has reached its maximum enrollment allowance"
        )));
    }
    identity.incorrect_password_attempts = 0;
    Ok(())
}

/// `POST /enroll`: Basic auth, CSR → certificate (`lib/serverenroll.go` enrollHandler).
pub(crate) fn enroll(state: &mut FabricCaState, req: &CaRequest<'_>) -> Result<Reply, ApiError> {
    let header = req
        .authorization
        .filter(|h| !h.is_empty())
        .ok_or_else(|| ApiError::http(401, codes::NO_AUTH_HDR, "No authorization header"))?;
    let (id, secret) = basic_credentials(header).ok_or_else(|| {
        ApiError::authentication(codes::NO_USER_PASS, "No user/pass in authorization header")
    })?;
    let ca_name = target_ca_name(state, req)?;
    select_ca(state, &ca_name)?;
    let attempts = |s: &FabricCaState| {
        s.identity(&ca_name, &id)
            .map(|i| i.incorrect_password_attempts)
    };
    let before = attempts(state);
    if let Err(e) = basic_authentication(state, &ca_name, &id, &secret) {
        // A wrong password is counted even though the request fails.
        let persist = before != attempts(state);
        return Err(ApiError { persist, ..e });
    }
    let mut reply = handle_enroll(state, req, &ca_name, &id)?;
    // LoginComplete: count the enrollment.
    if let Some(identity) = state
        .instance_mut(&ca_name)
        .and_then(|ca| ca.identities.get_mut(&id))
    {
        identity.enrollments = identity.enrollments.saturating_add(1);
    }
    reply.changed = true;
    Ok(reply)
}

/// `POST /reenroll`: token authentication with the current certificate (expired ones are
/// accepted: fabric-operator sets `ca.reenrollignorecertexpiry`), then the same issuance; the
/// enrollment count is not touched (`reenrollHandler`).
pub(crate) fn reenroll(state: &mut FabricCaState, req: &CaRequest<'_>) -> Result<Reply, ApiError> {
    let ca_name = target_ca_name(state, req)?;
    let (caller, _) = authenticate_token_expiry(state, &ca_name, req, true)?;
    let mut reply = handle_enroll(state, req, &ca_name, &caller.enrollment_id)?;
    reply.changed = true;
    Ok(reply)
}

/// `handleEnroll` + `processSignRequest`: the signing request of identity `id` becomes a
/// certificate, recorded in the CA's certificates table.
fn handle_enroll(
    state: &mut FabricCaState,
    req: &CaRequest<'_>,
    ca_name: &str,
    id: &str,
) -> Result<Reply, ApiError> {
    require_body(req.body)?;
    let request: EnrollRequest = parse_json(req.body)?;
    let ca = select_ca(state, ca_name)?;
    let identity = ca
        .identities
        .get(id)
        .ok_or_else(|| ApiError::authentication(codes::GETTING_USER, "Failed to get user"))?;
    let csr_pem = request.certificate_request.unwrap_or_default();
    let csr = certs::parse_csr(&csr_pem).map_err(|e| match e {
        certs::CsrError::Pem => ApiError::http(400, codes::BAD_CSR, "CSR Decode failed"),
        other => ApiError::http(400, codes::BAD_CSR, other.to_string()),
    })?;
    if csr.common_name.as_deref() != Some(id) {
        return Err(ApiError::http(
            403,
            codes::CN_INVALID_ENROLL,
            "The CSR subject common name must equal the enrollment ID",
        ));
    }
    let profile_name = request.profile.unwrap_or_default();
    let signing = ca.signing();
    let profile = signing
        .profile(&profile_name)
        .ok_or_else(|| ApiError::unknown(format!("Invalid profile: '{profile_name}'")))?
        .clone();
    if (profile.is_ca || csr.requests_ca)
        && !authority::attribute_is_true(identity, names::INTERMEDIATE_CA)
    {
        return Err(ApiError::authorization(
            codes::INVOKER_MISS_ATTR,
            format!(
                "Enrolled failed: Attribute '{}' is not true",
                names::INTERMEDIATE_CA
            ),
        ));
    }
    if let Some(too_long) = csr_input_length_check(&csr) {
        return Err(ApiError::http(
            400,
            codes::INPUT_VALID_CSR,
            format!("CSR input validation failed: {too_long}"),
        ));
    }
    let attribute_extension = attribute_extension(identity, request.attr_reqs.as_deref())?;
    // cfssl: `hosts` in the request replaces the CSR's SANs; absent, the CSR's are kept.
    let hosts = request.hosts.unwrap_or(csr.subject_alt_names.clone());
    // setRequestOUs: the type, then each affiliation element.
    let organizational_units: Vec<String> = std::iter::once(identity.kind.clone())
        .chain(identity.affiliation.split('.').map(str::to_owned))
        .collect();
    let issuer_cert = ca.root_cert_pem.clone();
    let issuer_key = ca.root_key_pem.clone();

    let serial = state.next_serial();
    let cert_pem = certs::issue_leaf(
        &issuer_cert,
        &issuer_key,
        LeafSpec {
            common_name: id,
            csr_names: &csr.names,
            organizational_units: &organizational_units,
            subject_public_key_info_der: &csr.subject_public_key_info_der,
            hosts: &hosts,
            profile: &profile,
            attribute_extension,
            serial,
            now: time::OffsetDateTime::now_utc(),
        },
    )
    .map_err(|e| ApiError::unknown(format!("Certificate signing failure: {e}")))?;
    let record = certs::record_of(id, &cert_pem)
        .map_err(|e| ApiError::unknown(format!("Certificate signing failure: {e}")))?;
    let ca = state
        .instance_mut(ca_name)
        .ok_or_else(|| ApiError::ca_not_found(ca_name))?;
    ca.certificates.push(record);
    let ca = select_ca(state, ca_name)?;
    Ok(Reply::ok(
        201,
        &EnrollResult {
            cert: STANDARD.encode(cert_pem.as_bytes()),
            server_info: CaInfo::of(ca, ""),
        },
    ))
}

/// `csrInputLengthCheck` (RFC 3280 upper bounds): the first field that is too long.
fn csr_input_length_check(csr: &certs::ParsedCsr) -> Option<String> {
    let cn = csr.common_name.as_deref().unwrap_or_default();
    if cn.len() > 64 {
        return Some(format!(
            "The CN '{cn}' exceeds the maximum character limit of 64"
        ));
    }
    let checks: [(&[String], usize, &str); 4] = [
        (&csr.names.organization, 64, "organization name"),
        (&csr.names.country, 2, "country name"),
        (&csr.names.locality, 128, "locality name"),
        (&csr.names.province, 128, "state name"),
    ];
    for (values, max, what) in checks {
        if let Some(v) = values.iter().find(|v| v.len() > max) {
            return Some(format!(
                "The {what} '{v}' exceeds the maximum character limit of {max}"
            ));
        }
    }
    None
}

/// The attribute extension content (`GetAttrExtension` + `attrmgr` ProcessAttributeRequests):
/// without `attr_reqs` every `ecert` attribute (`None` when it has none, as the bootstrap
/// admin); with them (even `[]`) the named ones, a missing one an error unless `optional`.
/// JSON `{"attrs":{…}}`, keys sorted as Go marshals maps
/// (docs/dev/fabric-ca.md#attribute-extension).
fn attribute_extension(
    identity: &Identity,
    requests: Option<&[AttrReq]>,
) -> Result<Option<Vec<u8>>, ApiError> {
    let effective = identity.effective_attrs();
    let mut attrs = std::collections::BTreeMap::new();
    match requests {
        None => {
            for a in effective.iter().filter(|a| a.ecert) {
                attrs.insert(a.name.as_str(), a.value.as_str());
            }
            if attrs.is_empty() {
                return Ok(None);
            }
        }
        Some(requests) => {
            let mut missing = Vec::new();
            for r in requests {
                match effective.iter().find(|a| a.name == r.name) {
                    Some(a) => {
                        attrs.insert(r.name.as_str(), a.value.as_str());
                    }
                    None if r.optional => {}
                    None => missing.push(r.name.as_str()),
                }
            }
            if !missing.is_empty() {
                return Err(ApiError::unknown(format!(
                    "Failed to find requested attributes: The following required attributes are missing: [{}]",
                    missing.join(" ")
                )));
            }
        }
    }
    #[derive(Serialize)]
    struct Ext<'a> {
        attrs: std::collections::BTreeMap<&'a str, &'a str>,
    }
    serde_json::to_vec(&Ext { attrs })
        .map(Some)
        .map_err(|e| ApiError::unknown(format!("Failed to marshal attributes: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_credentials_split_at_first_colon() {
        let h = format!("Basic {}", STANDARD.encode("admin:pa:ss"));
        assert_eq!(
            basic_credentials(&h),
            Some(("admin".to_owned(), "pa:ss".to_owned()))
        );
        assert_eq!(basic_credentials("Bearer xyz"), None);
        assert_eq!(basic_credentials("Basic !!!"), None);
    }
}
