//! Acceptance test for `blockchain_msp`: a CA and its enrolled admin, and the organization's MSP
//! built from the CA's chains, in one emulated console; the real terraform binary, the provider
//! built by cargo, the emulator on loopback.

mod support;

use reqwest::Method;
use serde_json::{json, Value as Json};
use support::{
    planned_changes, provider_block, start_emulator, ConsoleUser, Workspace, TERRAFORM_BLOCK,
};
use tokio::task::block_in_place;

const SECRET: &str = "adminpw-very-secret";

/// The MSP of `ca` (`org1` or `org2`), with org1's admin.
fn config(console_url: &str, ca: &str) -> String {
    let provider = provider_block(None, console_url, "  retry_max_wait = \"2s\"\n");
    format!(
        r#"{TERRAFORM_BLOCK}
{provider}
resource "blockchain_ca" "org1" {{
  display_name        = "Org1 CA"
  admin_enroll_id     = "admin"
  admin_enroll_secret = "{SECRET}"
}}

resource "blockchain_ca" "org2" {{
  display_name        = "Org2 CA"
  admin_enroll_id     = "admin"
  admin_enroll_secret = "{SECRET}"
}}

resource "blockchain_enrolled_identity" "admin" {{
  api_url       = blockchain_ca.org1.api_url
  ca_name       = blockchain_ca.org1.ca_name
  tls_cert      = blockchain_ca.org1.tls_cert
  enroll_id     = "admin"
  enroll_secret = "{SECRET}"
  msp_id        = "Org1MSP"
}}

resource "blockchain_msp" "org1" {{
  display_name = "Org1 MSP"
  msp_id       = "Org1MSP"
  api_url      = blockchain_ca.{ca}.api_url
  ca_name      = blockchain_ca.{ca}.ca_name
  tlsca_name   = blockchain_ca.{ca}.tlsca_name
  tls_cert     = blockchain_ca.{ca}.tls_cert
  admins       = [blockchain_enrolled_identity.admin.certificate]
  tags         = ["org1"]
}}
"#
    )
}

