//! `POST /register`, `POST /identities` and `GET /identities/{id}` (`lib/serverregister.go`,
//! `lib/serveridentities.go`): token-authenticated registry management by registrars
//! (docs/dev/fabric-ca.md#register).

use serde::{Deserialize, Serialize};

use super::endpoint::{
    authenticate_token, parse_json, require_body, select_ca, target_ca_name, CaRequest, Reply,
};
use super::responses::{codes, ApiError};
use super::state::{FabricCaState, Identity, IdentityAttr, CA_MAX_ENROLLMENTS};

/// Length of generated secrets (fabric-ca `util.RandomString(12)`).
const GENERATED_SECRET_LEN: usize = 12;
/// Alphabet of generated secrets (fabric-ca `util.letterBytes`).
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
struct IdentityResponse<'a> {
    id: &'a str,
    #[serde(rename = "type", skip_serializing_if = "str::is_empty")]
    kind: &'a str,
    affiliation: &'a str,
    #[serde(skip_serializing_if = "<[IdentityAttr]>::is_empty")]
    attrs: &'a [IdentityAttr],
    #[serde(skip_serializing_if = "is_zero")]
    max_enrollments: i64,
    #[serde(skip_serializing_if = "str::is_empty")]
    secret: &'a str,
    #[serde(skip_serializing_if = "str::is_empty")]
    caname: &'a str,
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
    if id.is_empty() {
        return Err(ApiError::http(
            400,
            codes::ADD_IDENTITY,
            "Missing 'ID' in request to add a new identity",
        ));
    }

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

    // canRegister: any failure is a generic 403 (v1.5.5 wraps it in ErrRegistrarRegAuth).
    can_register(registrar, &kind, &affiliation, &requested_attrs).map_err(|reason| {
        ApiError::authorization(
            codes::REGISTRAR_REG_AUTH,
            format!("Registration of '{id}' failed: {reason}"),
        )
    })?;

    // registerUserID.
    let requested_max = request.max_enrollments.unwrap_or(0);
    let max_enrollments = max_enrollments(requested_max)?;
    let secret = request
        .secret
        .filter(|s| !s.is_empty())
        .unwrap_or_else(generate_secret);
    let mut attrs = requested_attrs;
    for (name, value) in [
        ("hf.EnrollmentID", id.as_str()),
        ("hf.Type", kind.as_str()),
        ("hf.Affiliation", affiliation.as_str()),
    ] {
        attrs.push(IdentityAttr {
            name: name.to_owned(),
            value: value.to_owned(),
            ecert: true,
        });
    }
    let ca = state
        .instance_mut(&ca_name)
        .ok_or_else(|| ApiError::ca_not_found(&ca_name))?;
    if ca.identities.contains_key(&id) {
        return Err(ApiError::http(
            409,
            codes::DUP_IDENTITY_REG,
            format!("Identity '{id}' is already registered"),
        ));
    }
    let identity = Identity {
        id: id.clone(),
        secret,
        kind,
        affiliation,
        attrs,
        max_enrollments,
        enrollments: 0,
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
            &IdentityResponse {
                id: &identity.id,
                kind: &identity.kind,
                affiliation: &identity.affiliation,
                attrs: &identity.attrs,
                max_enrollments: identity.max_enrollments,
                secret: &identity.secret,
                caname: &ca_name,
            },
        ),
    };
    ca.identities.insert(id.clone(), identity);
    reply.location = Some(format!("/api/v1/identities/{}", path_escape(&id)));
    reply.changed = true;
    Ok(reply)
}

/// `GET /identities/{id}` (`serveridentities.go` getID): token auth, registrar only.
pub(crate) fn get_identity(
    state: &FabricCaState,
    req: &CaRequest<'_>,
    id: &str,
) -> Result<Reply, ApiError> {
    let ca_name = target_ca_name(state, req)?;
    let (_, caller) = authenticate_token(state, &ca_name, req)?;
    let ca = select_ca(state, &ca_name)?;
    let identity = ca.identities.get(id).ok_or_else(|| {
        ApiError::http(
            404,
            codes::DB_GET,
            "Failed to get User: sql: no rows in result set",
        )
    })?;
    if let Err(reason) = can_act_on_type(caller, &identity.kind) {
        return Err(ApiError::authorization(
            codes::AUTHORIZATION_FAILURE,
            reason,
        ));
    }
    /// `api.GetIDResponse`.
    #[derive(Serialize)]
    struct GetIdResponse<'a> {
        id: &'a str,
        #[serde(rename = "type")]
        kind: &'a str,
        affiliation: &'a str,
        attrs: &'a [IdentityAttr],
        max_enrollments: i64,
        caname: &'a str,
    }
    Ok(Reply::ok(
        200,
        &GetIdResponse {
            id: &identity.id,
            kind: &identity.kind,
            affiliation: &identity.affiliation,
            attrs: &identity.attrs,
            max_enrollments: identity.max_enrollments,
            caname: &ca_name,
        },
    ))
}

