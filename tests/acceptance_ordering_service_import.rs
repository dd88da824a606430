//! Acceptance test for `blockchain_ordering_service_import`: a three-node ordering service's
//! export (written literally, its certificates from a CA in region 1) imported into region 2's
//! console, and region 2's export of it imported on into region 1's; the real terraform
//! binary, the provider built by cargo, the emulator on loopback.

mod support;

use reqwest::Method;
use serde_json::{json, Value};
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
resource "blockchain_ca" "ord" {{
  provider            = blockchain.region1
  display_name        = "Ord CA"
  admin_enroll_id     = "admin"
  admin_enroll_secret = "adminpw-very-secret"
}}

locals {{
  # An ordering service export as its console writes it: the list of its nodes. The CA's
  # own certificates stand in for the nodes': the console accepts any X.509 v3 certificate.
  msp = {{
    component = {{
      tls_cert    = base64encode(blockchain_ca.ord.tls_cert)
      admin_certs = [base64encode(blockchain_ca.ord.ca_root_certs[0])]
    }}
    ca    = {{ name = "ca", root_certs = [for c in blockchain_ca.ord.ca_root_certs : base64encode(c)] }}
    tlsca = {{ name = "tlsca", root_certs = [for c in blockchain_ca.ord.tlsca_root_certs : base64encode(c)] }}
  }}
  os_export = jsonencode([for i in [1, 2, 3] : {{
    type              = "fabric-orderer"
    display_name      = "Orderer${{i}}"
    msp_id            = "OrdererMSP"
    api_url           = "grpcs://orderer${{i}}.example.com:7050"
    grpcwp_url        = "https://orderer${{i}}.example.com:7443"
    operations_url    = "https://orderer${{i}}.example.com:9443"
    osnadmin_url      = "https://orderer${{i}}.example.com:7053"
    cluster_id        = "raftcluster1"
    cluster_name      = "Raft Cluster"
    systemless        = true
    system_channel_id = ""
    msp               = local.msp
  }}])
}}

resource "blockchain_ordering_service_import" "region2" {{
  provider    = blockchain.region2
  export_json = local.os_export
  tags        = ["orderers"]
}}

# Carried on: region 2's export of the service, imported into region 1.
resource "blockchain_ordering_service_import" "region1" {{
  provider    = blockchain.region1
  export_json = blockchain_ordering_service_import.region2.console_export_json
}}
"#
    )
}

/// The orderer records of a console: `(id, display_name, cluster_id, cluster_name)`.
async fn orderers(
    emulator: &blockchain_emulator::Emulator,
    console: &str,
) -> Vec<(String, String, String, String)> {
    let text = |c: &Value, k: &str| c[k].as_str().unwrap_or_default().to_string();
    let mut out: Vec<_> = emulator
        .components(console)
        .await
        .iter()
        .filter(|c| c["type"] == "fabric-orderer")
        .map(|c| {
            (
                text(c, "id"),
                text(c, "display_name"),
                text(c, "cluster_id"),
                text(c, "cluster_name"),
            )
        })
        .collect();
    out.sort();
    out
}

