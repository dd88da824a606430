//! `POST /register` and `POST /identities` (`lib/serverregister.go`,
//! `lib/serveridentities.go` processPostRequest): registration by registrars
//! (docs/dev/fabric-ca.md#register).

use serde::{Deserialize, Serialize};

use super::attr_rules::{self, names};
use super::authority;
use super::endpoint::{
    authenticate_token, parse_json, require_body, select_ca, target_ca_name, CaRequest, Reply,
};
use super::responses::{codes, ApiError};
use super::state::{CaInstance, FabricCaState, Identity, IdentityAttr};

/// Length of generated secrets (`registerUserID`: `util.RandomString(12)`).
const GENERATED_SECRET_LEN: usize = 12;
/// Alphabet of generated secrets (`util/util.go` `letterBytes`).
const SECRET_ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";

/// A registration request attribute (`api.Attribute`).
#[derive(Deserialize)]
struct RequestAttr {
    name: String,
    value: Option<String>,
    ecert: Option<bool>,
}

/// `api.RegistrationRequestNet` / `api.AddIdentityRequest` (same JSON fields).
#[derive(Deserialize)]
struct RegisterRequest {
    id: Option<String>,
    #[serde(rename = "type")]
    kind: Option<String>,
    secret: Option<String>,
    max_enrollments: Option<i64>,
    affiliation: Option<String>,
    attrs: Option<Vec<RequestAttr>>,
}

/// Which route registered: `/register` answers `{secret}`, `/identities` echoes the identity.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum RegisterRoute {
    Register,
    Identities,
}

/// `api.IdentityResponse` (omitempty as in Go).
#[derive(Serialize)]
pub(crate) struct IdentityResponse<'a> {
    id: &'a str,
    #[serde(rename = "type", skip_serializing_if = "str::is_empty")]
    kind: &'a str,
    affiliation: &'a str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    attrs: Vec<IdentityAttr>,
    #[serde(skip_serializing_if = "is_zero")]
    max_enrollments: i64,
    #[serde(skip_serializing_if = "str::is_empty")]
    secret: &'a str,
    #[serde(skip_serializing_if = "str::is_empty")]
    caname: &'a str,
}

impl<'a> IdentityResponse<'a> {
    /// `getIDResp` (`serveridentities.go`).
    pub(crate) fn of(identity: &'a Identity, secret: &'a str, caname: &'a str) -> Self {
        IdentityResponse {
            id: &identity.id,
            kind: &identity.kind,
            affiliation: &identity.affiliation,
            attrs: identity.effective_attrs(),
            max_enrollments: identity.max_enrollments,
            secret,
            caname,
        }
    }
}

fn is_zero(n: &i64) -> bool {
    *n == 0
}

/// `POST /register` and `POST /identities` (`lib/serverregister.go`, `serveridentities.go`).
pub(crate) fn register(
    state: &mut FabricCaState,
    req: &CaRequest<'_>,
    route: RegisterRoute,
) -> Result<Reply, ApiError> {
    if route == RegisterRoute::Register {
        // `register`: ReadBody comes before TokenAuthentication.
        require_body(req.body)?;
    }
    let ca_name = target_ca_name(state, req)?;
    let (_, registrar) = authenticate_token(state, &ca_name, req)?;
    require_body(req.body)?;
    let request: RegisterRequest = parse_json(req.body)?;
    let id = request.id.unwrap_or_default();
    // fabric-ca checks this on `/identities` only; the emulator refuses an empty id on both.
    if id.is_empty() {
        return Err(ApiError::http(
            400,
            codes::ADD_IDENTITY,
            "Missing 'ID' in request to add a new identity",
        ));
    }
    let registrar = registrar.clone();
    let ca = select_ca(state, &ca_name)?;

    // normalizeRegistrationRequest.
    let affiliation = match request.affiliation.unwrap_or_default().as_str() {
        "" => registrar.affiliation.clone(),
        "." => String::new(),
        other => other.to_owned(),
    };
    let kind = request
        .kind
        .filter(|k| !k.is_empty())
        .unwrap_or_else(|| registrar.kind.clone());
    let requested_attrs: Vec<IdentityAttr> = request
        .attrs
        .unwrap_or_default()
        .into_iter()
        .map(|a| IdentityAttr {
            name: a.name,
            value: a.value.unwrap_or_default(),
            ecert: a.ecert.unwrap_or(false),
        })
        .collect();

    // canRegister: any failure reaches the client as 403 code 71 (ErrRegistrarRegAuth locally).
    can_register(&registrar, ca, &kind, &affiliation, &requested_attrs).map_err(|e| {
        ApiError::authorization(
            codes::REGISTRAR_REG_AUTH,
            format!("Registration of '{id}' failed: {}", e.local_message),
        )
    })?;

    // registerUserID.
    let max_enrollments = max_enrollments(request.max_enrollments.unwrap_or(0), ca.max_enrollments)
        .map_err(|e| e.context(format!("Registration of '{id}' failed")))?;
    let secret = request
        .secret
        .filter(|s| !s.is_empty())
        .unwrap_or_else(generate_secret);
    let mut attrs = requested_attrs;
    for (name, value) in [
        (names::ENROLLMENT_ID, id.as_str()),
        (names::TYPE, kind.as_str()),
        (names::AFFILIATION, affiliation.as_str()),
    ] {
        attrs.push(IdentityAttr {
            name: name.to_owned(),
            value: value.to_owned(),
            ecert: true,
        });
    }
    if ca.identities.contains_key(&id) {
        return Err(ApiError::http(
            409,
            codes::DUP_IDENTITY_REG,
            format!("Identity '{id}' is already registered"),
        ));
    }
    let registered = state.next_sequence();
    let identity = Identity {
        id: id.clone(),
        secret,
        kind,
        affiliation,
        attrs,
        max_enrollments,
        registered,
        ..Identity::default()
    };
    let mut reply = match route {
        RegisterRoute::Register => {
            #[derive(Serialize)]
            struct Secret<'a> {
                secret: &'a str,
            }
            Reply::ok(
                201,
                &Secret {
                    secret: &identity.secret,
                },
            )
        }
        RegisterRoute::Identities => Reply::ok(
            201,
            &IdentityResponse::of(&identity, &identity.secret, &ca_name),
        ),
    };
    let ca = state
        .instance_mut(&ca_name)
        .ok_or_else(|| ApiError::ca_not_found(&ca_name))?;
    ca.identities.insert(id.clone(), identity);
    reply.location = Some(format!("/api/v1/identities/{}", path_escape(&id)));
    reply.changed = true;
    Ok(reply)
}

