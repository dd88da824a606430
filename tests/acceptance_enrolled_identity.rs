//! Acceptance tests for `blockchain_enrolled_identity`: a `blockchain_ca` created in the
//! emulator, its admin enrolled at `ca` and a TLS certificate enrolled at `tlsca`, with the real
//! terraform binary.
//!
//! Renewal: the emulator's profiles issue certificates for 8760 h at `ca` (fabric-operator's
//! file, docs/dev/fabric-ca.md#signing-profiles) and offer no short-lived one, so a
//! `reenroll_before` longer than that stands for a certificate close to its end.

mod support;

use base64::Engine as _;
use serde_json::Value as Json;
use support::{planned_changes, provider_block, start_emulator, Workspace, TERRAFORM_BLOCK};
use tfprovider_blockchain::fabric::Certificate;
use tokio::task::block_in_place;

const SECRET: &str = "adminpw-very-secret";
const TLS_HOSTS: [&str; 2] = ["peer0.org1.example.com", "127.0.0.1"];

fn config(console_url: &str, admin_window: &str, extra: &str) -> String {
    let provider = provider_block(None, console_url, "  retry_max_wait = \"2s\"\n");
    let hosts = TLS_HOSTS.map(|h| format!("\"{h}\"")).join(", ");
    format!(
        r#"{TERRAFORM_BLOCK}
{provider}
resource "blockchain_ca" "org1" {{
  display_name        = "Org1 CA"
  admin_enroll_id     = "admin"
  admin_enroll_secret = "{SECRET}"
  timeouts {{
    create = "2m"
  }}
}}

resource "blockchain_enrolled_identity" "admin" {{
  api_url         = blockchain_ca.org1.api_url
  ca_name         = blockchain_ca.org1.ca_name
  tls_cert        = blockchain_ca.org1.tls_cert
  enroll_id       = "admin"
  enroll_secret   = "{SECRET}"
  msp_id          = "Org1MSP"
  reenroll_before = "{admin_window}"
}}

resource "blockchain_enrolled_identity" "admin_tls" {{
  api_url       = blockchain_ca.org1.api_url
  ca_name       = blockchain_ca.org1.tlsca_name
  tls_cert      = blockchain_ca.org1.tls_cert
  enroll_id     = "admin"
  enroll_secret = "{SECRET}"
  csr_hosts     = [{hosts}]
}}
{extra}"#
    )
}

fn text(v: &Json, key: &str) -> String {
    v[key].as_str().unwrap_or_default().to_owned()
}

fn certificate(values: &Json) -> Certificate {
    Certificate::from_pem(&text(values, "certificate")).expect("a PEM certificate in state")
}

