//! Acceptance test for `blockchain_ca_import`: a CA deployed by region 1's console, imported
//! into region 2's console from its `export_json` with the admin credentials; the real
//! terraform binary, the provider built by cargo, the emulator on loopback.

mod support;

use std::time::Duration;

use reqwest::Method;
use serde_json::{json, Value as Json};
use support::{
    planned_changes, provider_block, start_emulator, ConsoleUser, Workspace, TERRAFORM_BLOCK,
};
use tfprovider_blockchain::fabric::{
    CaEndpoint, EnrollRequest, FabricCaClient, FabricCaConfig, Refusal,
};
use tokio::task::block_in_place;
use tokio_util::sync::CancellationToken;

const ADMIN_SECRET: &str = "adminpw-very-secret";
const WRONG_SECRET: &str = "not-the-admin-secret";

fn providers(region1: &str, region2: &str) -> String {
    let p1 = provider_block(Some("region1"), region1, "  retry_max_wait = \"2s\"\n");
    let p2 = provider_block(Some("region2"), region2, "  retry_max_wait = \"2s\"\n");
    format!("{TERRAFORM_BLOCK}\n{p1}\n{p2}\n")
}

/// Region 1's CA and its import into region 2; `extra` is added to the import's arguments.
fn config(region1: &str, region2: &str, extra: &str) -> String {
    format!(
        r#"{}
resource "blockchain_ca" "org1" {{
  provider            = blockchain.region1
  display_name        = "Org1 CA"
  admin_enroll_id     = "admin"
  admin_enroll_secret = "{ADMIN_SECRET}"
}}

resource "blockchain_ca_import" "org1" {{
  provider            = blockchain.region2
  export_json         = blockchain_ca.org1.export_json
  admin_enroll_id     = "admin"
  admin_enroll_secret = "{ADMIN_SECRET}"
  tags                = ["org1"]
{extra}}}
"#,
        providers(region1, region2)
    )
}

async fn ca_records(emulator: &blockchain_emulator::Emulator, console: &str) -> Vec<Json> {
    emulator
        .components(console)
        .await
        .into_iter()
        .filter(|c| c["type"] == "fabric-ca")
        .collect()
}

fn fabric_client() -> FabricCaClient {
    FabricCaClient::new(FabricCaConfig {
        bundle_pem: None,
        insecure: false,
        request_timeout: Duration::from_secs(10),
        user_agent: "acceptance-ca-import".into(),
    })
    .expect("client")
}

