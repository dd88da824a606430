//! Which attributes a registrar may give (fabric-ca v1.5.5 `lib/attr/attribute.go`
//! `CanRegisterRequestedAttributes`; docs/dev/fabric-ca.md#registrar-attributes). Errors are the
//! local messages; the client only ever sees 403 code 71.

use super::state::{Identity, IdentityAttr};

/// Reserved attribute names (`lib/attr/attribute.go`).
pub(crate) mod names {
    pub const ROLES: &str = "hf.Registrar.Roles";
    pub const DELEGATE_ROLES: &str = "hf.Registrar.DelegateRoles";
    pub const REVOKER: &str = "hf.Revoker";
    pub const INTERMEDIATE_CA: &str = "hf.IntermediateCA";
    pub const GEN_CRL: &str = "hf.GenCRL";
    pub const REGISTRAR_ATTR: &str = "hf.Registrar.Attributes";
    pub const AFFILIATION_MGR: &str = "hf.AffiliationMgr";
    pub const ENROLLMENT_ID: &str = "hf.EnrollmentID";
    pub const TYPE: &str = "hf.Type";
    pub const AFFILIATION: &str = "hf.Affiliation";
}

use names::*;

enum Kind {
    Boolean,
    List,
    Fixed,
    Custom,
}

fn kind_of(name: &str) -> Result<Kind, String> {
    Ok(match name {
        REVOKER | INTERMEDIATE_CA | GEN_CRL | AFFILIATION_MGR => Kind::Boolean,
        ROLES | DELEGATE_ROLES | REGISTRAR_ATTR => Kind::List,
        ENROLLMENT_ID | TYPE | AFFILIATION => Kind::Fixed,
        other if other.starts_with("hf.") => {
            return Err(format!(
                "Registering attribute '{other}' using a reserved prefix 'hf.', however this not a supported reserved attribute"
            ))
        }
        _ => Kind::Custom,
    })
}

/// `util.GetSliceFromList`: spaces removed, split on commas.
fn slice_from_list(list: &str) -> Vec<String> {
    list.replace(' ', "")
        .split(',')
        .map(str::to_owned)
        .collect()
}

/// Go `strconv.ParseBool`.
pub(crate) fn parse_bool(value: &str) -> Option<bool> {
    match value {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Some(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Some(false),
        _ => None,
    }
}

/// `util.ListContains`: comma-separated, a leading space trimmed from each item.
pub(crate) fn list_contains(list: &str, item: &str) -> bool {
    list.split(',')
        .any(|x| x.strip_prefix(' ').unwrap_or(x) == item)
}

/// `strContained`: case-insensitive membership, items *not* trimmed.
pub(crate) fn str_contained(needle: &str, haystack: &[&str]) -> bool {
    haystack
        .iter()
        .any(|s| s.to_lowercase() == needle.to_lowercase())
}

fn attr_value<'a>(attrs: &'a [IdentityAttr], name: &str) -> Option<&'a str> {
    attrs
        .iter()
        .find(|a| a.name == name)
        .map(|a| a.value.as_str())
}

/// `CanRegisterRequestedAttributes(reqAttrs, user, registrar)`; `user` is the identity being
/// modified (`None` when registering).
pub(crate) fn can_register_requested_attributes(
    requested: &[IdentityAttr],
    user: Option<&Identity>,
    registrar: &Identity,
) -> Result<(), String> {
    for attr in requested {
        can_register_attribute(attr, requested, user, registrar)?;
    }
    Ok(())
}

fn can_register_attribute(
    requested: &IdentityAttr,
    all: &[IdentityAttr],
    user: Option<&Identity>,
    registrar: &Identity,
) -> Result<(), String> {
    let allowed = registrar.attr(REGISTRAR_ATTR).ok_or_else(|| {
        format!(
            "Failed to get attribute '{REGISTRAR_ATTR}': User does not have attribute '{REGISTRAR_ATTR}'"
        )
    })?;
    if allowed.is_empty() {
        return Err(format!(
            "Registrar does not have any values for '{REGISTRAR_ATTR}' thus can't register any attributes"
        ));
    }
    let allowed = slice_from_list(allowed);
    can_register_attr(&requested.name, &allowed)?;
    let kind = kind_of(&requested.name)?;
    authorized(&kind, requested, all, user, registrar)
        .map_err(|e| format!("Registrar is not authorized to register attribute: {e}"))
}