fn roots(ca: &Json, key: &str) -> Vec<Certificate> {
    ca[key]
        .as_array()
        .expect("root list")
        .iter()
        .map(|p| Certificate::from_pem(p.as_str().unwrap_or_default()).expect("root PEM"))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn enroll_check_renew_near_expiry_and_destroy() {
    let emulator = start_emulator(&["region1"]).await;
    let url = emulator.console_url("region1").expect("console url");
    let ws = Workspace::new(&config(&url, "720h", ""));

    // Apply: the CA, then both enrollments.
    let out = block_in_place(|| ws.apply());
    out.assert_success("apply");
    assert!(out.stdout.contains("Resources: 3 added"), "{}", out.stdout);
    let state_file =
        std::fs::read_to_string(ws.path().join("terraform.tfstate")).expect("state file");
    assert!(
        !state_file.contains(SECRET),
        "write-only secrets stay out of state"
    );
    assert!(!out.stdout.contains(SECRET) && !out.stderr.contains(SECRET));

    // The plan right after apply is empty.
    let (plan, _) = block_in_place(|| ws.plan());
    assert_eq!(
        plan.code, 0,
        "plan after apply not empty:\n{}\n{}",
        plan.stdout, plan.stderr
    );

    // The enrollment certificate: CN = the enroll id, issued by the CA's root.
    let ca = block_in_place(|| ws.resource_values("blockchain_ca.org1")).expect("ca");
    let admin =
        block_in_place(|| ws.resource_values("blockchain_enrolled_identity.admin")).expect("admin");
    let cert = certificate(&admin);
    assert_eq!(cert.info().common_name, "admin");
    let ca_roots = roots(&ca, "ca_root_certs");
    assert!(cert.chains_to(&ca_roots), "chains to the CA's root");
    assert_eq!(
        cert.info().issuer_common_name,
        ca_roots[0].info().common_name
    );
    assert_eq!(
        admin["ca_chain"], ca["ca_root_certs"],
        "ca_chain is the CA's chain"
    );
    assert_eq!(
        text(&admin, "expires_at"),
        cert.info()
            .not_after
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap()
    );
    // Its private key is the certificate's, and the export carries both.
    let key = text(&admin, "private_key");
    let identity = tfprovider_blockchain::fabric::SigningIdentity::from_pem(cert.pem(), &key);
    assert!(identity.is_ok(), "the key in state matches the certificate");
    let export: Json = serde_json::from_str(&text(&admin, "export_json")).expect("export JSON");
    assert_eq!(export["type"], "identity");
    assert_eq!(export["name"], "admin");
    assert_eq!(export["msp_id"], "Org1MSP");
    let b64 = base64::engine::general_purpose::STANDARD;
    assert_eq!(
        b64.decode(export["cert"].as_str().unwrap_or_default())
            .unwrap(),
        cert.pem().as_bytes()
    );

    // The TLS certificate: from the TLS CA, with the hosts as SANs.
    let tls = block_in_place(|| ws.resource_values("blockchain_enrolled_identity.admin_tls"))
        .expect("admin_tls");
    let tls_cert = certificate(&tls);
    assert_eq!(tls_cert.info().common_name, "admin");
    assert_eq!(tls_cert.info().hosts, TLS_HOSTS);
    assert!(tls_cert.chains_to(&roots(&ca, "tlsca_root_certs")));
    assert!(!tls_cert.chains_to(&ca_roots), "not from the enrollment CA");

    // A wrong secret is refused at enroll_secret, without the secret in the message (given as
    // a sensitive variable, as a secret should be: terraform quotes the configuration's line).
    let wrong = r#"
resource "blockchain_enrolled_identity" "wrong" {
  api_url       = blockchain_ca.org1.api_url
  ca_name       = blockchain_ca.org1.ca_name
  tls_cert      = blockchain_ca.org1.tls_cert
  enroll_id     = "admin"
  enroll_secret = var.wrong_secret
}

variable "wrong_secret" {
  type      = string
  sensitive = true
  default   = "not-the-secret-123"
}
"#;
    ws.write("main.tf", &config(&url, "720h", wrong));
    let out = block_in_place(|| ws.apply());
    assert_eq!(out.code, 1, "a wrong secret must fail:\n{}", out.stdout);
    assert!(
        out.stderr
            .contains("The CA refused the enroll id and secret"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("enroll_secret"), "{}", out.stderr);
    assert!(
        !out.stderr.contains("not-the-secret-123") && !out.stdout.contains("not-the-secret-123")
    );
    assert!(block_in_place(|| ws.resource_values("blockchain_enrolled_identity.wrong")).is_none());
    ws.write("main.tf", &config(&url, "720h", ""));

    // Near expiry: a window longer than the certificate's life. The plan shows an update
    // that re-enrolls (certificate and key unknown); the TLS identity is left alone.
    ws.write("main.tf", &config(&url, "100000h", ""));
    let (plan, json) = block_in_place(|| ws.plan());
    assert_eq!(
        plan.code, 2,
        "renewal not planned:\n{}\n{}",
        plan.stdout, plan.stderr
    );
    assert!(
        plan.stdout.contains("will be re-enrolled"),
        "{}",
        plan.stdout
    );
    let json = json.expect("plan json");
    let changes = planned_changes(&json);
    assert_eq!(changes.len(), 1, "{changes:?}");
    assert_eq!(changes[0].0, "blockchain_enrolled_identity.admin");
    assert_eq!(changes[0].1, ["update"]);
    let change = json["resource_changes"]
        .as_array()
        .and_then(|rcs| {
            rcs.iter()
                .find(|rc| rc["address"] == "blockchain_enrolled_identity.admin")
        })
        .expect("admin change");
    for key in ["certificate", "private_key", "expires_at"] {
        assert_eq!(
            change["change"]["after_unknown"][key], true,
            "{key} unknown"
        );
    }

    // The apply re-enrolls: a new certificate for the same id, a new key, same CA.
    block_in_place(|| ws.apply()).assert_success("apply renewal");
    let renewed =
        block_in_place(|| ws.resource_values("blockchain_enrolled_identity.admin")).expect("admin");
    let new_cert = certificate(&renewed);
    assert_ne!(new_cert.pem(), cert.pem(), "a new certificate");
    assert_ne!(new_cert.info().serial_hex, cert.info().serial_hex);
    assert_ne!(text(&renewed, "private_key"), key, "a new private key");
    assert_eq!(new_cert.info().common_name, "admin");
    assert!(new_cert.chains_to(&ca_roots));

    // Back to the default window: only the window changes, the certificate stays.
    ws.write("main.tf", &config(&url, "720h", ""));
    block_in_place(|| ws.apply()).assert_success("apply window");
    let kept =
        block_in_place(|| ws.resource_values("blockchain_enrolled_identity.admin")).expect("admin");
    assert_eq!(text(&kept, "certificate"), new_cert.pem());
    let (plan, _) = block_in_place(|| ws.plan());
    assert_eq!(
        plan.code, 0,
        "plan after renewal not empty:\n{}",
        plan.stdout
    );

    // Destroy: the CA goes; the enrollments are forgotten, with a warning that says so.
    let out = block_in_place(|| ws.destroy());
    out.assert_success("destroy");
    assert!(
        out.stdout.contains("The enrollment stays valid at the CA")
            || out.stderr.contains("The enrollment stays valid at the CA"),
        "{}\n{}",
        out.stdout,
        out.stderr
    );
    assert!(block_in_place(|| ws.state_resources()).is_empty());
    assert!(support::ca_ids(&emulator, "region1").await.is_empty());
    emulator.shutdown().await;
}
