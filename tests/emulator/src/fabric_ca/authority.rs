//! What an authenticated caller may do, as fabric-ca v1.5.5's request context decides it
//! (`lib/serverrequestcontext.go` isRegistrar, CanActOnType, ContainsAffiliation,
//! CanManageUser, HasRole; docs/dev/fabric-ca.md#registrar-rules).

use super::attr_rules::{list_contains, names, parse_bool, str_contained};
use super::responses::{codes, ApiError};
use super::state::Identity;

/// `isRegistrar`: the types the caller may act on, `None` if `hf.Registrar.Roles` is empty.
/// A caller without the attribute at all is refused (403, local code 42).
pub(crate) fn registrar_roles(caller: &Identity) -> Result<Option<&str>, ApiError> {
    let roles = caller.attr(names::ROLES).ok_or_else(|| {
        ApiError::authorization(
            codes::REG_ATTR_AUTH,
            format!("'{}' is not a registrar", caller.id),
        )
    })?;
    Ok((!roles.is_empty()).then_some(roles))
}

/// `CanActOnType`: `hf.Registrar.Roles` is `*` or lists the type (case-insensitive, items
/// split on commas and not trimmed); an empty type means `client`.
pub(crate) fn can_act_on_type(caller: &Identity, kind: &str) -> Result<(), ApiError> {
    let roles = registrar_roles(caller)?.ok_or_else(|| {
        ApiError::authorization(
            codes::REG_ATTR_AUTH,
            format!("'{}' is not allowed to manage users", caller.id),
        )
    })?;
    if list_contains(roles, "*") {
        return Ok(());
    }
    let kind = if kind.is_empty() { "client" } else { kind };
    let types: Vec<&str> = roles.split(',').collect();
    if str_contained(kind, &types) {
        Ok(())
    } else {
        Err(ApiError::authorization(
            codes::CALLER_NOT_AFFILIATED,
            format!("Registrar does not have authority to act on type '{kind}'"),
        ))
    }
}

/// `containsAffiliation`: the caller's affiliation is root, equal, or a `.`-prefix.
pub(crate) fn contains_affiliation(caller: &Identity, affiliation: &str) -> bool {
    let own = caller.affiliation.as_str();
    own.is_empty() || affiliation == own || affiliation.starts_with(&format!("{own}."))
}

/// `ContainsAffiliation`: 403, local code 44.
pub(crate) fn require_affiliation(caller: &Identity, affiliation: &str) -> Result<(), ApiError> {
    if contains_affiliation(caller, affiliation) {
        Ok(())
    } else {
        Err(ApiError::authorization(
            codes::CALLER_NOT_AFFILIATED,
            format!("Caller does not have authority to act on affiliation '{affiliation}'"),
        ))
    }
}

/// `CanManageUser`: the user's affiliation and then its type.
pub(crate) fn can_manage_user(caller: &Identity, user: &Identity) -> Result<(), ApiError> {
    require_affiliation(caller, &user.affiliation)?;
    can_act_on_type(caller, &user.kind)
}

/// `CA.attributeIsTrue` as the revoke and gencrl handlers use it: the attribute exists and
/// parses as true.
pub(crate) fn attribute_is_true(caller: &Identity, name: &str) -> bool {
    caller.attr(name).and_then(parse_bool) == Some(true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fabric_ca::state::IdentityAttr;

    fn with(roles: Option<&str>, affiliation: &str) -> Identity {
        Identity {
            id: "r".into(),
            kind: "client".into(),
            affiliation: affiliation.into(),
            attrs: roles
                .map(|v| IdentityAttr {
                    name: names::ROLES.into(),
                    value: v.into(),
                    ecert: false,
                })
                .into_iter()
                .collect(),
            max_enrollments: -1,
            ..Identity::default()
        }
    }

    #[test]
    fn types_follow_hf_registrar_roles_exactly_as_go_splits_them() {
        assert!(can_act_on_type(&with(Some("*"), ""), "anything").is_ok());
        let r = with(Some("peer, client"), "");
        assert!(can_act_on_type(&r, "PEER").is_ok());
        // " client" keeps its space in fabric-ca's split, so it never matches.
        let err = can_act_on_type(&r, "client").unwrap_err();
        assert_eq!((err.status, err.code, err.local_code), (403, 71, 44));
        assert_eq!(
            can_act_on_type(&with(Some("client"), ""), "").map_err(|e| e.code),
            Ok(())
        );
        assert_eq!(
            can_act_on_type(&with(Some(""), ""), "peer")
                .unwrap_err()
                .local_code,
            42
        );
        assert_eq!(
            can_act_on_type(&with(None, ""), "peer")
                .unwrap_err()
                .local_code,
            42
        );
    }

    #[test]
    fn affiliation_prefix_rule() {
        let r = with(Some("*"), "org1");
        assert!(contains_affiliation(&r, "org1"));
        assert!(contains_affiliation(&r, "org1.department1"));
        assert!(!contains_affiliation(&r, "org10"));
        assert!(!contains_affiliation(&r, ""));
        assert!(contains_affiliation(&with(Some("*"), ""), "org2"));
    }
}
