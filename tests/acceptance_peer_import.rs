//! Acceptance test for `blockchain_peer_import`: a peer's export (written literally, its
//! certificates from a CA in region 1) imported into region 2's console, and region 2's export
//! of the record imported on into region 1's: "import every peer into every console". The real
//! terraform binary, the provider built by cargo, the emulator on loopback.

mod support;

use reqwest::Method;
use serde_json::json;
use support::{
    planned_changes, provider_block, start_emulator, ConsoleUser, Workspace, TERRAFORM_BLOCK,
};
use tokio::task::block_in_place;

fn config(region1: &str, region2: &str) -> String {
    let p1 = provider_block(Some("region1"), region1, "  retry_max_wait = \"2s\"\n");
    let p2 = provider_block(Some("region2"), region2, "  retry_max_wait = \"2s\"\n");
    format!(
        r#"{TERRAFORM_BLOCK}
{p1}
{p2}
resource "blockchain_ca" "org1" {{
  provider            = blockchain.region1
  display_name        = "Org1 CA"
  admin_enroll_id     = "admin"
  admin_enroll_secret = "adminpw-very-secret"
}}

locals {{
  # A peer export as its console would write it (base64 PEMs). The CA's own certificates
  # stand in for the peer's: the console accepts any X.509 v3 certificate.
  peer_export = jsonencode({{
    type           = "fabric-peer"
    display_name   = "Peer0 Org1"
    msp_id         = "Org1MSP"
    api_url        = "grpcs://peer0.org1.example.org:7051"
    grpcwp_url     = "https://peer0.org1.example.org"
    operations_url = "https://peer0.org1.example.org:9443"
    location       = "kubernetes"
    id             = "peer0org1"
    imported       = true
    msp = {{
      component = {{
        tls_cert    = base64encode(blockchain_ca.org1.tls_cert)
        ecert       = base64encode(blockchain_ca.org1.ca_root_certs[0])
        admin_certs = [base64encode(blockchain_ca.org1.ca_root_certs[0])]
      }}
      ca    = {{ name = "ca", root_certs = [for c in blockchain_ca.org1.ca_root_certs : base64encode(c)] }}
      tlsca = {{ name = "tlsca", root_certs = [for c in blockchain_ca.org1.tlsca_root_certs : base64encode(c)] }}
    }}
    node_ou = {{ enabled = true }}
  }})
}}

resource "blockchain_peer_import" "region2" {{
  provider    = blockchain.region2
  export_json = local.peer_export
  tags        = ["org1"]
}}

# Carried on: region 2's export of its record, imported into region 1.
resource "blockchain_peer_import" "region1" {{
  provider    = blockchain.region1
  export_json = blockchain_peer_import.region2.console_export_json
}}
"#
    )
}

