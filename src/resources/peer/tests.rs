//! `blockchain_peer` unit tests: the schema, the create bodies against the recorded console's,
//! the plan-time checks, the updates, the state mapping, and the whole lifecycle on an
//! in-memory console (paused tokio time).

use crate::console::EditComponentRequest;
use crate::resources::lifecycle::{Deployed, Lifecycle};
use std::sync::Mutex;

use super::*;
use crate::console::testutil::exchange;
use crate::console::{ConsoleError, CreateError, Expected, NameLock};
use crate::fabric::fixtures;
use crate::framework::{Model, Provider as _, Resource as _, TypedAdapter, Value};
use crate::resources::lifecycle::{ComponentApi, CreateFailure, Operation, Post};
use crate::resources::test_util::{config_errors, s, smap, string_set as set};

const CERTS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/emulator/fixtures/console/certs"
);

/// A public certificate of the console recordings (tests/emulator/fixtures/console/certs).
fn cert(name: &str) -> String {
    std::fs::read_to_string(format!("{CERTS}/{name}.pem")).unwrap()
}

/// The JSON request body of the recorded exchange `name`.
fn recorded_request(name: &str) -> Json {
    serde_json::from_str(exchange(name)["request"]["body"].as_str().unwrap()).unwrap()
}

fn schema() -> crate::framework::Schema {
    PeerResource.schema()
}

/// The enrollment of the recorded valid create (`k8s.create-peer.valid.deployer-unreachable`):
/// the imported CA at 127.0.0.1:27064, its TLS certificate, peer0/peer0pw.
fn enrollment() -> EnrollmentModel {
    EnrollmentModel {
        ca_api_url: s("https://127.0.0.1:27064"),
        ca_tls_cert: s(&cert("org1-tlsca")),
        enroll_id: s("peer0"),
        enroll_secret: s("peer0pw"),
        csr_hosts: Tf::Known(vec!["peer0.org1.example.com".into()]),
        ..EnrollmentModel::default()
    }
}

/// What a user writes for the recorded valid create.
fn recorded_config() -> PeerModel {
    PeerModel {
        display_name: s("New Peer"),
        msp_id: s("Org1MSP"),
        state_db: s("couchdb"),
        zone: s("zone1"),
        version: s("2.5.12"),
        tags: set(&["tf"]),
        admin_certs: set(&[&cert("org1-admin")]),
        peer_requests: smap(&[("cpu", "200m"), ("memory", "400M")]),
        statedb_requests: smap(&[("cpu", "200m"), ("memory", "400M")]),
        storage_size: s("10Gi"),
        statedb_storage_size: s("10Gi"),
        config_override: s(
            r#"{"peer":{"gossip":{"orgLeader":true},"keepalive":{"minInterval":"60s"}}}"#,
        ),
        enrollment: Tf::Known(enrollment()),
        msp: Tf::Known(MspCryptoModel::default()),
        ..PeerModel::default()
    }
}

/// The plan of a configuration: write-only values nulled, as Terraform plans them.
fn planned_of(config: &PeerModel) -> PeerModel {
    PeerModel {
        enrollment: Tf::Known(EnrollmentModel::default()),
        msp: Tf::Known(MspCryptoModel::default()),
        ..config.clone()
    }
}

fn body_of(config: &PeerModel) -> Json {
    create_body(&planned_of(config), config).unwrap()
}

/// A peer as GET /components/{id}?deployment_attrs=included&cache=skip shows one the console
/// deployed: the recorded peer (`components.get.peer.deployment-attrs`) with the deployment
/// attributes of OAS3 `PeerResponse`, the state database sized under its legacy name too
/// (athena's `remap_resources_and_storage`).
fn console_json() -> Json {
    let mut doc: Json = serde_json::from_str(
        exchange("components.get.peer.deployment-attrs")["response"]["body"]
            .as_str()
            .unwrap(),
    )
    .unwrap();
    let extra = json!({
        "id": "newpeer",
        "display_name": "New Peer",
        "dep_component_id": "newpeer",
        "location": "ibm_saas",
        "config_override": {"peer": {"gossip": {"orgLeader": true}, "keepalive": {"minInterval": "60s"}}},
        "resources": {
            "chaincodelauncher": {"limits": {"cpu": "2", "memory": "2Gi"}, "requests": {"cpu": "200m", "memory": "400Mi"}},
            "couchdb": {"limits": {"cpu": "200m", "memory": "400M"}, "msg": "legacy field, reference \"statedb\" instead", "requests": {"cpu": "200m", "memory": "400M"}},
            "peer": {"limits": {"cpu": "200m", "memory": "400M"}, "requests": {"cpu": "200m", "memory": "400M"}},
            "proxy": {"limits": {"cpu": "100m", "memory": "200Mi"}, "requests": {"cpu": "100m", "memory": "200Mi"}},
            "statedb": {"limits": {"cpu": "200m", "memory": "400M"}, "requests": {"cpu": "200m", "memory": "400M"}}
        },
        "storage": {"peer": {"class": "default", "size": "10Gi"}, "statedb": {"class": "default", "size": "10Gi"}},
        "state_db": "couchdb",
        "tags": ["fabric-peer", "ibm_saas", "tf"],
        "version": "2.5.12-0",
        "zone": "zone1"
    });
    let o = doc.as_object_mut().unwrap();
    o.remove("imported");
    for (k, v) in extra.as_object().unwrap() {
        o.insert(k.clone(), v.clone());
    }
    doc
}

fn component() -> Component {
    serde_json::from_value(console_json()).unwrap()
}

fn component_with(edit: impl FnOnce(&mut Json)) -> Component {
    let mut j = console_json();
    edit(&mut j);
    serde_json::from_value(j).unwrap()
}

fn errors_of(config: &PeerModel) -> Vec<(String, String)> {
    config_errors(&PeerResource, config)
}

// ---- schema ----

#[test]
fn schema_passes_the_framework_checks() {
    schema().check();
    TypedAdapter(PeerResource).schema().check();
}

#[test]
fn resource_is_registered_under_its_type_name() {
    let provider = crate::provider::BlockchainProvider::new();
    assert!(provider
        .resources()
        .iter()
        .any(|r| r.type_name() == "blockchain_peer"));
}

