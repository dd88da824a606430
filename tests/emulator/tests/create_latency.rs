//! Deployer latency of creates: athena holds a create POST while the deployer works and stores the
//! component only when it answers (console-api.md §3 "Create is synchronous up to a timeout").

use std::time::{Duration, Instant};

use blockchain_emulator::{ConsoleSpec, Emulator, EmulatorConfig};
use serde_json::{json, Value};

const LATENCY: Duration = Duration::from_millis(1500);

fn config(db: Option<std::path::PathBuf>, latency: Duration) -> EmulatorConfig {
    EmulatorConfig {
        consoles: vec![ConsoleSpec::new("r1", 0, "key", "secret")],
        db_path: db,
        deployer_delay: Duration::from_millis(10),
        rate_limit_writes_per_min: 1000,
        create_latency: latency,
    }
}

fn client(timeout: Duration) -> reqwest::Client {
    reqwest::Client::builder().timeout(timeout).build().unwrap()
}

fn create_body(id: &str) -> Value {
    json!({"id": id, "display_name": "Slow CA", "config_override": {"ca": {"registry": {"maxenrollments": -1, "identities": [{"name": "admin", "pass": "adminpw", "type": "client"}]}}}})
}

async fn send(
    c: &reqwest::Client,
    method: reqwest::Method,
    url: String,
    body: Option<Value>,
) -> Result<(u16, Value), reqwest::Error> {
    let mut rb = c.request(method, url).basic_auth("key", Some("secret"));
    if let Some(b) = body {
        rb = rb.json(&b);
    }
    let resp = rb.send().await?;
    let status = resp.status().as_u16();
    let text = resp.text().await?;
    Ok((
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    ))
}

async fn post_create(
    base: &str,
    id: &str,
    timeout: Duration,
) -> Result<(u16, Value), reqwest::Error> {
    send(
        &client(timeout),
        reqwest::Method::POST,
        format!("{base}/kubernetes/components/fabric-ca"),
        Some(create_body(id)),
    )
    .await
}

/// Polls until the console has `n` creates in flight (bounded).
async fn wait_in_flight(emu: &Emulator, n: usize) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while emu.creates_in_flight("r1").await != n {
        assert!(Instant::now() < deadline, "never {n} creates in flight");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test]
async fn create_is_held_invisible_and_a_duplicate_gets_the_deployers_409() {
    let emu = Emulator::start(config(None, LATENCY)).await.unwrap();
    let base = format!("{}/ak/api/v3", emu.console_url("r1").unwrap());
    let started = Instant::now();
    let first = tokio::spawn({
        let base = base.clone();
        async move { post_create(&base, "slowca", Duration::from_secs(10)).await }
    });
    wait_in_flight(&emu, 1).await;

    // While the deployer works: no doc (GET 404, list empty), and the lock is free (fast reads).
    let c = client(Duration::from_secs(5));
    let t = Instant::now();
    let (status, body) = send(
        &c,
        reqwest::Method::GET,
        format!("{base}/components/slowca"),
        None,
    )
    .await
    .unwrap();
    assert_eq!(status, 404, "{body}");
    let (status, list) = send(&c, reqwest::Method::GET, format!("{base}/components"), None)
        .await
        .unwrap();
    assert!(status == 200 || status == 222, "{status} {list}");
    assert_eq!(list["components"], json!([]), "{list}");
    assert!(t.elapsed() < LATENCY / 2, "reads waited for the create");
    assert!(emu.components("r1").await.is_empty());

    // The same explicit id again: refused at once by the deployer, relayed as athena's shape.
    let t = Instant::now();
    let (status, body) = post_create(&base, "slowca", Duration::from_secs(10))
        .await
        .unwrap();
    assert_eq!(status, 409, "{body}");
    assert_eq!(body["statusCode"], 409);
    assert!(body["msg"]["message"]
        .as_str()
        .unwrap_or_default()
        .contains("slowca"));
    assert!(t.elapsed() < LATENCY / 2, "the duplicate was held");

    // The first one completes after the latency and is then visible, once.
    let (status, ca) = first.await.unwrap().unwrap();
    assert_eq!(status, 200, "{ca}");
    assert_eq!(ca["id"], "slowca");
    assert!(started.elapsed() >= LATENCY);
    assert_eq!(emu.creates_in_flight("r1").await, 0);
    let (status, _) = send(
        &c,
        reqwest::Method::GET,
        format!("{base}/components/slowca"),
        None,
    )
    .await
    .unwrap();
    assert_eq!(status, 200);
    assert_eq!(emu.components("r1").await.len(), 1);

    // Now the id is stored: athena's own 409, before any deployer call.
    let (status, body) = post_create(&base, "slowca", Duration::from_secs(10))
        .await
        .unwrap();
    assert_eq!(status, 409);
    assert_eq!(
        body["msg"],
        "unable to onboard component b/c of id conflict. use a different component id."
    );
    emu.shutdown().await;
}

