//! `blockchain_ca_import` unit tests: the export's mapping (current and legacy exports), the
//! plan (in place or a new record), plan-time checks, the bodies sent, the state read back,
//! and how a refused admin check reads.

use super::*;
use crate::framework::Model;
use crate::resources::pem::canonical_pem;
use crate::resources::test_util::config_errors;
use serde_json::json;

/// Public certificates of the fixture recordings (tests/emulator/fixtures/console/certs).
const ORG1_CA: &str = include_str!("../../../tests/emulator/fixtures/console/certs/org1-ca.pem");
const ORG1_TLSCA: &str =
    include_str!("../../../tests/emulator/fixtures/console/certs/org1-tlsca.pem");
const ORG1_CA_TLS: &str =
    include_str!("../../../tests/emulator/fixtures/console/certs/org1-ca-tls.pem");
const V1: &str = include_str!("../../../tests/emulator/fixtures/console/certs/v1.pem");

/// The recorded exchanges of the real console (athena), as the emulator replays them.
const EXCHANGES: &str = include_str!("../../../tests/emulator/fixtures/console/exchanges.jsonl");

/// The JSON body at `part` (`request` or `response`) of the recorded exchange `name`.
fn recorded_body(name: &str, part: &str) -> Json {
    let exchange = EXCHANGES
        .lines()
        .map(|l| serde_json::from_str::<Json>(l).unwrap())
        .find(|e| e["name"] == name)
        .unwrap_or_else(|| panic!("no recorded exchange {name}"));
    serde_json::from_str(exchange[part]["body"].as_str().unwrap()).unwrap()
}

/// A `blockchain_ca`'s `export_json` (the console exporter's fields) of the recorded CA.
fn export() -> String {
    let doc = json!({
        "id": "org1ca", "display_name": "Org1 CA", "type": "fabric-ca", "location": "ibm_saas",
        "api_url": "https://127.0.0.1:27054", "operations_url": "https://127.0.0.1:29443",
        "scheme_version": "v1",
        "msp": {
            "ca": {"name": "ca", "root_certs": [console_b64(ORG1_CA)]},
            "tlsca": {"name": "tlsca", "root_certs": [console_b64(ORG1_TLSCA)]},
            "component": {"tls_cert": console_b64(ORG1_CA_TLS)}
        },
        "migrated_from": "ibm_saas", "cluster_type": "", "tags": ["fabric-ca"]
    });
    export_node_json(&doc, DEFAULT_PLATFORM)
}

fn planned() -> CaImportModel {
    CaImportModel {
        display_name: "Org1 CA".into(),
        api_url: "https://127.0.0.1:27054".into(),
        operations_url: "https://127.0.0.1:29443".into(),
        ca_name: "ca".into(),
        tlsca_name: "tlsca".into(),
        ca_root_certs: Tf::Known(vec![ORG1_CA.to_owned()]),
        tlsca_root_certs: Tf::Known(vec![ORG1_TLSCA.to_owned()]),
        tls_cert: ORG1_CA_TLS.into(),
        location: "-".into(),
        ..Default::default()
    }
}

fn errors(m: &CaImportModel) -> Vec<(String, String)> {
    config_errors(&CaImportResource, m)
}

#[test]
fn a_ca_export_maps_to_the_record_with_pem_certificates() {
    let r = CaRecord::from_export(&export()).unwrap();
    assert_eq!(r.display_name.as_deref(), Some("Org1 CA"));
    assert_eq!(r.api_url.as_deref(), Some("https://127.0.0.1:27054"));
    assert_eq!(r.operations_url.as_deref(), Some("https://127.0.0.1:29443"));
    // The exporter writes the platform for a deployed CA; that is what the import records.
    assert_eq!(r.location.as_deref(), Some(DEFAULT_PLATFORM));
    assert_eq!(r.ca_name.as_deref(), Some("ca"));
    assert_eq!(r.tlsca_name.as_deref(), Some("tlsca"));
    assert_eq!(r.ca_root_certs, [canonical_pem(ORG1_CA)]);
    assert_eq!(r.tlsca_root_certs, [canonical_pem(ORG1_TLSCA)]);
    assert_eq!(r.tls_cert, Some(canonical_pem(ORG1_CA_TLS)));
    // Truthy bookkeeping fields are passed on; empty ones are not.
    assert_eq!(
        r.passed_on,
        json!({"migrated_from": "ibm_saas"})
            .as_object()
            .unwrap()
            .clone()
    );
}

