//! Acceptance tests for `blockchain_peer`: a `blockchain_ca` created in the emulator, the peer's
//! identity registered at both of its CAs (`blockchain_ca_identity`, type `peer`), an
//! organization admin enrolled (`blockchain_enrolled_identity`), and the peer enrolled with
//! them, all in one emulated console, with the real terraform binary.

mod support;

use reqwest::Method;
use serde_json::{json, Value as Json};
use support::{
    planned_changes, provider_block, start_emulator, ConsoleUser, Workspace, API_SECRET,
    TERRAFORM_BLOCK,
};
use tokio::task::block_in_place;

const CA_SECRET: &str = "adminpw-very-secret";
const PEER_SECRET: &str = "peer0pw-very-secret";
const ORG_ADMIN_SECRET: &str = "org1adminpw-very-secret";

/// The whole organization: the CA, its admin enrolled at both CAs (the registrars), the
/// peer's identity and the org admin registered, the org admin enrolled, and the peer.
fn config(console_url: &str, peer_extra: &str) -> String {
    config_with(console_url, &peer_block(&ORG_REFS, peer_extra))
}

/// The organization with `peer` (the peer's resources) in place of the enrolled peer.
fn config_with(console_url: &str, peer: &str) -> String {
    let provider = provider_block(None, console_url, "  retry_max_wait = \"2s\"\n");
    format!(
        r#"{TERRAFORM_BLOCK}
{provider}
resource "blockchain_ca" "org1" {{
  display_name        = "Org1 CA"
  admin_enroll_id     = "admin"
  admin_enroll_secret = "{CA_SECRET}"
  timeouts {{
    create = "2m"
  }}
}}

resource "blockchain_enrolled_identity" "ca_admin" {{
  api_url       = blockchain_ca.org1.api_url
  tls_cert      = blockchain_ca.org1.tls_cert
  enroll_id     = "admin"
  enroll_secret = "{CA_SECRET}"
}}

resource "blockchain_enrolled_identity" "ca_admin_tls" {{
  api_url       = blockchain_ca.org1.api_url
  ca_name       = blockchain_ca.org1.tlsca_name
  tls_cert      = blockchain_ca.org1.tls_cert
  enroll_id     = "admin"
  enroll_secret = "{CA_SECRET}"
}}

resource "blockchain_ca_identity" "peer0" {{
  api_url  = blockchain_ca.org1.api_url
  tls_cert = blockchain_ca.org1.tls_cert
  registrar {{
    certificate = blockchain_enrolled_identity.ca_admin.certificate
    private_key = blockchain_enrolled_identity.ca_admin.private_key
  }}
  enroll_id     = "org1peer0"
  enroll_secret = "{PEER_SECRET}"
  type          = "peer"
}}

resource "blockchain_ca_identity" "peer0_tls" {{
  api_url  = blockchain_ca.org1.api_url
  ca_name  = blockchain_ca.org1.tlsca_name
  tls_cert = blockchain_ca.org1.tls_cert
  registrar {{
    certificate = blockchain_enrolled_identity.ca_admin_tls.certificate
    private_key = blockchain_enrolled_identity.ca_admin_tls.private_key
  }}
  enroll_id     = "org1peer0"
  enroll_secret = "{PEER_SECRET}"
  type          = "peer"
}}

resource "blockchain_ca_identity" "org1_admin" {{
  api_url  = blockchain_ca.org1.api_url
  tls_cert = blockchain_ca.org1.tls_cert
  registrar {{
    certificate = blockchain_enrolled_identity.ca_admin.certificate
    private_key = blockchain_enrolled_identity.ca_admin.private_key
  }}
  enroll_id     = "org1admin"
  enroll_secret = "{ORG_ADMIN_SECRET}"
  type          = "admin"
}}

resource "blockchain_enrolled_identity" "org1_admin" {{
  api_url       = blockchain_ca.org1.api_url
  tls_cert      = blockchain_ca.org1.tls_cert
  enroll_id     = blockchain_ca_identity.org1_admin.enroll_id
  enroll_secret = "{ORG_ADMIN_SECRET}"
  msp_id        = "Org1MSP"
}}

{peer}"#
    )
}

