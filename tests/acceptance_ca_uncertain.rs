//! Acceptance tests for `blockchain_ca` creates whose outcome is uncertain: the console holds the
//! create POST while its deployer works (docs/dev/console-api.md#create-waits-for-the-deployer: "Create is synchronous up to a
//! timeout"), and the provider's request times out, or the user presses Ctrl-C, first. Whatever
//! happens, the console must end with exactly one CA once the next apply has settled it.

mod support;

use std::time::{Duration, Instant};

use blockchain_emulator::Emulator;
use serde_json::Value as Json;
use support::{
    interrupt_group, provider_block, start_emulator, tail, wait_exit, Workspace, TERRAFORM_BLOCK,
};
use tokio::task::block_in_place;

const REGION: &str = "region1";
const ADDRESS: &str = "blockchain_ca.slow";

/// One CA under a provider whose requests give up after `request_timeout`.
fn config(console_url: &str, request_timeout: &str) -> String {
    config_with_create_timeout(console_url, request_timeout, "2m")
}

/// The same, with the CA's `timeouts.create`.
fn config_with_create_timeout(console_url: &str, request_timeout: &str, create: &str) -> String {
    let provider = provider_block(
        None,
        console_url,
        &format!("  retry_max_wait  = \"2s\"\n  request_timeout = \"{request_timeout}\"\n"),
    );
    format!(
        r#"{TERRAFORM_BLOCK}
{provider}
resource "blockchain_ca" "slow" {{
  display_name        = "Slow CA"
  admin_enroll_id     = "admin"
  admin_enroll_secret = "adminpw-very-secret"
  timeouts {{
    create = "{create}"
  }}
}}
"#
    )
}

/// Ids of the console's CAs.
async fn ca_ids(emulator: &Emulator) -> Vec<String> {
    support::ca_ids(emulator, REGION).await
}