#[test]
fn the_model_and_the_schema_are_one_declaration() {
    let m = live_state(&planned_of(&recorded_config()), &component());
    let v = m.to_value();
    crate::framework::encode_msgpack(&v, &schema().implied_type()).expect("conforms to the schema");
    assert_eq!(PeerModel::from_value(&v).unwrap(), m);
    assert!(v.is_wholly_known());
}

#[test]
fn the_crypto_blocks_are_never_null_groups_of_write_only_attributes() {
    let schema = schema();
    for name in ["enrollment", "msp"] {
        let b = schema.block.get_block(name).unwrap();
        assert_eq!(b.nesting, NestingMode::Group, "{name}");
        for a in &b.block.attributes {
            assert!(
                a.write_only && a.optional && !a.computed,
                "{name}.{}",
                a.name
            );
        }
    }
    let e = schema.block.get_block("enrollment").unwrap();
    let m = schema.block.get_block("msp").unwrap();
    for secret in [
        e.block.get_attribute("enroll_secret"),
        e.block.get_attribute("tls_enroll_secret"),
        m.block.get_attribute("ekey"),
        m.block.get_attribute("tls_key"),
    ] {
        assert!(secret.unwrap().sensitive);
    }
    // Nothing at the top level is write-only: everything there is the console's to report.
    assert!(schema.block.attributes.iter().all(|a| !a.write_only));
}

#[test]
fn immutable_settings_force_a_new_peer() {
    let schema = schema();
    for attr in [
        "msp_id",
        "state_db",
        "region",
        "storage_size",
        "storage_class",
        "statedb_storage_size",
        "statedb_storage_class",
        "hsm_pkcs11_endpoint",
    ] {
        let a = schema.block.get_attribute(attr).unwrap();
        assert!(
            a.has_modifier(crate::framework::PlanModifier::RequiresReplace),
            "{attr}"
        );
    }
    for attr in [
        "display_name",
        "zone",
        "version",
        "admin_certs",
        "config_override",
        "tags",
        "peer_requests",
    ] {
        let a = schema.block.get_attribute(attr).unwrap();
        assert!(
            !a.has_modifier(crate::framework::PlanModifier::RequiresReplace),
            "{attr} is updated in place"
        );
    }
}

// ---- the create body ----

#[test]
fn the_enrollment_create_body_is_the_one_the_console_accepted() {
    // `k8s.create-peer.valid.deployer-unreachable` passed athena's validation (it failed only
    // at the deployer). Ours carries the same fields and values; the state database's sizing
    // goes under `statedb`, the name OAS3 asks for instead of the legacy `couchdb`.
    let mut recorded = recorded_request("k8s.create-peer.valid.deployer-unreachable");
    let ours = body_of(&recorded_config());
    assert_eq!(
        ours["resources"],
        json!({"peer": {"requests": {"cpu": "200m", "memory": "400M"}},
               "statedb": {"requests": {"cpu": "200m", "memory": "400M"}}})
    );
    let mut ours = ours;
    for b in [&mut recorded, &mut ours] {
        b.as_object_mut().unwrap().remove("resources");
    }
    assert_eq!(ours, recorded);
}

#[test]
fn enrollment_defaults_follow_the_console_ca_layout() {
    let b = body_of(&recorded_config());
    let e = &b["crypto"]["enrollment"];
    assert_eq!(e["ca"]["name"], "ca");
    assert_eq!(e["tlsca"]["name"], "tlsca");
    assert_eq!(e["ca"]["port"], 27064, "the port is a number (OAS3 caport)");
    assert_eq!(e["tlsca"]["enroll_id"], "peer0");
    assert_eq!(e["tlsca"]["enroll_secret"], "peer0pw");
    // An https URL without a port is on 443; a separate TLS CA and TLS identity are honoured.
    let mut config = recorded_config();
    config.enrollment = Tf::Known(EnrollmentModel {
        ca_api_url: s("https://ca.example.org"),
        tlsca_api_url: s("https://tlsca.example.org:7055"),
        ca_name: s("org1ca"),
        tlsca_name: s("org1tlsca"),
        tls_enroll_id: s("peer0tls"),
        tls_enroll_secret: s("tlspw"),
        csr_hosts: Tf::Null,
        ..enrollment()
    });
    let b = body_of(&config);
    let e = &b["crypto"]["enrollment"];
    assert_eq!(e["ca"]["host"], "ca.example.org");
    assert_eq!(e["ca"]["port"], 443);
    assert_eq!(e["ca"]["name"], "org1ca");
    assert_eq!(e["tlsca"]["host"], "tlsca.example.org");
    assert_eq!(e["tlsca"]["port"], 7055);
    assert_eq!(e["tlsca"]["enroll_id"], "peer0tls");
    assert!(e["tlsca"].get("csr_hosts").is_none());
    // Without admin certificates the component entry the console requires is still there.
    config.admin_certs = Tf::Unknown;
    assert_eq!(
        body_of(&config)["crypto"]["enrollment"]["component"],
        json!({"admincerts": []})
    );
}

#[test]
fn the_msp_create_body_has_the_shape_the_console_accepted() {
    // `k8s.create-peer.valid-msp-crypto.deployer-unreachable`: component {ekey, ecert, tls_key,
    // tls_cert, admin_certs}, ca and tlsca {root_certs}.
    let recorded = recorded_request("k8s.create-peer.valid-msp-crypto.deployer-unreachable");
    let admin = fixtures::read("identities/org1admin.cert.pem");
    let config = PeerModel {
        display_name: s("New Peer 2"),
        msp_id: s("Org1MSP"),
        admin_certs: set(&[&cert("org1-admin")]),
        enrollment: Tf::Known(EnrollmentModel::default()),
        msp: Tf::Known(MspCryptoModel {
            ecert: s(&cert("peer0-ecert")),
            ekey: s(&fixtures::read("identities/org1admin.key.pem")),
            tls_cert: s(&cert("peer0-tls")),
            tls_key: s(&fixtures::read("identities/org1peer0-tls.key.pem")),
            ca_root_certs: Tf::Known(vec![cert("org1-ca")]),
            tlsca_root_certs: Tf::Known(vec![cert("org1-tlsca")]),
            ca_intermediate_certs: Tf::Known(vec![admin.clone()]),
            ..MspCryptoModel::default()
        }),
        ..PeerModel::default()
    };
    let ours = body_of(&config);
    let (o, r) = (&ours["crypto"]["msp"], &recorded["crypto"]["msp"]);
    let keys = |v: &Json| v.as_object().unwrap().keys().cloned().collect::<Vec<_>>();
    assert_eq!(keys(&o["component"]), keys(&r["component"]));
    for k in ["ecert", "tls_cert", "admin_certs"] {
        assert_eq!(o["component"][k], r["component"][k], "{k}");
    }
    assert_eq!(o["ca"]["root_certs"], r["ca"]["root_certs"]);
    assert_eq!(o["tlsca"], r["tlsca"]);
    // Keys go as base64 PEM like the certificates; intermediates under the deployer's name.
    let key = crate::resources::pem::pem_text(o["component"]["ekey"].as_str().unwrap());
    assert!(key.starts_with("-----BEGIN"), "{key}");
    assert_eq!(
        o["ca"]["intermediate_certs"],
        json!([console_b64(&canonical_pem(&admin))])
    );
    assert_eq!(ours["display_name"], recorded["display_name"]);
    assert_eq!(ours["msp_id"], recorded["msp_id"]);
    assert!(ours["crypto"].get("enrollment").is_none());
}

