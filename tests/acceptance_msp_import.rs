//! Acceptance test for `blockchain_msp_import`: a CA in region 1, its organization's MSP
//! imported into region 2's console from an MSP export built of the CA's roots; the real
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
  # An MSP export as region 1's console would write it (base64 PEMs); the CA root doubles as
  # the admin certificate, which the console accepts (any X.509 v3 certificate).
  org1_export = jsonencode({{
    type           = "msp"
    display_name   = "Org1 MSP"
    msp_id         = "Org1MSP"
    root_certs     = [for c in blockchain_ca.org1.ca_root_certs : base64encode(c)]
    tls_root_certs = [for c in blockchain_ca.org1.tlsca_root_certs : base64encode(c)]
    admins         = [base64encode(blockchain_ca.org1.ca_root_certs[0])]
    fabric_node_ous = {{
      enable               = true
      admin_ou_identifier  = {{ organizational_unit_identifier = "admin" }}
      client_ou_identifier = {{ organizational_unit_identifier = "client" }}
    }}
    host_url = "https://region1.example.org"
  }})
}}

resource "blockchain_msp_import" "org1" {{
  provider    = blockchain.region2
  export_json = local.org1_export
  tags        = ["org1"]
}}
"#
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn msp_import_apply_plan_import_drift_destroy() {
    let emulator = start_emulator(&["region1", "region2"]).await;
    let url1 = emulator.console_url("region1").expect("region1 url");
    let url2 = emulator.console_url("region2").expect("region2 url");
    let ws = Workspace::new(&config(&url1, &url2));

    // Apply imports the MSP into region 2 only.
    block_in_place(|| ws.apply()).assert_success("apply");
    assert_eq!(
        support::msp_ids(&emulator, "region2").await,
        vec!["org1msp"]
    );
    assert!(support::msp_ids(&emulator, "region1").await.is_empty());
    let ca = block_in_place(|| ws.resource_values("blockchain_ca.org1")).expect("ca");
    let msp = block_in_place(|| ws.resource_values("blockchain_msp_import.org1")).expect("msp");
    assert_eq!(msp["id"], "org1msp");
    assert_eq!(msp["msp_id"], "Org1MSP");
    assert_eq!(msp["display_name"], "Org1 MSP");
    assert_eq!(msp["root_certs"], ca["ca_root_certs"]);
    assert_eq!(msp["tls_root_certs"], ca["tlsca_root_certs"]);
    assert_eq!(msp["admins"][0], ca["ca_root_certs"][0]);
    assert_eq!(msp["tags"], json!(["org1"]));

    // The console stores base64 PEMs, the NodeOUs and host_url as sent.
    let user = ConsoleUser::new(&url2);
    let (status, stored) = user
        .send(Method::GET, "/components/org1msp?cache=skip", None)
        .await;
    assert_eq!(status, 200, "{stored}");
    assert_eq!(stored["imported"], true);
    assert_eq!(stored["location"], "-");
    assert!(stored["root_certs"][0]
        .as_str()
        .unwrap_or_default()
        .starts_with("LS0tLS1CRUdJTi"));
    assert_eq!(stored["fabric_node_ous"]["enable"], true);
    assert_eq!(stored["host_url"], "https://region1.example.org");
    let export: serde_json::Value =
        serde_json::from_str(msp["console_export_json"].as_str().expect("export")).expect("json");
    assert_eq!(export["type"], "msp");
    assert_eq!(export["id"], "org1msp");
    assert_eq!(export["name"], "Org1 MSP");
    assert_eq!(export["root_certs"], stored["root_certs"]);

    // The plan right after apply is empty.
    let (plan, _) = block_in_place(|| ws.plan());
    assert_eq!(plan.code, 0, "plan after apply not empty:\n{}", plan.stdout);

    // Import into a fresh state holds the same record; export_json is an input the console
    // does not keep, so the first plan only records it (no change on the console).
    let import_ws = Workspace::new(&config(&url1, &url2));
    block_in_place(|| {
        import_ws
            .tf(&["import", "blockchain_ca.org1", "org1ca"])
            .assert_success("import ca");
        import_ws
            .tf(&["import", "blockchain_msp_import.org1", "org1msp"])
            .assert_success("import msp");
    });
    let imported =
        block_in_place(|| import_ws.resource_values("blockchain_msp_import.org1")).expect("msp");
    for (key, value) in msp.as_object().expect("object") {
        if key == "export_json" {
            assert!(imported[key].is_null());
            continue;
        }
        assert_eq!(&imported[key], value, "imported attribute {key} differs");
    }
    let (plan, json) = block_in_place(|| import_ws.plan());
    let changes = planned_changes(&json.expect("plan json"));
    assert_eq!(plan.code, 2, "{}", plan.stdout);
    let msp_changes: Vec<_> = changes
        .iter()
        .filter(|c| c.0 == "blockchain_msp_import.org1")
        .collect();
    assert_eq!(msp_changes.len(), 1, "{changes:?}");
    assert_eq!(msp_changes[0].2, vec!["export_json".to_string()]);

    // Drift: another console user renames the record and drops its admins.
    let (status, body) = user
        .send(
            Method::PUT,
            "/components/msp/org1msp",
            Some(json!({"display_name": "Renamed", "admins": [], "msp_id": "Org9MSP"})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (plan, json) = block_in_place(|| ws.plan());
    assert_eq!(plan.code, 2, "drift not detected:\n{}", plan.stdout);
    let changes = planned_changes(&json.expect("plan json"));
    assert_eq!(changes.len(), 1, "{changes:?}");
    assert_eq!(changes[0].1, vec!["update".to_string()]);
    assert_eq!(
        changes[0].2,
        vec![
            "admins".to_string(),
            "display_name".to_string(),
            "msp_id".to_string()
        ]
    );

    // Apply edits it back in place (same id); the plan is empty again.
    block_in_place(|| ws.apply()).assert_success("apply after drift");
    let (_, repaired) = user
        .send(Method::GET, "/components/org1msp?cache=skip", None)
        .await;
    assert_eq!(repaired["display_name"], "Org1 MSP");
    assert_eq!(repaired["msp_id"], "Org1MSP");
    assert_eq!(repaired["admins"], stored["admins"]);
    let (plan, _) = block_in_place(|| ws.plan());
    assert_eq!(
        plan.code, 0,
        "plan after repair not empty:\n{}",
        plan.stdout
    );

    // Destroy leaves no MSP in region 2 (and no CA in region 1).
    block_in_place(|| ws.destroy()).assert_success("destroy");
    assert!(support::msp_ids(&emulator, "region2").await.is_empty());
    assert!(support::ca_ids(&emulator, "region1").await.is_empty());
    emulator.shutdown().await;
}