/// `isRegistrar` + `canActOnType`: `hf.Registrar.Roles` must list the type or `*`.
fn can_act_on_type(registrar: &Identity, kind: &str) -> Result<(), String> {
    let roles = registrar
        .attr("hf.Registrar.Roles")
        .filter(|r| !r.is_empty())
        .ok_or_else(|| format!("'{}' is not a registrar", registrar.id))?;
    if list_contains(roles, "*") || list_contains(roles, kind) {
        Ok(())
    } else {
        Err(format!(
            "Registrar does not have authority to act on type '{kind}'"
        ))
    }
}

/// `canRegister`: type, affiliation (the caller's must be a prefix) and attributes
/// (`hf.Registrar.Attributes` must allow each name; `*` and `prefix*` patterns).
fn can_register(
    registrar: &Identity,
    kind: &str,
    affiliation: &str,
    attrs: &[IdentityAttr],
) -> Result<(), String> {
    can_act_on_type(registrar, kind)?;
    let own = registrar.affiliation.as_str();
    if !own.is_empty() && affiliation != own && !affiliation.starts_with(&format!("{own}.")) {
        return Err(format!(
            "Caller does not have authority to act on affiliation '{affiliation}'"
        ));
    }
    if attrs.is_empty() {
        return Ok(());
    }
    let allowed = registrar
        .attr("hf.Registrar.Attributes")
        .unwrap_or_default();
    for a in attrs {
        let permitted = allowed.split(',').map(str::trim).any(|pattern| {
            pattern == a.name
                || pattern
                    .strip_suffix('*')
                    .is_some_and(|prefix| a.name.starts_with(prefix))
        });
        if !permitted {
            return Err(format!(
                "Failed to register attribute: Attribute '{}' is not permitted",
                a.name
            ));
        }
    }
    Ok(())
}

/// fabric-ca `util.ListContains`: comma-separated, whitespace-trimmed.
fn list_contains(list: &str, item: &str) -> bool {
    list.split(',').map(str::trim).any(|x| x == item)
}

/// `getMaxEnrollments` with the CA's registry maximum of -1.
fn max_enrollments(requested: i64) -> Result<i64, ApiError> {
    if requested < -1 {
        return Err(ApiError::http(
            400,
            codes::INVALID_MAX_ENROLL,
            format!(
                "Max enrollment in registration request may not be less than -1, but was {requested}"
            ),
        ));
    }
    Ok(if requested == 0 {
        CA_MAX_ENROLLMENTS
    } else {
        requested
    })
}

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
        assert_eq!(max_enrollments(0).unwrap(), -1);
        assert_eq!(max_enrollments(-1).unwrap(), -1);
        assert_eq!(max_enrollments(3).unwrap(), 3);
        let err = max_enrollments(-2).unwrap_err();
        assert_eq!((err.status, err.code), (400, 82));
    }

    #[test]
    fn generated_secrets_are_12_letters() {
        let s = generate_secret();
        assert_eq!(s.len(), 12);
        assert!(s.bytes().all(|b| b.is_ascii_alphabetic()));
    }

    #[test]
    fn path_escape_matches_go() {
        assert_eq!(path_escape("org1admin"), "org1admin");
        assert_eq!(path_escape("a b/c?"), "a%20b%2Fc%3F");
    }

    #[test]
    fn registrar_roles_limit_types() {
        let mut registrar = Identity {
            id: "r".into(),
            secret: "s".into(),
            kind: "client".into(),
            affiliation: String::new(),
            attrs: vec![IdentityAttr {
                name: "hf.Registrar.Roles".into(),
                value: "peer, client".into(),
                ecert: false,
            }],
            max_enrollments: -1,
            enrollments: 0,
        };
        assert!(can_register(&registrar, "peer", "", &[]).is_ok());
        assert!(can_register(&registrar, "admin", "", &[]).is_err());
        registrar.attrs.clear();
        assert!(can_act_on_type(&registrar, "peer")
            .unwrap_err()
            .contains("is not a registrar"));
    }
}