#[test]
fn a_body_holds_known_values_only_and_never_an_id() {
    let mut config = recorded_config();
    config.zone = Tf::Unknown;
    config.version = Tf::Null;
    config.hsm_pkcs11_endpoint = s("tcp://hsm.example.org:2347");
    let b = body_of(&config);
    assert!(b.get("zone").is_none() && b.get("version").is_none() && b.get("id").is_none());
    assert_eq!(
        b["hsm"],
        json!({"pkcs11endpoint": "tcp://hsm.example.org:2347"})
    );
    // Secrets never show in the request's Debug form.
    let request = CreatePeerRequest {
        crypto: b["crypto"].clone(),
        ..CreatePeerRequest::default()
    };
    assert!(!format!("{request:?}").contains("peer0pw"));
}

#[test]
fn a_create_without_crypto_names_the_enrollment_block() {
    let config = PeerModel {
        enrollment: Tf::Known(EnrollmentModel::default()),
        ..recorded_config()
    };
    let err = create_body(&planned_of(&config), &config).unwrap_err();
    let d = err.iter().next().unwrap();
    assert_eq!(d.attribute, Some(attr!(PeerModel, enrollment)));
}

// ---- plan-time checks ----

#[test]
fn a_create_or_replacement_needs_one_of_the_crypto_blocks() {
    let none = PeerModel {
        enrollment: Tf::Known(EnrollmentModel::default()),
        ..recorded_config()
    };
    for (config, ok) in [(none, false), (recorded_config(), true)] {
        let mut d = Diagnostics::new();
        PeerResource.validate_create(
            &CreatePlan {
                config: &config,
                planned: &planned_of(&config),
                replacing: true,
            },
            &mut d,
        );
        assert_eq!(d.is_empty(), ok, "{d}");
        if !ok {
            assert_eq!(
                d.iter().next().unwrap().attribute,
                Some(attr!(PeerModel, enrollment))
            );
        }
    }
    // An existing peer (imported) keeps no crypto at all: nothing to check outside a create.
    let imported = PeerModel {
        enrollment: Tf::Known(EnrollmentModel::default()),
        ..recorded_config()
    };
    assert!(errors_of(&imported).is_empty());
}

#[test]
fn an_incomplete_enrollment_is_refused_at_each_missing_attribute() {
    // As `k8s.create-peer.invalid.enrollment-missing-fields`: host and port only.
    let config = PeerModel {
        enrollment: Tf::Known(EnrollmentModel {
            ca_api_url: s("https://127.0.0.1:27064"),
            ..EnrollmentModel::default()
        }),
        ..recorded_config()
    };
    let paths: Vec<String> = errors_of(&config).into_iter().map(|(p, _)| p).collect();
    assert_eq!(
        paths,
        [
            "enrollment.ca_tls_cert",
            "enrollment.enroll_id",
            "enrollment.enroll_secret"
        ]
    );
    // Unknown values (a CA created in the same apply) are checked once known.
    let config = PeerModel {
        enrollment: Tf::Known(EnrollmentModel {
            ca_api_url: Tf::Unknown,
            ca_tls_cert: Tf::Unknown,
            ..enrollment()
        }),
        ..recorded_config()
    };
    assert!(errors_of(&config).is_empty());
}

#[test]
fn both_crypto_blocks_are_refused_and_an_msp_block_must_be_complete_and_consistent() {
    let msp = MspCryptoModel {
        ecert: s(&fixtures::read("identities/org1admin.cert.pem")),
        ekey: s(&fixtures::read("identities/org1admin.key.pem")),
        tls_cert: s(&fixtures::read("identities/org1peer0-tls.cert.pem")),
        tls_key: s(&fixtures::read("identities/org1peer0-tls.key.pem")),
        ca_root_certs: Tf::Known(vec![fixtures::read("identities/org1-ca-root.pem")]),
        tlsca_root_certs: Tf::Known(vec![fixtures::read("identities/org1-tlsca-root.pem")]),
        ..MspCryptoModel::default()
    };
    let both = PeerModel {
        msp: Tf::Known(msp.clone()),
        ..recorded_config()
    };
    assert_eq!(errors_of(&both)[0].0, "msp");
    let only_msp = PeerModel {
        enrollment: Tf::Known(EnrollmentModel::default()),
        msp: Tf::Known(msp.clone()),
        ..recorded_config()
    };
    assert!(
        errors_of(&only_msp).is_empty(),
        "{:?}",
        errors_of(&only_msp)
    );
    // Keys swapped: each names the key attribute and never shows a key.
    let swapped = PeerModel {
        msp: Tf::Known(MspCryptoModel {
            ekey: msp.tls_key.clone(),
            tls_key: msp.ekey.clone(),
            tlsca_root_certs: Tf::Null,
            ..msp
        }),
        ..only_msp
    };
    let errors = errors_of(&swapped);
    let paths: Vec<&str> = errors.iter().map(|(p, _)| p.as_str()).collect();
    assert_eq!(paths, ["msp.tlsca_root_certs", "msp.ekey", "msp.tls_key"]);
    let key_body = fixtures::read("identities/org1admin.key.pem");
    let key_line = key_body.lines().nth(1).unwrap();
    assert!(errors.iter().all(|(_, d)| !d.contains(key_line)));
}

