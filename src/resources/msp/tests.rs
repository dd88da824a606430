//! `blockchain_msp` unit tests: the chain split and NodeOU settings the console's panel builds,
//! the import body, the state read back from a record, its export, and the admin check.

use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};

use super::*;
use crate::framework::{Model, Severity};
use crate::resources::pem::canonical_pem;

/// Public certificates of the fixture recordings (tests/emulator/fixtures/console/certs).
const ORG1_CA: &str = include_str!("../../../tests/emulator/fixtures/console/certs/org1-ca.pem");
const ORG1_TLSCA: &str =
    include_str!("../../../tests/emulator/fixtures/console/certs/org1-tlsca.pem");
const ORG1_ADMIN: &str =
    include_str!("../../../tests/emulator/fixtures/console/certs/org1-admin.pem");
const ORD_CA: &str = include_str!("../../../tests/emulator/fixtures/console/certs/ord-ca.pem");

/// The recorded exchanges of the real console (athena), as the emulator replays them.
const EXCHANGES: &str = include_str!("../../../tests/emulator/fixtures/console/exchanges.jsonl");

/// The JSON body at `part` (`request` or `response`) of the recorded exchange `name`.
fn recorded_body(name: &str, part: &str) -> Json {
    let e: Json = EXCHANGES
        .lines()
        .map(|l| serde_json::from_str::<Json>(l).unwrap())
        .find(|e| e["name"] == name)
        .unwrap_or_else(|| panic!("no recorded exchange {name}"));
    serde_json::from_str(e[part]["body"].as_str().unwrap()).unwrap()
}

fn ca(cn: &str) -> CertificateParams {
    let mut p = CertificateParams::new(Vec::<String>::new()).unwrap();
    p.distinguished_name
        .push(rcgen::DnType::CommonName, cn.to_owned());
    p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    p
}

/// A root and an intermediate it signed, PEM.
fn root_and_intermediate() -> (String, String) {
    let root = CertifiedIssuer::self_signed(ca("root"), KeyPair::generate().unwrap()).unwrap();
    let inter = CertifiedIssuer::signed_by(ca("intermediate"), KeyPair::generate().unwrap(), &root)
        .unwrap();
    (root.pem(), inter.pem())
}

fn model() -> MspModel {
    MspModel {
        display_name: "Org1 MSP".into(),
        msp_id: "Org1MSP".into(),
        api_url: "https://127.0.0.1:7054".into(),
        ca_name: "ca".into(),
        tlsca_name: "tlsca".into(),
        admins: Tf::Known(vec![ORG1_ADMIN.to_owned()]),
        enable_node_ous: Tf::Known(true),
        host_url: "https://console.example.org".into(),
        tags: Tf::Known(["tf".to_owned()].into()),
        ..Default::default()
    }
}

#[test]
fn the_chain_splits_as_the_console_panel_files_it() {
    let (root, inter) = root_and_intermediate();
    let want = (vec![root.clone()], vec![inter.clone()]);
    assert_eq!(split_chain(&[root.clone(), inter.clone()]), want);
    assert_eq!(split_chain(&[inter.clone(), root.clone()]), want);
    // Unreadable entries are skipped; of two self-signed certificates the last is kept.
    let junk = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n".to_owned();
    let other = ORD_CA.to_owned();
    assert_eq!(
        split_chain(&[junk, root, other.clone()]),
        (vec![other], Vec::<String>::new())
    );
}

#[test]
fn node_ous_are_what_the_console_panel_writes() {
    // apollo ChannelApi.getNodeOUIdentifier, key for key in its literal's order.
    assert_eq!(
        console_node_ous("Q0VSVA==").to_string(),
        r#"{"enable":true,"admin_ou_identifier":{"certificate":"Q0VSVA==","organizational_unit_identifier":"admin"},"client_ou_identifier":{"certificate":"Q0VSVA==","organizational_unit_identifier":"client"},"orderer_ou_identifier":{"certificate":"Q0VSVA==","organizational_unit_identifier":"orderer"},"peer_ou_identifier":{"certificate":"Q0VSVA==","organizational_unit_identifier":"peer"}}"#
    );
    // A root CA: the root, in the console's form (the recorded import's root_certs[0]).
    let recorded_root = recorded_body("import.msp", "request")["root_certs"][0].clone();
    let chains = Chains::of(&[ORG1_CA.to_owned()], &[ORG1_TLSCA.to_owned()]);
    let ous: Json = serde_json::from_str(&chains.node_ous().unwrap()).unwrap();
    for role in ["admin", "client", "orderer", "peer"] {
        let id = &ous[format!("{role}_ou_identifier")];
        assert_eq!(id["certificate"], recorded_root);
        assert_eq!(id["organizational_unit_identifier"], role);
    }
    // An intermediate CA: its first intermediate.
    let (root, inter) = root_and_intermediate();
    let chains = Chains::of(&[root, inter.clone()], &[]);
    let ous: Json = serde_json::from_str(&chains.node_ous().unwrap()).unwrap();
    assert_eq!(
        ous["peer_ou_identifier"]["certificate"],
        console_b64(&canonical_pem(&inter))
    );
}

