//! The fault suite (issue 6): a create, an update and a delete of `blockchain_ca`, each under a
//! burst of 429s, a burst of 5xx, dropped connections, a lost response, the emulator killed and
//! restarted on its database, and Ctrl-C, driven through the real `terraform`. Each scenario
//! ends, after at most one more `terraform apply` (`destroy` for a delete), with exactly the
//! components the configuration names, each held by exactly one resource: duplicates, orphans
//! and lost state are counted, and all must be zero.
//!
//! The faults are switches of the emulator (tests/emulator/src/faults.rs), not behaviours of the
//! console. The table (operation × fault) goes to stderr and to `target/tmp/fault-suite.md`.
//! `FAULT_SUITE_ONLY=update` runs the scenarios whose `operation/fault` label contains the text;
//! `FAULT_SUITE_JOBS` sets how many run at once (default 3); `FAULT_SUITE_LOG=1` prints every
//! run's output.

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use blockchain_emulator::Emulator;
use support::{
    emulator_config, interrupt_group, provider_block, tail, wait_exit, TfOutput, Workspace,
    TERRAFORM_BLOCK,
};

const REGION: &str = "region1";
const ADDRESS: &str = "blockchain_ca.fault";
const NAME: &str = "Fault CA";
/// The update renames the CA (a record edit) and changes its CPU request (a deployer update).
const RENAMED: &str = "Fault CA v2";
/// How long the emulator holds the create, update or delete that is killed or interrupted.
const HOLD: Duration = Duration::from_secs(4);
/// How long a new CA takes to start in the scenarios that act while it starts.
const STARTING: Duration = Duration::from_secs(5);
/// How long the killed emulator stays down.
const DOWN_FOR: Duration = Duration::from_millis(1500);
/// Upper bound for an interrupted or orphaned terraform run.
const RUN_TIMEOUT: Duration = Duration::from_secs(200);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Op {
    Create,
    Update,
    Delete,
}

impl Op {
    const ALL: [Op; 3] = [Op::Create, Op::Update, Op::Delete];