fn authorized(
    kind: &Kind,
    requested: &IdentityAttr,
    all: &[IdentityAttr],
    user: Option<&Identity>,
    registrar: &Identity,
) -> Result<(), String> {
    let owned = || {
        registrar.attr(&requested.name).map(str::to_owned).ok_or_else(|| {
            format!(
                "Attribute '{0}' requires ownership but the caller does not own this attribute: User does not have attribute '{0}'",
                requested.name
            )
        })
    };
    match kind {
        Kind::Custom => Ok(()),
        Kind::Fixed => Err(format!(
            "Cannot register fixed value attribute '{}'",
            requested.name
        )),
        Kind::Boolean => {
            let callers = owned()?;
            match parse_bool(&callers) {
                None => Err(format!("Failed to get boolean value of '{callers}'")),
                Some(true) if requested.value.is_empty() => Ok(()),
                Some(true) => parse_bool(&requested.value).map(|_| ()).ok_or_else(|| {
                    format!("Failed to get boolean value of '{}'", requested.value)
                }),
                Some(false) => Err(format!(
                    "Caller has a value of 'false' for boolean attribute '{}', can't perform any actions on this attribute",
                    requested.name
                )),
            }
        }
        Kind::List => {
            let callers = owned()?;
            if requested.value.is_empty() {
                return Ok(());
            }
            if requested.name == REGISTRAR_ATTR {
                return check_registrar_attr_values(
                    requested,
                    all,
                    user,
                    &slice_from_list(&callers),
                );
            }
            let wildcard = (requested.name == ROLES || requested.name == DELEGATE_ROLES)
                && list_contains(&callers, "*");
            if !wildcard {
                is_subset_of(&requested.value, &callers).map_err(|e| {
                    format!(
                        "The requested values for attribute '{}' is a superset of the caller's attribute value: {e}",
                        requested.name
                    )
                })?;
            }
            if requested.name == DELEGATE_ROLES {
                check_delegate_roles(all, user)?;
            }
            Ok(())
        }
    }
}

/// `canRegisterAttr`: exact names, or `prefix*` wildcards.
fn can_register_attr(name: &str, allowed: &[String]) -> Result<(), String> {
    let ok = allowed
        .iter()
        .any(|pattern| match pattern.strip_suffix('*') {
            Some(_) => name.starts_with(pattern.trim_end_matches('*')),
            None => name == pattern,
        });
    if ok {
        Ok(())
    } else {
        Err(format!(
            "Attribute is not part of caller's '[{}]' attribute list",
            allowed.join(" ")
        ))
    }
}

fn is_subset_of(small: &str, big: &str) -> Result<(), String> {
    let big_set: Vec<&str> = big.split(',').collect();
    for s in small.split(',').filter(|s| !s.is_empty()) {
        if !str_contained(s, &big_set) {
            return Err(format!("'{s}' is not a member of '{big}'"));
        }
    }
    Ok(())
}

/// `checkHfRegistrarAttrValues`: every value must itself be registrable by the caller, and
/// an `hf.` value must be held by the identity (in this request or already).
fn check_registrar_attr_values(
    requested: &IdentityAttr,
    all: &[IdentityAttr],
    user: Option<&Identity>,
    callers: &[String],
) -> Result<(), String> {
    for value in slice_from_list(&requested.value) {
        can_register_attr(&value, callers)?;
        if value.starts_with("hf.") && !all.iter().any(|a| a.name == value) {
            match user {
                None => return Err(format!(
                    "Requesting value of '{value}' for 'hf.Registrar.Attributes', but the identity being registered is not being registered with this attribute"
                )),
                Some(u) if u.attr(&value).is_none() => return Err(format!(
                    "Requesting value of '{value}' for 'hf.Registrar.Attributes', but the identity does not possess this attribute nor is it being registered with this attribute"
                )),
                Some(_) => {}
            }
        }
    }
    Ok(())
}

