//! `blockchain_msp_import` unit tests: the export's mapping, plan-time checks, the bodies
//! sent, the state read back and the export written.

use super::*;
use crate::framework::Model;
use crate::framework::Value;
use crate::resources::pem::{canonical_pem, console_b64};
use crate::resources::test_util::config_errors;
use serde_json::json;

/// Public certificates of the fixture recordings (tests/emulator/fixtures/console/certs).
const ORG1_CA: &str = include_str!("../../../tests/emulator/fixtures/console/certs/org1-ca.pem");
const ORG1_TLSCA: &str =
    include_str!("../../../tests/emulator/fixtures/console/certs/org1-tlsca.pem");
const ORG1_ADMIN: &str =
    include_str!("../../../tests/emulator/fixtures/console/certs/org1-admin.pem");
const V1: &str = include_str!("../../../tests/emulator/fixtures/console/certs/v1.pem");

/// The recorded exchanges of the real console (athena), as the emulator replays them.
const EXCHANGES: &str = include_str!("../../../tests/emulator/fixtures/console/exchanges.jsonl");

/// The recorded exchange called `name`.
fn exchange(name: &str) -> Json {
    EXCHANGES
        .lines()
        .map(|l| serde_json::from_str::<Json>(l).unwrap())
        .find(|e| e["name"] == name)
        .unwrap_or_else(|| panic!("no recorded exchange {name}"))
}

/// The JSON body at `part` (`request` or `response`) of exchange `name`.
fn recorded_body(name: &str, part: &str) -> Json {
    serde_json::from_str(exchange(name)[part]["body"].as_str().unwrap()).unwrap()
}

fn export() -> String {
    json!({
        "display_name": "Org1 MSP",
        "msp_id": "Org1MSP",
        "type": "msp",
        "root_certs": [console_b64(ORG1_CA)],
        "admins": [console_b64(ORG1_ADMIN)],
        "tls_root_certs": [console_b64(ORG1_TLSCA)],
        "fabric_node_ous": {"enable": true},
        "host_url": "https://region1.example.org",
        "id": "org1msp",
        "name": "Org1 MSP",
        "scheme_version": "v1"
    })
    .to_string()
}

fn errors(m: &MspImportModel) -> Vec<(String, String)> {
    config_errors(&MspImportResource, m)
}

