//! The settings of a console CA's configuration override that the emulated CA models: one
//! section (`config_override.ca` or `.tlsca`) holds keys of `fabric-ca-server-config.yaml`
//! (fabric-ca v1.5.5 `lib/serverconfig.go` / `lib/caconfig.go`), names matched
//! case-insensitively as athena and the deployer's Go decoder match them.
//!
//! Modelled, because a caller can observe them through the CA's REST API:
//! - `registry.maxenrollments`: the CA's enrollment limit (`lib/serverenroll.go`).
//! - `registry.identities`: added when not yet registered (`lib/ca.go` `loadUsersTable` →
//!   `addIdentity(errIfFound=false)`, at every start).
//! - `cfg.identities.passwordattempts`: the wrong-password lockout (`lib/server/user/user.go`).
//! - `affiliations`: added to the affiliation table, never removed (`lib/ca.go`
//!   `loadAffiliationsTableR`, at every start).
//!
//! Not modelled: `cfg.identities.allowremove`, which fabric-operator's `setDefaults`
//! (`pkg/initializer/ca/ca.go`) turns on for every CA after merging the override, so an
//! override cannot turn it off; `db` (the emulated CA keeps its own store and connects to no
//! database; only the console's deployer reads `db.type`, for its replica rule); and the rest
//! (CSR, signing, TLS, BCCSP, ...), which the emulated CA does not vary.

use serde_json::{Map, Value};

use super::state::{bootstrap_identity, BootstrapIdentity, FabricCaState};

/// What one override section sets among the modelled settings.
#[derive(Debug, Default, Clone)]
pub struct CaSettings {
    /// `registry.maxenrollments`.
    pub max_enrollments: Option<i64>,
    /// `registry.identities`.
    pub identities: Vec<BootstrapIdentity>,
    /// `cfg.identities.passwordattempts`.
    pub password_attempts: Option<u32>,
    /// `affiliations`, as full dotted names, parents first.
    pub affiliations: Vec<String>,
}

fn get_ci<'a>(v: &'a Value, key: &str) -> Option<&'a Value> {
    let obj = v.as_object()?;
    obj.get(key).or_else(|| {
        obj.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v)
    })
}

fn text(v: &Value, key: &str) -> Option<String> {
    get_ci(v, key).and_then(Value::as_str).map(str::to_owned)
}

impl CaSettings {
    /// The modelled settings of one override section (`None`: the CA has no section).
    pub fn from_override(section: Option<&Value>) -> CaSettings {
        let Some(section) = section else {
            return CaSettings::default();
        };
        let registry = get_ci(section, "registry");
        let identities = registry
            .and_then(|r| get_ci(r, "identities"))
            .and_then(Value::as_array)
            .map(|ids| {
                ids.iter()
                    .map(|i| BootstrapIdentity {
                        name: text(i, "name").unwrap_or_default(),
                        pass: text(i, "pass").unwrap_or_default(),
                        kind: text(i, "type").unwrap_or_else(|| "client".to_string()),
                    })
                    .collect()
            })
            .unwrap_or_default();
        let password_attempts = get_ci(section, "cfg")
            .and_then(|c| get_ci(c, "identities"))
            .and_then(|i| get_ci(i, "passwordattempts"))
            .and_then(Value::as_u64)
            .and_then(|n| u32::try_from(n).ok());
        let mut affiliations = Vec::new();
        if let Some(tree) = get_ci(section, "affiliations") {
            affiliation_paths(tree, "", &mut affiliations);
        }
        CaSettings {
            max_enrollments: registry
                .and_then(|r| get_ci(r, "maxenrollments"))
                .and_then(Value::as_i64),
            identities,
            password_attempts,
            affiliations,
        }
    }
}

/// fabric-ca `affiliationPath`: `parent.name`, or `name` at the root.
fn affiliation_path(name: &str, parent: &str) -> String {
    if parent.is_empty() {
        name.to_owned()
    } else {
        format!("{parent}.{name}")
    }
}

/// fabric-ca `loadAffiliationsTableR`: a string is a leaf under `parent`, a list holds leaves or
/// subtrees under `parent`, a map names children whose values are their own subtrees.
fn affiliation_paths(tree: &Value, parent: &str, out: &mut Vec<String>) {
    match tree {
        Value::String(name) => out.push(affiliation_path(name, parent)),
        Value::Array(items) => items.iter().for_each(|i| affiliation_paths(i, parent, out)),
        Value::Object(children) => children_paths(children, parent, out),
        _ => {}
    }
}

