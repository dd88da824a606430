//! `GET /identities`, `GET|PUT|DELETE /identities/{id}` (fabric-ca v1.5.5
//! `lib/serveridentities.go`): registry management by registrars, with the caller's authority
//! checked as fabric-ca does (docs/dev/fabric-ca.md#identities-api).

use serde::{Deserialize, Serialize};

use super::attr_rules::{self, names};
use super::authority;
use super::endpoint::{
    authenticate_token, parse_json, require_body, select_ca, target_ca_name, CaRequest, Reply,
};
use super::query::query_param;
use super::register::IdentityResponse;
use super::responses::{codes, go_json, ApiError};
use super::state::{CaInstance, FabricCaState, Identity, IdentityAttr};

/// RFC 5280 `cessationOfOperation`: the reason fabric-ca revokes a removed identity's
/// certificates with (`lib/dbaccessor.go` DeleteUser).
const CESSATION_OF_OPERATION: u8 = 5;

/// `api.IdentityInfo` / `api.GetIDResponse` (no omitempty).
#[derive(Serialize)]
struct IdentityInfo<'a> {
    id: &'a str,
    #[serde(rename = "type")]
    kind: &'a str,
    affiliation: &'a str,
    attrs: Vec<IdentityAttr>,
    max_enrollments: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    caname: Option<&'a str>,
}

/// `GetUser` of the registry: 404 code 63 when absent (`lib/server/db/util` GetError).
fn lookup<'c>(ca: &'c CaInstance, id: &str) -> Result<&'c Identity, ApiError> {
    ca.identities.get(id).ok_or_else(|| {
        ApiError::http(
            404,
            codes::DB_GET,
            "Failed to get User: sql: no rows in result set",
        )
    })
}

/// `GET /identities`: every identity whose affiliation and type the caller may see, written
/// as fabric-ca streams it: `{"identities":[…], "caname":"<ca>"}` directly into `result`
/// (no Go encoder, so no newline after it), the stored attribute list as registered.
pub(crate) fn list(state: &FabricCaState, req: &CaRequest<'_>) -> Result<Reply, ApiError> {
    let ca_name = target_ca_name(state, req)?;
    let (_, caller) = authenticate_token(state, &ca_name, req)?;
    let types = authority::registrar_roles(caller)?
        .ok_or_else(|| ApiError::authorization(codes::GETTING_USER, "Caller is not a registrar"))?;
    let ca = select_ca(state, &ca_name)?;
    // GetFilteredUsers: root sees every affiliation; `*` every type, else `type IN (…)`.
    let wanted: Vec<&str> = types.split(',').map(str::trim).collect();
    let all_types = attr_rules::list_contains(types, "*");
    let mut rows: Vec<&Identity> = ca
        .identities
        .values()
        .filter(|u| authority::contains_affiliation(caller, &u.affiliation))
        .filter(|u| all_types || wanted.contains(&u.kind.as_str()))
        .collect();
    rows.sort_by_key(|u| u.registered);
    let items: Vec<String> = rows
        .iter()
        .map(|u| {
            go_json(&IdentityInfo {
                id: &u.id,
                kind: &u.kind,
                affiliation: &u.affiliation,
                attrs: u.attrs.clone(),
                max_enrollments: u.max_enrollments,
                caname: None,
            })
        })
        .collect();
    let result = format!(
        "{{\"identities\":[{}], \"caname\":\"{ca_name}\"}}",
        items.join(",")
    );
    let mut body = b"{\"result\":".to_vec();
    body.extend_from_slice(result.as_bytes());
    body.extend_from_slice(b",\"errors\":[],\"messages\":[],\"success\":true}");
    Ok(Reply {
        status: 200,
        body,
        location: None,
        changed: false,
    })
}

