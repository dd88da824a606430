//! Acceptance tests for `blockchain_ca`'s `config_override`: the real terraform binary, the
//! provider built by cargo, and the emulator on loopback. Several replicas with PostgreSQL,
//! in-place override changes, drift of the console's stored override, and settings that reach
//! the CA itself.

mod support;

use std::time::Duration;

use reqwest::Method;
use serde_json::json;
use support::{
    ca_ids, planned_changes, provider_block, start_emulator, ConsoleUser, Workspace,
    TERRAFORM_BLOCK,
};
use tfprovider_blockchain::fabric::{
    CaEndpoint, EnrollRequest, FabricCaClient, FabricCaConfig, RegisterRequest, SigningIdentity,
};
use tokio::task::block_in_place;
use tokio_util::sync::CancellationToken;

const ADMIN_SECRET: &str = "adminpw-very-secret";
const DB_PASSWORD: &str = "pg-very-secret";

fn config(console_url: &str, display_name: &str, replicas: u32, override_hcl: &str) -> String {
    let provider = provider_block(None, console_url, "  retry_max_wait = \"2s\"\n");
    format!(
        r#"{TERRAFORM_BLOCK}
{provider}
resource "blockchain_ca" "org1" {{
  display_name        = "{display_name}"
  admin_enroll_id     = "admin"
  admin_enroll_secret = "{ADMIN_SECRET}"
  replicas            = {replicas}
{override_hcl}
  timeouts {{
    create = "2m"
  }}
}}
"#
    )
}

/// An override with Postgres for `ca` (the console copies it to `tlsca`) and `extra` settings.
fn postgres_override(extra: &str) -> String {
    format!(
        r#"  config_override = jsonencode({{
    ca = {{
      db = {{
        type       = "postgres"
        datasource = "host=pg.example.org port=5432 user=ca password={DB_PASSWORD} dbname=ca sslmode=verify-full"
      }}
{extra}
    }}
  }})"#
    )
}