/// Where the peer's configuration takes the CA, its identities and the org admin from.
struct Refs {
    ca_api_url: &'static str,
    ca_name: &'static str,
    tlsca_name: &'static str,
    ca_tls_cert: &'static str,
    enroll_id: &'static str,
    tls_enroll_id: &'static str,
    admin_cert: &'static str,
}

/// The other resources of the same configuration.
const ORG_REFS: Refs = Refs {
    ca_api_url: "blockchain_ca.org1.api_url",
    ca_name: "blockchain_ca.org1.ca_name",
    tlsca_name: "blockchain_ca.org1.tlsca_name",
    ca_tls_cert: "blockchain_ca.org1.tls_cert",
    enroll_id: "blockchain_ca_identity.peer0.enroll_id",
    tls_enroll_id: "blockchain_ca_identity.peer0_tls.enroll_id",
    admin_cert: "blockchain_enrolled_identity.org1_admin.certificate",
};

/// Variables (a configuration that holds only the peer, e.g. to import it).
const VAR_REFS: Refs = Refs {
    ca_api_url: "var.ca_api_url",
    ca_name: "\"ca\"",
    tlsca_name: "\"tlsca\"",
    ca_tls_cert: "var.ca_tls_cert",
    enroll_id: "\"org1peer0\"",
    tls_enroll_id: "\"org1peer0\"",
    admin_cert: "var.admin_cert",
};

fn peer_block(r: &Refs, peer_extra: &str) -> String {
    format!(
        r#"resource "blockchain_peer" "org1" {{
  display_name = "Org1 Peer"
  msp_id       = "Org1MSP"
  enrollment {{
    ca_api_url    = {ca_api_url}
    ca_name       = {ca_name}
    tlsca_name    = {tlsca_name}
    ca_tls_cert   = {ca_tls_cert}
    enroll_id     = {enroll_id}
    enroll_secret = "{PEER_SECRET}"
    # Registered at the TLS CA as well before the peer enrolls there.
    tls_enroll_id = {tls_enroll_id}
    csr_hosts     = ["peer0.org1.example.com"]
  }}
  admin_certs = [{admin_cert}]
  tags        = ["org1", "tf"]
  zone        = "zone-a"
{peer_extra}
  timeouts {{
    create = "3m"
  }}
}}
"#,
        ca_api_url = r.ca_api_url,
        ca_name = r.ca_name,
        tlsca_name = r.tlsca_name,
        ca_tls_cert = r.ca_tls_cert,
        enroll_id = r.enroll_id,
        tls_enroll_id = r.tls_enroll_id,
        admin_cert = r.admin_cert,
    )
}

/// Only the peer, its references as variables taken from the applied configuration's state.
fn peer_only_config(console_url: &str, ws: &Workspace, applied: &Workspace) -> String {
    let ca = block_in_place(|| applied.resource_values("blockchain_ca.org1")).expect("ca");
    let admin =
        block_in_place(|| applied.resource_values("blockchain_enrolled_identity.org1_admin"))
            .expect("org admin");
    let vars = json!({
        "ca_api_url": ca["api_url"],
        "ca_tls_cert": ca["tls_cert"],
        "admin_cert": admin["certificate"],
    });
    ws.write("refs.auto.tfvars.json", &vars.to_string());
    let provider = provider_block(None, console_url, "  retry_max_wait = \"2s\"\n");
    let peer = peer_block(&VAR_REFS, "").replace("  timeouts {\n    create = \"3m\"\n  }\n", "");
    format!(
        r#"{TERRAFORM_BLOCK}
{provider}
variable "ca_api_url" {{ type = string }}
variable "ca_tls_cert" {{ type = string }}
variable "admin_cert" {{ type = string }}
{peer}"#
    )
}

/// The ids of the peers of the console.
async fn peer_ids(emulator: &blockchain_emulator::Emulator) -> Vec<String> {
    emulator
        .components("region1")
        .await
        .iter()
        .filter(|c| c["type"] == "fabric-peer")
        .filter_map(|c| c["id"].as_str().map(str::to_owned))
        .collect()
}

