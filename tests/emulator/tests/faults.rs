//! Each fault switch, through the library API and the HTTP admin route.

use std::time::{Duration, Instant};

use base64::Engine;
use blockchain_emulator::{ConsoleSpec, Emulator, EmulatorConfig};
use serde_json::{json, Value};

async fn start() -> (Emulator, String) {
    let cfg = EmulatorConfig {
        consoles: vec![ConsoleSpec::new("r1", 0, "key", "secret")],
        rate_limit_writes_per_min: 1000,
        ..EmulatorConfig::default()
    };
    let emu = Emulator::start(cfg).await.unwrap();
    let url = emu.console_url("r1").unwrap();
    (emu, url)
}

fn client() -> reqwest::Client {
    // No pooling: a dropped connection must not poison the next request.
    reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .pool_max_idle_per_host(0)
        .build()
        .unwrap()
}

async fn list(c: &reqwest::Client, url: &str) -> Result<reqwest::Response, reqwest::Error> {
    c.get(format!("{url}/ak/api/v3/components"))
        .basic_auth("key", Some("secret"))
        .send()
        .await
}

fn msp_body() -> Value {
    let pem = include_str!("../fixtures/console/certs/org1-ca.pem");
    json!({"msp_id":"Org1MSP","display_name":"Org1 MSP","root_certs":[base64::engine::general_purpose::STANDARD.encode(pem)]})
}

#[tokio::test]
async fn rate_limit_burst_returns_real_429_then_recovers() {
    let (emu, url) = start().await;
    let c = client();
    emu.faults("r1").unwrap().rate_limit_burst(2, 7);
    for _ in 0..2 {
        let r = list(&c, &url).await.unwrap();
        assert_eq!(r.status().as_u16(), 429);
        assert_eq!(r.headers()["retry-after"], "7");
        assert_eq!(r.headers()["x-ratelimit-remaining"], "0");
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["error"], "[AK Requests] exceeded the high volume rate limit - too many requests, try again later");
    }
    assert_eq!(list(&c, &url).await.unwrap().status().as_u16(), 200);
    emu.shutdown().await;
}

#[tokio::test]
async fn server_errors_and_dropped_connections() {
    let (emu, url) = start().await;
    let c = client();
    let f = emu.faults("r1").unwrap();
    f.server_errors(1, 503);
    assert_eq!(list(&c, &url).await.unwrap().status().as_u16(), 503);
    f.drop_connections(1);
    assert!(
        list(&c, &url).await.is_err(),
        "connection closed without a response"
    );
    assert_eq!(list(&c, &url).await.unwrap().status().as_u16(), 200);
    assert_eq!(emu.request_count("r1"), 3);
    emu.shutdown().await;
}

#[tokio::test]
async fn lost_create_response_still_creates() {
    let (emu, url) = start().await;
    let c = client();
    emu.faults("r1").unwrap().lose_next_create_response();
    let r = c
        .post(format!("{url}/ak/api/v3/components/msp"))
        .basic_auth("key", Some("secret"))
        .json(&msp_body())
        .send()
        .await;
    assert!(r.is_err(), "response was lost");
    let comps = emu.components("r1").await;
    assert_eq!(comps.len(), 1);
    assert_eq!(comps[0]["id"], "org1msp");
    emu.shutdown().await;
}

#[tokio::test]
async fn latency_and_clear() {
    let (emu, url) = start().await;
    let c = client();
    let f = emu.faults("r1").unwrap();
    f.latency(Duration::from_millis(300));
    let t = Instant::now();
    list(&c, &url).await.unwrap();
    assert!(t.elapsed() >= Duration::from_millis(300));
    f.server_errors(5, 500).clear();
    let t = Instant::now();
    assert_eq!(list(&c, &url).await.unwrap().status().as_u16(), 200);
    assert!(t.elapsed() < Duration::from_millis(300));
    emu.shutdown().await;
}

