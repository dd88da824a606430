//! Every settle and adopt branch of the shared lifecycle, on an in-memory console and paused
//! tokio time (a two-minute settling window takes no real time).

use std::collections::{BTreeMap, VecDeque};
use std::sync::Mutex;

use serde_json::json;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::*;
use crate::console::{CreateError, Expected};

/// A peer-like kind: the lifecycle must need nothing CA-specific.
struct PeerKind {
    ready_after: Duration,
    started: Instant,
}

#[derive(Debug, Clone, Serialize)]
struct Bump {
    version: String,
}

#[async_trait]
impl ComponentKind for PeerKind {
    const TYPE: &'static str = "fabric-peer";
    const NOUN: &'static str = "peer";
    const ID_PREFIX: &'static str = "peer";
    type Update = Bump;

    fn update_field(_: &Bump) -> &'static str {
        "version"
    }
    fn reflects(c: &Component, u: &Bump) -> bool {
        c.version.as_deref() == Some(u.version.as_str())
    }
    async fn probe_ready(&self, _c: &Component) -> Result<Check<()>, String> {
        if self.started.elapsed() >= self.ready_after {
            Ok(Check::Done(()))
        } else {
            Ok(Check::Pending("connection refused".into()))
        }
    }
}

fn kind() -> PeerKind {
    PeerKind {
        ready_after: Duration::ZERO,
        started: Instant::now(),
    }
}

/// What the fake console does with the next create.
enum CreateScript {
    Succeed,
    Taken,
    Refuse,
    /// The answer is lost; the component appears after the delay (if any).
    Lose(Option<Duration>),
    /// The answer is lost and another component takes the id.
    LoseToAnother,
}

#[derive(Default)]
struct State {
    components: BTreeMap<String, Component>,
    /// Components that appear at a given time (a create the console still holds).
    appearing: Vec<(Instant, Component)>,
    creates: VecDeque<CreateScript>,
    log: Vec<String>,
    /// Updates become visible this long after the PUT.
    reflect_delay: Duration,
    pending_updates: Vec<(Instant, String, String)>,
    /// A 409 comes from a component with the same display name (a concurrent namesake).
    namesake_on_taken: bool,
}

struct FakeConsole(Mutex<State>);

fn peer(id: &str, name: &str) -> Component {
    Component {
        id: id.into(),
        display_name: name.into(),
        component_type: Some("fabric-peer".into()),
        location: Some("ibm_saas".into()),
        version: Some("2.4.9".into()),
        ..Default::default()
    }
}

impl FakeConsole {
    fn new(script: Vec<CreateScript>) -> Self {
        Self(Mutex::new(State {
            creates: script.into(),
            ..Default::default()
        }))
    }
    fn with(self, c: Component) -> Self {
        self.0.lock().unwrap().components.insert(c.id.clone(), c);
        self
    }
    fn log(&self) -> Vec<String> {
        self.0.lock().unwrap().log.clone()
    }
    fn count(&self, prefix: &str) -> usize {
        self.log().iter().filter(|l| l.starts_with(prefix)).count()
    }
    fn settle_time(s: &mut State) {
        let now = Instant::now();
        let (due, later): (Vec<_>, Vec<_>) = s.appearing.drain(..).partition(|(t, _)| *t <= now);
        s.appearing = later;
        for (_, c) in due {
            s.components.insert(c.id.clone(), c);
        }
        let (due, later): (Vec<_>, Vec<_>) =
            s.pending_updates.drain(..).partition(|(t, _, _)| *t <= now);
        s.pending_updates = later;
        for (_, id, v) in due {
            if let Some(c) = s.components.get_mut(&id) {
                c.version = Some(v);
            }
        }
    }
}

