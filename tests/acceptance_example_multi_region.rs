//! `examples/multi-region-ha` end to end against three emulated consoles, with the real
//! terraform: region 1 creates the CA, identities, MSP and peer; regions 2 and 3 import the CA,
//! MSP and admin identity and run their own peers; every peer is imported into every other
//! console and the ordering service into all three. Apply, a clean plan, a peer deleted in
//! region 2 behind Terraform's back planned for re-creation (and re-created), destroy, and all
//! three consoles empty.

mod support;

use reqwest::Method;
use support::{planned_changes, start_emulator, ConsoleUser, Workspace};
use tokio::task::block_in_place;

const REGIONS: [&str; 3] = ["region1", "region2", "region3"];

/// `type[ (imported)]` of every component a console holds, sorted.
async fn kinds(emulator: &blockchain_emulator::Emulator, console: &str) -> Vec<String> {
    let mut v: Vec<String> = emulator
        .components(console)
        .await
        .iter()
        .map(|c| {
            let t = c["type"].as_str().unwrap_or_default();
            if c["location"] == "ibm_saas" {
                t.to_string()
            } else {
                format!("{t} (imported)")
            }
        })
        .collect();
    v.sort();
    v
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn multi_region_example_apply_plan_peer_drift_destroy() {
    let emulator = start_emulator(&REGIONS).await;
    let urls: Vec<(&str, String)> = REGIONS
        .iter()
        .map(|r| (*r, emulator.console_url(r).expect("console url")))
        .collect();
    let mut ws = Workspace::for_example("multi-region-ha");
    ws.set_example_vars(&urls, true);
    block_in_place(|| ws.init());

    let applied = block_in_place(|| ws.apply());
    applied.assert_success("apply");
    let added: usize = applied
        .stdout
        .lines()
        .find_map(|l| l.strip_prefix("Apply complete! Resources: "))
        .and_then(|l| l.split(' ').next())
        .and_then(|n| n.parse().ok())
        .expect("apply summary");
    assert!(added >= 25, "only {added} resources added");

    // Region 1 deploys the CA and a peer; 2 and 3 hold the CA and MSP as records and deploy
    // their own peer; every console holds the two other peers and both ordering nodes.
    let home = kinds(&emulator, "region1").await;
    assert_eq!(
        home,
        vec![
            "fabric-ca",
            "fabric-orderer (imported)",
            "fabric-orderer (imported)",
            "fabric-peer",
            "fabric-peer (imported)",
            "fabric-peer (imported)",
            "msp (imported)",
        ]
    );
    for region in ["region2", "region3"] {
        assert_eq!(
            kinds(&emulator, region).await,
            vec![
                "fabric-ca (imported)",
                "fabric-orderer (imported)",
                "fabric-orderer (imported)",
                "fabric-peer",
                "fabric-peer (imported)",
                "fabric-peer (imported)",
                "msp (imported)",
            ],
            "{region}"
        );
    }
    let (plan, _) = block_in_place(|| ws.plan());
    assert_eq!(plan.code, 0, "plan after apply not empty:\n{}", plan.stdout);

    // Region 2's peer deleted behind Terraform's back: the plan re-creates it.
    let peer = block_in_place(|| ws.resource_values("module.region2.blockchain_peer.this[0]"))
        .expect("region 2 peer in state");
    let id = peer["id"].as_str().expect("peer id").to_string();
    let (status, body) = ConsoleUser::new(&urls[1].1)
        .send(
            Method::DELETE,
            &format!("/kubernetes/components/{id}"),
            None,
        )
        .await;
    assert_eq!(status, 200, "delete behind terraform's back: {body}");
    let (plan, json) = block_in_place(|| ws.plan());
    assert_eq!(
        plan.code, 2,
        "the deleted peer is not planned:\n{}",
        plan.stdout
    );
    let changes = planned_changes(&json.expect("plan json"));
    assert!(
        changes.iter().any(
            |(addr, actions, _)| addr == "module.region2.blockchain_peer.this[0]"
                && actions == &vec!["create".to_string()]
        ),
        "{changes:?}"
    );
    block_in_place(|| ws.apply()).assert_success("apply re-creates the peer");
    let (plan, _) = block_in_place(|| ws.plan());
    assert_eq!(plan.code, 0, "plan after repair:\n{}", plan.stdout);

    // Destroy leaves all three consoles empty.
    block_in_place(|| ws.destroy()).assert_success("destroy");
    for region in REGIONS {
        assert!(
            kinds(&emulator, region).await.is_empty(),
            "{region} not empty"
        );
    }
    assert!(block_in_place(|| ws.all_resource_addresses()).is_empty());
}