/// One enroll of the CA admin with `secret`: Ok, or the CA's refusal and error code.
async fn enroll_admin(ca: &CaEndpoint, secret: &str) -> Result<(), (Option<Refusal>, String)> {
    let req = EnrollRequest {
        enroll_id: "admin".into(),
        secret: secret.into(),
        ..Default::default()
    };
    fabric_client()
        .enroll(ca, &req, &CancellationToken::new())
        .await
        .map(|_| ())
        .map_err(|e| (e.refusal(), e.to_string()))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ca_import_apply_plan_import_drift_destroy_and_wrong_credentials() {
    let emulator = start_emulator(&["region1", "region2"]).await;
    let url1 = emulator.console_url("region1").expect("region1 url");
    let url2 = emulator.console_url("region2").expect("region2 url");
    let ws = Workspace::new(&config(&url1, &url2, ""));

    // Apply deploys the CA in region 1 and imports its record into region 2.
    block_in_place(|| ws.apply()).assert_success("apply");
    let region2 = ca_records(&emulator, "region2").await;
    assert_eq!(region2.len(), 1, "{region2:?}");
    assert_eq!(region2[0]["id"], "org1ca");
    assert_eq!(region2[0]["imported"], true);
    assert_eq!(region2[0]["location"], "ibmcloud");
    assert_eq!(ca_records(&emulator, "region1").await.len(), 1);
    let ca = block_in_place(|| ws.resource_values("blockchain_ca.org1")).expect("ca");
    let imp = block_in_place(|| ws.resource_values("blockchain_ca_import.org1")).expect("import");
    for (mine, theirs) in [
        ("display_name", "display_name"),
        ("api_url", "api_url"),
        ("operations_url", "operations_url"),
        ("ca_name", "ca_name"),
        ("tlsca_name", "tlsca_name"),
        ("ca_root_certs", "ca_root_certs"),
        ("tlsca_root_certs", "tlsca_root_certs"),
        ("tls_cert", "tls_cert"),
    ] {
        assert_eq!(imp[mine], ca[theirs], "{mine}");
    }
    assert_eq!(imp["id"], "org1ca");
    assert_eq!(imp["location"], "ibmcloud");
    assert_eq!(imp["tags"], json!(["org1"]));
    for write_only in [
        "admin_enroll_id",
        "admin_enroll_secret",
        "tlsca_admin_enroll_id",
        "tlsca_admin_enroll_secret",
    ] {
        assert!(imp[write_only].is_null(), "{write_only} in state");
    }
    let state_file = std::fs::read_to_string(ws.path().join("terraform.tfstate")).expect("state");
    assert!(
        !state_file.contains(ADMIN_SECRET),
        "the secret is in the state"
    );

    // The console holds the record as imported, base64 PEMs; its export carries it further.
    let user = ConsoleUser::new(&url2);
    let (status, stored) = user
        .send(Method::GET, "/components/org1ca?cache=skip", None)
        .await;
    assert_eq!(status, 200, "{stored}");
    assert!(stored["msp"]["component"]["tls_cert"]
        .as_str()
        .unwrap_or_default()
        .starts_with("LS0tLS1CRUdJTi"));
    assert_eq!(stored["tags"], json!(["fabric-ca", "org1"]));
    let export: Json =
        serde_json::from_str(imp["console_export_json"].as_str().expect("export")).expect("json");
    assert_eq!(export["imported"], true);
    assert_eq!(export["id"], "org1ca");
    assert_eq!(export["msp"], stored["msp"]);

    // The plan right after apply is empty.
    let (plan, _) = block_in_place(|| ws.plan());
    assert_eq!(plan.code, 0, "plan after apply not empty:\n{}", plan.stdout);

    // Import into a fresh state holds the same record; export_json is an input the console
    // does not keep (and the credentials were never known), so the first plan only records
    // export_json (no change on the console).
    let import_ws = Workspace::new(&config(&url1, &url2, ""));
    block_in_place(|| {
        import_ws
            .tf(&["import", "blockchain_ca.org1", "org1ca"])
            .assert_success("import ca");
        import_ws
            .tf(&["import", "blockchain_ca_import.org1", "org1ca"])
            .assert_success("import ca record");
    });
    let imported = block_in_place(|| import_ws.resource_values("blockchain_ca_import.org1"))
        .expect("imported");
    for (key, value) in imp.as_object().expect("object") {
        if key == "export_json" {
            assert!(imported[key].is_null());
            continue;
        }
        assert_eq!(&imported[key], value, "imported attribute {key} differs");
    }
    let (plan, json) = block_in_place(|| import_ws.plan());
    assert_eq!(plan.code, 2, "{}", plan.stdout);
    let changes = planned_changes(&json.expect("plan json"));
    let import_changes: Vec<_> = changes
        .iter()
        .filter(|c| c.0 == "blockchain_ca_import.org1")
        .collect();
    assert_eq!(import_changes.len(), 1, "{changes:?}");
    assert_eq!(import_changes[0].1, ["update"]);
    assert_eq!(import_changes[0].2, ["export_json"]);

    // What the console cannot edit (here another TLS certificate) plans a new record whose
    // fields from the export are already known.
    ws.write(
        "main.tf",
        &config(
            &url1,
            &url2,
            "  tls_cert            = blockchain_ca.org1.tlsca_root_certs[0]\n",
        ),
    );
    let (plan, json) = block_in_place(|| ws.plan());
    assert_eq!(plan.code, 2, "{}", plan.stdout);
    let json = json.expect("plan json");
    let changes = planned_changes(&json);
    assert_eq!(changes.len(), 1, "{changes:?}");
    assert_eq!(changes[0].1, ["delete", "create"]);
    let after = json["resource_changes"]
        .as_array()
        .and_then(|rc| {
            rc.iter()
                .find(|c| c["address"] == "blockchain_ca_import.org1")
        })
        .map(|c| c["change"]["after"].clone())
        .expect("change");
    assert_eq!(after["display_name"], "Org1 CA");
    assert_eq!(after["api_url"], ca["api_url"]);
    assert_eq!(after["tls_cert"], ca["tlsca_root_certs"][0]);
    assert!(
        plan.stdout.contains("forces replacement"),
        "{}",
        plan.stdout
    );
    ws.write("main.tf", &config(&url1, &url2, ""));

    // Drift: another console user edits the record behind Terraform's back.
    let (status, body) = user
        .send(
            Method::PUT,
            "/components/fabric-ca/org1ca",
            Some(json!({
                "display_name": "Renamed",
                "api_url": "https://127.0.0.1:1",
                "ca_name": "ca-renamed",
                "location": "elsewhere"
            })),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (plan, json) = block_in_place(|| ws.plan());
    assert_eq!(plan.code, 2, "drift not detected:\n{}", plan.stdout);
    let changes = planned_changes(&json.expect("plan json"));
    assert_eq!(changes.len(), 1, "{changes:?}");
    assert_eq!(changes[0].0, "blockchain_ca_import.org1");
    assert_eq!(changes[0].1, ["update"]);
    assert_eq!(
        changes[0].2,
        ["api_url", "ca_name", "display_name", "location"]
    );

    // Apply edits it back in place (same id, no new import); the plan is empty again.
    block_in_place(|| ws.apply()).assert_success("apply after drift");
    let (_, repaired) = user
        .send(Method::GET, "/components/org1ca?cache=skip", None)
        .await;
    assert_eq!(repaired["display_name"], "Org1 CA");
    assert_eq!(repaired["api_url"], ca["api_url"]);
    assert_eq!(repaired["msp"]["ca"]["name"], "ca");
    assert_eq!(repaired["location"], "ibmcloud");
    assert_eq!(repaired["timestamp"], stored["timestamp"], "re-imported");
    let (plan, _) = block_in_place(|| ws.plan());
    assert_eq!(
        plan.code, 0,
        "plan after repair not empty:\n{}",
        plan.stdout
    );

    // Wrong credentials: an error at the secret, no record, and one failed enroll only.
    // The secret comes from a variable: Terraform quotes the configuration's line.
    let mut bad_ws = Workspace::new(&format!(
        r#"{}
variable "bad_secret" {{
  type      = string
  sensitive = true
}}

resource "blockchain_ca_import" "bad" {{
  provider            = blockchain.region2
  export_json         = file("org1_ca.json")
  display_name        = "Org1 CA (wrong secret)"
  admin_enroll_id     = "admin"
  admin_enroll_secret = var.bad_secret
}}
"#,
        providers(&url1, &url2)
    ));
    bad_ws.set_env("TF_VAR_bad_secret", WRONG_SECRET);
    bad_ws.write("org1_ca.json", ca["export_json"].as_str().expect("export"));
    let out = block_in_place(|| bad_ws.apply());
    assert_ne!(out.code, 0, "apply with a wrong secret succeeded");
    assert!(
        out.stderr.contains("The CA refused the admin credentials"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("admin_enroll_secret = "),
        "the error does not point at the attribute:\n{}",
        out.stderr
    );
    assert!(!out.stderr.contains(WRONG_SECRET), "{}", out.stderr);
    let region2 = ca_records(&emulator, "region2").await;
    assert_eq!(region2.len(), 1, "a record was created: {region2:?}");
    assert!(block_in_place(|| bad_ws.state_resources()).is_empty());
    // The CA locks its admin after 10 wrong passwords in a row; with the provider's one
    // attempt and 8 more here, the right secret still enrolls (2 or more would lock it).
    let endpoint = CaEndpoint {
        api_url: ca["api_url"].as_str().expect("api_url").to_owned(),
        ca_name: "ca".into(),
        tls_root_pem: Some(ca["tls_cert"].as_str().expect("tls").as_bytes().to_vec()),
    };
    for _ in 0..8 {
        let refused = enroll_admin(&endpoint, WRONG_SECRET).await;
        assert_eq!(
            refused.as_ref().err().map(|e| e.0),
            Some(Some(Refusal::AuthenticationFailure)),
            "{refused:?}"
        );
    }
    enroll_admin(&endpoint, ADMIN_SECRET)
        .await
        .expect("the admin is not locked out");

    // Destroy leaves no CA record in region 2 and no CA in region 1.
    block_in_place(|| ws.destroy()).assert_success("destroy");
    assert!(ca_records(&emulator, "region2").await.is_empty());
    assert!(ca_records(&emulator, "region1").await.is_empty());
    emulator.shutdown().await;
}