/// `GET /identities/{id}` (`getID`): registry lookup, then `CanManageUser`.
pub(crate) fn get(state: &FabricCaState, req: &CaRequest<'_>, id: &str) -> Result<Reply, ApiError> {
    let ca_name = target_ca_name(state, req)?;
    let (_, caller) = authenticate_token(state, &ca_name, req)?;
    let ca = select_ca(state, &ca_name)?;
    let user = lookup(ca, id)?;
    authority::can_manage_user(caller, user)?;
    Ok(Reply::ok(
        200,
        &IdentityInfo {
            id: &user.id,
            kind: &user.kind,
            affiliation: &user.affiliation,
            attrs: user.effective_attrs(),
            max_enrollments: user.max_enrollments,
            caname: Some(&ca_name),
        },
    ))
}

/// `api.ModifyIdentityRequest`.
#[derive(Deserialize, Default)]
struct ModifyRequest {
    #[serde(rename = "type", default)]
    kind: String,
    #[serde(default)]
    affiliation: String,
    #[serde(default)]
    attrs: Option<Vec<ModifyAttr>>,
    #[serde(default)]
    max_enrollments: i64,
    #[serde(default)]
    secret: String,
}

#[derive(Deserialize)]
struct ModifyAttr {
    name: String,
    #[serde(default)]
    value: String,
    #[serde(default)]
    ecert: bool,
}

/// `GetNewAttributes` (`lib/server/user/user.go`): update in place, an empty value deletes,
/// a new name is appended.
fn merge_attributes(mut current: Vec<IdentityAttr>, changes: &[IdentityAttr]) -> Vec<IdentityAttr> {
    for change in changes {
        match current.iter().position(|a| a.name == change.name) {
            Some(i) if change.value.is_empty() => {
                current.remove(i);
            }
            Some(i) => {
                current[i].value = change.value.clone();
                current[i].ecert = change.ecert;
            }
            None if !change.value.is_empty() => current.push(change.clone()),
            None => {}
        }
    }
    current
}

/// `PUT /identities/{id}` (`processPutRequest` + `getModifyReq` + `CanModifyUser`).
pub(crate) fn modify(
    state: &mut FabricCaState,
    req: &CaRequest<'_>,
    id: &str,
) -> Result<Reply, ApiError> {
    let ca_name = target_ca_name(state, req)?;
    let (_, caller) = authenticate_token(state, &ca_name, req)?;
    let caller = caller.clone();
    let ca = select_ca(state, &ca_name)?;
    let user = lookup(ca, id)?;
    authority::can_manage_user(&caller, user)?;
    require_body(req.body)?;
    let request: ModifyRequest = parse_json(req.body)?;
    let requested: Vec<IdentityAttr> = request
        .attrs
        .unwrap_or_default()
        .into_iter()
        .map(|a| IdentityAttr {
            name: a.name,
            value: a.value,
            ecert: a.ecert,
        })
        .collect();

    // getModifyReq.
    let mut updated = user.clone();
    if !request.secret.is_empty() {
        updated.secret = request.secret.clone();
        updated.incorrect_password_attempts = 0;
    }
    match request.max_enrollments {
        -2 => updated.max_enrollments = 0,
        0 => {}
        n => updated.max_enrollments = n,
    }
    let mut changes = requested.clone();
    let fixed = |name: &str, value: &str| IdentityAttr {
        name: name.to_owned(),
        value: value.to_owned(),
        ecert: true,
    };
    match request.affiliation.as_str() {
        "" => {}
        "." => {
            updated.affiliation = String::new();
            changes.push(fixed(names::AFFILIATION, ""));
        }
        other => {
            updated.affiliation = other.to_owned();
            changes.push(fixed(names::AFFILIATION, other));
        }
    }
    if !request.kind.is_empty() {
        updated.kind = request.kind.clone();
        changes.push(fixed(names::TYPE, &request.kind));
    }
    if !changes.is_empty() {
        updated.attrs = merge_attributes(updated.attrs, &changes);
    }

    let affiliation = request.affiliation.as_str();
    if !affiliation.is_empty() && affiliation != "." && !ca.affiliations.contains(affiliation) {
        return Err(ApiError::http(
            400,
            codes::MODIFYING_IDENTITY,
            format!("Affiliation '{affiliation}' is not supported"),
        ));
    }
    // CanModifyUser: the literal requested affiliation, the requested type, the attributes.
    if !affiliation.is_empty() {
        authority::require_affiliation(&caller, affiliation)?;
    }
    if !request.kind.is_empty() {
        authority::can_act_on_type(&caller, &request.kind)?;
    }
    if !requested.is_empty() {
        attr_rules::can_register_requested_attributes(&requested, Some(user), &caller).map_err(
            |e| {
                ApiError::authorization(
                    codes::REG_ATTR_AUTH,
                    format!("Failed to register attributes: {e}"),
                )
            },
        )?;
    }

    let mut reply = Reply::ok(
        200,
        &IdentityResponse::of(&updated, &request.secret, &ca_name),
    );
    reply.changed = true;
    let ca = state
        .instance_mut(&ca_name)
        .ok_or_else(|| ApiError::ca_not_found(&ca_name))?;
    ca.identities.insert(id.to_owned(), updated);
    Ok(reply)
}