fn b64(pem: &Json) -> Json {
    use base64::Engine as _;
    let text = pem.as_str().unwrap_or_default();
    Json::String(base64::engine::general_purpose::STANDARD.encode(text))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn msp_apply_plan_import_drift_repair_ca_change_destroy() {
    let emulator = start_emulator(&["region1"]).await;
    let url = emulator.console_url("region1").expect("console url");
    let ws = Workspace::new(&config(&url, "org1"));

    // Apply: the CAs, the admin, then the MSP built from org1's chains.
    block_in_place(|| ws.apply()).assert_success("apply");
    assert_eq!(
        support::msp_ids(&emulator, "region1").await,
        vec!["org1msp"]
    );
    let ca = block_in_place(|| ws.resource_values("blockchain_ca.org1")).expect("ca");
    let admin =
        block_in_place(|| ws.resource_values("blockchain_enrolled_identity.admin")).expect("admin");
    let msp = block_in_place(|| ws.resource_values("blockchain_msp.org1")).expect("msp");
    assert_eq!(msp["id"], "org1msp");
    assert_eq!(msp["root_certs"], ca["ca_root_certs"]);
    assert_eq!(msp["tls_root_certs"], ca["tlsca_root_certs"]);
    assert_eq!(msp["intermediate_certs"], json!([]));
    assert_eq!(msp["admins"], json!([admin["certificate"]]));
    assert_eq!(msp["enable_node_ous"], true);
    assert_eq!(msp["host_url"], url.as_str());
    assert_eq!(msp["tags"], json!(["org1"]));

    // The record is what the console's MSP panel writes: base64 PEMs, the panel's NodeOUs
    // (every role with the root, a root CA having no intermediate), empty intermediate lists.
    let user = ConsoleUser::new(&url);
    let (status, stored) = user
        .send(Method::GET, "/components/org1msp?cache=skip", None)
        .await;
    assert_eq!(status, 200, "{stored}");
    assert_eq!(stored["root_certs"], json!([b64(&ca["ca_root_certs"][0])]));
    assert_eq!(
        stored["tls_root_certs"],
        json!([b64(&ca["tlsca_root_certs"][0])])
    );
    assert_eq!(stored["admins"], json!([b64(&admin["certificate"])]));
    assert_eq!(stored["intermediate_certs"], json!([]));
    assert_eq!(stored["tls_intermediate_certs"], json!([]));
    assert_eq!(stored["host_url"], url.as_str());
    let ous = &stored["fabric_node_ous"];
    assert_eq!(ous["enable"], true);
    for role in ["admin", "client", "orderer", "peer"] {
        let id = &ous[format!("{role}_ou_identifier")];
        assert_eq!(id["certificate"], stored["root_certs"][0], "{role}");
        assert_eq!(id["organizational_unit_identifier"], role);
    }
    assert_eq!(stored["tags"], json!(["msp", "org1"]));
    // export_json is the console's export of that record.
    let export_text = msp["export_json"].as_str().expect("export_json");
    assert!(
        export_text.starts_with("{\n    \"admins\": [\n"),
        "{export_text}"
    );
    let export: Json = serde_json::from_str(export_text).expect("export JSON");
    assert_eq!(export["type"], "msp");
    assert_eq!(export["name"], "Org1 MSP");
    for key in [
        "id",
        "msp_id",
        "root_certs",
        "admins",
        "fabric_node_ous",
        "host_url",
    ] {
        assert_eq!(export[key], stored[key], "export {key}");
    }
    assert_eq!(
        serde_json::from_str::<Json>(msp["fabric_node_ous"].as_str().expect("ous")).expect("json"),
        *ous
    );

    // The plan right after apply is empty.
    let (plan, _) = block_in_place(|| ws.plan());
    assert_eq!(plan.code, 0, "plan after apply not empty:\n{}", plan.stdout);

    // Import into a fresh state holds the same record; where the CA is (api_url, tls_cert)
    // is configuration the record does not keep.
    let import_ws = Workspace::new(&config(&url, "org1"));
    block_in_place(|| {
        import_ws
            .tf(&["import", "blockchain_msp.org1", "org1msp"])
            .assert_success("import msp");
    });
    let imported =
        block_in_place(|| import_ws.resource_values("blockchain_msp.org1")).expect("imported");
    for (key, value) in msp.as_object().expect("object") {
        if key == "api_url" || key == "tls_cert" {
            assert!(imported[key].is_null(), "{key}");
            continue;
        }
        assert_eq!(&imported[key], value, "imported attribute {key} differs");
    }
    // An import of another type's id is refused.
    let out = block_in_place(|| import_ws.tf(&["import", "blockchain_msp.org1", "org1ca"]));
    assert_ne!(out.code, 0);

    // Drift: another console user renames the record, drops its admins, swaps its root and
    // its NodeOUs off.
    let (status, body) = user
        .send(
            Method::PUT,
            "/components/msp/org1msp",
            Some(json!({
                "display_name": "Renamed",
                "admins": [],
                "root_certs": [b64(&ca["tlsca_root_certs"][0])],
                "fabric_node_ous": null,
            })),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (plan, json) = block_in_place(|| ws.plan());
    assert_eq!(plan.code, 2, "drift not detected:\n{}", plan.stdout);
    let changes = planned_changes(&json.expect("plan json"));
    assert_eq!(changes.len(), 1, "{changes:?}");
    assert_eq!(changes[0].0, "blockchain_msp.org1");
    assert_eq!(changes[0].1, vec!["update".to_string()]);
    assert_eq!(
        changes[0].2,
        ["admins", "display_name", "fabric_node_ous", "root_certs"]
    );

    // Apply edits it back in place (same id); the plan is empty again.
    block_in_place(|| ws.apply()).assert_success("apply after drift");
    let (_, repaired) = user
        .send(Method::GET, "/components/org1msp?cache=skip", None)
        .await;
    for key in ["display_name", "admins", "root_certs", "fabric_node_ous"] {
        assert_eq!(repaired[key], stored[key], "repaired {key}");
    }
    let (plan, _) = block_in_place(|| ws.plan());
    assert_eq!(
        plan.code, 0,
        "plan after repair not empty:\n{}",
        plan.stdout
    );

    // Another CA: its chains replace the lists and NodeOUs in place; org1's admin is flagged.
    ws.write("main.tf", &config(&url, "org2"));
    let (plan, json) = block_in_place(|| ws.plan());
    assert_eq!(plan.code, 2, "{}", plan.stdout);
    assert!(
        plan.stdout.contains("not from the organization's CA"),
        "{}",
        plan.stdout
    );
    let changes = planned_changes(&json.expect("plan json"));
    assert_eq!(changes.len(), 1, "{changes:?}");
    assert_eq!(changes[0].1, vec!["update".to_string()]);
    assert_eq!(
        changes[0].2,
        [
            "api_url",
            "fabric_node_ous",
            "root_certs",
            "tls_cert",
            "tls_root_certs"
        ]
    );
    block_in_place(|| ws.apply()).assert_success("apply with org2's CA");
    let org2 = block_in_place(|| ws.resource_values("blockchain_ca.org2")).expect("org2");
    let (_, moved) = user
        .send(Method::GET, "/components/org1msp?cache=skip", None)
        .await;
    assert_eq!(moved["root_certs"], json!([b64(&org2["ca_root_certs"][0])]));
    assert_eq!(
        moved["fabric_node_ous"]["peer_ou_identifier"]["certificate"],
        moved["root_certs"][0]
    );
    assert_eq!(
        support::msp_ids(&emulator, "region1").await,
        vec!["org1msp"]
    );
    let (plan, _) = block_in_place(|| ws.plan());
    assert_eq!(
        plan.code, 0,
        "plan after the CA change not empty:\n{}",
        plan.stdout
    );

    // Destroy leaves nothing: no MSP, no CA.
    block_in_place(|| ws.destroy()).assert_success("destroy");
    assert!(support::msp_ids(&emulator, "region1").await.is_empty());
    assert!(support::ca_ids(&emulator, "region1").await.is_empty());
    emulator.shutdown().await;
}
