//! `blockchain_ca_identity` unit tests: the schema, plan-time rules, the modify a plan needs
//! (fabric-ca's merge rules), the state mapping, import ids and where errors are reported.

use super::*;
use crate::framework::{Model, PlanModifier, Resource as _, Severity, TypedAdapter, Value};

use crate::fabric::fixtures::read as fixture;

/// The recorded bootstrap admin (tests/fixtures/fabric/identities/).
fn admin() -> Tf<SigningIdentityModel> {
    Tf::Known(SigningIdentityModel {
        certificate: fixture("identities/bootstrap-admin.cert.pem").into(),
        private_key: fixture("identities/bootstrap-admin.key.pem").into(),
    })
}

fn attr_model(name: &str, value: &str, ecert: bool) -> IdentityAttributeModel {
    IdentityAttributeModel {
        name: name.into(),
        value: value.into(),
        ecert,
    }
}

fn attrs(list: &[(&str, &str, bool)]) -> Tf<BTreeSet<IdentityAttributeModel>> {
    Tf::Known(list.iter().map(|(n, v, e)| attr_model(n, v, *e)).collect())
}

fn ca_attr(name: &str, value: &str, ecert: bool) -> Attribute {
    Attribute {
        name: name.into(),
        value: value.into(),
        ecert,
    }
}

/// What a user writes.
fn config() -> CaIdentityModel {
    CaIdentityModel {
        api_url: "https://127.0.0.1:7054".into(),
        ca_name: "ca".into(),
        registrar: admin(),
        enroll_id: "org1peer0".into(),
        r#type: "peer".into(),
        attributes: attrs(&[("role", "endorser", true)]),
        ..CaIdentityModel::default()
    }
}

/// `GET /identities/org1peer0` as fabric-ca answers it: the CA's own attributes included, in
/// no particular order (docs/dev/fabric-ca.md#identities-api).
fn live() -> IdentityInfo {
    IdentityInfo {
        id: "org1peer0".into(),
        identity_type: "peer".into(),
        affiliation: String::new(),
        attrs: vec![
            ca_attr("hf.Type", "peer", true),
            ca_attr("role", "endorser", true),
            ca_attr("hf.EnrollmentID", "org1peer0", true),
            ca_attr("hf.Affiliation", "", true),
        ],
        max_enrollments: -1,
        caname: "ca".into(),
    }
}

/// The state after a create from `config()` at the CA `live()` shows.
fn applied() -> CaIdentityModel {
    CaIdentityModel {
        id: "https://127.0.0.1:7054|ca|org1peer0".into(),
        enroll_secret: "generatedpw".into(),
        ..live_state(&config(), &live())
    }
}

fn schema() -> crate::framework::Schema {
    CaIdentityResource.schema()
}

// ---- schema ----

#[test]
fn schema_passes_the_framework_checks_and_round_trips() {
    schema().check();
    TypedAdapter(CaIdentityResource).schema().check();
    let m = applied();
    let v = m.to_value();
    crate::framework::encode_msgpack(&v, &schema().implied_type()).expect("conforms");
    assert_eq!(CaIdentityModel::from_value(&v).unwrap(), m);
}

#[test]
fn secrets_are_sensitive_and_only_identity_changes_replace() {
    let s = schema();
    let a = |n: &str| s.block.get_attribute(n).unwrap_or_else(|| panic!("{n}"));
    assert!(a("enroll_secret").sensitive && a("enroll_secret").computed);
    let registrar = s.block.get_block("registrar").unwrap();
    assert_eq!(registrar.min_items, 1, "the registrar block is required");
    assert!(
        registrar
            .block
            .get_attribute("private_key")
            .unwrap()
            .sensitive
    );
    assert!(
        !registrar
            .block
            .get_attribute("certificate")
            .unwrap()
            .sensitive
    );
    for name in ["enroll_id", "api_url", "ca_name"] {
        assert!(
            a(name).has_modifier(PlanModifier::RequiresReplace),
            "{name}"
        );
    }
    for name in [
        "type",
        "affiliation",
        "max_enrollments",
        "attributes",
        "enroll_secret",
        "tls_cert",
    ] {
        assert!(
            !a(name).has_modifier(PlanModifier::RequiresReplace),
            "{name}"
        );
    }
    assert!(s.block.attributes.iter().all(|a| !a.description.is_empty()));
}

#[test]
fn registered_among_the_providers_resources() {
    let names: Vec<&str> = crate::resources::all()
        .iter()
        .map(|r| r.type_name())
        .collect();
    assert!(names.contains(&"blockchain_ca_identity"), "{names:?}");
}