    fn label(self) -> &'static str {
        match self {
            Op::Create => "create",
            Op::Update => "update",
            Op::Delete => "delete",
        }
    }

    /// The terraform command that performs it (and that the scenario may run once more).
    fn command(self) -> &'static [&'static str] {
        match self {
            Op::Create | Op::Update => &["apply", "-auto-approve"],
            Op::Delete => &["destroy", "-auto-approve"],
        }
    }

    /// (address, display name) of what the configuration names once the operation is done.
    fn expected(self) -> Vec<(&'static str, &'static str)> {
        match self {
            Op::Create => vec![(ADDRESS, NAME)],
            Op::Update => vec![(ADDRESS, RENAMED)],
            Op::Delete => Vec::new(),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Fault {
    RateLimited,
    ServerErrors,
    /// One 500, which the provider does not retry: the operation fails and is run once more.
    InternalError,
    DroppedConnections,
    LostResponse,
    KilledAndRestarted,
    CtrlC,
    /// The emulator killed after it answered the create, while the new CA's pods start.
    KilledWhileStarting,
    /// Ctrl-C after the console answered the create, while the new CA's pods start.
    CtrlCWhileStarting,
}

impl Fault {
    const ALL: [Fault; 9] = [
        Fault::RateLimited,
        Fault::ServerErrors,
        Fault::InternalError,
        Fault::DroppedConnections,
        Fault::LostResponse,
        Fault::KilledAndRestarted,
        Fault::CtrlC,
        Fault::KilledWhileStarting,
        Fault::CtrlCWhileStarting,
    ];

    fn label(self) -> &'static str {
        match self {
            Fault::RateLimited => "429 burst",
            Fault::ServerErrors => "5xx burst (503)",
            Fault::InternalError => "5xx (500, not retried)",
            Fault::DroppedConnections => "dropped connections",
            Fault::LostResponse => "lost response",
            Fault::KilledAndRestarted => "emulator killed and restarted",
            Fault::CtrlC => "Ctrl-C",
            Fault::KilledWhileStarting => "emulator killed while the CA starts",
            Fault::CtrlCWhileStarting => "Ctrl-C while the CA starts",
        }
    }

    /// Only a create waits for a new CA to start.
    fn applies_to(self, op: Op) -> bool {
        !matches!(self, Fault::KilledWhileStarting | Fault::CtrlCWhileStarting) || op == Op::Create
    }

    /// How long a created CA refuses connections (its pods starting).
    fn deployer_delay(self) -> Duration {
        match self {
            Fault::KilledWhileStarting | Fault::CtrlCWhileStarting => STARTING,
            _ => Duration::from_millis(300),
        }
    }
}

/// The CA configuration: one `blockchain_ca` named `name` requesting `cpu`.
fn config(console_url: &str, name: &str, cpu: &str) -> String {
    let provider = provider_block(
        None,
        console_url,
        "  retry_max_wait  = \"2s\"\n  request_timeout = \"2m\"\n",
    );
    format!(
        r#"{TERRAFORM_BLOCK}
{provider}
resource "blockchain_ca" "fault" {{
  display_name        = "{name}"
  admin_enroll_id     = "admin"
  admin_enroll_secret = "adminpw-very-secret"
  resource_requests   = {{ cpu = "{cpu}", memory = "200Mi" }}
  timeouts {{
    create = "2m"
    update = "2m"
    delete = "2m"
  }}
}}
"#
    )
}

/// One resource of the state.
#[derive(Clone, Debug)]
struct Held {
    address: String,
    id: Option<String>,
    tainted: bool,
}

/// What exists once a scenario is over.
#[derive(Clone, Debug, Default)]
struct Observed {
    /// (id, display name) of every CA on the console.
    console: Vec<(String, String)>,
    /// Every resource of the state.
    state: Vec<Held>,
}

/// The three counts that must be zero.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Tally {
    /// Components beyond the first with one display name, plus resources beyond the first
    /// holding one component.
    duplicates: usize,
    /// Components no resource holds.
    orphans: usize,
    /// Resources the configuration names that the state does not hold, or holds under an id
    /// the console does not have.
    lost: usize,
}

fn extra_of_each<'a>(items: impl Iterator<Item = &'a str>) -> usize {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for item in items {
        *counts.entry(item).or_default() += 1;
    }
    counts.values().map(|n| n - 1).sum()
}

/// Counts duplicates, orphans and lost state against what the configuration names
/// (`expected`: address and display name).
fn tally(expected: &[(&str, &str)], seen: &Observed) -> Tally {
    let held: BTreeSet<&str> = seen.state.iter().filter_map(|r| r.id.as_deref()).collect();
    let on_console: BTreeSet<&str> = seen.console.iter().map(|(id, _)| id.as_str()).collect();
    let duplicates = extra_of_each(seen.console.iter().map(|(_, name)| name.as_str()))
        + extra_of_each(seen.state.iter().filter_map(|r| r.id.as_deref()));
    let orphans = on_console.iter().filter(|id| !held.contains(*id)).count();
    let lost = expected
        .iter()
        .filter(|(address, _)| {
            let entry = seen.state.iter().find(|r| r.address == *address);
            !entry
                .and_then(|r| r.id.as_deref())
                .is_some_and(|id| on_console.contains(id))
        })
        .count();
    Tally {
        duplicates,
        orphans,
        lost,
    }
}

