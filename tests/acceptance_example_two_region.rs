//! `examples/two-region-org` end to end against two emulated consoles, with the real terraform:
//! region 1 creates the CA, the admin identity and the MSP; region 2 imports them and registers
//! its own peer identity. Apply, a clean plan, drift of a registered identity's attributes
//! changed through the CA's API behind Terraform's back (planned as an in-place update, then
//! repaired), destroy, and both consoles empty.

mod support;

use std::time::Duration;

use support::{planned_changes, start_emulator, Workspace, EXAMPLE_CA_ADMIN_SECRET};
use tfprovider_blockchain::fabric::{
    Attribute, CaEndpoint, EnrollRequest, FabricCaClient, FabricCaConfig, ModifyIdentityRequest,
};
use tokio::task::block_in_place;
use tokio_util::sync::CancellationToken;

fn client() -> FabricCaClient {
    FabricCaClient::new(FabricCaConfig {
        bundle_pem: None,
        insecure: false,
        request_timeout: Duration::from_secs(10),
        user_agent: "acceptance-example".into(),
    })
    .expect("client")
}

async fn types_in(emulator: &blockchain_emulator::Emulator, console: &str) -> Vec<String> {
    let mut v: Vec<String> = emulator
        .components(console)
        .await
        .iter()
        .map(|c| {
            format!(
                "{}:{}",
                c["type"].as_str().unwrap_or_default(),
                c["id"].as_str().unwrap_or_default()
            )
        })
        .collect();
    v.sort();
    v
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_region_example_apply_plan_drift_destroy() {
    let emulator = start_emulator(&["region1", "region2"]).await;
    let mut ws = Workspace::for_example("two-region-org");
    ws.set_example_vars(
        &[
            ("region1", emulator.console_url("region1").expect("url")),
            ("region2", emulator.console_url("region2").expect("url")),
        ],
        false,
    );
    block_in_place(|| ws.init());

    // Apply: region 1 builds, region 2 imports; no file passes between them.
    let applied = block_in_place(|| ws.apply());
    applied.assert_success("apply");
    assert!(
        !applied.stdout.contains(EXAMPLE_CA_ADMIN_SECRET)
            && !applied.stderr.contains(EXAMPLE_CA_ADMIN_SECRET),
        "a secret reached terraform's output"
    );
    assert_eq!(
        types_in(&emulator, "region1").await,
        vec!["fabric-ca:org1ca", "msp:org1msp"]
    );
    assert_eq!(
        types_in(&emulator, "region2").await,
        vec!["fabric-ca:org1ca", "msp:org1msp"]
    );
    let imported = emulator.components("region2").await;
    assert!(
        imported.iter().all(|c| c["location"] != "ibm_saas"),
        "region 2 holds records, not deployments: {imported:?}"
    );
    let (plan, _) = block_in_place(|| ws.plan());
    assert_eq!(plan.code, 0, "plan after apply not empty:\n{}", plan.stdout);

    // Drift: the region-2 peer identity's attributes changed at the CA behind Terraform's back.
    let ca_state = block_in_place(|| ws.resource_values("module.region1.blockchain_ca.this[0]"))
        .expect("region 1 CA in state");
    let ca = CaEndpoint {
        api_url: ca_state["api_url"].as_str().expect("api_url").to_string(),
        ca_name: "ca".into(),
        tls_root_pem: ca_state["tls_cert"].as_str().map(|p| p.as_bytes().to_vec()),
    };
    let admin = client()
        .enroll(
            &ca,
            &EnrollRequest {
                enroll_id: "admin".into(),
                secret: EXAMPLE_CA_ADMIN_SECRET.into(),
                ..Default::default()
            },
            &CancellationToken::new(),
        )
        .await
        .expect("enroll the CA admin")
        .identity;
    let drift = ModifyIdentityRequest {
        attrs: vec![Attribute {
            name: "team".into(),
            value: "red".into(),
            ecert: true,
        }],
        max_enrollments: 3,
        ..Default::default()
    };
    let registered =
        block_in_place(|| ws.resource_values("module.region2.blockchain_ca_identity.peer[\"ca\"]"))
            .unwrap_or_else(|| {
                panic!(
                    "region 2 peer identity not in state: {:?}",
                    ws.all_resource_addresses()
                )
            });
    assert_eq!(
        registered["id"].as_str(),
        Some(format!("{}|ca|org1-region2-peer1", ca.api_url).as_str()),
        "{registered}"
    );
    client()
        .modify_identity(
            &ca,
            &admin,
            "org1-region2-peer1",
            &drift,
            &CancellationToken::new(),
        )
        .await
        .expect("modify behind terraform's back");
    let (plan, json) = block_in_place(|| ws.plan());
    assert_eq!(plan.code, 2, "drift not shown:\n{}", plan.stdout);
    let changes = planned_changes(&json.expect("plan json"));
    assert_eq!(
        changes.len(),
        1,
        "only the changed identity plans a change: {changes:?}"
    );
    assert_eq!(
        changes[0].0,
        "module.region2.blockchain_ca_identity.peer[\"ca\"]"
    );
    assert_eq!(changes[0].1, vec!["update".to_string()]);
    // The module manages the identity's attributes (none) but leaves max_enrollments to the
    // CA (optional and computed), so only the attribute shows as drift.
    assert_eq!(changes[0].2, vec!["attributes".to_string()]);
    block_in_place(|| ws.apply()).assert_success("apply repairs");
    let (plan, _) = block_in_place(|| ws.plan());
    assert_eq!(plan.code, 0, "plan after repair:\n{}", plan.stdout);

    // Destroy leaves both consoles empty.
    block_in_place(|| ws.destroy()).assert_success("destroy");
    assert!(types_in(&emulator, "region1").await.is_empty());
    assert!(types_in(&emulator, "region2").await.is_empty());
    assert!(block_in_place(|| ws.all_resource_addresses()).is_empty());
}