#[tokio::test]
async fn http_admin_routes_switch_faults_and_report_stats() {
    let (emu, url) = start().await;
    let c = client();
    let r = c
        .post(format!("{url}/_emulator/faults"))
        .json(&json!({"server_errors":{"n":1,"status":502}}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(list(&c, &url).await.unwrap().status().as_u16(), 502);
    let stats: Value = c
        .get(format!("{url}/_emulator/stats"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(stats["request_count"], 1, "admin routes are not counted");
    assert_eq!(stats["faults"]["server_errors"], 0);
    emu.shutdown().await;
}

fn ca_body(name: &str) -> Value {
    json!({"display_name": name, "config_override": {"ca": {"registry": {"maxenrollments": -1, "identities": [{"name": "admin", "pass": "adminpw", "type": "client"}]}}}})
}

async fn create_ca(c: &reqwest::Client, url: &str, name: &str) -> Value {
    let r = c
        .post(format!("{url}/ak/api/v3/kubernetes/components/fabric-ca"))
        .basic_auth("key", Some("secret"))
        .json(&ca_body(name))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    r.json().await.unwrap()
}

#[tokio::test]
async fn writes_only_faults_pass_reads_and_hit_the_next_write() {
    let (emu, url) = start().await;
    let c = client();
    emu.faults("r1")
        .unwrap()
        .writes_only(true)
        .server_errors(1, 503);
    assert_eq!(list(&c, &url).await.unwrap().status().as_u16(), 200);
    let r = c
        .post(format!("{url}/ak/api/v3/components/msp"))
        .basic_auth("key", Some("secret"))
        .json(&msp_body())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 503, "the write got the fault");
    assert!(
        emu.components("r1").await.is_empty(),
        "and was not processed"
    );
    emu.shutdown().await;
}

#[tokio::test]
async fn a_lost_delete_response_still_deletes() {
    let (emu, url) = start().await;
    let c = client();
    let ca = create_ca(&c, &url, "Gone CA").await;
    let id = ca["id"].as_str().unwrap().to_string();
    emu.faults("r1").unwrap().lose_next_write_response();
    let r = c
        .delete(format!("{url}/ak/api/v3/kubernetes/components/{id}"))
        .basic_auth("key", Some("secret"))
        .send()
        .await;
    assert!(r.is_err(), "the response was lost");
    assert!(emu.components("r1").await.is_empty(), "the delete happened");
    emu.shutdown().await;
}

#[tokio::test]
async fn a_held_update_completes_after_the_client_hung_up() {
    let (emu, url) = start().await;
    let c = client();
    let ca = create_ca(&c, &url, "Held CA").await;
    let id = ca["id"].as_str().unwrap().to_string();
    let f = emu.faults("r1").unwrap();
    f.write_latency(Duration::from_millis(600));
    let impatient = reqwest::Client::builder()
        .timeout(Duration::from_millis(200))
        .build()
        .unwrap();
    let r = impatient
        .put(format!(
            "{url}/ak/api/v3/kubernetes/components/fabric-ca/{id}"
        ))
        .basic_auth("key", Some("secret"))
        .json(&json!({"replicas": 0}))
        .send()
        .await;
    assert!(r.is_err(), "the client gave up during the hold");
    assert_eq!(emu.writes_held("r1"), 1);
    let deadline = Instant::now() + Duration::from_secs(5);
    while emu.writes_held("r1") > 0 {
        assert!(Instant::now() < deadline, "the hold never ended");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let r = c
        .get(format!(
            "{url}/ak/api/v3/components/{id}?deployment_attrs=included&cache=skip"
        ))
        .basic_auth("key", Some("secret"))
        .send()
        .await
        .unwrap();
    let doc: Value = r.json().await.unwrap();
    assert_eq!(doc["replicas"], 0, "the held update was processed: {doc}");
    emu.shutdown().await;
}

#[tokio::test]
async fn a_restart_drops_a_held_delete() {
    let (emu, url) = start().await;
    let c = client();
    let ca = create_ca(&c, &url, "Kept CA").await;
    let id = ca["id"].as_str().unwrap().to_string();
    emu.faults("r1")
        .unwrap()
        .write_latency(Duration::from_secs(30));
    let pending = {
        let (c, url, id) = (c.clone(), url.clone(), id.clone());
        tokio::spawn(async move {
            c.delete(format!("{url}/ak/api/v3/kubernetes/components/{id}"))
                .basic_auth("key", Some("secret"))
                .send()
                .await
        })
    };
    let deadline = Instant::now() + Duration::from_secs(5);
    while emu.writes_held("r1") == 0 {
        assert!(Instant::now() < deadline, "the delete never arrived");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let emu = emu.restart(Duration::from_millis(50)).await.unwrap();
    assert!(pending.await.unwrap().is_err(), "the connection was cut");
    assert_eq!(emu.console_url("r1"), Some(url));
    let ids: Vec<Value> = emu
        .components("r1")
        .await
        .iter()
        .map(|c| c["id"].clone())
        .collect();
    assert_eq!(ids, [json!(id)], "the held delete was never processed");
    assert_eq!(emu.writes_held("r1"), 0);
    emu.shutdown().await;
}