#[test]
fn a_legacy_export_maps_through_the_ui_aliases() {
    // Older consoles: `name`, `ca_url`, `operations`, `pem`, and the names at the top level
    // (the UI's JsonInput aliases, then `importCA`'s msp built from them, without roots).
    let legacy = json!({
        "name": "Old CA", "ca_url": "https://ca.example.org:7054",
        "operations": "https://ca.example.org:9443", "pem": console_b64(ORG1_CA_TLS),
        "ca_name": "org1ca", "tlsca_name": "org1tlsca", "tls_ca_root_cert": console_b64(ORG1_TLSCA)
    });
    let r = CaRecord::from_export(&legacy.to_string()).unwrap();
    assert_eq!(r.display_name.as_deref(), Some("Old CA"));
    assert_eq!(r.api_url.as_deref(), Some("https://ca.example.org:7054"));
    assert_eq!(
        r.operations_url.as_deref(),
        Some("https://ca.example.org:9443")
    );
    assert_eq!(r.ca_name.as_deref(), Some("org1ca"));
    assert_eq!(r.tlsca_name.as_deref(), Some("org1tlsca"));
    assert_eq!(r.tls_cert, Some(canonical_pem(ORG1_CA_TLS)));
    assert!(r.ca_root_certs.is_empty() && r.tlsca_root_certs.is_empty());
    // The current field wins over its alias.
    let both = json!({"display_name": "New", "name": "Old", "type": "fabric-ca"});
    let r = CaRecord::from_export(&both.to_string()).unwrap();
    assert_eq!(r.display_name.as_deref(), Some("New"));
}

#[test]
fn an_export_of_another_type_or_with_a_v1_certificate_is_refused() {
    let msp = json!({"type": "msp", "display_name": "Org1 MSP"}).to_string();
    assert!(CaRecord::from_export(&msp).unwrap_err().contains("msp"));
    let v1 = json!({"msp": {"ca": {"name": "ca", "root_certs": [console_b64(V1)]}}}).to_string();
    let e = CaRecord::from_export(&v1).unwrap_err();
    assert!(
        e.contains("msp.ca.root_certs[0]") && e.contains("v3"),
        "{e}"
    );
    assert!(CaRecord::from_export("not json").is_err());
    assert!(CaRecord::from_export("[]").unwrap_err().contains("object"));
}

#[test]
fn plan_time_checks_name_the_attribute() {
    let bad = CaImportModel {
        display_name: "Org1 CA".into(),
        ca_root_certs: Tf::Known(vec![ORG1_CA.to_owned(), V1.to_owned()]),
        tls_cert: "Zm9v".into(),
        tlsca_admin_enroll_id: "tlsadmin".into(),
        ..Default::default()
    };
    let errs = errors(&bad);
    let paths: Vec<&str> = errs.iter().map(|(p, _)| p.as_str()).collect();
    assert_eq!(
        paths,
        ["ca_root_certs[1]", "tls_cert", "tlsca_admin_enroll_secret"],
        "{errs:?}"
    );
    assert!(errs[0].1.contains("v3"));
    assert_eq!(errors(&CaImportModel::default())[0].0, "display_name");
    let bad_export = CaImportModel {
        export_json: "{}x".into(),
        ..Default::default()
    };
    assert_eq!(errors(&bad_export)[0].0, "export_json");
    let good = CaImportModel {
        export_json: Tf::Known(export()),
        ..Default::default()
    };
    assert!(errors(&good).is_empty());
}

#[test]
fn the_console_location_of_its_own_deployments_is_refused() {
    let schema = CaImportModel::block();
    let location = schema
        .attributes
        .iter()
        .find(|a| a.name == "location")
        .unwrap();
    let check = |v: &str| {
        let mut d = Diagnostics::new();
        for validator in &location.validators {
            validator.validate(
                &attr!(CaImportModel, location),
                &crate::framework::Value::string(v),
                &mut d,
            );
        }
        d.has_errors()
    };
    assert!(check("ibm_saas"));
    assert!(check("a<b"));
    assert!(!check("ibmcloud"));
    assert!(!check("-"));
}

