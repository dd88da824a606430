//! Acceptance tests for `blockchain_ca_identity`: the real terraform binary, the provider built
//! by cargo, and the emulator on loopback. The registrar is the CA admin, enrolled by the test
//! itself with the provider's Fabric CA client and passed to Terraform as variables.

mod support;

use std::sync::Arc;
use std::time::Duration;

use blockchain_emulator::fabric_ca::{self, BootstrapIdentity, FabricCaState};
use serde_json::json;
use support::{planned_changes, provider_block, start_emulator, Workspace, TERRAFORM_BLOCK};
use tfprovider_blockchain::fabric::{
    Attribute, CaEndpoint, EnrollRequest, FabricCaClient, FabricCaConfig, IdentityInfo,
    ModifyIdentityRequest, Refusal, SigningIdentity,
};
use tokio::task::block_in_place;
use tokio_util::sync::CancellationToken;

const ADMIN_SECRET: &str = "adminpw-very-secret";

fn client() -> FabricCaClient {
    FabricCaClient::new(FabricCaConfig {
        bundle_pem: None,
        insecure: false,
        request_timeout: Duration::from_secs(10),
        user_agent: "acceptance-ca-identity".into(),
    })
    .expect("client")
}

async fn enroll_admin(ca: &CaEndpoint, secret: &str) -> SigningIdentity {
    let req = EnrollRequest {
        enroll_id: "admin".into(),
        secret: secret.into(),
        ..Default::default()
    };
    client()
        .enroll(ca, &req, &CancellationToken::new())
        .await
        .expect("enroll the CA admin")
        .identity
}

async fn get(ca: &CaEndpoint, admin: &SigningIdentity, id: &str) -> Option<IdentityInfo> {
    match client()
        .get_identity(ca, admin, id, &CancellationToken::new())
        .await
    {
        Ok(info) => Some(info),
        Err(e) if e.refusal() == Some(Refusal::NotFound) => None,
        Err(e) => panic!("get identity {id}: {e}"),
    }
}

/// The identity's attributes but the CA's own, by name.
fn own_attrs(info: &IdentityInfo) -> Vec<(String, String, bool)> {
    let mut v: Vec<_> = info
        .attrs
        .iter()
        .filter(|a| !["hf.EnrollmentID", "hf.Type", "hf.Affiliation"].contains(&a.name.as_str()))
        .map(|a| (a.name.clone(), a.value.clone(), a.ecert))
        .collect();
    v.sort();
    v
}

/// The registrar as variables (a JSON tfvars file keeps the PEMs intact).
fn write_registrar(ws: &Workspace, admin: &SigningIdentity) {
    let vars = json!({
        "registrar_cert": admin.certificate().pem(),
        "registrar_key": admin.key().to_pkcs8_pem(),
    });
    ws.write("registrar.auto.tfvars.json", &vars.to_string());
}

const VARIABLES: &str = r#"
variable "registrar_cert" { type = string }
variable "registrar_key" {
  type      = string
  sensitive = true
}
"#;

/// The identity, at the CA given by `endpoint` (HCL expressions for api_url, ca_name, tls_cert).
fn identity_block(endpoint: (&str, &str, &str), attributes: &str) -> String {
    let (api_url, ca_name, tls_cert) = endpoint;
    format!(
        r#"
resource "blockchain_ca_identity" "peer0" {{
  api_url         = {api_url}
  ca_name         = {ca_name}
  tls_cert        = {tls_cert}
  enroll_id       = "org1peer0"
  type            = "peer"
  max_enrollments = 10
  attributes = [
{attributes}
  ]
  registrar {{
    certificate = var.registrar_cert
    private_key = var.registrar_key
  }}
}}
"#
    )
}

const ROLE: &str = r#"    { name = "role", value = "endorser", ecert = true },"#;

fn ca_block() -> String {
    format!(
        r#"
resource "blockchain_ca" "org1" {{
  display_name        = "Org1 CA"
  admin_enroll_id     = "admin"
  admin_enroll_secret = "{ADMIN_SECRET}"
  timeouts {{
    create = "2m"
  }}
}}
"#
    )
}