#[test]
fn an_export_maps_to_the_definition_with_pem_certificates() {
    let d = MspDefinition::from_export(&export()).unwrap();
    assert_eq!(d.display_name.as_deref(), Some("Org1 MSP"));
    assert_eq!(d.msp_id.as_deref(), Some("Org1MSP"));
    assert_eq!(d.root_certs, [canonical_pem(ORG1_CA)]);
    assert_eq!(d.admins, [canonical_pem(ORG1_ADMIN)]);
    assert_eq!(d.tls_root_certs, [canonical_pem(ORG1_TLSCA)]);
    assert!(d.intermediate_certs.is_empty());
    assert_eq!(d.fabric_node_ous.as_deref(), Some(r#"{"enable":true}"#));
    assert_eq!(d.host_url.as_deref(), Some("https://region1.example.org"));
}

#[test]
fn an_export_of_another_type_or_with_a_v1_certificate_is_refused() {
    let ca = json!({"type": "fabric-ca", "display_name": "CA"}).to_string();
    assert!(MspDefinition::from_export(&ca)
        .unwrap_err()
        .contains("fabric-ca"));
    let v1 = json!({"type": "msp", "msp_id": "X", "root_certs": [console_b64(V1)]}).to_string();
    let e = MspDefinition::from_export(&v1).unwrap_err();
    assert!(e.contains("root_certs[0]") && e.contains("v3"), "{e}");
    assert!(MspDefinition::from_export("not json").is_err());
}

#[test]
fn plan_time_checks_name_the_attribute() {
    let bad = MspImportModel {
        display_name: "Org1 MSP".into(),
        msp_id: "Org1MSP".into(),
        root_certs: Tf::Known(vec![ORG1_CA.to_owned(), V1.to_owned()]),
        admins: Tf::Known(vec!["Zm9v".to_owned()]),
        fabric_node_ous: "[1]".into(),
        ..Default::default()
    };
    let errs = errors(&bad);
    let paths: Vec<&str> = errs.iter().map(|(p, _)| p.as_str()).collect();
    assert_eq!(
        paths,
        ["root_certs[1]", "admins[0]", "fabric_node_ous"],
        "{errs:?}"
    );
    assert!(errs[0].1.contains("v3"));

    let nothing = MspImportModel::default();
    assert_eq!(errors(&nothing)[0].0, "display_name");
    let bad_export = MspImportModel {
        export_json: "{}x".into(),
        ..Default::default()
    };
    assert_eq!(errors(&bad_export)[0].0, "export_json");
    let good = MspImportModel {
        export_json: Tf::Known(export()),
        ..Default::default()
    };
    assert!(errors(&good).is_empty());
}

#[test]
fn the_configuration_overrides_the_export_and_the_export_overrides_the_defaults() {
    let export = Tf::Known(MspDefinition::from_export(&export()).unwrap());
    let named = pick(
        &Tf::Known("Mine".to_owned()),
        Some(&export),
        |d| d.display_name.clone(),
        Tf::Null,
    );
    assert_eq!(named, Tf::Known("Mine".to_owned()));
    let from_export = pick(&Tf::Null, Some(&export), |d| d.msp_id.clone(), Tf::Null);
    assert_eq!(from_export, Tf::Known("Org1MSP".to_owned()));
    let unknown = pick(
        &Tf::Null,
        Some(&Tf::Unknown),
        |d: &MspDefinition| d.msp_id.clone(),
        Tf::Null,
    );
    assert_eq!(unknown, Tf::Unknown);
    let default = pick(
        &Tf::Null,
        None,
        |d: &MspDefinition| Some(d.intermediate_certs.clone()),
        Tf::Known(Vec::new()),
    );
    assert_eq!(default, Tf::Known(Vec::new()));
}

fn planned() -> MspImportModel {
    MspImportModel {
        display_name: "Org1 MSP".into(),
        msp_id: "Org1MSP".into(),
        root_certs: Tf::Known(vec![ORG1_CA.to_owned()]),
        intermediate_certs: Tf::Known(Vec::new()),
        admins: Tf::Known(vec![ORG1_ADMIN.to_owned()]),
        tls_root_certs: Tf::Known(vec![ORG1_TLSCA.to_owned()]),
        tls_intermediate_certs: Tf::Known(Vec::new()),
        tags: Tf::Known(["tf".to_owned()].into()),
        ..Default::default()
    }
}

#[test]
fn the_import_body_is_the_recorded_one() {
    // Exchange `import.msp` (seq 50) sent these fields, certificates as base64 of the PEM files.
    assert_eq!(
        planned().definition().import_body(&planned().tags, false),
        recorded_body("import.msp", "request")
    );
}

fn edit_of(prior: &MspImportModel, next: &MspImportModel) -> crate::console::EditComponentRequest {
    msp_definition::record_edit(
        &prior.definition(),
        &next.definition(),
        &prior.tags,
        &next.tags,
    )
}

#[test]
fn an_edit_sends_only_what_changed() {
    let prior = planned();
    let mut next = planned();
    next.msp_id = "Org1MSP-renamed".into();
    next.admins = Tf::Known(Vec::new());
    let edit = edit_of(&prior, &next);
    assert_eq!(edit.display_name, None);
    assert_eq!(edit.tags, None);
    assert_eq!(
        json!(edit),
        json!({"msp_id": "Org1MSP-renamed", "admins": []})
    );
    assert!(edit_of(&prior, &prior).is_empty());
}

#[test]
fn the_recorded_record_reads_back_as_pem_and_exports_like_the_console() {
    let c: Component =
        serde_json::from_value(recorded_body("components.get.msp", "response")).unwrap();
    let state = MspImportModel::live_state(&MspImportModel::default(), &c);
    assert_eq!(state.id, Tf::Known("org1msp".to_owned()));
    assert_eq!(state.msp_id, Tf::Known("Org1MSP".to_owned()));
    assert_eq!(state.root_certs, Tf::Known(vec![canonical_pem(ORG1_CA)]));
    assert_eq!(state.admins, Tf::Known(vec![canonical_pem(ORG1_ADMIN)]));
    assert_eq!(state.intermediate_certs, Tf::Known(Vec::new()));
    // The console's own `msp` tag is not the user's.
    assert_eq!(state.tags, Tf::Known(["tf".to_owned()].into()));
    let export = state.console_export_json.known().unwrap();
    let parsed: Json = serde_json::from_str(export).unwrap();
    let keys: Vec<&String> = parsed.as_object().unwrap().keys().collect();
    assert_eq!(
        keys,
        [
            "admins",
            "display_name",
            "id",
            "imported",
            "msp_id",
            "name",
            "root_certs",
            "scheme_version",
            "tls_root_certs",
            "type"
        ]
    );
    assert!(export.starts_with("{\n    \"admins\": [\n        \"LS0t"));
    assert!(!export.ends_with('\n'));
    // An export of this record imports the same definition again.
    let again = MspDefinition::from_export(export).unwrap();
    assert_eq!(again.root_certs, [canonical_pem(ORG1_CA)]);
}

#[test]
fn certificates_match_whatever_their_spelling() {
    let pem = Value::List(vec![Value::String(ORG1_CA.trim_end().to_owned())]);
    let b64 = Value::List(vec![Value::String(console_b64(ORG1_CA))]);
    assert!(same_certificates(&pem, &b64));
    let other = Value::List(vec![Value::String(ORG1_TLSCA.to_owned())]);
    assert!(!same_certificates(&pem, &other));
    let schema = MspImportModel::block();
    assert!(schema.attributes.iter().all(|a| !a.description.is_empty()));
}