#[test]
fn the_import_body_is_the_recorded_one() {
    // Exchange `import.ca` (seq 49) sent these fields, certificates as base64 of the PEM files
    // (its tags were mixed case, which this resource refuses, so they are left out here).
    let mut recorded = recorded_body("import.ca", "request");
    recorded.as_object_mut().unwrap().remove("tags");
    assert_eq!(import_body(&planned()), recorded);
    // A location is sent when given; tags and the bookkeeping fields of the export too; no
    // empty root list (athena wants at least one item).
    let mut with_export = planned();
    with_export.location = DEFAULT_PLATFORM.into();
    with_export.tags = Tf::Known(["org1".to_owned()].into());
    with_export.export_json = Tf::Known(export());
    with_export.tlsca_root_certs = Tf::Known(Vec::new());
    let body = import_body(&with_export);
    assert_eq!(body["location"], DEFAULT_PLATFORM);
    assert_eq!(body["tags"], json!(["org1"]));
    assert_eq!(body["migrated_from"], "ibm_saas");
    assert!(body["msp"]["tlsca"].get("root_certs").is_none());
    assert!(body.get("imported").is_none() && body.get("type").is_none());
}

#[test]
fn the_recorded_record_reads_back_as_state_and_export() {
    let c: Component =
        serde_json::from_value(recorded_body("components.get.ca", "response")).unwrap();
    let base = CaImportModel {
        tags: Tf::Known(["org1".to_owned(), "tf".to_owned()].into()),
        ..Default::default()
    };
    let s = live_state(&base, &c);
    assert_eq!(s.id, Tf::Known("org1ca".to_owned()));
    assert_eq!(s.location, Tf::Known("-".to_owned()));
    assert_eq!(s.ca_root_certs, Tf::Known(vec![ORG1_CA.to_owned()]));
    assert_eq!(s.tlsca_root_certs, Tf::Known(vec![ORG1_TLSCA.to_owned()]));
    assert_eq!(s.tls_cert, Tf::Known(ORG1_CA_TLS.to_owned()));
    assert_eq!(s.tags, base.tags);
    assert!(s.admin_enroll_secret.is_null());
    // The state equals what was planned for the recorded import.
    let p = CaImportModel {
        tags: base.tags.clone(),
        ..planned()
    };
    assert_eq!(
        CaImportModel {
            id: Tf::Null,
            console_export_json: Tf::Null,
            ..s.clone()
        },
        p
    );
    // The record's export: what a third console imports, `imported` included.
    let export: Json = serde_json::from_str(s.console_export_json.as_str().unwrap()).unwrap();
    assert_eq!(export["imported"], true);
    assert_eq!(export["id"], "org1ca");
    assert_eq!(
        export["msp"],
        recorded_body("components.get.ca", "response")["msp"]
    );
    let again = CaRecord::from_export(s.console_export_json.as_str().unwrap()).unwrap();
    assert_eq!(
        again,
        CaRecord {
            location: Some("-".into()),
            ..CaRecord::from_component(&c)
        }
    );
}

#[test]
fn an_edit_sends_only_the_changed_editable_fields() {
    let prior = planned();
    let mut wanted = prior.clone();
    wanted.display_name = "Org1 CA (edited)".into();
    wanted.api_url = "https://127.0.0.1:27064".into();
    wanted.operations_url = "https://127.0.0.1:29453".into();
    wanted.ca_name = "ca-renamed".into();
    wanted.tags = Tf::Known(["edited".to_owned(), "tf".to_owned()].into());
    let body = serde_json::to_value(record_edit(&prior, &wanted)).unwrap();
    // Exchange `edit.ca` (seq 128) sent these fields (its tags differ in case and order).
    let mut recorded = recorded_body("edit.ca", "request");
    recorded["tags"] = json!(["edited", "tf"]);
    assert_eq!(body, recorded);
    assert!(record_edit(&prior, &prior).is_empty());
}

fn plan(prior: Option<&CaImportModel>, config: &CaImportModel) -> (CaImportModel, Vec<String>) {
    let mut planned = match prior {
        Some(p) => CaImportModel {
            export_json: config.export_json.clone(),
            tags: config.tags.clone(),
            ..p.clone()
        },
        None => config.clone(),
    };
    let mut requires_replace = Vec::new();
    let mut private = Private::default();
    let mut diagnostics = Diagnostics::new();
    let ctx = ResourceContext::new(None, tokio_util::sync::CancellationToken::new());
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    rt.block_on(CaImportResource.modify_plan(
        &ctx,
        ModelPlan {
            prior,
            config,
            planned: &mut planned,
            requires_replace: &mut requires_replace,
            private: &mut private,
            diagnostics: &mut diagnostics,
        },
    ));
    assert!(diagnostics.is_empty(), "{diagnostics:?}");
    (
        planned,
        requires_replace.iter().map(|p| p.to_string()).collect(),
    )
}