fn provider(console_url: &str) -> String {
    provider_block(None, console_url, "  retry_max_wait = \"2s\"\n")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ca_identity_register_plan_import_drift_destroy() {
    let emulator = start_emulator(&["region1"]).await;
    let url = emulator.console_url("region1").expect("console url");
    let head = format!("{TERRAFORM_BLOCK}\n{}\n{VARIABLES}", provider(&url));

    // The CA first: its admin becomes the registrar.
    let ws = Workspace::new(&format!("{head}{}", ca_block()));
    write_registrar_placeholder(&ws);
    block_in_place(|| ws.apply()).assert_success("apply the CA");
    let ca_state = block_in_place(|| ws.resource_values("blockchain_ca.org1")).expect("ca");
    let api_url = ca_state["api_url"].as_str().expect("api_url").to_owned();
    let tls_cert = ca_state["tls_cert"].as_str().expect("tls_cert").to_owned();
    let ca = CaEndpoint {
        api_url: api_url.clone(),
        ca_name: "ca".into(),
        tls_root_pem: Some(tls_cert.clone().into_bytes()),
    };
    let admin = enroll_admin(&ca, ADMIN_SECRET).await;
    write_registrar(&ws, &admin);

    // Register a peer with an attribute.
    let by_reference = (
        "blockchain_ca.org1.api_url",
        "blockchain_ca.org1.ca_name",
        "blockchain_ca.org1.tls_cert",
    );
    ws.write(
        "main.tf",
        &format!("{head}{}{}", ca_block(), identity_block(by_reference, ROLE)),
    );
    let out = block_in_place(|| ws.apply());
    out.assert_success("apply the identity");
    assert!(out.stdout.contains("1 added"), "{}", out.stdout);
    let info = get(&ca, &admin, "org1peer0").await.expect("registered");
    assert_eq!(info.identity_type, "peer");
    assert_eq!(info.max_enrollments, 10);
    assert_eq!(
        own_attrs(&info),
        vec![("role".to_string(), "endorser".to_string(), true)]
    );
    let applied =
        block_in_place(|| ws.resource_values("blockchain_ca_identity.peer0")).expect("state");
    let import_id = format!("{api_url}|ca|org1peer0");
    assert_eq!(applied["id"], import_id.as_str());
    assert_eq!(applied["affiliation"], "", "the registrar's: the root");
    // The CA generated the secret; it is in state (enrolling needs it) and it works.
    let secret = applied["enroll_secret"]
        .as_str()
        .expect("secret")
        .to_owned();
    assert_eq!(secret.len(), 12, "fabric-ca's RandomString(12)");
    assert!(!out.stdout.contains(&secret) && !out.stderr.contains(&secret));
    let peer = client()
        .enroll(
            &ca,
            &EnrollRequest {
                enroll_id: "org1peer0".into(),
                secret: secret.as_str().into(),
                ..Default::default()
            },
            &CancellationToken::new(),
        )
        .await
        .expect("the kept secret enrolls");
    assert_eq!(
        peer.identity.certificate().info().organizational_units,
        ["peer"]
    );

    // Clean plan.
    let (plan, _) = block_in_place(|| ws.plan());
    assert_eq!(
        plan.code, 0,
        "plan after apply:\n{}\n{}",
        plan.stdout, plan.stderr
    );

    // Import into a fresh state by `api_url|ca|id`: the registrar comes from the configuration,
    // so the plan is an in-place update (never a replacement) that changes nothing at the CA.
    let literal = (
        format!("{api_url:?}"),
        "\"ca\"".to_string(),
        format!("<<EOT\n{tls_cert}EOT\n"),
    );
    let import_ws = Workspace::new(&format!(
        "{head}{}",
        identity_block((&literal.0, &literal.1, &literal.2), ROLE)
    ));
    write_registrar(&import_ws, &admin);
    block_in_place(|| import_ws.tf(&["import", "blockchain_ca_identity.peer0", &import_id]))
        .assert_success("import");
    let imported = block_in_place(|| import_ws.resource_values("blockchain_ca_identity.peer0"))
        .expect("imported");
    for key in ["id", "api_url", "ca_name", "enroll_id"] {
        assert_eq!(imported[key], applied[key], "imported {key}");
    }
    assert!(imported["enroll_secret"].is_null() && imported["registrar"].is_null());
    let (plan, json) = block_in_place(|| import_ws.plan());
    assert_eq!(plan.code, 2, "{}\n{}", plan.stdout, plan.stderr);
    let changes = planned_changes(&json.expect("plan json"));
    assert_eq!(changes[0].1, vec!["update".to_string()], "{}", plan.stdout);
    block_in_place(|| import_ws.apply()).assert_success("apply after import");
    let adopted = block_in_place(|| import_ws.resource_values("blockchain_ca_identity.peer0"))
        .expect("adopted");
    for (key, value) in applied.as_object().expect("object") {
        if key == "enroll_secret" || key == "tls_cert" {
            continue; // the CA keeps its secret; the PEM's text is the literal's
        }
        assert_eq!(&adopted[key], value, "attribute {key} after import");
    }
    assert!(
        adopted["enroll_secret"].is_null(),
        "the CA's secret is kept, not replaced"
    );
    let (plan, _) = block_in_place(|| import_ws.plan());
    assert_eq!(plan.code, 0, "plan after import:\n{}", plan.stdout);
    assert_eq!(get(&ca, &admin, "org1peer0").await, Some(info.clone()));
    block_in_place(|| import_ws.tf(&["state", "rm", "blockchain_ca_identity.peer0"]))
        .assert_success("state rm");

    // Drift behind Terraform's back: another registrar changes the attributes and the maximum.
    let drift = ModifyIdentityRequest {
        attrs: vec![
            Attribute {
                name: "role".into(),
                value: "auditor".into(),
                ecert: false,
            },
            Attribute {
                name: "team".into(),
                value: "blue".into(),
                ecert: false,
            },
        ],
        max_enrollments: 7,
        ..Default::default()
    };
    client()
        .modify_identity(&ca, &admin, "org1peer0", &drift, &CancellationToken::new())
        .await
        .expect("modify behind terraform's back");
    let (plan, json) = block_in_place(|| ws.plan());
    assert_eq!(
        plan.code, 2,
        "drift not shown:\n{}\n{}",
        plan.stdout, plan.stderr
    );
    let changes = planned_changes(&json.expect("plan json"));
    assert_eq!(changes.len(), 1, "{changes:?}");
    assert_eq!(changes[0].0, "blockchain_ca_identity.peer0");
    assert_eq!(changes[0].1, vec!["update".to_string()]);
    assert_eq!(
        changes[0].2,
        vec!["attributes".to_string(), "max_enrollments".to_string()]
    );

    // Apply repairs it (the added attribute removed), and the plan is clean again.
    block_in_place(|| ws.apply()).assert_success("apply repairs");
    let repaired = get(&ca, &admin, "org1peer0").await.expect("still there");
    assert_eq!(repaired.max_enrollments, 10);
    assert_eq!(
        own_attrs(&repaired),
        vec![("role".to_string(), "endorser".to_string(), true)]
    );
    let (plan, _) = block_in_place(|| ws.plan());
    assert_eq!(plan.code, 0, "plan after repair:\n{}", plan.stdout);

    // Destroy: the identity is gone (and the CA with it).
    block_in_place(|| ws.destroy()).assert_success("destroy");
    assert!(support::ca_ids(&emulator, "region1").await.is_empty());
    emulator.shutdown().await;
}

/// Before the CA exists there is no registrar yet: harmless values for the variables.
fn write_registrar_placeholder(ws: &Workspace) {
    ws.write(
        "registrar.auto.tfvars.json",
        &json!({"registrar_cert": "", "registrar_key": ""}).to_string(),
    );
}

/// A stand-alone emulated Fabric CA server (no console), whose removal switch the test sets.
async fn standalone_ca() -> (
    fabric_ca::CaServerHandle,
    CaEndpoint,
    Arc<tokio::sync::Mutex<FabricCaState>>,
) {
    let admin = || {
        vec![BootstrapIdentity {
            name: "admin".into(),
            pass: "adminpw".into(),
            kind: "client".into(),
        }]
    };
    let state = FabricCaState::generate(&admin(), &admin()).expect("state");
    let root = state.ca_root_pem().to_owned();
    let state = Arc::new(tokio::sync::Mutex::new(state));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let server = fabric_ca::serve(listener, state.clone(), Arc::new(|_| {}))
        .await
        .expect("serve");
    let ca = CaEndpoint {
        api_url: format!("https://127.0.0.1:{}", server.addr.port()),
        ca_name: "ca".into(),
        tls_root_pem: Some(root.into_bytes()),
    };
    (server, ca, state)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_taken_id_says_import_and_a_ca_without_removal_revokes_with_a_warning() {
    let emulator = start_emulator(&["region1"]).await;
    let url = emulator.console_url("region1").expect("console url");
    let (_server, ca, state) = standalone_ca().await;
    let admin = enroll_admin(&ca, "adminpw").await;
    let root = String::from_utf8(ca.tls_root_pem.clone().unwrap_or_default()).expect("pem");
    let endpoint = (
        format!("{:?}", ca.api_url),
        "\"ca\"".to_string(),
        format!("<<EOT\n{root}EOT\n"),
    );
    let main_tf = format!(
        "{TERRAFORM_BLOCK}\n{}\n{VARIABLES}{}",
        provider(&url),
        identity_block((&endpoint.0, &endpoint.1, &endpoint.2), ROLE)
    );
    let ws = Workspace::new(&main_tf);
    write_registrar(&ws, &admin);
    block_in_place(|| ws.apply()).assert_success("apply");

    // The same enroll id from another state: refused at enroll_id, with the import command.
    let other = Workspace::new(&main_tf);
    write_registrar(&other, &admin);
    let out = block_in_place(|| other.apply());
    assert_ne!(out.code, 0);
    let import_id = format!("{}|ca|org1peer0", ca.api_url);
    assert!(
        out.stderr.contains("Identity already registered"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains(&import_id), "{}", out.stderr);
    assert!(out.stderr.contains("enroll_id"), "{}", out.stderr);

    // Removal off: destroy revokes the identity and says so.
    state.lock().await.set_identity_removal("ca", false);
    let out = block_in_place(|| ws.destroy());
    out.assert_success("destroy");
    let said = format!("{}{}", out.stdout, out.stderr);
    assert!(said.contains("Identity revoked, not removed"), "{said}");
    assert!(block_in_place(|| ws.state_resources()).is_empty());
    let kept = get(&ca, &admin, "org1peer0")
        .await
        .expect("still registered");
    assert_eq!(kept.id, "org1peer0");
    assert!(
        state
            .lock()
            .await
            .identity("ca", "org1peer0")
            .is_some_and(|i| i.revoked),
        "revoked"
    );
    emulator.shutdown().await;
}
