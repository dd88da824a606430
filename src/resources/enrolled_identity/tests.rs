//! `blockchain_enrolled_identity` unit tests: the schema, the renewal rule with a fixed clock,
//! the plan it makes, the state an enrollment maps to, and the diagnostics of failures.

use super::*;
use crate::fabric::PrivateKey;
use crate::framework::{AttributePath, Model as _, Severity};
use base64::Engine as _;
use time::macros::datetime;

const FIXTURES: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/fabric/identities"
);

fn fixture(name: &str) -> String {
    std::fs::read_to_string(format!("{FIXTURES}/{name}")).unwrap()
}

/// The recorded org1admin certificate ends 2036-11-23T18:54:00Z (identity.rs tests).
const ADMIN_END: OffsetDateTime = datetime!(2036-11-23 18:54:00 UTC);

/// The state after enrolling the recorded org1admin at `ca`.
fn enrolled() -> EnrolledIdentityModel {
    EnrolledIdentityModel {
        api_url: "https://127.0.0.1:7054".into(),
        ca_name: "ca".into(),
        enroll_id: "org1admin".into(),
        reenroll_before: "720h".into(),
        certificate: Tf::Known(fixture("org1admin.cert.pem")),
        ca_chain: Tf::Known(vec![fixture("org1-ca-root.pem")]),
        private_key: Tf::Known(fixture("org1admin.key.pem")),
        expires_at: "2036-11-23T18:54:00Z".into(),
        ..Default::default()
    }
}

fn days(n: i64) -> time::Duration {
    time::Duration::days(n)
}

#[test]
fn the_schema_is_complete_and_keeps_secrets_out() {
    let schema = EnrolledIdentityResource.schema();
    schema.check();
    let block = &schema.block;
    let secret = block.get_attribute("enroll_secret").unwrap();
    assert!(secret.required && secret.sensitive && secret.write_only);
    for name in ["private_key", "export_json"] {
        let a = block.get_attribute(name).unwrap();
        assert!(a.sensitive && a.computed && !a.optional, "{name}");
    }
    for name in ["api_url", "ca_name", "enroll_id"] {
        let a = block.get_attribute(name).unwrap();
        assert!(
            a.has_modifier(crate::framework::PlanModifier::RequiresReplace),
            "{name}"
        );
    }
    let window = block.get_attribute("reenroll_before").unwrap();
    assert_eq!(window.default, Some(Value::string("720h")));
    assert!(block.get_block("attr_reqs").is_some());
    assert!(EnrolledIdentityResource
        .description()
        .contains("cannot be imported"));
}

#[test]
fn renewal_is_due_only_within_the_window() {
    let state = enrolled();
    // 720h is 30 days.
    assert_eq!(renewal_reason(&state, &state, ADMIN_END - days(31)), None);
    let due = renewal_reason(&state, &state, ADMIN_END - days(29)).unwrap();
    assert!(due.contains("2036-11-23T18:54:00Z"), "{due}");
    assert!(due.contains("720h"), "{due}");

    // `0s`: only once it has ended.
    let mut planned = state.clone();
    planned.reenroll_before = "0s".into();
    assert_eq!(
        renewal_reason(&state, &planned, ADMIN_END - time::Duration::minutes(1)),
        None
    );
    assert!(renewal_reason(&state, &planned, ADMIN_END).is_some());

    // A window longer than the certificate's whole life: due at once.
    planned.reenroll_before = "100000h".into();
    assert!(renewal_reason(&state, &planned, datetime!(2026-11-27 00:00 UTC)).is_some());
}

#[test]
fn a_certificate_that_no_longer_chains_or_is_asked_for_differently_is_renewed() {
    let state = enrolled();
    let now = ADMIN_END - days(365);
    // The CA's chain was refreshed to another root (a recreated CA).
    let mut other_ca = state.clone();
    other_ca.ca_chain = Tf::Known(vec![fixture("org1-tlsca-root.pem")]);
    let why = renewal_reason(&other_ca, &other_ca, now).unwrap();
    assert!(why.contains("no longer chains"), "{why}");

    // New hosts, profile or attributes.
    let mut planned = state.clone();
    planned.csr_hosts = Tf::Known(vec!["peer0.org1.example.com".into()]);
    assert!(renewal_reason(&state, &planned, now)
        .unwrap()
        .contains("csr_hosts"));
    let mut planned = state.clone();
    planned.attr_reqs = vec![AttrReqModel {
        name: "hf.Type".into(),
        optional: Tf::Null,
    }];
    assert!(renewal_reason(&state, &planned, now).is_some());
    let mut planned = state.clone();
    planned.profile = Tf::Unknown;
    assert!(renewal_reason(&state, &planned, now).is_some());

    // Unset and empty mean the same request; so do an unset and a false `optional`.
    let mut planned = state.clone();
    planned.csr_hosts = Tf::Known(vec![]);
    assert_eq!(renewal_reason(&state, &planned, now), None);
    let mut a = state.clone();
    a.attr_reqs = vec![AttrReqModel {
        name: "role".into(),
        optional: Tf::Null,
    }];
    let mut b = a.clone();
    b.attr_reqs[0].optional = Tf::Known(false);
    assert_eq!(renewal_reason(&a, &b, now), None);

    // A state without a readable certificate is renewed too.
    let mut broken = state.clone();
    broken.certificate = "not a certificate".into();
    assert!(renewal_reason(&broken, &broken, now)
        .unwrap()
        .contains("cannot be read"));
}

