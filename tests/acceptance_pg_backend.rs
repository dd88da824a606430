//! Terraform's `pg` state backend against a real PostgreSQL server started on loopback: the
//! state lives in the database, and a second apply started while the first holds the state lock
//! waits for it (and then finds nothing to do), while one that may not wait is refused.

mod support;

use std::time::{Duration, Instant};

use support::postgres::Postgres;
use support::{ca_ids, provider_block, start_emulator, wait_exit, Workspace, TERRAFORM_BLOCK};
use tokio::task::block_in_place;

fn config(console: &str, conn_str: &str) -> String {
    let provider = provider_block(None, console, "");
    format!(
        r#"{TERRAFORM_BLOCK}
terraform {{
  backend "pg" {{
    conn_str = "{conn_str}"
  }}
}}

{provider}
resource "blockchain_ca" "org1" {{
  display_name        = "Org1 CA"
  admin_enroll_id     = "admin"
  admin_enroll_secret = "adminpw-org1"
}}

resource "blockchain_ca" "org2" {{
  display_name        = "Org2 CA"
  admin_enroll_id     = "admin"
  admin_enroll_secret = "adminpw-org2"
}}
"#
    )
}

/// Polls (bounded) until `done` holds.
fn wait_for(what: &str, timeout: Duration, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pg_backend_holds_the_state_and_serialises_applies() {
    let pg = block_in_place(Postgres::start);
    let emulator = start_emulator(&["region1"]).await;
    let url = emulator.console_url("region1").expect("console url");
    let main_tf = config(&url, &pg.conn_str);

    // Two working folders of one configuration, as two operators' checkouts.
    let first = Workspace::new(&main_tf);
    let second = Workspace::new(&main_tf);
    for ws in [&first, &second] {
        ws.use_filesystem_mirror();
        block_in_place(|| ws.tf(&["init", "-input=false"])).assert_success("init");
    }

    // The first apply holds the lock while the deployer works on its creates.
    let running = first.spawn(&["apply", "-auto-approve"]);
    block_in_place(|| {
        wait_for(
            "the first apply to take the state lock",
            Duration::from_secs(60),
            || pg.advisory_locks() > 0,
        )
    });

    // One that may not wait is refused and changes nothing.
    let refused = block_in_place(|| second.tf(&["apply", "-auto-approve", "-lock-timeout=0s"]));
    assert_ne!(
        refused.code, 0,
        "an apply without lock wait must fail while locked"
    );
    assert!(
        refused.stderr.contains("Error acquiring the state lock"),
        "unexpected refusal: {}",
        refused.stderr
    );

    // One that may wait does, and then sees the first apply's state: nothing left to do.
    let waiting = second.spawn(&["apply", "-auto-approve", "-lock-timeout=5m"]);
    let first_out = block_in_place(|| wait_exit(running, Duration::from_secs(240)));
    first_out.assert_success("first apply");
    assert!(first_out.stdout.contains("2 added"), "{}", first_out.stdout);
    let second_out = block_in_place(|| wait_exit(waiting, Duration::from_secs(240)));
    second_out.assert_success("second apply");
    assert!(
        second_out
            .stdout
            .contains("Resources: 0 added, 0 changed, 0 destroyed")
            || second_out.stdout.contains("No changes."),
        "the waiting apply planned changes: {}",
        second_out.stdout
    );
    assert_eq!(ca_ids(&emulator, "region1").await, vec!["org1ca", "org2ca"]);

    // The state is in PostgreSQL (the backend's default schema), not in the folder.
    let rows = block_in_place(|| pg.query("SELECT count(*) FROM terraform_remote_state.states"));
    assert_eq!(rows, "1");
    assert!(!first.path().join("terraform.tfstate").exists());

    // The other checkout plans clean from the shared state, and destroys everything.
    let (plan, _) = block_in_place(|| second.plan());
    assert_eq!(plan.code, 0, "plan after apply not empty:\n{}", plan.stdout);
    block_in_place(|| second.destroy()).assert_success("destroy");
    assert!(ca_ids(&emulator, "region1").await.is_empty());
    assert_eq!(block_in_place(|| pg.advisory_locks()), 0);
}