// ---- plan-time rules ----

fn validate(m: &CaIdentityModel) -> Diagnostics {
    let mut d = Diagnostics::new();
    CaIdentityResource.validate_config(m, &mut d);
    d
}

fn first_error_path(d: &Diagnostics) -> Option<AttributePath> {
    d.iter()
        .find(|d| d.severity == Severity::Error)?
        .attribute
        .clone()
}

#[test]
fn a_good_configuration_passes() {
    assert!(validate(&config()).is_empty(), "{}", validate(&config()));
}

#[test]
fn bad_attributes_are_refused_at_the_attribute() {
    for (list, says) in [
        (vec![("hf.EnrollmentID", "x", true)], "set by the CA"),
        (vec![("role", "", false)], "empty value"),
        (
            vec![("role", "a", false), ("role", "b", true)],
            "more than once",
        ),
        (vec![(" ", "a", false)], "name is empty"),
    ] {
        let m = CaIdentityModel {
            attributes: attrs(&list),
            ..config()
        };
        let d = validate(&m);
        assert_eq!(
            first_error_path(&d),
            Some(attr!(CaIdentityModel, attributes))
        );
        assert!(d.to_string().contains(says), "{d}");
    }
}

#[test]
fn max_enrollments_zero_is_refused_and_minus_one_is_not() {
    let zero = CaIdentityModel {
        max_enrollments: Tf::Known(0),
        ..config()
    };
    assert_eq!(
        first_error_path(&validate(&zero)),
        Some(attr!(CaIdentityModel, max_enrollments))
    );
    let unlimited = CaIdentityModel {
        max_enrollments: Tf::Known(-1),
        ..config()
    };
    assert!(validate(&unlimited).is_empty());
    // Below -1 is the schema validator's (fabric-ca: 400 code 82).
    let a = schema();
    let attr = a.block.get_attribute("max_enrollments").unwrap();
    let mut d = Diagnostics::new();
    for v in &attr.validators {
        v.validate(
            &attr!(CaIdentityModel, max_enrollments),
            &Value::int(-2),
            &mut d,
        );
    }
    assert!(d.has_errors());
}

#[test]
fn a_registrar_whose_key_is_not_its_certificates_is_refused_at_registrar() {
    let mismatched = Tf::Known(SigningIdentityModel {
        certificate: fixture("identities/bootstrap-admin.cert.pem").into(),
        private_key: fixture("identities/org1admin.key.pem").into(),
    });
    let m = CaIdentityModel {
        registrar: mismatched,
        ..config()
    };
    let d = validate(&m);
    assert_eq!(
        first_error_path(&d),
        Some(attr!(CaIdentityModel, registrar))
    );
    assert!(!d.to_string().contains("PRIVATE KEY"), "{d}");
}

#[test]
fn a_create_or_replacement_needs_a_known_registrar() {
    let unknown_key = CaIdentityModel {
        registrar: Tf::Known(SigningIdentityModel {
            private_key: Tf::Unknown,
            ..admin().into_known().unwrap()
        }),
        ..config()
    };
    for (m, replacing, fails) in [
        (config(), true, false),
        (unknown_key.clone(), false, false),
        (unknown_key, true, true),
    ] {
        let mut d = Diagnostics::new();
        CaIdentityResource.validate_create(
            &CreatePlan {
                config: &m,
                planned: &m,
                replacing,
            },
            &mut d,
        );
        assert_eq!(d.has_errors(), fails, "{d}");
    }
}

// ---- registration and modify bodies ----

#[test]
fn the_registration_asks_for_exactly_the_plan() {
    let planned = CaIdentityModel {
        max_enrollments: Tf::Unknown,
        affiliation: Tf::Unknown,
        enroll_secret: Tf::Unknown,
        ..config()
    };
    let r = register_request(&planned, "org1peer0");
    assert_eq!(r.identity_type, "peer");
    assert_eq!(r.secret, None, "the CA generates it");
    assert_eq!(r.max_enrollments, None, "the CA's default");
    assert_eq!(r.affiliation, "", "the registrar's");
    assert_eq!(r.attrs, vec![ca_attr("role", "endorser", true)]);
}

#[test]
fn nothing_is_sent_when_the_ca_already_matches() {
    let state = applied();
    assert_eq!(modify_request(&state, &state, &live()), None);
}

