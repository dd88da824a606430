//! `blockchain_peer_import` unit tests: the export's mapping, plan-time checks, the plan
//! (edit or replacement), the bodies sent and the state read back, against the recordings.

use super::*;
use crate::framework::Private;
use crate::resources::pem::console_b64;
use crate::resources::test_util::config_errors;
use serde_json::json;

const ORG1_CA: &str = include_str!("../../../tests/emulator/fixtures/console/certs/org1-ca.pem");
const ORG1_TLSCA: &str =
    include_str!("../../../tests/emulator/fixtures/console/certs/org1-tlsca.pem");
const ORG1_ADMIN: &str =
    include_str!("../../../tests/emulator/fixtures/console/certs/org1-admin.pem");
const PEER_TLS: &str = include_str!("../../../tests/emulator/fixtures/console/certs/peer0-tls.pem");
const PEER_ECERT: &str =
    include_str!("../../../tests/emulator/fixtures/console/certs/peer0-ecert.pem");
const V1: &str = include_str!("../../../tests/emulator/fixtures/console/certs/v1.pem");

/// The recorded exchanges of the real console (athena), as the emulator replays them.
const EXCHANGES: &str = include_str!("../../../tests/emulator/fixtures/console/exchanges.jsonl");

/// The JSON body at `part` (`request` or `response`) of the recorded exchange `name`.
fn recorded_body(name: &str, part: &str) -> Json {
    let ex: Json = EXCHANGES
        .lines()
        .map(|l| serde_json::from_str::<Json>(l).unwrap())
        .find(|e| e["name"] == name)
        .unwrap_or_else(|| panic!("no recorded exchange {name}"));
    serde_json::from_str(ex[part]["body"].as_str().unwrap()).unwrap()
}