fn pem(v: &Json, key: &str) -> String {
    v[key].as_str().unwrap_or_default().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn peer_lifecycle_apply_plan_import_drift_destroy() {
    let emulator = start_emulator(&["region1"]).await;
    let url = emulator.console_url("region1").expect("console url");
    let ws = Workspace::new(&config(&url, ""));

    // Apply: the organization and one peer, which answers /healthz.
    let out = block_in_place(|| ws.apply());
    out.assert_success("apply");
    assert!(out.stdout.contains("Resources: 8 added"), "{}", out.stdout);
    assert_eq!(peer_ids(&emulator).await, vec!["org1peer".to_string()]);
    let (status, health) = emulator
        .peer_healthz("region1", "org1peer")
        .await
        .expect("the peer serves /healthz");
    assert_eq!((status, health["status"].as_str()), (200, Some("OK")));

    let peer = block_in_place(|| ws.resource_values("blockchain_peer.org1")).expect("peer");
    assert_eq!(peer["id"], "org1peer");
    assert_eq!(peer["msp_id"], "Org1MSP");
    assert!(pem(&peer, "api_url").starts_with("grpcs://"), "{peer}");
    assert!(
        pem(&peer, "operations_url").starts_with("https://"),
        "{peer}"
    );
    // The peer's enrollment certificate comes from the CA, for its enroll id.
    let ecert = tfprovider_blockchain::fabric::Certificate::from_pem(&pem(&peer, "ecert"))
        .expect("ecert PEM");
    assert_eq!(ecert.info().common_name, "org1peer0");
    let tls = tfprovider_blockchain::fabric::Certificate::from_pem(&pem(&peer, "tls_cert"))
        .expect("tls_cert PEM");
    assert_eq!(tls.info().common_name, "org1peer0");
    let admin = block_in_place(|| ws.resource_values("blockchain_enrolled_identity.org1_admin"))
        .expect("org admin");
    assert!(tfprovider_blockchain::resources::pem::same_certificate(
        peer["admin_certs"][0].as_str().unwrap_or_default(),
        &pem(&admin, "certificate")
    ));
    // The write-only crypto is nowhere in the state, the secrets nowhere at all.
    assert_eq!(peer["enrollment"]["enroll_secret"], Json::Null);
    assert_eq!(peer["enrollment"]["ca_api_url"], Json::Null);
    // (blockchain_ca_identity keeps the secrets it registers in state, as its own; the peer's
    // state holds none.)
    let peer_text = peer.to_string();
    for secret in [CA_SECRET, PEER_SECRET, ORG_ADMIN_SECRET, API_SECRET] {
        assert!(!peer_text.contains(secret), "{secret} in the peer's state");
        assert!(
            !out.stdout.contains(secret) && !out.stderr.contains(secret),
            "{secret} shown"
        );
    }
    let export: Json = serde_json::from_str(&pem(&peer, "export_json")).expect("export JSON");
    assert_eq!(export["type"], "fabric-peer");
    assert_eq!(export["msp_id"], "Org1MSP");

    // The plan right after apply is empty.
    let (plan, _) = block_in_place(|| ws.plan());
    assert_eq!(
        plan.code, 0,
        "plan after apply not empty:\n{}\n{}",
        plan.stdout, plan.stderr
    );

    // Import into a fresh state yields the same attributes, and the configuration (with its
    // enrollment block) plans no change.
    let import_ws = Workspace::new("");
    import_ws.write("main.tf", &peer_only_config(&url, &import_ws, &ws));
    block_in_place(|| import_ws.tf(&["import", "blockchain_peer.org1", "org1peer"]))
        .assert_success("import");
    let imported = block_in_place(|| import_ws.resource_values("blockchain_peer.org1"))
        .expect("imported peer");
    for (key, value) in peer.as_object().expect("object") {
        if key == "timeouts" {
            continue;
        }
        assert_eq!(&imported[key], value, "imported attribute {key} differs");
    }
    let (plan, _) = block_in_place(|| import_ws.plan());
    assert_eq!(
        plan.code, 0,
        "plan after import not empty:\n{}\n{}",
        plan.stdout, plan.stderr
    );

    // Drift: another console user renames the peer and adds the CA admin to its admins (the
    // console's admin-certificate edit, docs/dev/peer.md#admin-certificates; a removal of every
    // certificate would not show: athena keeps the stored list when the deployer reports none).
    let user = ConsoleUser::new(&url);
    let (status, body) = user
        .send(
            Method::PUT,
            "/components/fabric-peer/org1peer",
            Some(json!({"display_name": "Renamed"})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let ca_admin = block_in_place(|| ws.resource_values("blockchain_enrolled_identity.ca_admin"))
        .expect("ca admin");
    let ca_admin_b64 = base64::Engine::encode(
        &base64::engine::general_purpose::STANDARD,
        pem(&ca_admin, "certificate"),
    );
    let (status, body) = user
        .send(
            Method::PUT,
            "/kubernetes/components/org1peer/certs",
            Some(json!({"append_admin_certs": [ca_admin_b64]})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["changes_made"], 1, "{body}");
    let (plan, json) = block_in_place(|| ws.plan());
    assert_eq!(
        plan.code, 2,
        "drift not detected:\n{}\n{}",
        plan.stdout, plan.stderr
    );
    let changes = planned_changes(&json.expect("plan json"));
    assert_eq!(changes.len(), 1, "{changes:?}");
    assert_eq!(changes[0].1, vec!["update".to_string()], "{}", plan.stdout);
    assert_eq!(
        changes[0].2,
        vec!["admin_certs".to_string(), "display_name".to_string()]
    );

    // Apply repairs it; the plan is empty again.
    block_in_place(|| ws.apply()).assert_success("apply after drift");
    let (_, body) = user
        .send(
            Method::GET,
            "/components/org1peer?deployment_attrs=included&cache=skip",
            None,
        )
        .await;
    assert_eq!(body["display_name"], "Org1 Peer");
    let certs = body["msp"]["component"]["admin_certs"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(certs.len(), 1, "{body}");
    assert!(tfprovider_blockchain::resources::pem::same_certificate(
        certs[0].as_str().unwrap_or_default(),
        &pem(&admin, "certificate")
    ));
    let (plan, _) = block_in_place(|| ws.plan());
    assert_eq!(
        plan.code, 0,
        "plan after repair not empty:\n{}",
        plan.stdout
    );

    // Deleted behind Terraform's back: the plan re-creates it, and the apply does.
    let (status, body) = user
        .send(Method::DELETE, "/kubernetes/components/org1peer", None)
        .await;
    assert_eq!(status, 200, "{body}");
    let (plan, json) = block_in_place(|| ws.plan());
    assert_eq!(plan.code, 2, "{}", plan.stdout);
    let changes = planned_changes(&json.expect("plan json"));
    assert_eq!(changes.len(), 1, "{changes:?}");
    assert_eq!(changes[0].0, "blockchain_peer.org1");
    assert_eq!(changes[0].1, vec!["create".to_string()], "{changes:?}");
    block_in_place(|| ws.apply()).assert_success("apply re-creates the peer");
    assert_eq!(peer_ids(&emulator).await, vec!["org1peer".to_string()]);
    let (plan, _) = block_in_place(|| ws.plan());
    assert_eq!(
        plan.code, 0,
        "plan after re-create not empty:\n{}",
        plan.stdout
    );

    // Destroy leaves nothing behind.
    block_in_place(|| ws.destroy()).assert_success("destroy");
    assert!(peer_ids(&emulator).await.is_empty());
    assert!(emulator.components("region1").await.is_empty());
    emulator.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_peer_input_fails_at_plan_with_the_attribute_and_sends_nothing() {
    let emulator = start_emulator(&["region1"]).await;
    let url = emulator.console_url("region1").expect("console url");
    let base = config(&url, "");
    let cases = [
        (
            base.replace("msp_id       = \"Org1MSP\"", "msp_id = \"Org1 MSP\""),
            "msp_id",
        ),
        (
            config(&url, "  peer_limits = { cpu = \"1\" }\n"),
            "peer_requests",
        ),
        (
            config(&url, "  statedb_storage_size = \"10Gi\"\n"),
            "storage_size",
        ),
        (
            config(
                &url,
                "  config_override = jsonencode({ peer = { listenAddress = \"0.0.0.0:7051\" } })\n",
            ),
            "config_override",
        ),
        (
            base.replace("    enroll_secret = \"peer0pw-very-secret\"\n", ""),
            "enroll_secret",
        ),
        (
            base.replace(
                "  admin_certs = [blockchain_enrolled_identity.org1_admin.certificate]\n",
                "  state_db = \"mysql\"\n",
            ),
            "state_db",
        ),
    ];
    for (main_tf, attribute) in cases {
        let ws = Workspace::new(&main_tf);
        let out = block_in_place(|| ws.tf(&["plan"]));
        assert_eq!(
            out.code, 1,
            "plan should fail for {attribute}:\n{}",
            out.stdout
        );
        assert!(
            out.stderr.contains(attribute),
            "diagnostic does not point at {attribute}:\n{}",
            out.stderr
        );
        assert!(!out.stderr.contains(PEER_SECRET), "{}", out.stderr);
    }
    assert_eq!(
        emulator.request_count("region1"),
        0,
        "invalid configurations must not reach the console"
    );
    emulator.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sizing_admins_overrides_and_tags_update_in_place_and_storage_forces_a_new_peer() {
    let emulator = start_emulator(&["region1"]).await;
    let url = emulator.console_url("region1").expect("console url");
    let mut ws = Workspace::new(&config(
        &url,
        "  peer_requests = { cpu = \"200m\", memory = \"400Mi\" }\n",
    ));
    ws.set_env("TF_LOG_PROVIDER", "TRACE");
    let out = block_in_place(|| ws.apply());
    out.assert_success("apply");
    for secret in [PEER_SECRET, CA_SECRET] {
        assert!(
            !out.stderr.contains(secret),
            "{secret} in the provider's logs"
        );
    }

    // Four changes in place: sizing, the admins (the CA admin added), the overrides, the tags.
    let changed = config(
        &url,
        "  peer_requests = { cpu = \"0.3\", memory = \"500Mi\" }\n  \
         config_override = jsonencode({ peer = { gossip = { orgLeader = true } } })\n",
    )
    .replace(
        "  admin_certs = [blockchain_enrolled_identity.org1_admin.certificate]\n",
        "  admin_certs = [blockchain_enrolled_identity.org1_admin.certificate, \
         blockchain_enrolled_identity.ca_admin.certificate]\n",
    )
    .replace(
        "tags        = [\"org1\", \"tf\"]",
        "tags        = [\"org1\", \"tf\", \"edge\"]",
    );
    ws.write("main.tf", &changed);
    let (plan, json) = block_in_place(|| ws.plan());
    assert_eq!(plan.code, 2, "{}", plan.stdout);
    let changes = planned_changes(&json.expect("plan json"));
    assert_eq!(changes.len(), 1, "{changes:?}");
    assert_eq!(changes[0].1, vec!["update".to_string()]);
    let out = block_in_place(|| ws.apply());
    out.assert_success("apply the changes");
    assert!(out.stdout.contains("1 changed"), "{}", out.stdout);
    let (_, body) = ConsoleUser::new(&url)
        .send(
            Method::GET,
            "/components/org1peer?deployment_attrs=included&cache=skip",
            None,
        )
        .await;
    assert_eq!(
        body["resources"]["peer"]["requests"]["memory"], "500Mi",
        "{body}"
    );
    assert_eq!(
        body["msp"]["component"]["admin_certs"]
            .as_array()
            .map(Vec::len),
        Some(2),
        "{body}"
    );
    assert_eq!(body["config_override"]["peer"]["gossip"]["orgLeader"], true);
    assert_eq!(
        body["tags"],
        json!(["edge", "fabric-peer", "ibm_saas", "org1", "tf"])
    );
    let (plan, _) = block_in_place(|| ws.plan());
    assert_eq!(
        plan.code, 0,
        "plan after the update not empty:\n{}",
        plan.stdout
    );
    assert_eq!(peer_ids(&emulator).await, vec!["org1peer".to_string()]);

    // The ledger's volume cannot change: a new peer, planned as a replacement.
    ws.write(
        "main.tf",
        &changed.replace(
            "  zone        = \"zone-a\"\n",
            "  zone        = \"zone-a\"\n  storage_size = \"200Gi\"\n",
        ),
    );
    let (plan, json) = block_in_place(|| ws.plan());
    assert_eq!(plan.code, 2, "{}", plan.stdout);
    assert!(
        plan.stdout.contains("forces replacement"),
        "{}",
        plan.stdout
    );
    let changes = planned_changes(&json.expect("plan json"));
    assert_eq!(
        changes[0].1,
        vec!["delete".to_string(), "create".to_string()],
        "{changes:?}"
    );

    // A version the console does not offer stops at plan, at the attribute.
    ws.write(
        "main.tf",
        &changed.replace(
            "  zone        = \"zone-a\"\n",
            "  zone        = \"zone-a\"\n  version = \"2.5.99\"\n",
        ),
    );
    let out = block_in_place(|| ws.tf(&["plan"]));
    assert_eq!(out.code, 1, "{}", out.stdout);
    assert!(out.stderr.contains("Version not offered"), "{}", out.stderr);
    assert!(out.stderr.contains("2.5.12-0"), "{}", out.stderr);

    ws.write("main.tf", &changed);
    block_in_place(|| ws.destroy()).assert_success("destroy");
    assert!(emulator.components("region1").await.is_empty());
    emulator.shutdown().await;
}

/// The peer's identity and TLS certificate enrolled by Terraform itself, handed to the peer as
/// its `msp` (nothing enrolled by the console).
const MSP_PEER: &str = r#"
resource "blockchain_enrolled_identity" "peer0" {
  api_url       = blockchain_ca.org1.api_url
  tls_cert      = blockchain_ca.org1.tls_cert
  enroll_id     = blockchain_ca_identity.peer0.enroll_id
  enroll_secret = "peer0pw-very-secret"
}

resource "blockchain_enrolled_identity" "peer0_tls" {
  api_url       = blockchain_ca.org1.api_url
  ca_name       = blockchain_ca.org1.tlsca_name
  tls_cert      = blockchain_ca.org1.tls_cert
  enroll_id     = blockchain_ca_identity.peer0_tls.enroll_id
  enroll_secret = "peer0pw-very-secret"
  csr_hosts     = ["peer0.org1.example.com", "127.0.0.1"]
}

resource "blockchain_peer" "org1" {
  display_name = "Org1 Peer"
  msp_id       = "Org1MSP"
  msp {
    ecert            = blockchain_enrolled_identity.peer0.certificate
    ekey             = blockchain_enrolled_identity.peer0.private_key
    tls_cert         = blockchain_enrolled_identity.peer0_tls.certificate
    tls_key          = blockchain_enrolled_identity.peer0_tls.private_key
    ca_root_certs    = blockchain_ca.org1.ca_root_certs
    tlsca_root_certs = blockchain_ca.org1.tlsca_root_certs
  }
  admin_certs = [blockchain_enrolled_identity.org1_admin.certificate]
  state_db    = "leveldb"
  timeouts {
    create = "3m"
  }
}
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_peer_from_certificates_enrolled_elsewhere_serves_them_and_keeps_no_key() {
    let emulator = start_emulator(&["region1"]).await;
    let url = emulator.console_url("region1").expect("console url");
    let ws = Workspace::new(&config_with(&url, MSP_PEER));
    let out = block_in_place(|| ws.apply());
    out.assert_success("apply");
    let (status, health) = emulator
        .peer_healthz("region1", "org1peer")
        .await
        .expect("the peer serves /healthz");
    assert_eq!((status, health["status"].as_str()), (200, Some("OK")));

    // The peer serves the certificates it was given.
    let peer = block_in_place(|| ws.resource_values("blockchain_peer.org1")).expect("peer");
    let given = |address: &str| {
        block_in_place(|| ws.resource_values(address)).expect("identity")["certificate"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    };
    let same = tfprovider_blockchain::resources::pem::same_certificate;
    assert!(same(
        &pem(&peer, "ecert"),
        &given("blockchain_enrolled_identity.peer0")
    ));
    assert!(same(
        &pem(&peer, "tls_cert"),
        &given("blockchain_enrolled_identity.peer0_tls")
    ));
    assert_eq!(peer["state_db"], "leveldb");
    // The keys are nowhere in the peer's state.
    assert_eq!(peer["msp"]["ekey"], Json::Null);
    assert!(!peer.to_string().contains("PRIVATE KEY"), "{peer}");

    let (plan, _) = block_in_place(|| ws.plan());
    assert_eq!(plan.code, 0, "plan after apply not empty:\n{}", plan.stdout);
    block_in_place(|| ws.destroy()).assert_success("destroy");
    assert!(emulator.components("region1").await.is_empty());
    emulator.shutdown().await;
}