async fn console_doc(user: &ConsoleUser, id: &str) -> serde_json::Value {
    let path = format!("/components/{id}?deployment_attrs=included&cache=skip");
    let (status, body) = user.send(Method::GET, &path, None).await;
    assert_eq!(status, 200, "{body}");
    body
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replicas_with_postgres_apply_and_an_override_change_updates_in_place() {
    let emulator = start_emulator(&["region1"]).await;
    let url = emulator.console_url("region1").expect("console url");
    let user = ConsoleUser::new(&url);

    // Without Postgres, two replicas stop at plan, at `replicas`, and nothing is created.
    let mut ws = Workspace::new(&config(&url, "Pg CA", 2, ""));
    let out = block_in_place(|| ws.tf(&["plan", "-no-color", "-input=false"]));
    assert_ne!(out.code, 0, "{}", out.stdout);
    assert!(
        out.stderr.contains("Several CA replicas need PostgreSQL"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("replicas"), "{}", out.stderr);
    assert!(ca_ids(&emulator, "region1").await.is_empty());

    // With Postgres for both CAs it applies, and the plan after it is empty. The provider logs
    // at TRACE: the database password appears in neither output nor logs.
    ws.set_env("TF_LOG_PROVIDER", "TRACE");
    ws.write("main.tf", &config(&url, "Pg CA", 2, &postgres_override("")));
    let out = block_in_place(|| ws.apply());
    out.assert_success("apply");
    assert!(
        out.stderr.contains("console answered"),
        "TRACE logs captured"
    );
    assert!(
        !out.stdout.contains(DB_PASSWORD) && !out.stderr.contains(DB_PASSWORD),
        "the override is sensitive"
    );
    let doc = console_doc(&user, "pgca").await;
    assert_eq!(doc["replicas"], 2);
    let co = &doc["config_override"];
    assert_eq!(co["ca"]["db"]["type"], "postgres", "{doc}");
    assert_eq!(co["tlsca"]["db"]["type"], "postgres");
    // The registry is the provider's, the admin redacted at rest; no answer has the datasource.
    assert_eq!(co["ca"]["registry"]["identities"][0]["pass"], "[redacted]");
    assert!(!doc.to_string().contains(DB_PASSWORD));
    let (plan, _) = block_in_place(|| ws.plan());
    assert_eq!(
        plan.code, 0,
        "plan after apply not empty:\n{}\n{}",
        plan.stdout, plan.stderr
    );

    // An override change is an in-place update of that attribute alone.
    ws.write(
        "main.tf",
        &config(&url, "Pg CA", 2, &postgres_override("      debug = true")),
    );
    let (plan, json) = block_in_place(|| ws.plan());
    assert_eq!(plan.code, 2, "{}\n{}", plan.stdout, plan.stderr);
    assert!(!plan.stdout.contains(DB_PASSWORD), "{}", plan.stdout);
    let changes = planned_changes(&json.expect("plan json"));
    assert_eq!(changes.len(), 1, "{changes:?}");
    assert_eq!(changes[0].1, vec!["update".to_string()], "{}", plan.stdout);
    assert_eq!(changes[0].2, vec!["config_override".to_string()]);
    let out = block_in_place(|| ws.apply());
    out.assert_success("apply the override change");
    assert!(
        !out.stderr.contains(DB_PASSWORD),
        "the update is not logged"
    );
    assert_eq!(ca_ids(&emulator, "region1").await, ["pgca"], "same CA");
    let doc = console_doc(&user, "pgca").await;
    assert_eq!(doc["config_override"]["ca"]["debug"], true, "{doc}");
    assert_eq!(doc["config_override"]["tlsca"]["debug"], true);
    assert_eq!(doc["config_override"]["ca"]["db"]["type"], "postgres");
    let (plan, _) = block_in_place(|| ws.plan());
    assert_eq!(
        plan.code, 0,
        "plan after update not empty:\n{}",
        plan.stdout
    );

    // Drift: another console user sends another override; the plan shows it and apply repairs.
    let theirs = json!({"config_override": {"ca": {"db": {"type": "postgres", "datasource": "host=other"}, "debug": false}}});
    let (status, body) = user
        .send(
            Method::PUT,
            "/kubernetes/components/fabric-ca/pgca",
            Some(theirs),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (plan, json) = block_in_place(|| ws.plan());
    assert_eq!(plan.code, 2, "drift not seen:\n{}", plan.stdout);
    let changes = planned_changes(&json.expect("plan json"));
    assert_eq!(changes[0].1, vec!["update".to_string()], "{changes:?}");
    assert_eq!(changes[0].2, vec!["config_override".to_string()]);
    block_in_place(|| ws.apply()).assert_success("apply after drift");
    let doc = console_doc(&user, "pgca").await;
    assert_eq!(doc["config_override"]["ca"]["debug"], true, "{doc}");
    let (plan, _) = block_in_place(|| ws.plan());
    assert_eq!(
        plan.code, 0,
        "plan after repair not empty:\n{}",
        plan.stdout
    );

    block_in_place(|| ws.destroy()).assert_success("destroy");
    assert!(ca_ids(&emulator, "region1").await.is_empty());
    emulator.shutdown().await;
}

fn client() -> FabricCaClient {
    FabricCaClient::new(FabricCaConfig {
        bundle_pem: None,
        insecure: false,
        request_timeout: Duration::from_secs(10),
        user_agent: "acceptance-ca-override".into(),
    })
    .expect("client")
}

async fn enroll(ca: &CaEndpoint, id: &str, secret: &str) -> Result<SigningIdentity, String> {
    let req = EnrollRequest {
        enroll_id: id.into(),
        secret: secret.into(),
        ..Default::default()
    };
    client()
        .enroll(ca, &req, &CancellationToken::new())
        .await
        .map(|e| e.identity)
        .map_err(|e| e.to_string())
}

async fn register(
    ca: &CaEndpoint,
    admin: &SigningIdentity,
    id: &str,
    affiliation: &str,
) -> Result<(), String> {
    let req = RegisterRequest {
        id: id.into(),
        identity_type: "client".into(),
        secret: Some(format!("{id}-secret").into()),
        affiliation: affiliation.into(),
        ..Default::default()
    };
    client()
        .register(ca, admin, &req, &CancellationToken::new())
        .await
        .map(|_| ())
        .map_err(|e| e.to_string())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn override_settings_reach_the_ca_at_create_and_after_an_update() {
    let emulator = start_emulator(&["region1"]).await;
    let url = emulator.console_url("region1").expect("console url");
    let departments = r#"  config_override = jsonencode({
    ca = {
      affiliations = { org1 = ["department1"] }
      signing      = { default = { expiry = "8760h" } }
    }
  })"#;
    let ws = Workspace::new(&config(&url, "Aff CA", 1, departments));
    block_in_place(|| ws.apply()).assert_success("apply");
    let state = block_in_place(|| ws.resource_values("blockchain_ca.org1")).expect("ca");
    let endpoint = |ca_name: &str| CaEndpoint {
        api_url: state["api_url"].as_str().expect("api_url").to_owned(),
        ca_name: ca_name.into(),
        tls_root_pem: Some(
            state["tls_cert"]
                .as_str()
                .expect("tls_cert")
                .as_bytes()
                .to_vec(),
        ),
    };
    let (ca, tlsca) = (endpoint("ca"), endpoint("tlsca"));

    // The affiliations exist in both CAs (tlsca took ca's settings); others do not.
    for ca in [&ca, &tlsca] {
        let admin = enroll(ca, "admin", ADMIN_SECRET).await.expect("admin");
        register(ca, &admin, "user1", "org1.department1")
            .await
            .expect("org1.department1 comes from the override");
        let refused = register(ca, &admin, "user2", "org2").await;
        assert!(refused.is_err(), "org2 is in no override yet");
    }

    // The console refuses `signing` in an update: a change that keeps it stops at plan.
    let keeps_signing = r#"  config_override = jsonencode({
    ca = {
      affiliations = { org1 = ["department1"], org2 = [] }
      signing      = { default = { expiry = "8760h" } }
    }
  })"#;
    ws.write("main.tf", &config(&url, "Aff CA", 1, keeps_signing));
    let out = block_in_place(|| ws.tf(&["plan", "-no-color", "-input=false"]));
    assert_ne!(out.code, 0, "{}", out.stdout);
    assert!(
        out.stderr
            .contains("can only be given when the CA is created"),
        "{}",
        out.stderr
    );

    // An update adds an affiliation and a password-attempt limit to the running CA.
    let more = r#"  config_override = jsonencode({
    ca = {
      affiliations = { org1 = ["department1"], org2 = [] }
      cfg          = { identities = { passwordattempts = 2 } }
    }
  })"#;
    ws.write("main.tf", &config(&url, "Aff CA", 1, more));
    let (plan, json) = block_in_place(|| ws.plan());
    assert_eq!(plan.code, 2, "{}", plan.stdout);
    let changes = planned_changes(&json.expect("plan json"));
    assert_eq!(changes[0].1, vec!["update".to_string()], "{changes:?}");
    block_in_place(|| ws.apply()).assert_success("apply the update");

    let admin = enroll(&ca, "admin", ADMIN_SECRET).await.expect("admin");
    register(&ca, &admin, "user2", "org2")
        .await
        .expect("org2 comes from the updated override");
    // Two wrong passwords lock user1 out: the right one is refused afterwards.
    for _ in 0..2 {
        assert!(enroll(&ca, "user1", "wrong-secret").await.is_err());
    }
    let locked = enroll(&ca, "user1", "user1-secret").await;
    assert!(locked.is_err(), "the limit of 2 applies");
    // The TLS CA took the same limit; there user1 still enrolls with its secret.
    enroll(&tlsca, "user1", "user1-secret")
        .await
        .expect("no wrong attempts at the tlsca");

    let (plan, _) = block_in_place(|| ws.plan());
    assert_eq!(
        plan.code, 0,
        "plan after update not empty:\n{}",
        plan.stdout
    );
    block_in_place(|| ws.destroy()).assert_success("destroy");
    emulator.shutdown().await;
}