/// The state after importing `export()`.
fn imported() -> CaImportModel {
    let c: Component =
        serde_json::from_value(recorded_body("components.get.ca", "response")).unwrap();
    let config = CaImportModel {
        export_json: Tf::Known(export()),
        ..Default::default()
    };
    let (p, _) = plan(None, &config);
    let mut s = live_state(&p, &c);
    // As the import of `export()` stored it (the recorded record was imported without both).
    s.location = DEFAULT_PLATFORM.into();
    s.tags = Tf::Null;
    s
}

#[test]
fn an_export_plans_every_field_and_an_unchanged_one_nothing() {
    let config = CaImportModel {
        export_json: Tf::Known(export()),
        display_name: "Org1 CA (region 1)".into(),
        ..Default::default()
    };
    let (p, replace) = plan(None, &config);
    assert!(replace.is_empty());
    assert_eq!(
        p.display_name, config.display_name,
        "the configuration wins"
    );
    assert_eq!(p.api_url, Tf::Known("https://127.0.0.1:27054".to_owned()));
    assert_eq!(p.tls_cert, Tf::Known(canonical_pem(ORG1_CA_TLS)));
    assert_eq!(p.location, Tf::Known(DEFAULT_PLATFORM.to_owned()));
    // Without export or location the console's "-".
    let (p, _) = plan(None, &planned());
    assert_eq!(p.location, Tf::Known("-".to_owned()));

    let state = imported();
    let same = CaImportModel {
        export_json: Tf::Known(export()),
        ..Default::default()
    };
    let (p, replace) = plan(Some(&state), &same);
    assert!(replace.is_empty());
    assert_eq!(p, state);
}

#[test]
fn editable_changes_plan_in_place_and_the_others_a_new_record() {
    let state = imported();
    // A new name: in place; the record's export changes with it.
    let renamed = CaImportModel {
        export_json: Tf::Known(export()),
        display_name: "Renamed".into(),
        ..Default::default()
    };
    let mut prior = state.clone();
    prior.console_export_json = Tf::Unknown; // as the engine plans it once something changes
    let (p, replace) = plan(Some(&prior), &renamed);
    assert!(replace.is_empty());
    assert_eq!(p.display_name, renamed.display_name);
    assert!(p.console_export_json.is_unknown());
    // Tags only: in place, and the export stays as it is.
    let tagged = CaImportModel {
        export_json: Tf::Known(export()),
        tags: Tf::Known(["org1".to_owned()].into()),
        ..Default::default()
    };
    let mut before = state.clone();
    before.console_export_json = Tf::Unknown;
    let mut p = CaImportModel {
        tags: tagged.tags.clone(),
        ..before
    };
    let ctx = ResourceContext::new(None, tokio_util::sync::CancellationToken::new());
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let mut replace = Vec::new();
    rt.block_on(CaImportResource.modify_plan(
        &ctx,
        ModelPlan {
            prior: Some(&state),
            config: &tagged,
            planned: &mut p,
            requires_replace: &mut replace,
            private: &mut Private::default(),
            diagnostics: &mut Diagnostics::new(),
        },
    ));
    assert!(replace.is_empty());
    assert_eq!(p.console_export_json, state.console_export_json);
    // Another TLS certificate: a new record, with the new values already known.
    let other_cert = CaImportModel {
        export_json: Tf::Known(export()),
        tls_cert: ORG1_TLSCA.into(),
        ..Default::default()
    };
    let (p, replace) = plan(Some(&state), &other_cert);
    assert_eq!(replace, ["tls_cert"]);
    assert!(p.id.is_unknown() && p.console_export_json.is_unknown());
    assert_eq!(p.display_name, state.display_name);
    // An export not known yet may change anything: a new record, its fields unknown.
    let pending = CaImportModel {
        export_json: Tf::Unknown,
        ..Default::default()
    };
    let (p, replace) = plan(Some(&state), &pending);
    assert_eq!(
        replace,
        [
            "tlsca_name",
            "tls_cert",
            "ca_root_certs",
            "tlsca_root_certs"
        ]
    );
    assert!(p.display_name.is_unknown());
}