fn node_names(state: &Value) -> Vec<String> {
    state["nodes"]
        .as_array()
        .expect("nodes")
        .iter()
        .map(|n| n["display_name"].as_str().unwrap_or_default().to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ordering_service_import_apply_plan_import_drift_destroy() {
    let emulator = start_emulator(&["region1", "region2"]).await;
    let url1 = emulator.console_url("region1").expect("region1 url");
    let url2 = emulator.console_url("region2").expect("region2 url");
    let ws = Workspace::new(&config(&url1, &url2));
    let cluster = |id: &str, name: &str| {
        (
            id.to_string(),
            name.to_string(),
            "raftcluster1".to_string(),
            "Raft Cluster".to_string(),
        )
    };
    let imported = vec![
        cluster("orderer1", "Orderer1"),
        cluster("orderer2", "Orderer2"),
        cluster("orderer3", "Orderer3"),
    ];

    // Apply imports the three nodes into both consoles, one record each, one cluster.
    block_in_place(|| ws.apply()).assert_success("apply");
    assert_eq!(orderers(&emulator, "region2").await, imported);
    assert_eq!(orderers(&emulator, "region1").await, imported);
    let ca = block_in_place(|| ws.resource_values("blockchain_ca.ord")).expect("ca");
    let os = block_in_place(|| ws.resource_values("blockchain_ordering_service_import.region2"))
        .expect("os");
    assert_eq!(os["id"], "raftcluster1");
    assert_eq!(os["cluster_id"], "raftcluster1");
    assert_eq!(os["cluster_name"], "Raft Cluster");
    assert_eq!(os["tags"], json!(["orderers"]));
    assert_eq!(node_names(&os), ["Orderer1", "Orderer2", "Orderer3"]);
    let node = &os["nodes"][1];
    assert_eq!(node["id"], "orderer2");
    assert_eq!(node["api_url"], "grpcs://orderer2.example.com:7050");
    assert_eq!(node["osnadmin_url"], "https://orderer2.example.com:7053");
    assert_eq!(node["systemless"], true);
    assert_eq!(node["system_channel_id"], "");
    assert_eq!(node["location"], "-");
    assert_eq!(node["tls_cert"], ca["tls_cert"]);
    assert_eq!(node["admin_certs"], json!([ca["ca_root_certs"][0]]));
    assert_eq!(node["tlsca_root_certs"], ca["tlsca_root_certs"]);
    assert!(node["ecert"].is_null());
    let onward =
        block_in_place(|| ws.resource_values("blockchain_ordering_service_import.region1"))
            .expect("os");
    assert_eq!(onward["cluster_name"], "Raft Cluster");
    for (a, b) in os["nodes"]
        .as_array()
        .expect("nodes")
        .iter()
        .zip(onward["nodes"].as_array().expect("nodes"))
    {
        assert_eq!(a, b, "region 1's node differs");
    }

    // The console stores what the UI's import sends; the export is the list of nodes.
    let user2 = ConsoleUser::new(&url2);
    let (status, stored) = user2
        .send(Method::GET, "/components/orderer3?cache=skip", None)
        .await;
    assert_eq!(status, 200, "{stored}");
    assert_eq!(stored["imported"], true);
    assert_eq!(stored["consenter_proposal_fin"], true);
    assert_eq!(stored["tags"], json!(["fabric-orderer", "orderers"]));
    let export: Value =
        serde_json::from_str(os["console_export_json"].as_str().expect("export")).expect("json");
    assert_eq!(export.as_array().map(Vec::len), Some(3), "{export}");
    assert_eq!(export[2]["display_name"], "Orderer3");
    assert_eq!(export[2]["cluster_id"], "raftcluster1");
    assert_eq!(
        export[2]["tls_cert"],
        stored["msp"]["component"]["tls_cert"]
    );

    // The plan right after apply is empty.
    let (plan, _) = block_in_place(|| ws.plan());
    assert_eq!(plan.code, 0, "plan after apply not empty:\n{}", plan.stdout);

    // Import into a fresh state, by cluster id and by one node's id, holds the same nodes;
    // export_json is an input the console does not keep, so the first plan only records it.
    let import_ws = Workspace::new(&config(&url1, &url2));
    block_in_place(|| {
        import_ws
            .tf(&["import", "blockchain_ca.ord", "ordca"])
            .assert_success("import ca");
        import_ws
            .tf(&[
                "import",
                "blockchain_ordering_service_import.region2",
                "raftcluster1",
            ])
            .assert_success("import region 2's service by cluster id");
        import_ws
            .tf(&[
                "import",
                "blockchain_ordering_service_import.region1",
                "orderer2",
            ])
            .assert_success("import region 1's service by a node id");
    });
    for address in [
        "blockchain_ordering_service_import.region2",
        "blockchain_ordering_service_import.region1",
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
    let services: Vec<_> = changes
        .iter()
        .filter(|c| c.0.starts_with("blockchain_ordering_service_import."))
        .collect();
    assert_eq!(services.len(), 2, "{changes:?}");
    for change in services {
        assert_eq!(change.1, vec!["update".to_string()], "{change:?}");
        assert_eq!(change.2, vec!["export_json".to_string()], "{change:?}");
    }

    // Drift in region 2: a node renamed, the service renamed through another node (the
    // console renames every node of the cluster), and a node deleted.
    let edits = [
        (
            Method::PUT,
            "/components/fabric-orderer/orderer2",
            Some(json!({"display_name": "Renamed"})),
        ),
        (
            Method::PUT,
            "/components/fabric-orderer/orderer3",
            Some(json!({"cluster_name": "Raft Cluster Renamed"})),
        ),
        (Method::DELETE, "/components/orderer1", None),
    ];
    for (method, path, body) in edits {
        let (status, answer) = user2.send(method, path, body).await;
        assert_eq!(status, 200, "{path}: {answer}");
    }
    let (_, renamed) = user2
        .send(Method::GET, "/components/orderer2?cache=skip", None)
        .await;
    assert_eq!(renamed["cluster_name"], "Raft Cluster Renamed");
    let (plan, json) = block_in_place(|| ws.plan());
    assert_eq!(plan.code, 2, "drift not detected:\n{}", plan.stdout);
    let changes = planned_changes(&json.expect("plan json"));
    let region2 = changes
        .iter()
        .find(|c| c.0 == "blockchain_ordering_service_import.region2")
        .unwrap_or_else(|| panic!("no change of region 2's service: {changes:?}"));
    assert_eq!(region2.1, vec!["update".to_string()], "{region2:?}");
    for attr in ["cluster_name", "nodes"] {
        assert!(region2.2.contains(&attr.to_string()), "{region2:?}");
    }
    assert!(
        plan.stdout.contains("\"Renamed\" -> \"Orderer2\""),
        "{}",
        plan.stdout
    );

    // Apply edits the nodes back, renames the service back and imports the deleted node again.
    block_in_place(|| ws.apply()).assert_success("apply after drift");
    let repaired = orderers(&emulator, "region2").await;
    assert_eq!(repaired, imported, "region 2 after the repair");
    let os = block_in_place(|| ws.resource_values("blockchain_ordering_service_import.region2"))
        .expect("os");
    assert_eq!(node_names(&os), ["Orderer2", "Orderer3", "Orderer1"]);
    let (plan, _) = block_in_place(|| ws.plan());
    assert_eq!(
        plan.code, 0,
        "plan after repair not empty:\n{}",
        plan.stdout
    );

    // Destroy leaves no orderer in either console (and no CA in region 1).
    block_in_place(|| ws.destroy()).assert_success("destroy");
    assert!(orderers(&emulator, "region1").await.is_empty());
    assert!(orderers(&emulator, "region2").await.is_empty());
    assert!(support::ca_ids(&emulator, "region1").await.is_empty());
    emulator.shutdown().await;
}