#[tokio::test]
async fn validation_answers_at_once_and_a_client_that_gives_up_still_gets_its_ca() {
    let emu = Emulator::start(config(None, LATENCY)).await.unwrap();
    let base = format!("{}/ak/api/v3", emu.console_url("r1").unwrap());

    // Validated first: a bad body is refused without waiting for the deployer.
    let t = Instant::now();
    let (status, body) = send(
        &client(Duration::from_secs(10)),
        reqwest::Method::POST,
        format!("{base}/kubernetes/components/fabric-ca"),
        Some(json!({"display_name": "No Config"})),
    )
    .await
    .unwrap();
    assert_eq!(status, 400, "{body}");
    assert!(t.elapsed() < LATENCY / 2);
    assert_eq!(emu.creates_in_flight("r1").await, 0);

    // The client times out long before the deployer answers; the create still completes.
    let err = post_create(&base, "gaveup", Duration::from_millis(300))
        .await
        .expect_err("the client must time out");
    assert!(err.is_timeout(), "{err}");
    assert!(
        emu.components("r1").await.is_empty(),
        "visible before the POST completed"
    );
    wait_in_flight(&emu, 0).await;
    let ids: Vec<Value> = emu
        .components("r1")
        .await
        .iter()
        .map(|c| c["id"].clone())
        .collect();
    assert_eq!(ids, vec![json!("gaveup")]);
    emu.shutdown().await;
}

#[tokio::test]
async fn fault_switch_sets_and_clears_the_latency_over_http() {
    let emu = Emulator::start(config(None, Duration::ZERO)).await.unwrap();
    let url = emu.console_url("r1").unwrap();
    let base = format!("{url}/ak/api/v3");
    let c = client(Duration::from_secs(10));

    let r = c
        .post(format!("{url}/_emulator/faults"))
        .json(&json!({"create_latency_ms": 800}))
        .send()
        .await
        .unwrap();
    let faults: Value = r.json().await.unwrap();
    assert_eq!(faults["faults"]["create_latency_ms"], 800);
    assert_eq!(emu.faults("r1").unwrap().snapshot().create_latency_ms, 800);
    let t = Instant::now();
    let (status, _) = post_create(&base, "viahttp", Duration::from_secs(10))
        .await
        .unwrap();
    assert_eq!(status, 200);
    assert!(t.elapsed() >= Duration::from_millis(800));

    let stats: Value = c
        .get(format!("{url}/_emulator/stats"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(stats["creates_in_flight"], 0);
    assert_eq!(stats["components"], 1);

    // Cleared: back to the configured latency (zero).
    emu.faults("r1").unwrap().clear();
    let t = Instant::now();
    let (status, _) = post_create(&base, "fastca", Duration::from_secs(10))
        .await
        .unwrap();
    assert_eq!(status, 200);
    assert!(t.elapsed() < Duration::from_millis(800));
    // The library switch works the same way.
    emu.faults("r1")
        .unwrap()
        .create_latency(Duration::from_millis(500));
    let t = Instant::now();
    let (status, _) = post_create(&base, "libca", Duration::from_secs(10))
        .await
        .unwrap();
    assert_eq!(status, 200);
    assert!(t.elapsed() >= Duration::from_millis(500));
    emu.shutdown().await;
}

#[tokio::test]
async fn shutdown_during_a_held_create_stores_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("emu.redb");
    let emu = Emulator::start(config(Some(db.clone()), Duration::from_secs(30)))
        .await
        .unwrap();
    let base = format!("{}/ak/api/v3", emu.console_url("r1").unwrap());
    let pending =
        tokio::spawn(async move { post_create(&base, "neverca", Duration::from_secs(60)).await });
    wait_in_flight(&emu, 1).await;
    let t = Instant::now();
    emu.shutdown().await;
    assert!(
        t.elapsed() < Duration::from_secs(5),
        "shutdown waited for the create"
    );
    // The held request ends one way or another (connection closed or an error answer).
    let ended = tokio::time::timeout(Duration::from_secs(10), pending).await;
    assert!(ended.is_ok(), "the held request never ended");

    let emu = Emulator::start(config(Some(db), Duration::ZERO))
        .await
        .unwrap();
    assert!(emu.components("r1").await.is_empty());
    emu.shutdown().await;
}