/// `canRegister`: the type (`CanActOnType`), the affiliation (`validateAffiliation`: the
/// caller's must contain it, and it must exist unless it is the root), the attributes.
fn can_register(
    registrar: &Identity,
    ca: &CaInstance,
    kind: &str,
    affiliation: &str,
    attrs: &[IdentityAttr],
) -> Result<(), ApiError> {
    authority::can_act_on_type(registrar, kind)?;
    authority::require_affiliation(registrar, affiliation)?;
    if !affiliation.is_empty() && !ca.affiliations.contains(affiliation) {
        return Err(ApiError::http(
            404,
            codes::GETTING_AFFILIATION,
            format!(
                "Failed getting affiliation '{affiliation}': Failed to get Affiliation: sql: no rows in result set"
            ),
        ));
    }
    attr_rules::can_register_requested_attributes(attrs, None, registrar).map_err(|e| {
        ApiError::authorization(
            codes::REG_ATTR_AUTH,
            format!("Failed to register attribute: {e}"),
        )
    })
}

/// `getMaxEnrollments` (`lib/util.go`): the requested value against the CA's maximum.
pub(crate) fn max_enrollments(requested: i64, ca_max: i64) -> Result<i64, ApiError> {
    let invalid = |message: String| ApiError::http(400, codes::INVALID_MAX_ENROLL, message);
    if requested < -1 {
        return Err(invalid(format!(
            "Max enrollment in registration request may not be less than -1, but was {requested}"
        )));
    }
    match (ca_max, requested) {
        (-1, 0) => Ok(-1),
        (-1, n) => Ok(n),
        (0, _) => Err(invalid("Registration is disabled".to_owned())),
        (_, -1) => Err(invalid(
            "Registration for infinite enrollments is not allowed".to_owned(),
        )),
        (max, 0) => Ok(max),
        (max, n) if n > max => Err(invalid(format!(
            "Requested enrollments ({n}) exceeds maximum allowable enrollments ({max})"
        ))),
        (_, n) => Ok(n),
    }
}

/// `util.RandomString(12)`: 12 characters from `letterBytes`, the 52 ASCII letters.
fn generate_secret() -> String {
    (0..GENERATED_SECRET_LEN)
        .map(|_| {
            let i = rand::random_range(0..SECRET_ALPHABET.len());
            char::from(SECRET_ALPHABET[i])
        })
        .collect()
}

/// Go's `url.PathEscape`.
fn path_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~$&+:=@".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn max_enrollments_follow_fabric_rules() {
        assert_eq!(max_enrollments(0, -1).unwrap(), -1);
        assert_eq!(max_enrollments(-1, -1).unwrap(), -1);
        assert_eq!(max_enrollments(3, -1).unwrap(), 3);
        let err = max_enrollments(-2, -1).unwrap_err();
        assert_eq!((err.status, err.code), (400, 82));
        assert_eq!(max_enrollments(0, 5).unwrap(), 5);
        assert_eq!(max_enrollments(4, 5).unwrap(), 4);
        assert_eq!(
            max_enrollments(6, 5).unwrap_err().message,
            "Requested enrollments (6) exceeds maximum allowable enrollments (5)"
        );
        assert_eq!(
            max_enrollments(-1, 5).unwrap_err().message,
            "Registration for infinite enrollments is not allowed"
        );
        assert_eq!(
            max_enrollments(1, 0).unwrap_err().message,
            "Registration is disabled"
        );
    }

    #[test]
    fn generated_secrets_are_12_letters() {
        let s = generate_secret();
        assert_eq!(s.len(), 12);
        assert!(s.bytes().all(|b| b.is_ascii_alphabetic()));
        assert_ne!(s, generate_secret());
    }

    #[test]
    fn path_escape_matches_go() {
        assert_eq!(path_escape("org1admin"), "org1admin");
        assert_eq!(path_escape("a b/c?"), "a%20b%2Fc%3F");
    }
}