/// Why the scenario has not converged (empty when it has): the counts, and anything else that
/// differs from "exactly the components the configuration names, each held by one resource,
/// untainted, with an empty plan".
fn problems(expected: &[(&str, &str)], seen: &Observed, plan_clean: bool) -> Vec<String> {
    let mut out = Vec::new();
    let t = tally(expected, seen);
    if t != Tally::default() {
        out.push(format!("{t:?}"));
    }
    let mut wanted: Vec<&str> = expected.iter().map(|(_, name)| *name).collect();
    let mut have: Vec<&str> = seen.console.iter().map(|(_, name)| name.as_str()).collect();
    wanted.sort_unstable();
    have.sort_unstable();
    if wanted != have {
        out.push(format!(
            "the console has CAs {have:?}, the configuration names {wanted:?}"
        ));
    }
    let addresses: BTreeSet<&str> = seen.state.iter().map(|r| r.address.as_str()).collect();
    let configured: BTreeSet<&str> = expected.iter().map(|(address, _)| *address).collect();
    if addresses != configured {
        out.push(format!(
            "the state holds {addresses:?}, the configuration names {configured:?}"
        ));
    }
    for r in &seen.state {
        if r.tainted {
            out.push(format!("{} is tainted", r.address));
        }
        let name = seen
            .console
            .iter()
            .find(|(id, _)| Some(id) == r.id.as_ref())
            .map(|(_, name)| name.as_str());
        let configured = expected.iter().find(|(a, _)| *a == r.address);
        if let (Some(name), Some((_, want))) = (name, configured) {
            if name != *want {
                out.push(format!("{} holds {name:?}, configured {want:?}", r.address));
            }
        }
    }
    if !plan_clean {
        out.push("the plan is not empty".to_owned());
    }
    out
}

/// One row of the table.
#[derive(Debug)]
struct Row {
    op: Op,
    fault: Fault,
    tally: Option<Tally>,
    /// Terraform runs of the operation: 1, or 2 with the one more run.
    runs: usize,
    seconds: f64,
    problems: Vec<String>,
    /// Tails of the runs' output, for a row that did not converge.
    log: String,
}

impl Row {
    fn converged(&self) -> bool {
        self.tally == Some(Tally::default()) && self.problems.is_empty()
    }
}

/// Runs terraform off the async threads, so the in-process emulator keeps serving.
async fn terraform(ws: &Arc<Workspace>, args: &'static [&'static str]) -> TfOutput {
    let ws = ws.clone();
    tokio::task::spawn_blocking(move || ws.tf(args))
        .await
        .expect("terraform thread")
}

/// Whether `terraform plan` shows changes (or fails).
async fn plan_has_changes(ws: &Arc<Workspace>) -> bool {
    terraform(ws, &["plan", "-detailed-exitcode", "-input=false"])
        .await
        .code
        != 0
}