#[test]
fn limits_without_requests_and_requests_over_limits_are_refused_per_container() {
    let config = PeerModel {
        proxy_limits: smap(&[("cpu", "1")]),
        chaincode_launcher_requests: smap(&[("memory", "2Gi")]),
        chaincode_launcher_limits: smap(&[("memory", "1Gi")]),
        ..recorded_config()
    };
    let paths: Vec<String> = errors_of(&config).into_iter().map(|(p, _)| p).collect();
    assert_eq!(paths, ["proxy_requests", "chaincode_launcher_requests"]);
}

#[test]
fn the_console_rules_for_msp_ids_storage_and_admin_certs_are_checked_at_plan() {
    let dot = PeerModel {
        msp_id: s(".."),
        ..recorded_config()
    };
    assert_eq!(errors_of(&dot)[0].0, "msp_id");
    // `k8s.create-peer.invalid.resources-unsupported-field`: state database storage without
    // the peer's ("Expected parameter 'storage.peer' to exist.").
    let statedb_only = PeerModel {
        storage_size: Tf::Null,
        ..recorded_config()
    };
    assert_eq!(errors_of(&statedb_only)[0].0, "storage_size");
    // One certificate in two spellings is one certificate to the console.
    let admin = cert("org1-admin");
    let twice = PeerModel {
        admin_certs: set(&[&admin, &console_b64(&admin)]),
        ..recorded_config()
    };
    assert_eq!(errors_of(&twice)[0].0, "admin_certs");
}

#[test]
fn config_overrides_the_console_refuses_are_refused_at_plan() {
    // The body of `k8s.create-peer.invalid.illegal-config-override`: the console named
    // config_override.peer.gossip.bootstrap, .peer.listenAddress, .chaincode.builder and .vm
    // (and a bad duration, which is the console's to judge).
    let recorded = recorded_request("k8s.create-peer.invalid.illegal-config-override");
    let text = recorded["config_override"].to_string();
    let e = check_config_override(&text, ConfigUse::Create).unwrap_err();
    for key in [
        "config_override.vm",
        "config_override.peer.listenAddress",
        "config_override.peer.gossip.bootstrap",
        "config_override.chaincode.builder",
    ] {
        assert!(e.contains(key), "{key}: {e}");
    }
    let ok = recorded_request("k8s.create-peer.valid.deployer-unreachable")["config_override"]
        .to_string();
    assert_eq!(check_config_override(&ok, ConfigUse::Create), Ok(()));
    // Case does not matter to the console; the update refuses BCCSP and ledger besides.
    let bccsp = r#"{"Peer":{"bccsp":{"Default":"PKCS11"}}}"#;
    assert_eq!(check_config_override(bccsp, ConfigUse::Create), Ok(()));
    assert!(check_config_override(bccsp, ConfigUse::Update)
        .unwrap_err()
        .contains("config_override.peer.BCCSP"));
    for bad in ["[1]", "not json", r#"{"orderer":{}}"#] {
        assert!(
            check_config_override(bad, ConfigUse::Create).is_err(),
            "{bad}"
        );
    }
    let config = PeerModel {
        config_override: s(&text),
        ..recorded_config()
    };
    assert_eq!(errors_of(&config)[0].0, "config_override");
}

#[test]
fn secrets_never_reach_validation_messages() {
    // The server masks write-only values in validator messages; our own checks never quote them.
    let config = PeerModel {
        enrollment: Tf::Known(EnrollmentModel {
            enroll_secret: s("s3cret with space"),
            ca_tls_cert: Tf::Null,
            ..enrollment()
        }),
        ..recorded_config()
    };
    for (_, detail) in errors_of(&config) {
        assert!(!detail.contains("s3cret"), "{detail}");
    }
}

// ---- updates ----

fn deployed_prior() -> PeerModel {
    live_state(&planned_of(&recorded_config()), &component())
}