/// `checkDelegateRoleValues`: delegate roles must be a subset of the (new or current) roles.
fn check_delegate_roles(all: &[IdentityAttr], user: Option<&Identity>) -> Result<(), String> {
    let mut roles = attr_value(all, ROLES).unwrap_or_default().to_owned();
    if roles.is_empty() {
        if let Some(current) = user.and_then(|u| u.attr(ROLES)) {
            roles = current.to_owned();
        }
    }
    if list_contains(&roles, "*") {
        return Ok(());
    }
    let delegate = attr_value(all, DELEGATE_ROLES).unwrap_or_default();
    is_subset_of(delegate, &roles)
        .map_err(|_| "The delegateRoles field is a superset of roles".to_owned())
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

    fn registrar(attrs: &[(&str, &str)]) -> Identity {
        Identity {
            id: "reg".into(),
            secret: "pw".into(),
            kind: "client".into(),
            affiliation: String::new(),
            attrs: attrs.iter().map(|(n, v)| attr(n, v)).collect(),
            max_enrollments: -1,
            enrollments: 0,
            ..Identity::default()
        }
    }

    #[test]
    fn custom_attributes_follow_the_registrar_patterns() {
        let r = registrar(&[(REGISTRAR_ATTR, "app.*, role")]);
        assert!(can_register_requested_attributes(&[attr("app.level", "1")], None, &r).is_ok());
        assert!(can_register_requested_attributes(&[attr("role", "x")], None, &r).is_ok());
        let err = can_register_requested_attributes(&[attr("other", "x")], None, &r).unwrap_err();
        assert_eq!(
            err,
            "Attribute is not part of caller's '[app.* role]' attribute list"
        );
        let none = registrar(&[]);
        assert!(
            can_register_requested_attributes(&[attr("a", "b")], None, &none)
                .unwrap_err()
                .starts_with("Failed to get attribute 'hf.Registrar.Attributes'")
        );
        assert!(can_register_requested_attributes(&[], None, &none).is_ok());
    }

    #[test]
    fn reserved_attributes_need_ownership_and_subsets() {
        let r = registrar(&[
            (REGISTRAR_ATTR, "*"),
            (ROLES, "peer,client"),
            (REVOKER, "false"),
            (GEN_CRL, "true"),
        ]);
        let ok = |attrs: &[IdentityAttr]| can_register_requested_attributes(attrs, None, &r);
        assert!(ok(&[attr(ROLES, "peer")]).is_ok());
        assert!(ok(&[attr(ROLES, "admin")])
            .unwrap_err()
            .contains("superset"));
        assert!(ok(&[attr(REVOKER, "true")])
            .unwrap_err()
            .contains("'false'"));
        assert!(ok(&[attr(GEN_CRL, "yes")])
            .unwrap_err()
            .contains("boolean value of 'yes'"));
        assert!(ok(&[attr(INTERMEDIATE_CA, "true")])
            .unwrap_err()
            .contains("requires ownership"));
        assert!(ok(&[attr(TYPE, "peer")])
            .unwrap_err()
            .contains("fixed value"));
        assert!(ok(&[attr("hf.Unknown", "1")])
            .unwrap_err()
            .contains("reserved prefix"));
        // Delegate roles: the registrar must own the attribute, and they must fit the roles.
        assert!(ok(&[attr(DELEGATE_ROLES, "peer")])
            .unwrap_err()
            .contains("requires ownership"));
        let star = registrar(&[(REGISTRAR_ATTR, "*"), (ROLES, "*"), (DELEGATE_ROLES, "*")]);
        let delegate = [attr(ROLES, "peer"), attr(DELEGATE_ROLES, "peer,client")];
        assert_eq!(
            can_register_requested_attributes(&delegate, None, &star).unwrap_err(),
            "Registrar is not authorized to register attribute: The delegateRoles field is a superset of roles"
        );
        // hf.Registrar.Attributes naming an hf. attribute the new identity does not get.
        let value = [attr(REGISTRAR_ATTR, "hf.Revoker")];
        assert!(can_register_requested_attributes(&value, None, &star)
            .unwrap_err()
            .contains("not being registered with this attribute"));
    }

    #[test]
    fn go_list_helpers() {
        assert!(list_contains("peer, *", "*"));
        assert!(!list_contains("peer,  *", "*"));
        assert!(str_contained("PEER", &["peer"]));
        assert!(!str_contained("client", &["peer", " client"]));
        assert_eq!(parse_bool("T"), Some(true));
        assert_eq!(parse_bool("yes"), None);
    }
}