#[test]
fn enable_node_ous_decides_whether_there_are_any() {
    let chains = Chains::of(&[ORG1_CA.to_owned()], &[ORG1_TLSCA.to_owned()]);
    let mut m = model();
    chains.apply_to(&mut m);
    assert!(m.fabric_node_ous.is_known());
    assert_eq!(m.root_certs, Tf::Known(vec![ORG1_CA.to_owned()]));
    assert_eq!(m.tls_intermediate_certs, Tf::Known(Vec::new()));
    m.enable_node_ous = Tf::Known(false);
    chains.apply_to(&mut m);
    assert!(m.fabric_node_ous.is_null());
    m.enable_node_ous = Tf::Unknown;
    chains.apply_to(&mut m);
    assert!(m.fabric_node_ous.is_unknown());
    Chains::unknown(&mut m);
    assert!(m.root_certs.is_unknown() && m.fabric_node_ous.is_unknown());
}

#[test]
fn the_import_body_is_what_the_panel_sends_with_the_recorded_certificates() {
    let mut m = model();
    Chains::of(&[ORG1_CA.to_owned()], &[ORG1_TLSCA.to_owned()]).apply_to(&mut m);
    let body = m
        .definition()
        .import_body(&m.tags, MspModel::sends_empty_lists());
    let keys: Vec<&String> = body.as_object().unwrap().keys().collect();
    assert_eq!(
        keys,
        [
            "msp_id",
            "root_certs",
            "intermediate_certs",
            "admins",
            "tls_root_certs",
            "tls_intermediate_certs",
            "fabric_node_ous",
            "host_url",
            "display_name",
            "tags"
        ]
    );
    // The certificates are spelled as in the recorded `import.msp` (base64 of the PEM files).
    let recorded = recorded_body("import.msp", "request");
    for field in ["root_certs", "admins", "tls_root_certs"] {
        assert_eq!(body[field], recorded[field], "{field}");
    }
    assert_eq!(body["intermediate_certs"], json!([]));
    assert_eq!(body["fabric_node_ous"]["enable"], true);
    assert_eq!(body["host_url"], "https://console.example.org");
}

#[test]
fn a_changed_chain_edits_the_lists_and_node_ous_only() {
    let mut prior = model();
    Chains::of(&[ORG1_CA.to_owned()], &[ORG1_TLSCA.to_owned()]).apply_to(&mut prior);
    let mut next = prior.clone();
    Chains::of(&[ORD_CA.to_owned()], &[ORG1_TLSCA.to_owned()]).apply_to(&mut next);
    let edit = msp_definition::record_edit(
        &prior.definition(),
        &next.definition(),
        &prior.tags,
        &next.tags,
    );
    let sent = serde_json::to_value(&edit).unwrap();
    let keys: Vec<&String> = sent.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["root_certs", "fabric_node_ous"]);
}

/// The recorded MSP record with what this resource adds (NodeOUs, host URL, empty lists).
fn record() -> Component {
    let mut doc = recorded_body("components.get.msp", "response");
    let root = doc["root_certs"][0].as_str().unwrap().to_owned();
    doc["fabric_node_ous"] = console_node_ous(&root);
    doc["host_url"] = json!("https://console.example.org");
    doc["intermediate_certs"] = json!([]);
    doc["tls_intermediate_certs"] = json!([]);
    serde_json::from_value(doc).unwrap()
}