fn children_paths(children: &Map<String, Value>, parent: &str, out: &mut Vec<String>) {
    for (name, subtree) in children {
        let path = affiliation_path(name, parent);
        out.push(path.clone());
        affiliation_paths(subtree, &path, out);
    }
}

impl FabricCaState {
    /// Applies `settings` to the named CA, as the CA's restart with the merged configuration
    /// does: what `settings` leaves unset keeps its value. Returns false if there is no such CA.
    pub fn apply_settings(&mut self, ca_name: &str, settings: &CaSettings) -> bool {
        let Some(ca) = self.instance(ca_name) else {
            return false;
        };
        let mut new = Vec::new();
        for b in settings
            .identities
            .iter()
            .filter(|b| !ca.identities.contains_key(&b.name))
        {
            match bootstrap_identity(b) {
                Ok(identity) => new.push(identity),
                // fabric-ca's start fails on such an identity; the emulated CA keeps running.
                Err(e) => tracing::warn!(ca = ca_name, error = %e, "bootstrap identity skipped"),
            }
        }
        for identity in &mut new {
            identity.registered = self.next_sequence();
        }
        for affiliation in &settings.affiliations {
            self.add_affiliation(ca_name, affiliation);
        }
        let Some(ca) = self.instance_mut(ca_name) else {
            return false;
        };
        if let Some(max) = settings.max_enrollments {
            ca.max_enrollments = max;
        }
        if let Some(attempts) = settings.password_attempts {
            ca.password_attempts = attempts;
        }
        for identity in new {
            ca.identities.entry(identity.id.clone()).or_insert(identity);
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::state::tests::admin;
    use super::*;

    #[test]
    fn a_section_is_read_case_insensitively() {
        let section = json!({
            "Registry": {"MaxEnrollments": 5, "identities": [{"NAME": "user1", "pass": "pw"}]},
            "CFG": {"Identities": {"PasswordAttempts": 3, "allowremove": false}},
            "affiliations": {"org1": ["department1", "department2"], "org2": {"east": ["a"]}, "org3": []}
        });
        let s = CaSettings::from_override(Some(&section));
        assert_eq!(s.max_enrollments, Some(5));
        assert_eq!(s.password_attempts, Some(3));
        assert_eq!(s.identities.len(), 1);
        assert_eq!(
            (s.identities[0].name.as_str(), s.identities[0].kind.as_str()),
            ("user1", "client")
        );
        assert_eq!(
            s.affiliations,
            [
                "org1",
                "org1.department1",
                "org1.department2",
                "org2",
                "org2.east",
                "org2.east.a",
                "org3"
            ]
        );
        let none = CaSettings::from_override(None);
        assert!(none.max_enrollments.is_none() && none.affiliations.is_empty());
    }

    #[test]
    fn settings_apply_to_one_ca_and_keep_what_they_leave_out() {
        let mut state = FabricCaState::generate(&[admin()], &[admin()]).unwrap();
        let section = json!({"registry": {"maxenrollments": 4, "identities": [{"name": "admin", "pass": "other", "type": "client"}, {"name": "user1", "pass": "pw1", "type": "peer"}]},
            "cfg": {"identities": {"passwordattempts": 2}}, "affiliations": {"org1": ["department1"]}});
        assert!(state.apply_settings("ca", &CaSettings::from_override(Some(&section))));
        let ca = state.instance("ca").unwrap();
        assert_eq!((ca.max_enrollments, ca.password_attempts), (4, 2));
        assert!(ca.allow_remove, "the operator keeps identity removal on");
        assert!(ca.affiliations.contains("org1.department1"));
        // An identity already registered keeps its secret; a new one is added.
        assert_eq!(state.identity("ca", "admin").unwrap().secret, "adminpw");
        assert_eq!(state.identity("ca", "user1").unwrap().kind, "peer");
        // The other CA is untouched.
        let tlsca = state.instance("tlsca").unwrap();
        assert_eq!((tlsca.max_enrollments, tlsca.password_attempts), (-1, 10));
        assert!(state.identity("tlsca", "user1").is_none());
        // A later override without them keeps the values the CA has.
        let later = json!({"affiliations": {"org2": []}});
        assert!(state.apply_settings("ca", &CaSettings::from_override(Some(&later))));
        let ca = state.instance("ca").unwrap();
        assert_eq!((ca.max_enrollments, ca.password_attempts), (4, 2));
        assert!(ca.affiliations.contains("org1.department1") && ca.affiliations.contains("org2"));
        assert!(!state.apply_settings("nope", &CaSettings::default()));
    }
}
