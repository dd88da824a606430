//! examples/multi-region-ha with Terraform's `pg` state backend, against a real PostgreSQL
//! server started on loopback and three emulated consoles: the state lives in the database, and
//! a second apply started while the first holds the state lock waits for it (and then finds
//! nothing to do), while one that may not wait is refused.

mod support;

use std::time::{Duration, Instant};

use support::postgres::Postgres;
use support::{start_emulator, wait_exit, Workspace};
use tokio::task::block_in_place;

const REGIONS: [&str; 3] = ["region1", "region2", "region3"];

/// A checkout of examples/multi-region-ha whose state lives in PostgreSQL.
fn checkout(urls: &[(&str, String)], conn_str: &str) -> Workspace {
    let mut ws = Workspace::for_example("multi-region-ha");
    ws.set_example_vars(urls, true);
    ws.write(
        "backend.tf",
        &format!("terraform {{\n  backend \"pg\" {{\n    conn_str = \"{conn_str}\"\n  }}\n}}\n"),
    );
    ws.init();
    ws
}

async fn component_count(emulator: &blockchain_emulator::Emulator) -> usize {
    let mut n = 0;
    for r in REGIONS {
        n += emulator.components(r).await.len();
    }
    n
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
    let emulator = start_emulator(&REGIONS).await;
    let urls: Vec<(&str, String)> = REGIONS
        .iter()
        .map(|r| (*r, emulator.console_url(r).expect("console url")))
        .collect();

    // Two checkouts of the three-region example, as two operators' (one state in PostgreSQL).
    let first = block_in_place(|| checkout(&urls, &pg.conn_str));
    let second = block_in_place(|| checkout(&urls, &pg.conn_str));

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
    let created = component_count(&emulator).await;
    assert!(
        created >= 20,
        "the first apply created {created} components"
    );
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
    assert_eq!(
        component_count(&emulator).await,
        created,
        "the waiting apply created nothing more"
    );

    // The state is in PostgreSQL (the backend's default schema), not in the folder.
    let rows = block_in_place(|| pg.query("SELECT count(*) FROM terraform_remote_state.states"));
    assert_eq!(rows, "1");
    assert!(!first.path().join("terraform.tfstate").exists());

    // The other checkout plans clean from the shared state, and destroys everything.
    let (plan, _) = block_in_place(|| second.plan());
    assert_eq!(plan.code, 0, "plan after apply not empty:\n{}", plan.stdout);
    block_in_place(|| second.destroy()).assert_success("destroy");
    assert_eq!(component_count(&emulator).await, 0);
    assert_eq!(block_in_place(|| pg.advisory_locks()), 0);
}