async fn peer_ids(emulator: &blockchain_emulator::Emulator, console: &str) -> Vec<String> {
    let mut ids: Vec<String> = emulator
        .components(console)
        .await
        .iter()
        .filter(|c| c["type"] == "fabric-peer")
        .filter_map(|c| c["id"].as_str().map(str::to_string))
        .collect();
    ids.sort();
    ids
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn peer_import_apply_plan_import_drift_destroy() {
    let emulator = start_emulator(&["region1", "region2"]).await;
    let url1 = emulator.console_url("region1").expect("region1 url");
    let url2 = emulator.console_url("region2").expect("region2 url");
    let ws = Workspace::new(&config(&url1, &url2));

    // Apply imports the peer into both consoles.
    block_in_place(|| ws.apply()).assert_success("apply");
    assert_eq!(peer_ids(&emulator, "region1").await, vec!["peer0org1"]);
    assert_eq!(peer_ids(&emulator, "region2").await, vec!["peer0org1"]);
    let ca = block_in_place(|| ws.resource_values("blockchain_ca.org1")).expect("ca");
    let peer =
        block_in_place(|| ws.resource_values("blockchain_peer_import.region2")).expect("peer");
    assert_eq!(peer["id"], "peer0org1");
    assert_eq!(peer["display_name"], "Peer0 Org1");
    assert_eq!(peer["msp_id"], "Org1MSP");
    assert_eq!(peer["api_url"], "grpcs://peer0.org1.example.org:7051");
    // The console's import gives a gRPC-web URL without a port the scheme's.
    assert_eq!(peer["grpcwp_url"], "https://peer0.org1.example.org:443");
    assert_eq!(peer["location"], "kubernetes");
    assert_eq!(peer["tls_cert"], ca["tls_cert"]);
    assert_eq!(peer["ecert"], ca["ca_root_certs"][0]);
    assert_eq!(peer["admin_certs"], json!([ca["ca_root_certs"][0]]));
    assert_eq!(peer["ca_root_certs"], ca["ca_root_certs"]);
    assert_eq!(peer["tlsca_root_certs"], ca["tlsca_root_certs"]);
    assert_eq!(peer["ca_name"], "ca");
    assert_eq!(peer["tlsca_name"], "tlsca");
    assert_eq!(peer["node_ou_enabled"], true);
    assert_eq!(peer["tags"], json!(["org1"]));
    let onward =
        block_in_place(|| ws.resource_values("blockchain_peer_import.region1")).expect("peer");
    for key in [
        "display_name",
        "msp_id",
        "api_url",
        "grpcwp_url",
        "tls_cert",
        "ecert",
        "admin_certs",
        "ca_root_certs",
        "tlsca_root_certs",
        "location",
        "node_ou_enabled",
    ] {
        assert_eq!(onward[key], peer[key], "region 1's record differs in {key}");
    }

    // The console stores base64 PEMs and what the UI's import sends.
    let user2 = ConsoleUser::new(&url2);
    let (status, stored) = user2
        .send(
            Method::GET,
            "/components/peer0org1?cache=skip&deployment_attrs=included",
            None,
        )
        .await;
    assert_eq!(status, 200, "{stored}");
    assert_eq!(stored["imported"], true);
    assert_eq!(stored["node_ou"]["enabled"], true);
    assert!(stored["msp"]["component"]["tls_cert"]
        .as_str()
        .unwrap_or_default()
        .starts_with("LS0tLS1CRUdJTi"));
    assert_eq!(stored["tags"], json!(["fabric-peer", "org1"]));
    let export: serde_json::Value =
        serde_json::from_str(peer["console_export_json"].as_str().expect("export")).expect("json");
    assert_eq!(export["type"], "fabric-peer");
    assert_eq!(export["name"], "Peer0 Org1");
    assert_eq!(
        export["msp"]["component"]["ecert"],
        stored["msp"]["component"]["ecert"]
    );
    assert_eq!(export["tls_cert"], stored["msp"]["component"]["tls_cert"]);

    // The plan right after apply is empty.
    let (plan, _) = block_in_place(|| ws.plan());
    assert_eq!(plan.code, 0, "plan after apply not empty:\n{}", plan.stdout);

    // Import into a fresh state holds the same records; export_json is an input the console
    // does not keep, so the first plan only records it (no change on the console).
    let import_ws = Workspace::new(&config(&url1, &url2));
    block_in_place(|| {
        import_ws
            .tf(&["import", "blockchain_ca.org1", "org1ca"])
            .assert_success("import ca");
        import_ws
            .tf(&["import", "blockchain_peer_import.region2", "peer0org1"])
            .assert_success("import region 2's peer");
        import_ws
            .tf(&["import", "blockchain_peer_import.region1", "peer0org1"])
            .assert_success("import region 1's peer");
    });
    for address in [
        "blockchain_peer_import.region2",
        "blockchain_peer_import.region1",
    ] {
        let applied = block_in_place(|| ws.resource_values(address)).expect("applied");
        let imported = block_in_place(|| import_ws.resource_values(address)).expect("imported");
        for (key, value) in applied.as_object().expect("object") {
            if key == "export_json" {
                assert!(imported[key].is_null());
                continue;
            }
            assert_eq!(
                &imported[key], value,
                "{address}: imported attribute {key} differs"
            );
        }
    }
    let (plan, json) = block_in_place(|| import_ws.plan());
    assert_eq!(plan.code, 2, "{}", plan.stdout);
    let changes = planned_changes(&json.expect("plan json"));
    let peers: Vec<_> = changes
        .iter()
        .filter(|c| c.0.starts_with("blockchain_peer_import."))
        .collect();
    assert_eq!(peers.len(), 2, "{changes:?}");
    for change in peers {
        assert_eq!(change.1, vec!["update".to_string()], "{change:?}");
        assert_eq!(change.2, vec!["export_json".to_string()], "{change:?}");
    }

    // Drift: another console user renames region 2's record, moves its gRPC URL and drops its
    // tags; region 1's record is deleted.
    let (status, body) = user2
        .send(
            Method::PUT,
            "/components/fabric-peer/peer0org1",
            Some(json!({"display_name": "Renamed", "api_url": "grpcs://elsewhere.example.org:7051", "tags": []})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let user1 = ConsoleUser::new(&url1);
    let (status, body) = user1
        .send(Method::DELETE, "/components/peer0org1", None)
        .await;
    assert_eq!(status, 200, "{body}");
    let (plan, json) = block_in_place(|| ws.plan());
    assert_eq!(plan.code, 2, "drift not detected:\n{}", plan.stdout);
    let changes = planned_changes(&json.expect("plan json"));
    let of = |address: &str| {
        changes
            .iter()
            .find(|c| c.0 == address)
            .unwrap_or_else(|| panic!("no change of {address}: {changes:?}"))
            .clone()
    };
    let region2 = of("blockchain_peer_import.region2");
    assert_eq!(region2.1, vec!["update".to_string()]);
    for attr in ["api_url", "display_name", "tags"] {
        assert!(region2.2.contains(&attr.to_string()), "{region2:?}");
    }
    assert_eq!(
        of("blockchain_peer_import.region1").1,
        vec!["create".to_string()]
    );

    // Apply edits region 2's record back in place (same id) and imports region 1's again.
    block_in_place(|| ws.apply()).assert_success("apply after drift");
    let (_, repaired) = user2
        .send(Method::GET, "/components/peer0org1?cache=skip", None)
        .await;
    assert_eq!(repaired["display_name"], "Peer0 Org1");
    assert_eq!(repaired["api_url"], "grpcs://peer0.org1.example.org:7051");
    assert_eq!(repaired["tags"], json!(["fabric-peer", "org1"]));
    assert_eq!(peer_ids(&emulator, "region1").await, vec!["peer0org1"]);
    let (plan, _) = block_in_place(|| ws.plan());
    assert_eq!(
        plan.code, 0,
        "plan after repair not empty:\n{}",
        plan.stdout
    );

    // Destroy leaves no peer in either console (and no CA in region 1).
    block_in_place(|| ws.destroy()).assert_success("destroy");
    assert!(peer_ids(&emulator, "region1").await.is_empty());
    assert!(peer_ids(&emulator, "region2").await.is_empty());
    assert!(support::ca_ids(&emulator, "region1").await.is_empty());
    emulator.shutdown().await;
}