#[test]
fn a_create_needs_the_admin_credentials_and_the_required_fields() {
    let check = |config: &CaImportModel, planned: &CaImportModel, replacing: bool| {
        let mut d = Diagnostics::new();
        CaImportResource.validate_create(
            &CreatePlan {
                config,
                planned,
                replacing,
            },
            &mut d,
        );
        d.iter()
            .filter_map(|d| d.attribute.as_ref().map(|p| p.to_string()))
            .collect::<Vec<_>>()
    };
    let p = planned();
    assert_eq!(
        check(&p, &p, false),
        ["admin_enroll_id", "admin_enroll_secret"]
    );
    let with_admin = CaImportModel {
        admin_enroll_id: "admin".into(),
        admin_enroll_secret: "adminpw".into(),
        ..p.clone()
    };
    assert!(check(&with_admin, &p, false).is_empty());
    // A replacement from an export not known yet: its fields are checked once known.
    let pending = CaImportModel {
        export_json: Tf::Unknown,
        admin_enroll_id: "admin".into(),
        admin_enroll_secret: "adminpw".into(),
        ..Default::default()
    };
    let unknown = CaImportModel {
        display_name: Tf::Unknown,
        api_url: Tf::Unknown,
        ca_name: Tf::Unknown,
        tlsca_name: Tf::Unknown,
        tls_cert: Tf::Unknown,
        ..Default::default()
    };
    assert!(check(&pending, &unknown, true).is_empty());
    let missing = CaImportModel {
        admin_enroll_id: "admin".into(),
        admin_enroll_secret: "adminpw".into(),
        ..Default::default()
    };
    assert_eq!(
        check(&missing, &CaImportModel::default(), false),
        [
            "display_name",
            "api_url",
            "ca_name",
            "tlsca_name",
            "tls_cert"
        ]
    );
}

#[test]
fn the_checks_enroll_the_ca_admin_at_both_cas_unless_the_tls_ca_has_its_own() {
    let config = CaImportModel {
        admin_enroll_id: "admin".into(),
        admin_enroll_secret: "adminpw".into(),
        ..Default::default()
    };
    let checks = admin_checks(&planned(), &config).unwrap();
    let names: Vec<(&str, &str, bool)> = checks
        .iter()
        .map(|c| (c.ca.ca_name.as_str(), c.enroll_id.as_str(), c.borrowed))
        .collect();
    assert_eq!(names, [("ca", "admin", false), ("tlsca", "admin", true)]);
    assert_eq!(checks[1].secret_path.to_string(), "admin_enroll_secret");
    let trusted = String::from_utf8(checks[0].ca.tls_root_pem.clone().unwrap()).unwrap();
    assert!(trusted.contains(ORG1_CA_TLS.trim()) && trusted.contains(ORG1_TLSCA.trim()));
    let own = CaImportModel {
        tlsca_admin_enroll_id: "tlsadmin".into(),
        tlsca_admin_enroll_secret: "tlspw".into(),
        ..config
    };
    let checks = admin_checks(&planned(), &own).unwrap();
    assert_eq!(checks[1].enroll_id, "tlsadmin");
    assert_eq!(
        checks[1].secret_path.to_string(),
        "tlsca_admin_enroll_secret"
    );
    assert!(admin_checks(&planned(), &CaImportModel::default()).is_err());
}

#[test]
fn a_refused_check_points_at_the_secret_and_never_shows_it() {
    let config = CaImportModel {
        admin_enroll_id: "admin".into(),
        admin_enroll_secret: "s3cr3t-value".into(),
        ..Default::default()
    };
    let checks = admin_checks(&planned(), &config).unwrap();
    let refused = |code: i64, status: u16| FabricCaError::Refused {
        request: "POST /api/v1/enroll".into(),
        status,
        refusal: Refusal::classify(status, Some(code)),
        code: Some(code),
        msg: "Authentication failure (code 20)".into(),
    };
    let d = checks[0].refused(&refused(20, 401));
    assert_eq!(
        d.attribute.clone().unwrap().to_string(),
        "admin_enroll_secret"
    );
    assert!(d.detail.contains("tried once") && d.detail.contains("Nothing was imported"));
    assert!(!format!("{d:?}").contains("s3cr3t-value"));
    let borrowed = checks[1].refused(&refused(20, 401));
    assert!(
        borrowed.summary.contains("TLS CA") && borrowed.detail.contains("tlsca_admin_enroll_id")
    );
    let locked = checks[0].refused(&refused(73, 401));
    assert!(locked.detail.contains("locked"), "{}", locked.detail);
    let unknown_ca = checks[1].refused(&refused(19, 404));
    assert_eq!(unknown_ca.attribute.unwrap().to_string(), "tlsca_name");
    let unreachable = checks[0].refused(&FabricCaError::Transport {
        request: "POST /api/v1/enroll".into(),
        detail: "connection refused".into(),
    });
    assert_eq!(unreachable.attribute.unwrap().to_string(), "api_url");
}