#[test]
fn a_removed_attribute_is_sent_with_an_empty_value() {
    // Behind Terraform's back: `role` changed, `team` added.
    let mut drifted = live();
    drifted.attrs = vec![
        ca_attr("hf.EnrollmentID", "org1peer0", true),
        ca_attr("team", "blue", false),
        ca_attr("role", "auditor", true),
        ca_attr("hf.Type", "peer", true),
    ];
    let state = applied();
    let change = modify_request(&state, &state, &drifted).expect("a change");
    assert_eq!(
        change.attrs,
        vec![
            ca_attr("role", "endorser", true),
            ca_attr("team", "", false)
        ]
    );
    // Only what differs: type, affiliation, maximum and secret are kept.
    assert_eq!(change.identity_type, "");
    assert_eq!(change.affiliation, "");
    assert_eq!(change.max_enrollments, 0);
    assert_eq!(change.secret, None);
}

#[test]
fn type_affiliation_maximum_and_secret_changes_are_sent() {
    let prior = applied();
    let planned = CaIdentityModel {
        r#type: "client".into(),
        affiliation: ".".into(),
        max_enrollments: Tf::Known(5),
        enroll_secret: "newpw".into(),
        ..prior.clone()
    };
    let mut at_dept = live();
    at_dept.affiliation = "org1.department1".into();
    let change = modify_request(&prior, &planned, &at_dept).expect("a change");
    assert_eq!(change.identity_type, "client");
    assert_eq!(change.affiliation, ".", "the root is sent as `.`");
    assert_eq!(change.max_enrollments, 5);
    assert_eq!(change.secret.as_ref().map(Secret::expose), Some("newpw"));
    assert!(change.attrs.is_empty());
    // `.` and the CA's `` are one affiliation: not a change.
    let root = CaIdentityModel {
        affiliation: ".".into(),
        ..prior.clone()
    };
    assert_eq!(modify_request(&prior, &root, &live()), None);
}

#[test]
fn no_attributes_configured_removes_the_cas_and_unknown_ones_wait() {
    let state = CaIdentityModel {
        attributes: Tf::Null,
        ..applied()
    };
    let change = modify_request(&state, &state, &live()).expect("a change");
    assert_eq!(change.attrs, vec![ca_attr("role", "", false)]);
    let pending = CaIdentityModel {
        attributes: Tf::Unknown,
        ..applied()
    };
    assert_eq!(modify_request(&pending, &pending, &live()), None);
}

// ---- state mapping ----

#[test]
fn the_cas_own_attributes_and_their_order_are_not_drift() {
    let state = applied();
    let mut shuffled = live();
    shuffled.attrs.reverse();
    assert_eq!(live_state(&state, &shuffled), state);
    assert_eq!(state.attributes, attrs(&[("role", "endorser", true)]));
    // No attributes configured and none at the CA: stays null.
    let bare = CaIdentityModel {
        attributes: Tf::Null,
        ..config()
    };
    let mut none = live();
    none.attrs.retain(|a| a.name.starts_with("hf."));
    assert_eq!(live_state(&bare, &none).attributes, Tf::Null);
}