#[async_trait]
impl ComponentApi for FakeConsole {
    fn console_url(&self) -> String {
        "https://console.example:7070".into()
    }
    async fn components(&self) -> Result<Vec<Component>, ConsoleError> {
        let mut s = self.0.lock().unwrap();
        Self::settle_time(&mut s);
        s.log.push("list".into());
        Ok(s.components.values().cloned().collect())
    }
    async fn name_lock(&self, _t: &str, _name: &str) -> crate::console::NameLock {
        std::sync::Arc::new(tokio::sync::Mutex::new(()))
            .lock_owned()
            .await
    }
    async fn create(
        &self,
        _post: Post,
        body: &Value,
        expected: &Expected<'_>,
    ) -> Result<Component, CreateError> {
        let mut s = self.0.lock().unwrap();
        Self::settle_time(&mut s);
        s.log.push(format!("create {}", expected.id));
        assert_eq!(body["id"], expected.id, "the body carries the chosen id");
        let made = peer(expected.id, expected.display_name);
        let lost = |request: &str| ConsoleError::Ambiguous {
            request: request.into(),
            detail: "connection reset".into(),
        };
        match s.creates.pop_front().unwrap_or(CreateScript::Succeed) {
            CreateScript::Succeed => {
                s.components.insert(made.id.clone(), made.clone());
                Ok(made)
            }
            CreateScript::Taken => {
                let name = if s.namesake_on_taken {
                    expected.display_name
                } else {
                    "someone else"
                };
                s.components
                    .insert(made.id.clone(), peer(expected.id, name));
                Err(CreateError::IdTaken(ConsoleError::Conflict {
                    request: "POST".into(),
                    msg: "id conflict".into(),
                }))
            }
            CreateScript::Refuse => Err(CreateError::Refused(ConsoleError::BadRequest {
                request: "POST".into(),
                msgs: vec!["bad".into()],
            })),
            CreateScript::Lose(Some(after)) => {
                let at = Instant::now() + after;
                s.appearing.push((at, made));
                Err(CreateError::Uncertain(lost("POST")))
            }
            CreateScript::Lose(None) => Err(CreateError::Uncertain(lost("POST"))),
            CreateScript::LoseToAnother => {
                let mut other = peer(expected.id, "Other Peer");
                other.component_type = Some("fabric-ca".into());
                s.components.insert(other.id.clone(), other);
                Err(CreateError::Uncertain(lost("POST")))
            }
        }
    }
    async fn get_fresh(&self, id: &str) -> Result<Option<Component>, ConsoleError> {
        let mut s = self.0.lock().unwrap();
        Self::settle_time(&mut s);
        s.log.push(format!("get {id}"));
        Ok(s.components.get(id).cloned())
    }
    async fn get_shared(&self, id: &str) -> Result<Option<Component>, ConsoleError> {
        let mut s = self.0.lock().unwrap();
        Self::settle_time(&mut s);
        s.log.push(format!("shared {id}"));
        Ok(s.components.get(id).cloned())
    }
    async fn update(&self, _t: &str, id: &str, body: &Value) -> Result<(), ConsoleError> {
        let mut s = self.0.lock().unwrap();
        s.log.push(format!("put {id} {body}"));
        let at = Instant::now() + s.reflect_delay;
        let v = body["version"].as_str().unwrap_or_default().to_owned();
        s.pending_updates.push((at, id.into(), v));
        Ok(())
    }
    async fn edit(
        &self,
        _t: &str,
        id: &str,
        _e: &EditComponentRequest,
    ) -> Result<(), ConsoleError> {
        self.0.lock().unwrap().log.push(format!("edit {id}"));
        Ok(())
    }
    async fn delete(&self, id: &str) -> Result<(), ConsoleError> {
        let mut s = self.0.lock().unwrap();
        s.log.push(format!("delete {id}"));
        s.components.remove(id);
        Ok(())
    }
    async fn remove(&self, id: &str) -> Result<(), ConsoleError> {
        let mut s = self.0.lock().unwrap();
        s.log.push(format!("remove {id}"));
        s.components.remove(id);
        Ok(())
    }
}

fn op(secs: u64) -> Operation {
    Operation::new(
        Duration::from_secs(secs),
        "timeouts.create",
        CancellationToken::new(),
    )
}

fn body() -> Value {
    json!({"display_name": "Peer0 Org1"})
}

#[tokio::test(start_paused = true)]
async fn a_create_uses_the_derived_id_and_waits_until_ready() {
    let console = FakeConsole::new(vec![]);
    let k = PeerKind {
        ready_after: Duration::from_secs(3),
        started: Instant::now(),
    };
    let started = Instant::now();
    let created = Lifecycle::new(&k, &console)
        .create(&op(600), "Peer0 Org1", &body())
        .await
        .unwrap();
    assert_eq!(created.id, "peer0org1");
    assert!(
        started.elapsed() >= Duration::from_secs(3),
        "waited for readiness"
    );
    assert_eq!(console.count("create"), 1);
}

#[tokio::test(start_paused = true)]
async fn an_id_taken_by_a_concurrent_create_moves_to_the_next_free_id() {
    let console = FakeConsole::new(vec![CreateScript::Taken]);
    let created = Lifecycle::new(&kind(), &console)
        .create(&op(600), "Peer0 Org1", &body())
        .await
        .unwrap();
    assert_eq!(created.id, "peer0org1_0");
    assert_eq!(console.log()[1], "create peer0org1");
    assert_eq!(console.count("create"), 2);
}