#[test]
fn updates_go_one_field_each_version_first_zone_last() {
    let prior = deployed_prior();
    let admin2 = fixtures::read("identities/org1admin.cert.pem");
    let planned = PeerModel {
        zone: s("zone2"),
        version: s("2.5.13"),
        peer_requests: smap(&[("cpu", "500m"), ("memory", "1Gi")]),
        config_override: s(r#"{"peer":{"gossip":{"orgLeader":false}}}"#),
        admin_certs: set(&[&cert("org1-admin"), &admin2]),
        ..prior.clone()
    };
    let got = deployment_updates(&prior, &planned, &planned);
    let fields: Vec<&str> = got.iter().map(PeerUpdate::field_name).collect();
    assert_eq!(
        fields,
        [
            "version",
            "resources",
            "config_override",
            "admin_certs",
            "zone"
        ]
    );
    for u in &got {
        let body = serde_json::to_value(u).unwrap();
        assert_eq!(
            body.as_object().unwrap().len(),
            1,
            "one field per PUT: {body}"
        );
    }
    // Only the container that changes, its limits as configured.
    let resources = serde_json::to_value(&got[1]).unwrap()["resources"].clone();
    assert_eq!(
        resources,
        json!({"peer": {
            "requests": {"cpu": "500m", "memory": "1Gi"},
            "limits": {"cpu": "200m", "memory": "400M"}
        }})
    );
    // The whole set of admin certificates, as base64 PEM.
    let PeerUpdate::AdminCerts(certs) = &got[3] else {
        panic!("{:?}", got[3])
    };
    assert_eq!(certs.len(), 2);
    assert!(certs.iter().all(|c| c.starts_with("LS0tLS1CRUdJTi")));
}

#[test]
fn nothing_is_sent_for_unchanged_unknown_null_or_respelled_values() {
    let prior = deployed_prior();
    assert!(deployment_updates(&prior, &prior, &prior).is_empty());
    assert!(lifecycle::record_edit(&prior, &prior, &[], &SYSTEM_TAGS).is_none());
    let blank = PeerModel {
        version: Tf::Unknown,
        zone: Tf::Null,
        admin_certs: Tf::Unknown,
        config_override: Tf::Null,
        peer_requests: Tf::Unknown,
        ..prior.clone()
    };
    assert!(deployment_updates(&prior, &blank, &blank).is_empty());
    // The same admin certificate in the console's base64 is no change.
    let respelled = PeerModel {
        admin_certs: set(&[&console_b64(&cert("org1-admin"))]),
        ..prior.clone()
    };
    assert!(deployment_updates(&prior, &respelled, &respelled).is_empty());
    // Names and tags are record edits, with the console's own tags sent back.
    let record = PeerModel {
        display_name: s("Renamed"),
        tags: set(&["tf", "new"]),
        ..prior.clone()
    };
    assert!(deployment_updates(&prior, &record, &record).is_empty());
    let current = ["fabric-peer".to_string(), "ibm_saas".to_string()];
    let edit = lifecycle::record_edit(&prior, &record, &current, &SYSTEM_TAGS).unwrap();
    assert_eq!(edit.display_name.as_deref(), Some("Renamed"));
    assert_eq!(
        edit.tags,
        Some(vec![
            "new".into(),
            "tf".into(),
            "fabric-peer".into(),
            "ibm_saas".into()
        ])
    );
}

#[test]
fn an_update_counts_as_done_once_the_console_reports_it() {
    let c = component();
    assert!(reflects(&c, &PeerUpdate::Version("2.5.12".into())));
    assert!(!reflects(&c, &PeerUpdate::Version("2.5.13".into())));
    assert!(reflects(&c, &PeerUpdate::Zone("zone9".into())));
    let admin = cert("org1-admin");
    assert!(reflects(
        &c,
        &PeerUpdate::AdminCerts(vec![console_b64(&admin)])
    ));
    let other = fixtures::read("identities/org1admin.cert.pem");
    assert!(!reflects(
        &c,
        &PeerUpdate::AdminCerts(vec![console_b64(&admin), console_b64(&other)])
    ));
    assert!(reflects(
        &c,
        &PeerUpdate::Resources(json!({"statedb": {"requests": {"cpu": "0.2"}}}))
    ));
    assert!(!reflects(
        &c,
        &PeerUpdate::Resources(json!({"peer": {"requests": {"cpu": "1"}}}))
    ));
}

// ---- the console's view ----

#[test]
fn live_state_maps_the_console_view() {
    let base = PeerModel {
        timeouts: Tf::Known(TimeoutsModel(BTreeMap::from([(
            "create".to_string(),
            s("30m"),
        )]))),
        ..PeerModel::default()
    };
    let st = live_state(&base, &component());
    assert_eq!(st.id, s("newpeer"));
    assert_eq!(st.display_name, s("New Peer"));
    assert_eq!(st.msp_id, s("Org1MSP"));
    assert_eq!(st.api_url, s("grpcs://127.0.0.1:27051"));
    assert_eq!(st.grpcwp_url, s("https://127.0.0.1:27443"));
    assert_eq!(st.operations_url, s("https://127.0.0.1:29444"));
    assert_eq!(st.state_db, s("couchdb"));
    assert_eq!(st.version, s("2.5.12-0"));
    assert_eq!(st.zone, s("zone1"));
    assert_eq!(st.region, Tf::Null);
    assert_eq!(
        st.peer_requests,
        smap(&[("cpu", "200m"), ("memory", "400M")])
    );
    assert_eq!(
        st.proxy_limits,
        smap(&[("cpu", "100m"), ("memory", "200Mi")])
    );
    assert_eq!(
        st.statedb_requests,
        smap(&[("cpu", "200m"), ("memory", "400M")])
    );
    assert_eq!(
        st.chaincode_launcher_limits,
        smap(&[("cpu", "2"), ("memory", "2Gi")])
    );
    assert_eq!(st.storage_size, s("10Gi"));
    assert_eq!(st.statedb_storage_class, s("default"));
    assert_eq!(st.tags, set(&["tf"]));
    // Certificates as PEM text.
    assert_eq!(st.ecert, s(&cert("peer0-ecert")));
    assert_eq!(st.tls_cert, s(&cert("peer0-tls")));
    assert_eq!(st.admin_certs, set(&[&cert("org1-admin")]));
    assert_eq!(st.tlsca_root_certs, Tf::Known(vec![cert("org1-tlsca")]));
    let co: Json = serde_json::from_str(st.config_override.as_str().unwrap()).unwrap();
    assert_eq!(co["peer"]["gossip"]["orgLeader"], true);
    // The crypto blocks are never null, and never hold anything.
    assert_eq!(st.enrollment, Tf::Known(EnrollmentModel::default()));
    assert_eq!(st.msp, Tf::Known(MspCryptoModel::default()));
    assert_eq!(st.timeouts, base.timeouts);
}

#[test]
fn the_state_database_sizing_is_read_under_its_legacy_names_too() {
    let c = component_with(|j| {
        let r = j["resources"].as_object_mut().unwrap();
        r.remove("statedb");
        let s = j["storage"].as_object_mut().unwrap();
        let statedb = s.remove("statedb").unwrap();
        s.insert("leveldb".into(), statedb);
    });
    let st = live_state(&PeerModel::default(), &c);
    assert_eq!(
        st.statedb_requests,
        smap(&[("cpu", "200m"), ("memory", "400M")])
    );
    assert_eq!(st.statedb_storage_size, s("10Gi"));
}

#[test]
fn a_sparse_answer_maps_to_nulls_not_unknowns() {
    let c: Component = serde_json::from_value(json!({
        "id": "bare", "display_name": "Bare", "type": "fabric-peer", "location": "ibm_saas",
        "tags": ["fabric-peer", "ibm_saas"], "config_override": {}
    }))
    .unwrap();
    let st = live_state(&PeerModel::default(), &c);
    assert_eq!(st.admin_certs, Tf::Null);
    assert_eq!(st.config_override, Tf::Null);
    assert_eq!(st.tags, Tf::Null);
    assert_eq!(st.ecert, Tf::Null);
    assert_eq!(st.peer_requests, Tf::Null);
    assert_eq!(st.ca_root_certs, Tf::Known(Vec::new()));
    assert!(st.to_value().is_wholly_known());
}

#[test]
fn export_json_is_the_console_peer_export() {
    let st = live_state(&PeerModel::default(), &component());
    let text = st.export_json.known().unwrap();
    let doc: Json = serde_json::from_str(text).unwrap();
    assert_eq!(doc["type"], "fabric-peer");
    assert_eq!(doc["display_name"], "New Peer");
    assert_eq!(doc["msp_id"], "Org1MSP");
    assert_eq!(doc["api_url"], "grpcs://127.0.0.1:27051");
    assert_eq!(doc["grpcwp_url"], "https://127.0.0.1:27443");
    assert_eq!(doc["location"], DEFAULT_PLATFORM);
    assert_eq!(doc["name"], "New Peer");
    // The base64 PEMs as the console holds them; the legacy fields an older console reads.
    let msp = &console_json()["msp"];
    assert_eq!(doc["msp"], *msp);
    assert_eq!(doc["tls_cert"], msp["component"]["tls_cert"]);
    assert_eq!(doc["pem"], msp["component"]["tls_cert"]);
    assert_eq!(doc["tls_ca_root_cert"], msp["tlsca"]["root_certs"][0]);
    for internal in [
        "config_override",
        "resources",
        "tags",
        "timestamp",
        "version",
    ] {
        assert!(doc.get(internal).is_none(), "{internal}");
    }
    assert!(text.starts_with("{\n    \"api_url\""), "{text}");
}

#[test]
fn applied_state_keeps_known_planned_values_and_fills_the_rest() {
    let mut planned = planned_of(&recorded_config());
    planned.id = Tf::Unknown;
    planned.api_url = Tf::Unknown;
    planned.ecert = Tf::Unknown;
    planned.proxy_requests = Tf::Unknown;
    planned.export_json = Tf::Unknown;
    let st = PeerModel::applied_state(&planned, &component());
    // Known planned values win, even where the console words them differently.
    assert_eq!(st.version, s("2.5.12"));
    assert_eq!(st.display_name, s("New Peer"));
    assert_eq!(st.id, s("newpeer"));
    assert_eq!(st.api_url, s("grpcs://127.0.0.1:27051"));
    assert_eq!(
        st.proxy_requests,
        smap(&[("cpu", "100m"), ("memory", "200Mi")])
    );
    assert!(st.ecert.is_known() && st.export_json.is_known());
    assert!(st.to_value().is_wholly_known());
}

// ---- plans: the framework's pipeline on this schema ----

/// Runs the framework's plan engine as the server does (without modify_plan).
fn plan_update(prior: &PeerModel, config: &PeerModel) -> (Value, Vec<AttributePath>) {
    let schema = schema();
    let (prior, config) = (prior.to_value(), config.to_value());
    let mut proposed = prior.clone();
    if let Some(m) = config.as_map() {
        for (k, v) in m {
            let computed = schema.block.get_attribute(k).is_some_and(|a| a.computed);
            if !v.is_null() || !computed {
                proposed.set(k, v.clone());
            }
        }
    }
    let change = crate::framework::plan_resource_change(&schema, &prior, &proposed, &config);
    (change.planned, change.requires_replace)
}

/// The plan of a create, as the framework's engine makes it (computed values unknown,
/// write-only values null).
fn plan_create(config: &PeerModel) -> PeerModel {
    let config = config.to_value();
    let change = crate::framework::plan_resource_change(&schema(), &Value::Null, &config, &config);
    PeerModel::from_value(&change.planned).unwrap()
}

#[test]
fn an_imported_peer_with_its_configuration_plans_no_change() {
    // Import knows nothing of the crypto; the configuration has the enrollment block (with
    // secrets), the console's spellings differ from the user's.
    let imported = live_state(
        &PeerModel {
            enrollment: Tf::Known(EnrollmentModel::default()),
            msp: Tf::Known(MspCryptoModel::default()),
            ..PeerModel::default()
        },
        &component(),
    );
    let config = PeerModel {
        version: s("2.5.12"),
        peer_requests: smap(&[("cpu", "0.2"), ("memory", "400M")]),
        statedb_requests: smap(&[("memory", "400M"), ("cpu", "200m")]),
        peer_limits: Tf::Null,
        config_override: s(
            r#"{"peer":{"keepalive":{"minInterval":"60s"},"gossip":{"orgLeader":true}}}"#,
        ),
        ..recorded_config()
    };
    let (planned, replace) = plan_update(&imported, &config);
    assert!(replace.is_empty(), "{replace:?}");
    assert_eq!(planned, imported.to_value(), "no change planned");
}

#[test]
fn real_changes_are_planned_with_the_replacement_they_need() {
    let prior = deployed_prior();
    let (_, replace) = plan_update(
        &prior,
        &PeerModel {
            storage_size: s("20Gi"),
            ..recorded_config()
        },
    );
    assert_eq!(replace, vec![attr!(PeerModel, storage_size)]);
    let (_, replace) = plan_update(
        &prior,
        &PeerModel {
            state_db: s("leveldb"),
            ..recorded_config()
        },
    );
    assert_eq!(replace, vec![attr!(PeerModel, state_db)]);
    // Other enrollment values (write-only) are no change at all.
    let (planned, replace) = plan_update(
        &prior,
        &PeerModel {
            enrollment: Tf::Known(EnrollmentModel {
                enroll_secret: s("rotated"),
                ..enrollment()
            }),
            ..recorded_config()
        },
    );
    assert!(replace.is_empty());
    assert_eq!(planned, prior.to_value());
}

// ---- the lifecycle on an in-memory console ----

/// What the in-memory console holds, and what it was asked.
#[derive(Default)]
struct ConsoleState {
    components: BTreeMap<String, Json>,
    log: Vec<String>,
}

/// A console whose deployer creates peers from their bodies the way athena records them
/// (docs/dev/peer.md#what-the-console-keeps) and applies each update at once.
#[derive(Default)]
struct FakeConsole(Mutex<ConsoleState>);

impl FakeConsole {
    fn log(&self) -> Vec<String> {
        self.0.lock().unwrap().log.clone()
    }
    fn doc(&self, id: &str) -> Json {
        self.0.lock().unwrap().components[id].clone()
    }
}

fn decode(doc: &Json) -> Component {
    serde_json::from_value(doc.clone()).unwrap()
}

#[async_trait]
impl ComponentApi for FakeConsole {
    fn console_url(&self) -> String {
        "https://console.example:7070".into()
    }
    async fn components(&self) -> Result<Vec<Component>, ConsoleError> {
        let s = self.0.lock().unwrap();
        Ok(s.components.values().map(decode).collect())
    }
    async fn name_lock(&self, _t: &str, _name: &str) -> NameLock {
        std::sync::Arc::new(tokio::sync::Mutex::new(()))
            .lock_owned()
            .await
    }
    async fn create(
        &self,
        post: Post,
        body: &Json,
        expected: &Expected<'_>,
    ) -> Result<Component, CreateError> {
        assert_eq!(post, Post::Deployer);
        let mut s = self.0.lock().unwrap();
        s.log.push(format!("create {}", expected.id));
        let e = &body["crypto"]["enrollment"];
        let mut doc = console_json();
        let o = doc.as_object_mut().unwrap();
        o.insert("id".into(), json!(expected.id));
        o.insert("display_name".into(), body["display_name"].clone());
        o.insert("msp_id".into(), body["msp_id"].clone());
        o.insert("version".into(), json!("2.5.12-0"));
        doc["msp"]["component"]["admin_certs"] = e["component"]["admincerts"].clone();
        doc["msp"]["tlsca"]["root_certs"] = json!([e["tlsca"]["tls_cert"].clone()]);
        s.components.insert(expected.id.to_owned(), doc.clone());
        Ok(decode(&doc))
    }
    async fn get_fresh(&self, id: &str) -> Result<Option<Component>, ConsoleError> {
        let mut s = self.0.lock().unwrap();
        s.log.push(format!("get {id}"));
        Ok(s.components.get(id).map(decode))
    }
    async fn get_shared(&self, id: &str) -> Result<Option<Component>, ConsoleError> {
        self.get_fresh(id).await
    }
    async fn update(&self, t: &str, id: &str, body: &Json) -> Result<(), ConsoleError> {
        let mut s = self.0.lock().unwrap();
        let field = body.as_object().unwrap().keys().next().unwrap().clone();
        s.log.push(format!("put {t} {id} {field}"));
        let doc = s.components.get_mut(id).unwrap();
        match field.as_str() {
            "admin_certs" => doc["msp"]["component"]["admin_certs"] = body[&field].clone(),
            "version" => doc["version"] = json!(format!("{}-0", body[&field].as_str().unwrap())),
            "resources" => {
                for (part, sizing) in body[&field].as_object().unwrap() {
                    doc["resources"][part] = sizing.clone();
                }
            }
            other => doc[other] = body[&field].clone(),
        }
        Ok(())
    }
    async fn edit(
        &self,
        _t: &str,
        id: &str,
        edit: &EditComponentRequest,
    ) -> Result<(), ConsoleError> {
        let mut s = self.0.lock().unwrap();
        s.log.push(format!("edit {id}"));
        if let Some(name) = &edit.display_name {
            s.components.get_mut(id).unwrap()["display_name"] = json!(name);
        }
        Ok(())
    }
    async fn delete(&self, id: &str) -> Result<(), ConsoleError> {
        let mut s = self.0.lock().unwrap();
        s.log.push(format!("delete {id}"));
        s.components.remove(id);
        Ok(())
    }
    async fn remove(&self, _id: &str) -> Result<(), ConsoleError> {
        unreachable!("a deployed peer is deleted, never only removed")
    }
}

/// `/healthz` answers: unhealthy (CouchDB still starting) `unhealthy_for` times, then OK.
struct FakeHealth {
    unhealthy_for: Mutex<usize>,
    trusted: Mutex<Vec<String>>,
}

#[async_trait]
impl HealthProbe for FakeHealth {
    async fn healthz(&self, url: &str, trusted: Option<&[u8]>) -> Result<Health, HealthError> {
        assert_eq!(url, "https://127.0.0.1:29444");
        self.trusted
            .lock()
            .unwrap()
            .push(String::from_utf8(trusted.unwrap_or_default().to_vec()).unwrap());
        let mut left = self.unhealthy_for.lock().unwrap();
        if *left > 0 {
            *left -= 1;
            return Ok(Health::Unavailable("couchdb: not ready".into()));
        }
        Ok(Health::Ok)
    }
}

fn kind(unhealthy_for: usize) -> PeerKind<FakeHealth> {
    PeerKind {
        probe: FakeHealth {
            unhealthy_for: Mutex::new(unhealthy_for),
            trusted: Mutex::new(Vec::new()),
        },
    }
}

fn op() -> Operation {
    Operation::new(
        Duration::from_secs(600),
        "timeouts.create",
        CancellationToken::new(),
    )
}

#[tokio::test(start_paused = true)]
async fn a_create_waits_until_healthz_reports_ok_trusting_the_peers_tls_ca() {
    let console = FakeConsole::default();
    let k = kind(3);
    let config = recorded_config();
    let body = body_of(&config);
    let c = Lifecycle::new(&k, &console)
        .create(&op(), "New Peer", &body)
        .await
        .unwrap();
    assert_eq!(c.id, "newpeer");
    assert_eq!(console.log(), ["create newpeer", "get newpeer"]);
    let trusted = k.probe.trusted.lock().unwrap().clone();
    assert_eq!(trusted.len(), 4, "probed until OK");
    // The TLS CA root the console recorded, and the peer's own TLS certificate.
    assert!(trusted[0].contains(cert("org1-tlsca").trim()));
    assert!(trusted[0].contains(cert("peer0-tls").trim()));
    // The state after the create: the plan's values, the console's for the rest.
    let st = PeerModel::applied_state(&plan_create(&config), &c);
    assert_eq!(st.admin_certs, set(&[&cert("org1-admin")]));
    assert_eq!(st.ecert, s(&cert("peer0-ecert")));
    assert!(st.to_value().is_wholly_known());
}

#[tokio::test(start_paused = true)]
async fn an_update_sends_each_field_alone_and_waits_for_each() {
    let console = FakeConsole::default();
    let k = kind(0);
    let config = recorded_config();
    Lifecycle::new(&k, &console)
        .create(&op(), "New Peer", &body_of(&config))
        .await
        .unwrap();
    let prior = PeerModel::applied_state(&plan_create(&config), &decode(&console.doc("newpeer")));
    let admin2 = fixtures::read("identities/org1admin.cert.pem");
    let planned = PeerModel {
        display_name: s("Renamed Peer"),
        version: s("2.5.13"),
        admin_certs: set(&[&admin2]),
        ..prior.clone()
    };
    let edit = lifecycle::record_edit(&prior, &planned, &[], &SYSTEM_TAGS);
    let updates = deployment_updates(&prior, &planned, &planned);
    let c = Lifecycle::new(&k, &console)
        .update(&op(), "newpeer", edit.as_ref(), &updates)
        .await
        .unwrap();
    let puts: Vec<String> = console
        .log()
        .into_iter()
        .filter(|l| l.starts_with("put") || l.starts_with("edit"))
        .collect();
    assert_eq!(
        puts,
        [
            "edit newpeer",
            "put fabric-peer newpeer version",
            "put fabric-peer newpeer admin_certs"
        ]
    );
    let st = PeerModel::applied_state(&planned, &c);
    assert_eq!(st.display_name, s("Renamed Peer"));
    assert_eq!(st.version, s("2.5.13"));
    assert_eq!(
        live_state(&st, &c).admin_certs,
        Tf::Known(BTreeSet::from([canonical_pem(&admin2)]))
    );
}

#[tokio::test(start_paused = true)]
async fn an_unhealthy_peer_is_reported_with_the_last_answer_when_time_runs_out() {
    let console = FakeConsole::default();
    let k = kind(usize::MAX);
    let short = Operation::new(
        Duration::from_secs(30),
        "timeouts.create",
        CancellationToken::new(),
    );
    let err = Lifecycle::new(&k, &console)
        .create(&short, "New Peer", &body_of(&recorded_config()))
        .await
        .unwrap_err();
    match err {
        CreateFailure::NotReady { component, error } => {
            assert_eq!(component.id, "newpeer");
            assert!(
                error.detail.contains("couchdb: not ready"),
                "{}",
                error.detail
            );
            assert!(
                error.detail.contains("timeouts.create (30s)"),
                "{}",
                error.detail
            );
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test(start_paused = true)]
async fn only_a_deployed_peer_is_this_resource() {
    type Peer<'a> = Lifecycle<'a, PeerKind<FakeHealth>, FakeConsole>;
    assert!(Peer::is_ours(&component()));
    assert!(!Peer::is_ours(&component_with(
        |j| j["location"] = json!("-")
    )));
    assert!(!Peer::is_ours(&component_with(
        |j| j["type"] = json!("fabric-ca")
    )));
    // An import of an imported peer is refused with the reason.
    let console = FakeConsole::default();
    console.0.lock().unwrap().components.insert(
        "peer0org1".into(),
        console_json_with_id("peer0org1", |j| j["location"] = json!("-")),
    );
    let err = Lifecycle::new(&kind(0), &console)
        .import("peer0org1", "blockchain_peer")
        .await
        .unwrap_err();
    assert!(!err.detail.is_empty(), "{err:?}");
}

fn console_json_with_id(id: &str, edit: impl FnOnce(&mut Json)) -> Json {
    let mut j = console_json();
    j["id"] = json!(id);
    edit(&mut j);
    j
}

#[tokio::test(start_paused = true)]
async fn the_resource_steps_create_read_update_and_delete_through_the_lifecycle() {
    let console = FakeConsole::default();
    let k = kind(1);
    let deployed = Deployed::new(&k, &console, &DEFAULTS, CancellationToken::new());
    let config = recorded_config();
    let planned = plan_create(&config);
    let mut private = Private::default();
    let created = deployed
        .create(&planned, &body_of(&config), &mut private)
        .await
        .unwrap();
    assert_eq!(created.id, s("newpeer"));
    assert!(created.to_value().is_wholly_known());

    // A read maps the console's view; the prior spelling is the framework's to keep.
    let read = deployed
        .read(&created, &mut private)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(read.version, s("2.5.12-0"));

    // A tag change reads the console's own tags and sends them back with the user's.
    let planned = PeerModel {
        tags: set(&["tf", "extra"]),
        zone: s("zone2"),
        ..created.clone()
    };
    let edits = std::sync::Mutex::new(Vec::new());
    let updates = deployment_updates(&created, &planned, &planned);
    let updated = deployed
        .update(
            &created,
            &planned,
            |tags| {
                edits.lock().unwrap().push(tags.to_vec());
                lifecycle::record_edit(&created, &planned, tags, &SYSTEM_TAGS)
            },
            &updates,
        )
        .await
        .unwrap();
    assert_eq!(
        edits.lock().unwrap().clone(),
        vec![vec![
            "fabric-peer".to_string(),
            "ibm_saas".into(),
            "tf".into()
        ]]
    );
    assert_eq!(updated.zone, s("zone2"));
    assert!(console
        .log()
        .contains(&"put fabric-peer newpeer zone".to_string()));

    // Delete, then the read finds nothing.
    deployed.delete(&updated, &private).await.unwrap();
    assert_eq!(deployed.read(&updated, &mut private).await.unwrap(), None);
}

#[test]
fn limits_left_to_the_console_follow_new_requests_and_are_not_sent() {
    // The console copied the requests to the limits at create; the user sets requests only.
    let prior = deployed_prior();
    let config = PeerModel {
        peer_requests: smap(&[("cpu", "300m"), ("memory", "500Mi")]),
        statedb_requests: smap(&[("cpu", "1"), ("memory", "1Gi")]),
        peer_limits: Tf::Null,
        statedb_limits: Tf::Null,
        ..recorded_config()
    };
    let mut planned = PeerModel {
        peer_requests: config.peer_requests.clone(),
        statedb_requests: config.statedb_requests.clone(),
        ..prior.clone()
    };
    unknown_followed_limits(&prior, &config, &mut planned);
    assert_eq!(planned.peer_limits, Tf::Unknown);
    assert_eq!(planned.statedb_limits, Tf::Unknown);
    assert_eq!(
        planned.proxy_limits, prior.proxy_limits,
        "unchanged requests keep theirs"
    );
    let updates = deployment_updates(&prior, &planned, &config);
    let body = serde_json::to_value(&updates[0]).unwrap();
    // No limits: the console's would be below the new requests. The state database's
    // entry under the name the console's update forwards.
    assert_eq!(
        body,
        json!({"resources": {
            "peer": {"requests": {"cpu": "300m", "memory": "500Mi"}},
            "couchdb": {"requests": {"cpu": "1", "memory": "1Gi"}}
        }})
    );
    // A LevelDB peer has no state database container to size.
    let leveldb = PeerModel {
        state_db: s("leveldb"),
        ..config
    };
    assert_eq!(errors_of(&leveldb)[0].0, "statedb_requests");
}