fn plan_with(
    prior: &EnrolledIdentityModel,
    planned: &mut EnrolledIdentityModel,
    replace: bool,
) -> Diagnostics {
    let config = planned.clone();
    let mut requires_replace = if replace {
        vec![AttributePath::attribute("enroll_id")]
    } else {
        Vec::new()
    };
    let mut private = Private::default();
    let mut diagnostics = Diagnostics::new();
    let ctx = ResourceContext::new(None, tokio_util::sync::CancellationToken::new());
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    rt.block_on(EnrolledIdentityResource.modify_plan(
        &ctx,
        ModelPlan {
            prior: Some(prior),
            config: &config,
            planned,
            requires_replace: &mut requires_replace,
            private: &mut private,
            diagnostics: &mut diagnostics,
        },
    ));
    diagnostics
}

#[test]
fn a_due_renewal_plans_the_certificate_values_unknown() {
    let prior = enrolled();
    let mut planned = prior.clone();
    // Far from the end with the default window: nothing to do.
    let diags = plan_with(&prior, &mut planned, false);
    assert!(diags.is_empty());
    assert_eq!(planned, prior);

    // A window longer than the certificate's life: due now.
    planned.reenroll_before = "200000h".into();
    let diags = plan_with(&prior, &mut planned, false);
    assert_eq!(diags.len(), 1);
    let d = diags.iter().next().unwrap();
    assert_eq!(d.severity, Severity::Warning);
    assert_eq!(d.attribute, Some(attr!(EnrolledIdentityModel, certificate)));
    for v in [
        &planned.certificate,
        &planned.private_key,
        &planned.expires_at,
        &planned.export_json,
    ] {
        assert!(v.is_unknown());
    }
    assert!(planned.ca_chain.is_unknown());
    assert_eq!(planned.enroll_id, prior.enroll_id, "inputs stay as planned");

    // A replacement enrolls anew; nothing to add.
    let mut planned = prior.clone();
    planned.reenroll_before = "200000h".into();
    let before = planned.clone();
    assert!(plan_with(&prior, &mut planned, true).is_empty());
    assert_eq!(planned, before);
}

fn enrollment() -> Enrollment {
    Enrollment {
        identity: SigningIdentity::from_pem(
            &fixture("org1admin.cert.pem"),
            &fixture("org1admin.key.pem"),
        )
        .unwrap(),
        ca_chain_pem: fixture("org1-ca-root.pem"),
        ca_name: "ca".into(),
        server_version: String::new(),
    }
}

#[test]
fn an_enrollment_maps_to_state() {
    let planned = EnrolledIdentityModel {
        api_url: "https://127.0.0.1:7054".into(),
        ca_name: "ca".into(),
        enroll_id: "org1admin".into(),
        enroll_secret: "org1adminpw".into(),
        msp_id: "Org1MSP".into(),
        reenroll_before: "720h".into(),
        certificate: Tf::Unknown,
        ca_chain: Tf::Unknown,
        private_key: Tf::Unknown,
        expires_at: Tf::Unknown,
        export_json: Tf::Unknown,
        timeouts: Tf::Unknown,
        ..Default::default()
    };
    let state = enrolled_state(&planned, &enrollment());
    assert!(state.enroll_secret.is_null(), "write-only: never in state");
    assert_eq!(
        state.certificate.as_str(),
        Some(fixture("org1admin.cert.pem").as_str())
    );
    assert_eq!(state.ca_chain, Tf::Known(vec![fixture("org1-ca-root.pem")]));
    assert_eq!(state.expires_at.as_str(), Some("2036-11-23T18:54:00Z"));
    assert!(state.timeouts.is_null());
    // The key in state is the enrolled one.
    let key = PrivateKey::from_pem(state.private_key.as_str().unwrap()).unwrap();
    assert_eq!(
        key.public_key_point(),
        enrollment().identity.key().public_key_point()
    );
    let export: serde_json::Value =
        serde_json::from_str(state.export_json.as_str().unwrap()).unwrap();
    assert_eq!(export["type"], "identity");
    assert_eq!(export["name"], "org1admin", "the enroll id by default");
    assert_eq!(export["msp_id"], "Org1MSP");
    let b64 = base64::engine::general_purpose::STANDARD;
    let cert = b64.decode(export["cert"].as_str().unwrap()).unwrap();
    assert_eq!(cert, fixture("org1admin.cert.pem").as_bytes());
    let key = b64.decode(export["private_key"].as_str().unwrap()).unwrap();
    assert_eq!(key, state.private_key.as_str().unwrap().as_bytes());
    // Nothing in the state but the certificate checks passes the renewal rule.
    assert_eq!(renewal_reason(&state, &state, ADMIN_END - days(400)), None);
}