#[tokio::test(start_paused = true)]
async fn a_refused_create_made_nothing_and_is_not_settled() {
    let console = FakeConsole::new(vec![CreateScript::Refuse]);
    let err = Lifecycle::new(&kind(), &console)
        .create(&op(600), "Peer0 Org1", &body())
        .await
        .unwrap_err();
    match err {
        CreateFailure::NotCreated(e) => {
            assert_eq!(e.summary, "Cannot create the peer");
            assert!(
                e.detail.contains("https://console.example:7070"),
                "{}",
                e.detail
            );
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(console.count("get"), 0, "no read-back for a refusal");
}

#[tokio::test(start_paused = true)]
async fn a_lost_peer_create_is_adopted_when_it_appears() {
    // The console holds the create for 40 s (athena waits for its deployer), then stores it.
    let console = FakeConsole::new(vec![CreateScript::Lose(Some(Duration::from_secs(40)))]);
    let created = Lifecycle::new(&kind(), &console)
        .create(&op(600), "Peer0 Org1", &body())
        .await
        .unwrap();
    assert_eq!(created.id, "peer0org1");
    assert_eq!(created.component_type.as_deref(), Some("fabric-peer"));
    assert_eq!(console.count("create"), 1, "adopted, never sent twice");
}

#[tokio::test(start_paused = true)]
async fn a_lost_create_that_never_appears_is_handed_back_unconfirmed_under_its_id() {
    let console = FakeConsole::new(vec![CreateScript::Lose(None)]);
    let started = Instant::now();
    let err = Lifecycle::new(&kind(), &console)
        .create(&op(600), "Peer0 Org1", &body())
        .await
        .unwrap_err();
    match err {
        CreateFailure::Unconfirmed { id, error } => {
            assert_eq!(id, "peer0org1");
            assert_eq!(error.summary, "The peer may have been created");
        }
        other => panic!("{other:?}"),
    }
    let waited = started.elapsed();
    assert!(
        waited >= UNCERTAIN_CREATE_WINDOW && waited < UNCERTAIN_CREATE_WINDOW + CONSOLE_POLL * 2
    );
}

#[tokio::test(start_paused = true)]
async fn the_settling_window_never_outlives_the_users_timeout() {
    let console = FakeConsole::new(vec![CreateScript::Lose(None)]);
    let started = Instant::now();
    let err = Lifecycle::new(&kind(), &console)
        .create(&op(30), "Peer0 Org1", &body())
        .await
        .unwrap_err();
    assert!(matches!(err, CreateFailure::Unconfirmed { .. }));
    assert!(started.elapsed() <= Duration::from_secs(30));
}

#[tokio::test(start_paused = true)]
async fn another_component_under_the_id_after_a_lost_create_is_not_adopted() {
    let console = FakeConsole::new(vec![CreateScript::LoseToAnother]);
    let err = Lifecycle::new(&kind(), &console)
        .create(&op(600), "Peer0 Org1", &body())
        .await
        .unwrap_err();
    match err {
        CreateFailure::NotCreated(e) => {
            assert!(e.detail.contains("belongs to another"), "{}", e.detail)
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test(start_paused = true)]
async fn an_interrupted_create_is_recorded_at_once() {
    let console = FakeConsole::new(vec![CreateScript::Lose(Some(Duration::from_secs(40)))]);
    let cancel = CancellationToken::new();
    cancel.cancel();
    let op = Operation::new(Duration::from_secs(600), "timeouts.create", cancel);
    // Stopped before the id could even be chosen: nothing was sent.
    let err = Lifecycle::new(&kind(), &console)
        .create(&op, "Peer0 Org1", &body())
        .await
        .unwrap_err();
    assert!(
        matches!(err, CreateFailure::NotCreated(ref e) if e.summary == "Interrupted"),
        "{err:?}"
    );
    assert_eq!(console.count("create"), 0);
}

#[tokio::test(start_paused = true)]
async fn a_create_that_does_not_become_ready_is_returned_for_the_state() {
    let console = FakeConsole::new(vec![]);
    let k = PeerKind {
        ready_after: Duration::from_secs(3600),
        started: Instant::now(),
    };
    let err = Lifecycle::new(&k, &console)
        .create(&op(60), "Peer0 Org1", &body())
        .await
        .unwrap_err();
    match err {
        CreateFailure::NotReady { component, error } => {
            assert_eq!(component.id, "peer0org1");
            assert!(
                error.detail.contains("timeouts.create (1m0s)"),
                "{}",
                error.detail
            );
            assert!(
                error.detail.contains("connection refused"),
                "{}",
                error.detail
            );
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test(start_paused = true)]
async fn an_unconfirmed_create_is_waited_for_by_the_next_read() {
    let console = FakeConsole::new(vec![]);
    console.0.lock().unwrap().appearing.push((
        Instant::now() + Duration::from_secs(30),
        peer("peer0org1", "Peer0 Org1"),
    ));
    let found = Lifecycle::new(&kind(), &console)
        .read("peer0org1", true, &op(300))
        .await
        .unwrap();
    assert_eq!(found.unwrap().id, "peer0org1");
}

#[tokio::test(start_paused = true)]
async fn a_confirmed_component_missing_from_the_console_is_gone_at_once() {
    let console = FakeConsole::new(vec![]);
    let started = Instant::now();
    let found = Lifecycle::new(&kind(), &console)
        .read("peer0org1", false, &op(300))
        .await
        .unwrap();
    assert!(found.is_none());
    assert_eq!(started.elapsed(), Duration::ZERO);
    assert_eq!(console.log(), ["shared peer0org1"]);
}

#[tokio::test(start_paused = true)]
async fn a_reused_id_holding_another_type_is_not_this_component() {
    let mut ca = peer("peer0org1", "Peer0 Org1");
    ca.component_type = Some("fabric-ca".into());
    let console = FakeConsole::new(vec![]).with(ca);
    let found = Lifecycle::new(&kind(), &console)
        .read("peer0org1", false, &op(300))
        .await
        .unwrap();
    assert!(found.is_none());
}

#[tokio::test(start_paused = true)]
async fn updates_go_one_per_request_each_settling_before_the_next() {
    let console = FakeConsole::new(vec![]).with(peer("p", "P"));
    console.0.lock().unwrap().reflect_delay = Duration::from_secs(5);
    let updates = [
        Bump {
            version: "2.5.0".into(),
        },
        Bump {
            version: "2.5.1".into(),
        },
    ];
    let edit = EditComponentRequest::default();
    let done = Lifecycle::new(&kind(), &console)
        .update(&op(600), "p", Some(&edit), &updates)
        .await
        .unwrap();
    assert_eq!(done.version.as_deref(), Some("2.5.1"));
    let log = console.log();
    assert_eq!(log[0], "edit p");
    let puts: Vec<usize> = log
        .iter()
        .enumerate()
        .filter(|(_, l)| l.starts_with("put"))
        .map(|(i, _)| i)
        .collect();
    assert_eq!(puts.len(), 2);
    // Between the two PUTs, the first was polled until the console showed it.
    assert!(
        log[puts[0]..puts[1]]
            .iter()
            .filter(|l| l.starts_with("get"))
            .count()
            >= 2
    );
}

#[tokio::test(start_paused = true)]
async fn an_update_the_console_never_shows_ends_at_the_users_timeout() {
    let console = FakeConsole::new(vec![]).with(peer("p", "P"));
    console.0.lock().unwrap().reflect_delay = Duration::from_secs(3600);
    let update = Operation::new(
        Duration::from_secs(30),
        "timeouts.update",
        CancellationToken::new(),
    );
    let err = Lifecycle::new(&kind(), &console)
        .update(
            &update,
            "p",
            None,
            &[Bump {
                version: "9".into(),
            }],
        )
        .await
        .unwrap_err();
    assert_eq!(err.summary, "The peer update did not take effect");
    assert!(
        err.detail.contains("timeouts.update (30s)"),
        "{}",
        err.detail
    );
}

#[tokio::test(start_paused = true)]
async fn a_delete_waits_until_the_console_no_longer_has_it() {
    let console = FakeConsole::new(vec![]).with(peer("p", "P"));
    Lifecycle::new(&kind(), &console)
        .delete(&op(60), "p", Some("P"), false)
        .await
        .unwrap();
    assert_eq!(console.log(), ["delete p", "get p"]);
}

#[tokio::test(start_paused = true)]
async fn deleting_an_unconfirmed_create_first_settles_it() {
    // The held create lands 20 s later: it is deleted, not left behind as an orphan.
    let console = FakeConsole::new(vec![]);
    console
        .0
        .lock()
        .unwrap()
        .appearing
        .push((Instant::now() + Duration::from_secs(20), peer("p", "P")));
    Lifecycle::new(&kind(), &console)
        .delete(&op(600), "p", Some("P"), true)
        .await
        .unwrap();
    assert_eq!(console.count("delete"), 1);
    assert!(console.0.lock().unwrap().components.is_empty());
}

#[tokio::test(start_paused = true)]
async fn deleting_an_unconfirmed_create_that_never_came_sends_nothing() {
    let console = FakeConsole::new(vec![]);
    Lifecycle::new(&kind(), &console)
        .delete(&op(600), "p", Some("P"), true)
        .await
        .unwrap();
    assert_eq!(console.count("delete"), 0);
}

#[tokio::test(start_paused = true)]
async fn deleting_an_unconfirmed_id_held_by_someone_else_leaves_it_alone() {
    let console = FakeConsole::new(vec![]).with(peer("p", "Somebody's peer"));
    Lifecycle::new(&kind(), &console)
        .delete(&op(600), "p", Some("P"), true)
        .await
        .unwrap();
    assert_eq!(console.count("delete"), 0);
}

#[tokio::test(start_paused = true)]
async fn importing_a_display_name_suggests_the_derived_id() {
    let console = FakeConsole::new(vec![]).with(peer("peer0org1", "Peer0 Org1"));
    let err = Lifecycle::new(&kind(), &console)
        .import("Peer0 Org1", "blockchain_peer")
        .await
        .unwrap_err();
    assert_eq!(err.summary, "Cannot import blockchain_peer");
    let derived = Lifecycle::new(&kind(), &console)
        .import("peer0-org1", "blockchain_peer")
        .await
        .unwrap_err();
    assert!(
        derived.detail.contains("Did you mean \"peer0org1\""),
        "{}",
        derived.detail
    );
    assert!(
        err.detail.contains("has id \"peer0org1\""),
        "{}",
        err.detail
    );
}

#[tokio::test(start_paused = true)]
async fn importing_another_type_or_an_imported_component_is_refused() {
    let mut ca = peer("ca1", "CA");
    ca.component_type = Some("fabric-ca".into());
    let mut imported = peer("p2", "P2");
    imported.location = Some("-".into());
    let console = FakeConsole::new(vec![]).with(ca).with(imported);
    let k = kind();
    let lc = Lifecycle::new(&k, &console);
    assert!(lc
        .import("ca1", "blockchain_peer")
        .await
        .unwrap_err()
        .detail
        .contains("not a fabric-peer"));
    assert!(lc
        .import("p2", "blockchain_peer")
        .await
        .unwrap_err()
        .detail
        .contains("imported into this console"));
    assert!(lc
        .import("nothing", "blockchain_peer")
        .await
        .unwrap_err()
        .detail
        .contains("has no component"));
}

#[tokio::test(start_paused = true)]
async fn a_namesake_not_in_the_state_is_never_followed_by_a_silent_duplicate() {
    // An orphan of an earlier run (or a component made by hand) has the name already.
    let console = FakeConsole::new(vec![]).with(peer("peer0org1", "Peer0 Org1"));
    let err = Lifecycle::new(&kind(), &console)
        .create(&op(600), "Peer0 Org1", &body())
        .await
        .unwrap_err();
    match err {
        CreateFailure::NotCreated(e) => {
            assert_eq!(e.summary, "A peer named \"Peer0 Org1\" already exists");
            assert!(
                e.detail
                    .contains("terraform import <resource address> peer0org1"),
                "{}",
                e.detail
            );
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(console.count("create"), 0, "nothing sent");
}

#[tokio::test(start_paused = true)]
async fn losing_the_id_to_a_namesake_is_an_existing_component_not_a_second_one() {
    // A concurrent create (another run) took the id with the same display name.
    let console = FakeConsole::new(vec![CreateScript::Taken]);
    console.0.lock().unwrap().namesake_on_taken = true;
    let err = Lifecycle::new(&kind(), &console)
        .create(&op(600), "Peer0 Org1", &body())
        .await
        .unwrap_err();
    assert!(
        matches!(err, CreateFailure::NotCreated(ref e) if e.summary.contains("already exists")),
        "{err:?}"
    );
    assert_eq!(console.count("create"), 1);
}

#[test]
fn console_errors_get_the_provider_blocks_advice() {
    let unauthorized = ConsoleError::Unauthorized {
        request: "GET /x".into(),
    };
    assert!(advice(&unauthorized).contains("api_key"));
    let taken = ConsoleError::Conflict {
        request: "POST /x".into(),
        msg: String::new(),
    };
    assert_eq!(advice(&taken), "");
    // The console layer's own words name no Terraform attribute.
    assert!(!unauthorized.to_string().contains("api_key"));
}