/// Waits (bounded) until the console has finished every create and write it holds: only then
/// is "which CAs exist" final.
async fn settle(emulator: &Emulator) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while emulator.creates_in_flight(REGION).await > 0 || emulator.writes_held(REGION) > 0 {
        assert!(
            Instant::now() < deadline,
            "the console never finished its held requests"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Holds the operation's request in the emulator, so it can be interrupted or killed.
fn hold(emulator: &Emulator, op: Op) {
    let faults = emulator.faults(REGION).expect("fault injector");
    match op {
        Op::Create => faults.create_latency(HOLD),
        Op::Update | Op::Delete => faults.write_latency(HOLD),
    };
}

/// Waits (bounded) until the emulator holds the operation's request.
async fn wait_for_hold(emulator: &Emulator, op: Op) {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let held = match op {
            Op::Create => emulator.creates_in_flight(REGION).await,
            Op::Update | Op::Delete => emulator.writes_held(REGION),
        };
        if held > 0 {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "terraform never sent the {}",
            op.label()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Waits (bounded) until the console has answered the create: its CA is listed.
async fn wait_for_component(emulator: &Emulator) {
    let deadline = Instant::now() + Duration::from_secs(120);
    while emulator.components(REGION).await.is_empty() {
        assert!(Instant::now() < deadline, "terraform never created the CA");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn observe(emulator: &Emulator, ws: &Arc<Workspace>) -> Observed {
    let console = emulator
        .components(REGION)
        .await
        .iter()
        .filter(|c| c["type"] == "fabric-ca")
        .map(|c| {
            let text = |k: &str| c[k].as_str().unwrap_or_default().to_owned();
            (text("id"), text("display_name"))
        })
        .collect();
    let ws = ws.clone();
    let resources = tokio::task::spawn_blocking(move || ws.state_resources())
        .await
        .expect("terraform thread");
    let state = resources
        .iter()
        .map(|r| Held {
            address: r["address"].as_str().unwrap_or_default().to_owned(),
            id: r["values"]["id"].as_str().map(str::to_owned),
            tainted: r["tainted"] == true,
        })
        .collect();
    Observed { console, state }
}

fn log_of(what: &str, out: &TfOutput) -> String {
    format!(
        "--- {what}: exit {}\nstdout:\n{}\nstderr:\n{}\n",
        out.code,
        tail(&out.stdout),
        tail(&out.stderr)
    )
}

/// One scenario, on its own emulator (with a database file, so a restart finds its components).
async fn run(op: Op, fault: Fault) -> Row {
    let started = Instant::now();
    let db = tempfile::tempdir().expect("database dir");
    let mut cfg = emulator_config(&[REGION]);
    cfg.db_path = Some(db.path().join("emulator.redb"));
    cfg.deployer_delay = fault.deployer_delay();
    let mut emulator = Emulator::start(cfg).await.expect("emulator starts");
    let url = emulator.console_url(REGION).expect("console url");
    let ws = Arc::new(Workspace::new(&config(&url, NAME, "100m")));
    if op != Op::Create {
        terraform(&ws, &["apply", "-auto-approve"])
            .await
            .assert_success("the apply before the fault");
    }
    if op == Op::Update {
        ws.write("main.tf", &config(&url, RENAMED, "200m"));
    }

    // The faults aimed at the operation's writes: the reads before them go through.
    let faults = emulator.faults(REGION).expect("fault injector");
    let first = match fault {
        Fault::RateLimited => {
            faults.writes_only(true).rate_limit_burst(3, 1);
            terraform(&ws, op.command()).await
        }
        Fault::ServerErrors => {
            faults.writes_only(true).server_errors(3, 503);
            terraform(&ws, op.command()).await
        }
        Fault::InternalError => {
            faults.writes_only(true).server_errors(1, 500);
            terraform(&ws, op.command()).await
        }
        Fault::DroppedConnections => {
            faults.writes_only(true).drop_connections(2);
            terraform(&ws, op.command()).await
        }
        Fault::LostResponse => {
            faults.lose_next_write_response();
            terraform(&ws, op.command()).await
        }
        Fault::KilledAndRestarted | Fault::CtrlC => {
            hold(&emulator, op);
            let child = ws.spawn(op.command());
            let pid = child.id();
            wait_for_hold(&emulator, op).await;
            if fault == Fault::CtrlC {
                interrupt_group(pid);
            } else {
                emulator = emulator.restart(DOWN_FOR).await.expect("emulator restarts");
            }
            tokio::task::spawn_blocking(move || wait_exit(child, RUN_TIMEOUT))
                .await
                .expect("terraform thread")
        }
        Fault::KilledWhileStarting | Fault::CtrlCWhileStarting => {
            let child = ws.spawn(op.command());
            let pid = child.id();
            wait_for_component(&emulator).await;
            if fault == Fault::CtrlCWhileStarting {
                interrupt_group(pid);
            } else {
                emulator = emulator.restart(DOWN_FOR).await.expect("emulator restarts");
            }
            tokio::task::spawn_blocking(move || wait_exit(child, RUN_TIMEOUT))
                .await
                .expect("terraform thread")
        }
    };
    // Every fault armed must have hit (a hold was waited for above): else the row proves nothing.
    let left = emulator.faults(REGION).expect("fault injector").snapshot();
    let undelivered = left.rate_limit_burst > 0
        || left.server_errors > 0
        || left.drop_connections > 0
        || left.lose_next_write_response;
    // The fault is over (a restarted emulator has none anyway); the user runs it once more if
    // it failed or left changes.
    emulator.faults(REGION).expect("fault injector").clear();
    let mut log = log_of(&format!("{} under {}", op.label(), fault.label()), &first);
    let needs_another = first.code != 0
        || match op {
            Op::Delete => !observe(&emulator, &ws).await.state.is_empty(),
            Op::Create | Op::Update => plan_has_changes(&ws).await,
        };
    let mut runs = 1;
    if needs_another {
        runs = 2;
        let again = terraform(&ws, op.command()).await;
        log.push_str(&log_of("one more run", &again));
    }

    settle(&emulator).await;
    let seen = observe(&emulator, &ws).await;
    let plan_clean = op == Op::Delete || !plan_has_changes(&ws).await;
    let expected = op.expected();
    let mut problems = problems(&expected, &seen, plan_clean);
    if undelivered {
        problems.push(format!("the fault never hit: {left:?}"));
    }
    let row = Row {
        op,
        fault,
        tally: Some(tally(&expected, &seen)),
        runs,
        seconds: started.elapsed().as_secs_f64(),
        problems,
        log,
    };
    // Leave nothing running: destroy what is left, then stop the emulator.
    if op != Op::Delete || !seen.state.is_empty() {
        let _ = terraform(&ws, &["destroy", "-auto-approve"]).await;
    }
    emulator.shutdown().await;
    row
}

fn table(rows: &[Row]) -> String {
    let mut out = String::from(
        "| operation | fault | converged | duplicates | orphans | lost | terraform runs | seconds |\n\
         |---|---|---|---|---|---|---|---|\n",
    );
    for r in rows {
        let (d, o, l) = match r.tally {
            Some(t) => (
                t.duplicates.to_string(),
                t.orphans.to_string(),
                t.lost.to_string(),
            ),
            None => ("?".into(), "?".into(), "?".into()),
        };
        out.push_str(&format!(
            "| {} | {} | {} | {d} | {o} | {l} | {} | {:.0} |\n",
            r.op.label(),
            r.fault.label(),
            if r.converged() { "yes" } else { "**no**" },
            r.runs,
            r.seconds
        ));
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_operation_converges_under_every_fault() {
    support::require_terraform();
    let only = std::env::var("FAULT_SUITE_ONLY").unwrap_or_default();
    let jobs = std::env::var("FAULT_SUITE_JOBS")
        .ok()
        .and_then(|j| j.parse().ok())
        .unwrap_or(3usize)
        .max(1);
    let started = Instant::now();
    let permits = Arc::new(tokio::sync::Semaphore::new(jobs));
    let mut tasks = Vec::new();
    for op in Op::ALL {
        for fault in Fault::ALL.into_iter().filter(|f| f.applies_to(op)) {
            let label = format!("{}/{}", op.label(), fault.label());
            if !label.contains(only.as_str()) {
                continue;
            }
            let permits = permits.clone();
            let task = tokio::spawn(async move {
                let _permit = permits.acquire_owned().await.expect("semaphore");
                run(op, fault).await
            });
            tasks.push((op, fault, task));
        }
    }
    assert!(
        !tasks.is_empty(),
        "FAULT_SUITE_ONLY={only:?} matches no scenario"
    );
    let mut rows = Vec::new();
    for (op, fault, task) in tasks {
        let row = task.await.unwrap_or_else(|e| {
            let why = e
                .try_into_panic()
                .ok()
                .and_then(|p| {
                    p.downcast_ref::<String>()
                        .cloned()
                        .or_else(|| p.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                })
                .unwrap_or_else(|| "cancelled".to_owned());
            Row {
                op,
                fault,
                tally: None,
                runs: 0,
                seconds: 0.0,
                problems: vec![format!("the scenario panicked: {why}")],
                log: String::new(),
            }
        });
        rows.push(row);
    }
    let table = table(&rows);
    let path = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("fault-suite.md");
    let _ = std::fs::write(&path, &table);
    eprintln!(
        "fault suite ({} scenarios, {} at a time, {:.0} s; also in {}):\n{table}",
        rows.len(),
        jobs,
        started.elapsed().as_secs_f64(),
        path.display()
    );
    if std::env::var_os("FAULT_SUITE_LOG").is_some() {
        for r in &rows {
            eprintln!("=== {} under {}\n{}", r.op.label(), r.fault.label(), r.log);
        }
    }
    let failed: Vec<String> = rows
        .iter()
        .filter(|r| !r.converged())
        .map(|r| {
            format!(
                "{} under {}: {}\n{}",
                r.op.label(),
                r.fault.label(),
                r.problems.join("; "),
                r.log
            )
        })
        .collect();
    assert!(
        failed.is_empty(),
        "{} of {} scenarios did not converge:\n{table}\n{}",
        failed.len(),
        rows.len(),
        failed.join("\n")
    );
}

mod counting {
    use super::*;

    fn held(address: &str, id: &str) -> Held {
        Held {
            address: address.to_owned(),
            id: Some(id.to_owned()),
            tainted: false,
        }
    }

    fn ca(id: &str, name: &str) -> (String, String) {
        (id.to_owned(), name.to_owned())
    }

    #[test]
    fn one_component_held_once_is_clean() {
        let seen = Observed {
            console: vec![ca("faultca", NAME)],
            state: vec![held(ADDRESS, "faultca")],
        };
        assert_eq!(tally(&Op::Create.expected(), &seen), Tally::default());
        assert!(problems(&Op::Create.expected(), &seen, true).is_empty());
        assert_eq!(
            problems(&Op::Create.expected(), &seen, false),
            ["the plan is not empty"]
        );
    }

    #[test]
    fn an_orphan_beside_a_duplicate_counts_both() {
        // Issue 6 item 4: a killed create left `faultca`, the next apply made `faultca_0`.
        let seen = Observed {
            console: vec![ca("faultca", NAME), ca("faultca_0", NAME)],
            state: vec![held(ADDRESS, "faultca_0")],
        };
        let t = tally(&Op::Create.expected(), &seen);
        assert_eq!(
            t,
            Tally {
                duplicates: 1,
                orphans: 1,
                lost: 0
            }
        );
    }

    #[test]
    fn two_resources_holding_one_component_are_a_duplicate() {
        // Issue 6 item 3: a lost create response made two resources share one CA.
        let seen = Observed {
            console: vec![ca("faultca", NAME)],
            state: vec![
                held(ADDRESS, "faultca"),
                held("blockchain_ca.other", "faultca"),
            ],
        };
        assert_eq!(tally(&Op::Create.expected(), &seen).duplicates, 1);
        assert!(!problems(&Op::Create.expected(), &seen, true).is_empty());
    }

    #[test]
    fn a_forgotten_or_dangling_resource_is_lost() {
        let forgotten = Observed {
            console: vec![ca("faultca", NAME)],
            state: Vec::new(),
        };
        assert_eq!(
            tally(&Op::Create.expected(), &forgotten),
            Tally {
                duplicates: 0,
                orphans: 1,
                lost: 1
            }
        );
        let dangling = Observed {
            console: Vec::new(),
            state: vec![held(ADDRESS, "faultca")],
        };
        assert_eq!(tally(&Op::Create.expected(), &dangling).lost, 1);
    }

    #[test]
    fn a_delete_leaves_nothing_and_a_stale_entry_is_a_problem() {
        assert!(problems(&Op::Delete.expected(), &Observed::default(), true).is_empty());
        let stale = Observed {
            console: Vec::new(),
            state: vec![held(ADDRESS, "faultca")],
        };
        assert!(!problems(&Op::Delete.expected(), &stale, true).is_empty());
        let mut tainted = Observed {
            console: vec![ca("faultca", RENAMED)],
            state: vec![held(ADDRESS, "faultca")],
        };
        tainted.state[0].tainted = true;
        assert_eq!(
            problems(&Op::Update.expected(), &tainted, true),
            ["blockchain_ca.fault is tainted"]
        );
    }
}