/// `DELETE /identities/{id}` (`processDeleteRequest`): refused unless
/// `cfg.identities.allowremove`; removing oneself needs `?force=true`; the identity's
/// certificates are revoked (reason cessationOfOperation).
pub(crate) fn remove(
    state: &mut FabricCaState,
    req: &CaRequest<'_>,
    id: &str,
) -> Result<Reply, ApiError> {
    let ca_name = target_ca_name(state, req)?;
    let (_, caller) = authenticate_token(state, &ca_name, req)?;
    let caller = caller.clone();
    let ca = select_ca(state, &ca_name)?;
    if !ca.allow_remove {
        return Err(ApiError::http(
            403,
            codes::REMOVE_IDENTITY,
            "Identity removal is disabled",
        ));
    }
    // GetBoolQueryParm (its error code is ErrUpdateConfigRemoveAff, as in fabric-ca).
    let force = match query_param(req.query, "force").as_deref() {
        None | Some("") => false,
        Some(v) => attr_rules::parse_bool(&v.to_lowercase()).ok_or_else(|| {
            ApiError::http(
                400,
                codes::UPDATE_CONFIG_REMOVE_AFF,
                format!(
                    "Failed to correctly parse value of 'force' query parameter: strconv.ParseBool: parsing \"{v}\": invalid syntax"
                ),
            )
        })?,
    };
    if id == caller.id && !force {
        return Err(ApiError::http(
            403,
            codes::REMOVE_IDENTITY,
            "Need to use 'force' option to delete your own identity",
        ));
    }
    let user = lookup(ca, id)?;
    authority::can_manage_user(&caller, user)?;
    let reply = Reply::ok(200, &IdentityResponse::of(user, "", &ca_name));
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let ca = state
        .instance_mut(&ca_name)
        .ok_or_else(|| ApiError::ca_not_found(&ca_name))?;
    ca.identities.remove(id);
    for cert in ca.certificates.iter_mut().filter(|c| c.id == id) {
        if cert.revoked_at.is_none() {
            cert.revoked_at = Some(now);
            cert.reason = CESSATION_OF_OPERATION;
        }
    }
    Ok(Reply {
        changed: true,
        ..reply
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attr(name: &str, value: &str) -> IdentityAttr {
        IdentityAttr {
            name: name.into(),
            value: value.into(),
            ecert: false,
        }
    }

    #[test]
    fn attribute_changes_update_delete_and_append() {
        let current = vec![attr("a", "1"), attr("b", "2")];
        let merged = merge_attributes(
            current,
            &[attr("a", "9"), attr("b", ""), attr("c", "3"), attr("d", "")],
        );
        assert_eq!(merged, [attr("a", "9"), attr("c", "3")]);
    }
}