/// The plan of `config` over `prior`, as the framework hands it to `modify_plan`.
fn plan(
    config: &PeerImportModel,
    prior: Option<&PeerImportModel>,
) -> (PeerImportModel, Vec<AttributePath>) {
    let mut planned = match prior {
        Some(p) => PeerImportModel {
            export_json: config.export_json.clone(),
            tags: config.tags.clone(),
            ..p.clone()
        },
        // A create: the engine plans every computed attribute the configuration leaves null
        // unknown.
        None => PeerImportModel {
            id: Tf::Unknown,
            console_export_json: Tf::Unknown,
            ..config.clone()
        },
    };
    let mut requires_replace = Vec::new();
    let mut private = Private::default();
    let mut diagnostics = Diagnostics::new();
    let ctx = ResourceContext::new(None, tokio_util::sync::CancellationToken::new());
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    rt.block_on(PeerImportResource.modify_plan(
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
    (planned, requires_replace)
}

fn from_export(export: &Json) -> PeerImportModel {
    PeerImportModel {
        export_json: Tf::Known(export.to_string()),
        ..Default::default()
    }
}

fn errors(m: &PeerImportModel) -> Vec<(String, String)> {
    config_errors(&PeerImportResource, m)
}

#[test]
fn the_recorded_import_body_round_trips_through_the_resource() {
    // Exchange `import.peer` sent the fields the console UI's import sends; taken as an export,
    // the resource plans and sends exactly that body again.
    let recorded = recorded_body("import.peer", "request");
    let mut config = from_export(&recorded);
    config.tags = Tf::Known(["tf".to_owned(), "peers".to_owned()].into());
    let (planned, _) = plan(&config, None);
    assert_eq!(planned.display_name, Tf::Known("Peer0 Org1".to_owned()));
    assert_eq!(planned.location, Tf::Known("-".to_owned()));
    assert_eq!(planned.tls_cert, Tf::Known(canonical_pem(PEER_TLS)));
    assert_eq!(planned.ecert, Tf::Known(canonical_pem(PEER_ECERT)));
    assert_eq!(
        planned.admin_certs,
        Tf::Known(vec![canonical_pem(ORG1_ADMIN)])
    );
    assert_eq!(
        planned.ca_root_certs,
        Tf::Known(vec![canonical_pem(ORG1_CA)])
    );
    assert_eq!(
        planned.tlsca_root_certs,
        Tf::Known(vec![canonical_pem(ORG1_TLSCA)])
    );
    let mut body = import_body(&planned);
    let mut expected = recorded;
    // A set of tags: sent sorted.
    expected["tags"] = json!(["peers", "tf"]);
    body["tags"] = json!(body["tags"]);
    assert_eq!(body, expected);
}

#[test]
fn an_export_is_read_as_the_console_uis_import_reads_it() {
    // Legacy fields fill in a missing msp; a gRPC-web URL without a port gets the scheme's;
    // the UI's bookkeeping fields are carried over.
    let export = json!({
        "type": "fabric-peer",
        "name": "Legacy Peer",
        "msp_id": "Org1MSP",
        "grpcwp_url": "https://peer.example.org/path",
        "tls_cert": console_b64(PEER_TLS),
        "tls_ca_root_cert": console_b64(ORG1_TLSCA),
        "migrated_from": "ibm_saas",
        "cluster_type": "",
        "node_ou": {"enabled": false}
    });
    let d = peer_export(&export.to_string()).unwrap();
    assert_eq!(d.display_name.as_deref(), Some("Legacy Peer"));
    assert_eq!(
        d.grpcwp_url.as_deref(),
        Some("https://peer.example.org:443")
    );
    assert_eq!(d.tls_cert, Some(canonical_pem(PEER_TLS)));
    assert_eq!(d.tlsca_root_certs, [canonical_pem(ORG1_TLSCA)]);
    assert_eq!(d.node_ou_enabled, Some(false));
    assert_eq!(
        d.carried,
        json!({"migrated_from": "ibm_saas"})
            .as_object()
            .cloned()
            .unwrap()
    );
    let body = d.import_body(NodeKind::Peer, None);
    assert_eq!(body["node_ou"], json!({"enabled": false}));
    assert_eq!(body["migrated_from"], "ibm_saas");
    assert!(body.get("cluster_type").is_none());

    let orderer = json!({"type": "fabric-orderer", "display_name": "O"}).to_string();
    assert!(peer_export(&orderer)
        .unwrap_err()
        .contains("fabric-orderer"));
    let two = json!([{"display_name": "a"}, {"display_name": "b"}]).to_string();
    assert!(peer_export(&two).unwrap_err().contains("2 nodes"));
    let v1 = json!({"msp": {"component": {"tls_cert": console_b64(V1)}}}).to_string();
    let e = peer_export(&v1).unwrap_err();
    assert!(
        e.contains("msp.component.tls_cert") && e.contains("v3"),
        "{e}"
    );
}

#[test]
fn plan_time_checks_name_the_attribute() {
    let bad = PeerImportModel {
        display_name: "Peer".into(),
        tls_cert: Tf::Known(V1.to_owned()),
        admin_certs: Tf::Known(vec![ORG1_ADMIN.to_owned(), "Zm9v".to_owned()]),
        tlsca_root_certs: Tf::Known(Vec::new()),
        location: "ibm_saas".into(),
        ..Default::default()
    };
    let paths: Vec<String> = errors(&bad).into_iter().map(|(p, _)| p).collect();
    assert_eq!(
        paths,
        ["tls_cert", "admin_certs[1]", "tlsca_root_certs", "location"]
    );
    assert_eq!(errors(&PeerImportModel::default())[0].0, "display_name");
    let mut export = recorded_body("import.peer", "request");
    export["api_url"] = json!("https://not-grpc.example.org:7051");
    export["msp_id"] = json!("Org1/MSP");
    let errs = errors(&from_export(&export));
    assert_eq!(errs.len(), 2, "{errs:?}");
    assert!(errs.iter().all(|(p, _)| p == "export_json"));
    assert!(errs[0].1.contains("msp_id"), "{errs:?}");
    assert!(errs[1].1.contains("api_url"), "{errs:?}");
    assert!(errors(&from_export(&recorded_body("import.peer", "request"))).is_empty());
}

fn applied() -> PeerImportModel {
    let config = from_export(&recorded_body("import.peer", "request"));
    let (planned, _) = plan(&config, None);
    let c: Component = serde_json::from_value(recorded_body(
        "components.get.peer.deployment-attrs",
        "response",
    ))
    .unwrap();
    records::applied_state(&planned, &c)
}

#[test]
fn the_recorded_record_reads_back_as_what_was_imported() {
    let state = applied();
    assert_eq!(state.id, Tf::Known("peer0org1".to_owned()));
    assert_eq!(state.ecert, Tf::Known(canonical_pem(PEER_ECERT)));
    assert_eq!(state.ca_name, Tf::Known("ca".to_owned()));
    assert_eq!(state.tlsca_name, Tf::Known("tlsca".to_owned()));
    // No tags configured: the console's are not the user's to manage.
    assert_eq!(state.tags, Tf::Null);
    let c: Component =
        serde_json::from_value(recorded_body("components.get.peer", "response")).unwrap();
    let managed = PeerImportModel {
        tags: Tf::Known(BTreeSet::new()),
        ..state.clone()
    };
    // Managed: the user's tags, without the console's own `fabric-peer`.
    assert_eq!(
        live_state(&managed, &c).tags,
        Tf::Known(["peers".to_owned(), "tf".to_owned()].into())
    );
    let export: Json = serde_json::from_str(state.console_export_json.known().unwrap()).unwrap();
    assert_eq!(export["type"], "fabric-peer");
    assert_eq!(export["imported"], true);
    assert_eq!(export["tls_ca_root_cert"], console_b64(ORG1_TLSCA));
    // Its export imports the same peer again.
    let again = peer_export(state.console_export_json.known().unwrap()).unwrap();
    assert_eq!(
        again,
        NodeDefinition {
            carried: Map::new(),
            ..definition(&state)
        }
    );
}

#[test]
fn drift_plans_an_edit_and_what_no_edit_can_do_a_replacement() {
    let prior = applied();
    let config = PeerImportModel {
        tags: prior.tags.clone(),
        ..from_export(&recorded_body("import.peer", "request"))
    };
    // Nothing changed: nothing planned, the export kept.
    let (same, replace) = plan(&config, Some(&prior));
    assert!(replace.is_empty());
    assert_eq!(same, prior);

    // Renamed on the console and its URL moved: edited back.
    let drifted = PeerImportModel {
        display_name: "Renamed".into(),
        api_url: "grpcs://elsewhere:1".into(),
        ..prior.clone()
    };
    let (planned, replace) = plan(&config, Some(&drifted));
    assert!(replace.is_empty());
    assert_eq!(planned.display_name, prior.display_name);
    assert!(planned.console_export_json.is_unknown());
    let edit = definition(&planned).edit_fields(&definition(&drifted), NodeKind::Peer);
    assert_eq!(json!(edit), json!({"api_url": "grpcs://127.0.0.1:27051"}));

    // An export without the ecert, or with another NodeOU setting: a new record.
    let mut export = recorded_body("import.peer", "request");
    export["msp"]["component"]
        .as_object_mut()
        .unwrap()
        .remove("ecert");
    export["node_ou"] = json!({"enabled": true});
    let (planned, replace) = plan(&from_export(&export), Some(&prior));
    let paths: Vec<String> = replace.iter().map(ToString::to_string).collect();
    assert_eq!(paths, ["ecert", "node_ou_enabled"]);
    assert!(planned.console_export_json.is_unknown());
    assert_eq!(
        planned.display_name, prior.display_name,
        "planned for the new record"
    );

    // An export not known yet: no decision, nothing replaced.
    let unknown = PeerImportModel {
        export_json: Tf::Unknown,
        ..Default::default()
    };
    let (planned, replace) = plan(&unknown, Some(&prior));
    assert!(replace.is_empty());
    assert!(planned.display_name.is_unknown());
}

#[test]
fn an_edit_of_a_certificate_sends_the_whole_msp() {
    let prior = applied();
    let planned = PeerImportModel {
        admin_certs: Tf::Known(Vec::new()),
        ..prior.clone()
    };
    let edit = definition(&planned).edit_fields(&definition(&prior), NodeKind::Peer);
    let msp = &edit["msp"];
    // The console's msp edit needs component and tlsca (`edit.peer.msp-partial`).
    assert_eq!(
        msp["component"]["tls_cert"],
        console_b64(&canonical_pem(PEER_TLS))
    );
    // An empty list, or the console would keep the stored one.
    assert_eq!(msp["component"]["admin_certs"], json!([]));
    assert_eq!(
        msp["tlsca"]["root_certs"][0],
        console_b64(&canonical_pem(ORG1_TLSCA))
    );
    assert_eq!(edit.len(), 1);
    assert!(definition(&prior)
        .edit_fields(&definition(&prior), NodeKind::Peer)
        .is_empty());
}