#[test]
fn a_record_reads_back_as_pem_and_an_import_takes_its_node_ous() {
    let imported = MspModel {
        id: "org1msp".into(),
        ca_name: "ca".into(),
        tlsca_name: "tlsca".into(),
        ..Default::default()
    };
    let state = MspModel::live_state(&imported, &record());
    assert_eq!(state.id, Tf::Known("org1msp".to_owned()));
    assert_eq!(state.msp_id, Tf::Known("Org1MSP".to_owned()));
    assert_eq!(state.root_certs, Tf::Known(vec![canonical_pem(ORG1_CA)]));
    assert_eq!(state.admins, Tf::Known(vec![canonical_pem(ORG1_ADMIN)]));
    assert_eq!(state.enable_node_ous, Tf::Known(true));
    assert_eq!(
        state.host_url,
        Tf::Known("https://console.example.org".into())
    );
    assert_eq!(state.tags, Tf::Known(["tf".to_owned()].into()));
    assert!(state.api_url.is_null());
    // The NodeOU settings read back are the ones this resource plans for the chain.
    let mut planned = model();
    Chains::of(&[ORG1_CA.to_owned()], &[ORG1_TLSCA.to_owned()]).apply_to(&mut planned);
    assert!(same_json(
        &state.fabric_node_ous.to_tf(),
        &planned.fabric_node_ous.to_tf()
    ));
    // A configuration that turned NodeOUs off keeps saying so (the record's are drift).
    let off = MspModel {
        enable_node_ous: Tf::Known(false),
        ..imported
    };
    assert_eq!(
        MspModel::live_state(&off, &record()).enable_node_ous,
        Tf::Known(false)
    );
}

#[test]
fn export_json_is_the_console_exporters() {
    let doc = json!({
        "id": "org1msp", "display_name": "Org1 MSP", "msp_id": "Org1MSP", "type": "msp",
        "root_certs": ["Uk9PVA=="], "intermediate_certs": [], "admins": ["QURNSU4="],
        "tls_root_certs": ["VExT"], "tls_intermediate_certs": [],
        "fabric_node_ous": console_node_ous("Uk9PVA=="), "host_url": "https://console.example.org",
        "imported": true, "location": "-", "scheme_version": "v1", "tags": ["msp"],
        "timestamp": 1795719422032_i64
    });
    let c: Component = serde_json::from_value(doc).unwrap();
    let state = MspModel::live_state(&model(), &c);
    let expected = r#"{
    "admins": [
        "QURNSU4="
    ],
    "display_name": "Org1 MSP",
    "fabric_node_ous": {
        "admin_ou_identifier": {
            "certificate": "Uk9PVA==",
            "organizational_unit_identifier": "admin"
        },
        "client_ou_identifier": {
            "certificate": "Uk9PVA==",
            "organizational_unit_identifier": "client"
        },
        "enable": true,
        "orderer_ou_identifier": {
            "certificate": "Uk9PVA==",
            "organizational_unit_identifier": "orderer"
        },
        "peer_ou_identifier": {
            "certificate": "Uk9PVA==",
            "organizational_unit_identifier": "peer"
        }
    },
    "host_url": "https://console.example.org",
    "id": "org1msp",
    "imported": true,
    "intermediate_certs": [],
    "msp_id": "Org1MSP",
    "name": "Org1 MSP",
    "root_certs": [
        "Uk9PVA=="
    ],
    "scheme_version": "v1",
    "tls_intermediate_certs": [],
    "tls_root_certs": [
        "VExT"
    ],
    "type": "msp"
}"#;
    assert_eq!(state.export_json.known().unwrap(), expected);
}

#[test]
fn an_admin_from_another_ca_warns_at_its_index() {
    let chains = Chains::of(&[ORG1_CA.to_owned()], &[]);
    let mut m = model();
    m.admins = Tf::Known(vec![ORG1_ADMIN.to_owned(), ORD_CA.to_owned()]);
    let mut diags = Diagnostics::new();
    check_admins_chain(&m, &chains, &mut diags);
    let warned: Vec<String> = diags
        .iter()
        .filter(|d| d.severity == Severity::Warning)
        .filter_map(|d| d.attribute.as_ref().map(ToString::to_string))
        .collect();
    assert_eq!(warned, ["admins[1]"]);
}

#[test]
fn plan_time_checks_name_the_attribute() {
    let mut m = model();
    m.admins = Tf::Known(vec!["Zm9v".to_owned()]);
    let mut diags = Diagnostics::new();
    MspResource.validate_config(&m, &mut diags);
    let at: Vec<String> = diags
        .iter()
        .filter_map(|d| d.attribute.as_ref().map(ToString::to_string))
        .collect();
    assert_eq!(at, ["admins[0]"]);
    let schema = MspModel::block();
    assert!(schema.attributes.iter().all(|a| !a.description.is_empty()));
}