#[test]
fn drift_at_the_ca_shows_in_the_read_state() {
    let mut drifted = live();
    drifted.identity_type = "client".into();
    drifted.max_enrollments = 3;
    drifted.attrs.push(ca_attr("team", "blue", false));
    let read = live_state(&applied(), &drifted);
    assert_eq!(read.r#type.as_str(), Some("client"));
    assert_eq!(read.max_enrollments, Tf::Known(3));
    assert_eq!(
        read.attributes,
        attrs(&[("role", "endorser", true), ("team", "blue", false)])
    );
    // What the CA does not report stays as held.
    assert_eq!(read.enroll_secret.as_str(), Some("generatedpw"));
    assert_eq!(read.registrar, admin());
}

// ---- import ----

#[tokio::test]
async fn import_ids_are_api_url_ca_name_and_enroll_id() {
    let ctx = ResourceContext::new(None, CancellationToken::new());
    let mut private = Private::default();
    let m = CaIdentityResource
        .import(&ctx, "https://127.0.0.1:7054|ca|org1peer0", &mut private)
        .await
        .unwrap();
    assert_eq!(m.api_url.as_str(), Some("https://127.0.0.1:7054"));
    assert_eq!(m.ca_name.as_str(), Some("ca"));
    assert_eq!(m.enroll_id.as_str(), Some("org1peer0"));
    assert_eq!(m.id, applied().id, "the id a create gives");
    assert!(m.registrar.is_null() && m.enroll_secret.is_null());
    for bad in ["org1peer0", "https://x|ca", "https://x||p", "a|b|c|d"] {
        let e = CaIdentityResource.import(&ctx, bad, &mut private).await;
        assert!(e
            .unwrap_err()
            .to_string()
            .contains("<ca api_url>|<ca_name>|<enroll id>"));
    }
}

/// Runs the framework's plan engine as the server does (modify_plan aside).
fn plan_update(
    prior: &CaIdentityModel,
    config: &CaIdentityModel,
) -> (CaIdentityModel, Vec<AttributePath>) {
    let schema = schema();
    let (prior_v, config_v) = (prior.to_value(), config.to_value());
    let mut proposed = prior_v.clone();
    if let Some(m) = config_v.as_map() {
        for (k, v) in m {
            let computed = schema.block.get_attribute(k).is_some_and(|a| a.computed);
            if !v.is_null() || !computed {
                proposed.set(k, v.clone());
            }
        }
    }
    let change = crate::framework::plan_resource_change(&schema, &prior_v, &proposed, &config_v);
    (
        CaIdentityModel::from_value(&change.planned).unwrap(),
        change.requires_replace,
    )
}

#[tokio::test]
async fn after_an_import_the_plan_updates_in_place_and_keeps_the_cas_secret() {
    let ctx = ResourceContext::new(None, CancellationToken::new());
    let imported = CaIdentityResource
        .import(
            &ctx,
            "https://127.0.0.1:7054|ca|org1peer0",
            &mut Private::default(),
        )
        .await
        .unwrap();
    // The read keeps it as is: without a registrar nothing can sign the request.
    let read = CaIdentityResource
        .read(
            &ctx,
            ReadRequest {
                state: imported.clone(),
                private: &mut Private::default(),
            },
        )
        .await
        .unwrap();
    assert_eq!(read, Some(imported.clone()));
    let (mut planned, replace) = plan_update(&imported, &config());
    assert!(
        replace.is_empty(),
        "no replacement after an import: {replace:?}"
    );
    let mut diagnostics = Diagnostics::new();
    CaIdentityResource
        .modify_plan(
            &ctx,
            ModelPlan {
                prior: Some(&imported),
                config: &config(),
                planned: &mut planned,
                requires_replace: &mut Vec::new(),
                private: &mut Private::default(),
                diagnostics: &mut diagnostics,
            },
        )
        .await;
    assert_eq!(
        planned.enroll_secret,
        Tf::Null,
        "null: the CA keeps its secret"
    );
    assert_eq!(planned.registrar, admin());
}

#[test]
fn a_plan_keeps_the_generated_secret() {
    let state = applied();
    let (planned, replace) = plan_update(&state, &config());
    assert!(replace.is_empty());
    assert_eq!(planned, state);
}

// ---- errors at the right attribute ----

fn refused(status: u16, code: i64, msg: &str) -> FabricCaError {
    FabricCaError::Refused {
        request: "POST /api/v1/register".into(),
        status,
        refusal: Refusal::classify(status, Some(code)),
        code: Some(code),
        msg: format!("{msg} (code {code})"),
    }
}

#[test]
fn refusals_name_the_attribute_they_are_about() {
    let m = applied();
    for (e, path, says) in [
        (
            refused(403, 71, "Authorization failure"),
            attr!(CaIdentityModel, registrar),
            "hf.Registrar.Roles",
        ),
        (
            refused(401, 20, "Authentication failure"),
            attr!(CaIdentityModel, registrar),
            "issued by this CA",
        ),
        (
            refused(409, 74, "Identity 'org1peer0' is already registered"),
            attr!(CaIdentityModel, enroll_id),
            "terraform import <address> 'https://127.0.0.1:7054|ca|org1peer0'",
        ),
        (
            refused(400, 82, "Max enrollment"),
            attr!(CaIdentityModel, max_enrollments),
            "limit",
        ),
        (
            refused(400, 58, "Affiliation 'x' is not supported"),
            attr!(CaIdentityModel, affiliation),
            "root",
        ),
        (
            refused(404, 19, "CA 'cb' does not exist"),
            attr!(CaIdentityModel, ca_name),
            "no CA named",
        ),
    ] {
        let d = failure(&m, "admin", "register", &e);
        let first = d.iter().next().unwrap();
        assert_eq!(first.attribute, Some(path), "{e}");
        assert!(d.to_string().contains(says), "{d}");
        assert!(!d.to_string().contains("generatedpw"));
    }
}