/// Waits (bounded) until the console has answered every create it received: only then is
/// "how many CAs exist" a final answer.
async fn settle(emulator: &Emulator) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while emulator.creates_in_flight(REGION).await > 0 {
        assert!(
            Instant::now() < deadline,
            "the console never finished its creates"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Waits (bounded) until the console holds a create.
async fn wait_for_held_create(emulator: &Emulator) {
    let deadline = Instant::now() + Duration::from_secs(120);
    while emulator.creates_in_flight(REGION).await == 0 {
        assert!(Instant::now() < deadline, "terraform never sent the create");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The state's entry for [`ADDRESS`] as `terraform show -json` prints it.
fn state_resource(ws: &Workspace) -> Option<Json> {
    let state = ws.state();
    state["values"]["root_module"]["resources"]
        .as_array()?
        .iter()
        .find(|r| r["address"] == ADDRESS)
        .cloned()
}

/// Asserts the plan is empty.
fn assert_empty_plan(ws: &Workspace) {
    let (plan, _) = ws.plan();
    assert_eq!(
        plan.code,
        0,
        "the plan is not empty:\n{}\n{}",
        tail(&plan.stdout),
        tail(&plan.stderr)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_slower_than_request_timeout_is_adopted_within_the_create_timeout() {
    let emulator = start_emulator(&[REGION]).await;
    let url = emulator.console_url(REGION).expect("console url");
    let faults = emulator.faults(REGION).expect("fault injector");
    // The deployer takes 3 s; a request gives up after 1 s, but timeouts.create is 2 minutes:
    // the provider waits for the held create instead of calling it failed.
    faults.create_latency(Duration::from_secs(3));
    let ws = Workspace::new(&config(&url, "1s"));
    block_in_place(|| ws.apply()).assert_success("apply of a slow create");
    settle(&emulator).await;
    assert_eq!(ca_ids(&emulator).await, vec!["slowca".to_string()]);
    let recorded = block_in_place(|| state_resource(&ws)).expect("the CA is in the state");
    assert!(
        recorded["tainted"].is_null() || recorded["tainted"] == false,
        "{recorded}"
    );
    block_in_place(|| assert_empty_plan(&ws));
    block_in_place(|| ws.destroy()).assert_success("destroy");
    settle(&emulator).await;
    assert!(ca_ids(&emulator).await.is_empty());
    emulator.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_slower_than_the_create_timeout_is_tainted_then_settled_to_one_ca() {
    let emulator = start_emulator(&[REGION]).await;
    let url = emulator.console_url(REGION).expect("console url");
    let faults = emulator.faults(REGION).expect("fault injector");
    // The deployer takes 5 s; the whole create may take 2 s: the outcome stays uncertain.
    faults.create_latency(Duration::from_secs(5));
    let ws = Workspace::new(&config_with_create_timeout(&url, "1s", "2s"));

    let out = block_in_place(|| ws.apply());
    assert_ne!(out.code, 0, "apply must fail:\n{}", tail(&out.stdout));
    assert!(
        out.stderr.contains("The CA may have been created"),
        "missing the uncertain-create diagnostic:\nstdout:\n{}\nstderr:\n{}",
        tail(&out.stdout),
        tail(&out.stderr)
    );
    settle(&emulator).await;
    let ids = ca_ids(&emulator).await;
    assert_eq!(
        ids.len(),
        1,
        "the console must end with exactly one CA, has {ids:?}\nstderr:\n{}",
        tail(&out.stderr)
    );

    // Terraform recorded the id the provider chose, tainted.
    let recorded = block_in_place(|| state_resource(&ws)).expect("the CA is in the state");
    assert_eq!(recorded["tainted"], true, "{recorded}");
    assert_eq!(recorded["values"]["id"], ids[0].as_str(), "{recorded}");
    let listed = block_in_place(|| ws.tf(&["state", "show", ADDRESS]));
    listed.assert_success("state show");
    assert!(listed.stdout.contains("(tainted)"), "{}", listed.stdout);

    // The next apply (the request timeout now above the deployer's latency) replaces it.
    ws.write("main.tf", &config(&url, "20s"));
    let out = block_in_place(|| ws.apply());
    out.assert_success("second apply");
    assert!(
        out.stdout.contains("1 added") && out.stdout.contains("1 destroyed"),
        "the tainted CA must be replaced:\n{}",
        tail(&out.stdout)
    );
    settle(&emulator).await;
    let ids = ca_ids(&emulator).await;
    assert_eq!(
        ids.len(),
        1,
        "exactly one CA after the replacement: {ids:?}"
    );
    let recorded = block_in_place(|| state_resource(&ws)).expect("the CA is in the state");
    assert!(recorded["tainted"].is_null() || recorded["tainted"] == false);
    assert_eq!(recorded["values"]["id"], ids[0].as_str());
    block_in_place(|| assert_empty_plan(&ws));

    block_in_place(|| ws.destroy()).assert_success("destroy");
    settle(&emulator).await;
    assert!(ca_ids(&emulator).await.is_empty());
    emulator.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctrl_c_during_a_held_create_leaves_no_orphan_and_no_duplicate() {
    let emulator = start_emulator(&[REGION]).await;
    let url = emulator.console_url(REGION).expect("console url");
    let faults = emulator.faults(REGION).expect("fault injector");
    faults.create_latency(Duration::from_secs(5));
    // The request timeout is far above the latency: only the interrupt ends the wait.
    let ws = Workspace::new(&config(&url, "180s"));

    let child = ws.spawn(&["apply", "-auto-approve"]);
    let pid = child.id();
    wait_for_held_create(&emulator).await;
    interrupt_group(pid);
    let out = block_in_place(|| wait_exit(child, Duration::from_secs(120)));
    let (code, stdout, stderr) = (out.code, out.stdout, out.stderr);
    assert_ne!(
        code,
        0,
        "an interrupted apply must fail:\n{}",
        tail(&stdout)
    );

    // Terraform reports the interruption, and the provider answered Stop by returning the id it
    // had chosen: the state holds the CA, tainted, for the next plan to settle.
    assert!(
        stdout.contains("Interrupt received"),
        "terraform did not see the interrupt:\n{}",
        tail(&stdout)
    );
    assert!(
        stderr.contains("The CA may have been created"),
        "missing the uncertain-create diagnostic:\n{}",
        tail(&stderr)
    );
    let recorded = block_in_place(|| state_resource(&ws)).expect("the CA is in the state");
    assert_eq!(recorded["tainted"], true, "{recorded}");

    // The console finishes the create it was holding, whatever the client did.
    settle(&emulator).await;
    let held = ca_ids(&emulator).await;
    assert_eq!(held.len(), 1, "the held create made one CA: {held:?}");
    assert_eq!(
        recorded["values"]["id"],
        held[0].as_str(),
        "the state must name the CA the console was creating"
    );

    // The next apply settles it: exactly one CA, no orphan, no duplicate, and an empty plan.
    faults.create_latency(Duration::from_millis(500));
    let out = block_in_place(|| ws.apply());
    out.assert_success("apply after the interrupt");
    assert!(
        out.stdout.contains("1 added") && out.stdout.contains("1 destroyed"),
        "the tainted CA must be replaced:\n{}",
        tail(&out.stdout)
    );
    settle(&emulator).await;
    let ids = ca_ids(&emulator).await;
    assert_eq!(
        ids.len(),
        1,
        "exactly one CA after the next apply, got {ids:?} (interrupted run stderr:\n{})",
        tail(&stderr)
    );
    let recorded = block_in_place(|| state_resource(&ws)).expect("the CA is in the state");
    assert_eq!(recorded["values"]["id"], ids[0].as_str());
    block_in_place(|| assert_empty_plan(&ws));

    block_in_place(|| ws.destroy()).assert_success("destroy");
    settle(&emulator).await;
    assert!(ca_ids(&emulator).await.is_empty());
    emulator.shutdown().await;
}

/// Re-applying while the console still holds the first create: the refresh of the tainted id
/// gets 404 (athena stores the doc only when the POST completes) and must wait for the create
/// instead of dropping the CA, or the next create would orphan it under `slowca_0`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reapply_while_the_console_still_holds_the_create_makes_one_ca() {
    let emulator = start_emulator(&[REGION]).await;
    let url = emulator.console_url(REGION).expect("console url");
    let faults = emulator.faults(REGION).expect("fault injector");
    faults.create_latency(Duration::from_secs(8));
    let ws = Workspace::new(&config_with_create_timeout(&url, "1s", "2s"));
    let out = block_in_place(|| ws.apply());
    assert_ne!(out.code, 0, "apply must fail:\n{}", tail(&out.stdout));
    assert_eq!(emulator.creates_in_flight(REGION).await, 1);

    // Re-applied at once, as a user would after the error.
    ws.write("main.tf", &config(&url, "20s"));
    block_in_place(|| ws.apply()).assert_success("re-apply");
    settle(&emulator).await;
    let ids = ca_ids(&emulator).await;
    assert_eq!(ids.len(), 1, "orphaned or duplicated CAs: {ids:?}");
    let recorded = block_in_place(|| state_resource(&ws)).expect("the CA is in the state");
    assert_eq!(recorded["values"]["id"], ids[0].as_str());
    block_in_place(|| assert_empty_plan(&ws));
    block_in_place(|| ws.destroy()).assert_success("destroy");
    settle(&emulator).await;
    assert!(ca_ids(&emulator).await.is_empty());
    emulator.shutdown().await;
}
