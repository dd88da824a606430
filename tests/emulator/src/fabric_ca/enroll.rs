//! `POST /enroll` (`lib/serverenroll.go`): Basic authentication, then a CSR becomes an
//! enrollment or TLS certificate signed by the selected CA (docs/dev/fabric-ca.md#enroll).

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use serde::{Deserialize, Serialize};

use super::certs::{self, LeafSpec};
use super::endpoint::{
    parse_json, require_body, select_ca, target_ca_name, CaInfo, CaRequest, Reply,
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

/// `POST /enroll`: Basic auth, CSR → certificate (`lib/serverenroll.go`).
pub(crate) fn enroll(state: &mut FabricCaState, req: &CaRequest<'_>) -> Result<Reply, ApiError> {
    // BasicAuthentication (`serverrequestcontext.go`).
    let header = req
        .authorization
        .filter(|h| !h.is_empty())
        .ok_or_else(|| ApiError::http(401, codes::NO_AUTH_HDR, "No authorization header"))?;
    let (id, secret) = basic_credentials(header).ok_or_else(|| {
        ApiError::authentication(codes::NO_USER_PASS, "No user/pass in authorization header")
    })?;
    let ca_name = target_ca_name(state, req)?;
    let ca = select_ca(state, &ca_name)?;
    let identity = ca.identities.get(&id).ok_or_else(|| {
        ApiError::authentication(
            codes::INVALID_USER,
            format!("Failed to get user: {id} not found"),
        )
    })?;
    if identity.secret != secret {
        // The recorded server log: "Login failure: Password mismatch: crypto/bcrypt: …".
        return Err(ApiError::authentication(
            codes::INVALID_PASS,
            "Login failure: Password mismatch",
        ));
    }
    if identity.max_enrollments != -1
        && i128::from(identity.enrollments) >= i128::from(identity.max_enrollments)
    {
        // `User.Login` (lib/server/user): wrapped by BasicAuthentication into a 401/20.
        return Err(ApiError::authentication(
            codes::INVALID_PASS,
            format!(
                "Login failure: The identity {id} has already enrolled {} times, it has reached its maximum enrollment allowance",
                identity.max_enrollments
            ),
        ));
    }

    // handleEnroll / processSignRequest.
    require_body(req.body)?;
    let request: EnrollRequest = parse_json(req.body)?;
    let csr_pem = request.certificate_request.unwrap_or_default();
    let csr = certs::parse_csr(&csr_pem).map_err(|e| match e {
        certs::CsrError::Pem => ApiError::http(400, codes::BAD_CSR, "CSR Decode failed"),
        other => ApiError::http(400, codes::BAD_CSR, other.to_string()),
    })?;
    if csr.common_name.as_deref() != Some(id.as_str()) {
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
    if (profile.is_ca || csr.requests_ca) && identity.attr("hf.IntermediateCA") != Some("true") {
        return Err(ApiError::authorization(
            codes::INVOKER_MISS_ATTR,
            "Enrolled failed: Attribute 'hf.IntermediateCA' is not true",
        ));
    }
    let attribute_extension = attribute_extension(identity, request.attr_reqs.as_deref())?;
    // cfssl: `hosts` in the request replaces the CSR's SANs; absent, the CSR's are kept.
    let hosts = request.hosts.unwrap_or(csr.subject_alt_names);
    let common_name = id.clone();
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
            common_name: &common_name,
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

    // LoginComplete: count the enrollment.
    let ca = state
        .instance_mut(&ca_name)
        .ok_or_else(|| ApiError::ca_not_found(&ca_name))?;
    if let Some(identity) = ca.identities.get_mut(&id) {
        identity.enrollments = identity.enrollments.saturating_add(1);
    }
    let ca = select_ca(state, &ca_name)?;
    let mut reply = Reply::ok(
        201,
        &EnrollResult {
            cert: STANDARD.encode(cert_pem.as_bytes()),
            server_info: CaInfo::of(ca, ""),
        },
    );
    reply.changed = true;
    Ok(reply)
}

/// The attribute extension content (`GetAttrExtension` + `attrmgr`): without `attr_reqs`
/// every `ecert` attribute; with them, the named ones. JSON `{"attrs":{…}}`, keys sorted as
/// Go marshals maps. `None` when there is nothing to add (as for the bootstrap admin).
fn attribute_extension(
    identity: &Identity,
    requests: Option<&[AttrReq]>,
) -> Result<Option<Vec<u8>>, ApiError> {
    let mut attrs = std::collections::BTreeMap::new();
    match requests {
        None => {
            for a in identity.attrs.iter().filter(|a| a.ecert) {
                attrs.insert(a.name.as_str(), a.value.as_str());
            }
        }
        Some(requests) => {
            let mut missing = Vec::new();
            for r in requests {
                match identity.attr(&r.name) {
                    Some(value) => {
                        attrs.insert(r.name.as_str(), value);
                    }
                    None if r.optional => {}
                    None => missing.push(r.name.as_str()),
                }
            }
            if !missing.is_empty() {
                return Err(ApiError::unknown(format!(
                    "The following required attributes are missing: [{}]",
                    missing.join(" ")
                )));
            }
        }
    }
    if attrs.is_empty() {
        return Ok(None);
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