#[test]
fn the_wallet_name_names_the_export() {
    let mut state = enrolled();
    state.wallet_name = "Org1 Admin".into();
    let export: serde_json::Value =
        serde_json::from_str(export_json(&state).as_str().unwrap()).unwrap();
    assert_eq!(export["name"], "Org1 Admin");
    assert!(export.get("msp_id").is_none());
    state.private_key = Tf::Unknown;
    assert!(export_json(&state).is_unknown());
}

fn refused(status: u16, code: i64, msg: &str) -> FabricCaError {
    FabricCaError::Refused {
        request: "POST /api/v1/enroll".into(),
        status,
        refusal: Refusal::classify(status, Some(code)),
        code: Some(code),
        msg: msg.into(),
    }
}

#[test]
fn a_refused_enroll_is_an_error_at_the_secret_without_it() {
    // The recorded answer to a wrong secret (error_enroll_wrong_secret): 401, code 20.
    let d = enroll_error(&refused(401, 20, "Authentication failure (code 20)"));
    assert!(d.is_error());
    assert_eq!(
        d.attribute,
        Some(attr!(EnrolledIdentityModel, enroll_secret))
    );
    assert!(d.detail.contains("Authentication failure"), "{}", d.detail);
    let d = enroll_error(&refused(404, 19, "CA 'nosuch' does not exist (code 19)"));
    assert_eq!(d.attribute, Some(attr!(EnrolledIdentityModel, ca_name)));
    let lost = FabricCaError::Uncertain {
        request: "POST /api/v1/enroll".into(),
        detail: "no answer in time".into(),
    };
    let d = enroll_error(&lost);
    assert!(
        d.detail.contains("the next apply enrolls again"),
        "{}",
        d.detail
    );
    let unreachable = FabricCaError::Transport {
        request: "POST /api/v1/enroll".into(),
        detail: "connection refused".into(),
    };
    assert_eq!(
        enroll_error(&unreachable).attribute,
        Some(attr!(EnrolledIdentityModel, api_url))
    );
}

#[test]
fn a_tls_profile_at_the_console_tls_ca_is_warned_about() {
    let mut config = enrolled();
    config.ca_name = "tlsca".into();
    config.profile = "tls".into();
    let mut diags = Diagnostics::new();
    EnrolledIdentityResource.validate_config(&config, &mut diags);
    assert_eq!(diags.len(), 1);
    assert!(!diags.has_errors());
    config.profile = Tf::Null;
    let mut diags = Diagnostics::new();
    EnrolledIdentityResource.validate_config(&config, &mut diags);
    assert!(diags.is_empty());
}

#[test]
fn destroy_only_warns_and_import_explains() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let ctx = ResourceContext::new(None, tokio_util::sync::CancellationToken::new());
    let private = Private::default();
    let state = enrolled();
    let diags = rt
        .block_on(EnrolledIdentityResource.delete(
            &ctx,
            DeleteRequest {
                prior: state,
                private: &private,
            },
        ))
        .unwrap_err();
    assert!(!diags.has_errors(), "warnings only: the framework deletes");
    let d = diags.iter().next().unwrap();
    assert!(d.detail.contains("stays valid"), "{}", d.detail);
    assert!(d.detail.contains("2036-11-23T18:54:00Z"), "{}", d.detail);
    let err = rt
        .block_on(EnrolledIdentityResource.import(&ctx, "x", &mut Private::default()))
        .unwrap_err();
    assert!(err.has_errors());
    // The model round-trips through the framework's values.
    let v = enrolled().to_value();
    assert_eq!(EnrolledIdentityModel::from_value(&v).unwrap(), enrolled());
}
