//! Deployer mode end to end: create a CA, wait for its endpoint, update it, delete it, restart.

use std::time::{Duration, Instant};

use blockchain_emulator::{ConsoleSpec, Emulator, EmulatorConfig};
use serde_json::{json, Value};

fn config(db: Option<std::path::PathBuf>, port: u16, delay: Duration) -> EmulatorConfig {
    EmulatorConfig {
        consoles: vec![ConsoleSpec::new("r1", port, "key", "secret")],
        db_path: db,
        deployer_delay: delay,
        rate_limit_writes_per_min: 1000,
        create_latency: Duration::ZERO,
    }
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .danger_accept_invalid_certs(true)
        .build()
        .unwrap()
}

async fn call(
    c: &reqwest::Client,
    method: reqwest::Method,
    url: String,
    body: Option<Value>,
) -> (u16, Value) {
    let mut rb = c.request(method, url).basic_auth("key", Some("secret"));
    if let Some(b) = body {
        rb = rb.json(&b);
    }
    let resp = rb.send().await.unwrap();
    let status = resp.status().as_u16();
    let text = resp.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

fn create_body(name: &str) -> Value {
    json!({"display_name": name, "config_override": {"ca": {"registry": {"maxenrollments": -1, "identities": [{"name": "admin", "pass": "adminpw", "type": "client"}]}}}, "tags": ["TF"]})
}

async fn wait_for_cainfo(c: &reqwest::Client, api_url: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        if let Ok(r) = c.get(format!("{api_url}/cainfo")).send().await {
            if r.status().is_success() {
                return r.json().await.unwrap();
            }
        }
        assert!(Instant::now() < deadline, "CA never became ready");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn created_ca_refuses_until_delay_then_serves_cainfo() {
    let emu = Emulator::start(config(None, 0, Duration::from_millis(800)))
        .await
        .unwrap();
    let base = format!("{}/ak/api/v3", emu.console_url("r1").unwrap());
    let c = client();
    let (status, ca) = call(
        &c,
        reqwest::Method::POST,
        format!("{base}/kubernetes/components/fabric-ca"),
        Some(create_body("New CA")),
    )
    .await;
    assert_eq!(status, 200, "{ca}");
    assert_eq!(ca["id"], "newca");
    assert_eq!(ca["location"], "ibm_saas");
    assert_eq!(ca["imported"], false);
    assert_eq!(ca["tags"], json!(["fabric-ca", "ibm_saas", "tf"]));
    assert_eq!(ca["version"], "1.5.5-0");
    assert_eq!(ca["replicas"], 1);
    assert_eq!(ca["storage"], json!({"ca":{"class":"","size":"20Gi"}}));
    let identity = &ca["config_override"]["tlsca"]["registry"]["identities"][0];
    assert_eq!(
        identity["pass"], "[redacted]",
        "secrets are redacted and tlsca copies ca"
    );
    let api_url = ca["api_url"].as_str().unwrap().to_string();
    let port: u16 = api_url.rsplit(':').next().unwrap().parse().unwrap();
    assert!(
        tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_err(),
        "port must refuse before the delay"
    );
    let info = wait_for_cainfo(&c, &api_url).await;
    assert_eq!(info["success"], true);
    // Same display name again: suffixed id; explicit taken id: 409.
    let (_, again) = call(
        &c,
        reqwest::Method::POST,
        format!("{base}/kubernetes/components/fabric-ca"),
        Some(create_body("New CA")),
    )
    .await;
    assert_eq!(again["id"], "newca_0");
    let mut explicit = create_body("Other");
    explicit["id"] = json!("newca");
    let (status, _) = call(
        &c,
        reqwest::Method::POST,
        format!("{base}/kubernetes/components/fabric-ca"),
        Some(explicit),
    )
    .await;
    assert_eq!(status, 409);
    // Plain GET hides deployer fields; deployment_attrs shows them.
    let (_, plain) = call(
        &c,
        reqwest::Method::GET,
        format!("{base}/components/newca"),
        None,
    )
    .await;
    assert!(plain.get("resources").is_none());
    let (_, full) = call(
        &c,
        reqwest::Method::GET,
        format!("{base}/components/newca?deployment_attrs=included"),
        None,
    )
    .await;
    assert_eq!(full["resources"]["ca"]["requests"]["cpu"], "100m");
    // Delete through the deployer stops the CA.
    let (status, del) = call(
        &c,
        reqwest::Method::DELETE,
        format!("{base}/kubernetes/components/newca"),
        None,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(del["message"], "deleted");
    assert!(
        tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_err(),
        "CA stopped"
    );
    let (status, _) = call(
        &c,
        reqwest::Method::DELETE,
        format!("{base}/kubernetes/components/newca"),
        None,
    )
    .await;
    assert_eq!(status, 404);
    emu.shutdown().await;
}

#[tokio::test]
async fn update_takes_exactly_one_field() {
    let emu = Emulator::start(config(None, 0, Duration::ZERO))
        .await
        .unwrap();
    let base = format!("{}/ak/api/v3", emu.console_url("r1").unwrap());
    let c = client();
    let (_, ca) = call(
        &c,
        reqwest::Method::POST,
        format!("{base}/kubernetes/components/fabric-ca"),
        Some(create_body("Up CA")),
    )
    .await;
    let url = format!(
        "{base}/kubernetes/components/fabric-ca/{}",
        ca["id"].as_str().unwrap()
    );
    let (status, body) = call(
        &c,
        reqwest::Method::PUT,
        url.clone(),
        Some(json!({"version": "1.5.7-0"})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["version"], "1.5.7-0");
    let (status, body) = call(
        &c,
        reqwest::Method::PUT,
        url.clone(),
        Some(json!({"version": "1.5.7-0", "zone": "z"})),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(body["msgs"], json!(["Too many fields in body. This API only supports 1 field in the body. Use multiple apis to update multiple fields."]));
    let (status, body) = call(
        &c,
        reqwest::Method::PUT,
        url.clone(),
        Some(json!({"storage": {"ca": {"size": "2Gi"}}})),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(
        body["msgs"],
        json!(["Parameter 'storage' is either never editable or not editable via this api."])
    );
    let (status, body) = call(
        &c,
        reqwest::Method::PUT,
        url.clone(),
        Some(json!({"replicas": 2})),
    )
    .await;
    // The deployer refuses it (its CheckReplicas message), relayed by athena as a 500.
    assert_eq!(status, 500, "replicas > 1 needs postgres: {body}");
    assert_eq!(
        body["msg"]["message"],
        "failed to udpate replicas: DB Type in CA & TLSCA config override should be `postgres` to allow replicas > 1"
    );
    let (status, _) = call(
        &c,
        reqwest::Method::PUT,
        format!("{base}/kubernetes/components/fabric-ca/nope"),
        Some(json!({"replicas": 1})),
    )
    .await;
    assert_eq!(status, 404);
    let (status, body) = call(
        &c,
        reqwest::Method::GET,
        format!("{base}/kubernetes/fabric/versions"),
        None,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(body["versions"]["ca"]["1.5.5-0"]["default"], true);
    emu.shutdown().await;
}

#[tokio::test]
async fn components_and_ca_servers_survive_restart() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("emu.redb");
    let emu = Emulator::start(config(Some(db.clone()), 0, Duration::ZERO))
        .await
        .unwrap();
    let url = emu.console_url("r1").unwrap();
    let console_port: u16 = url.rsplit(':').next().unwrap().parse().unwrap();
    let c = client();
    let (_, ca) = call(
        &c,
        reqwest::Method::POST,
        format!("{url}/ak/api/v3/kubernetes/components/fabric-ca"),
        Some(create_body("Kept CA")),
    )
    .await;
    let api_url = ca["api_url"].as_str().unwrap().to_string();
    let before = wait_for_cainfo(&c, &api_url).await;
    emu.shutdown().await;

    let emu = Emulator::start(config(Some(db), console_port, Duration::ZERO))
        .await
        .unwrap();
    let comps = emu.components("r1").await;
    assert_eq!(comps.len(), 1);
    assert_eq!(comps[0]["id"], "keptca");
    let after = wait_for_cainfo(&c, &api_url).await;
    assert_eq!(
        before["result"]["CAChain"], after["result"]["CAChain"],
        "same CA keys after restart"
    );
    emu.shutdown().await;
}

/// What the provider's one-list refresh relies on: `GET /components?deployment_attrs=included`
/// shows every created component as `GET /components/{id}?deployment_attrs=included` does
/// (athena formats both with `comp_formatting_lib.js` `fmt_comp_resp_with_deployer`; see
/// docs/dev/console-list.md).
#[tokio::test]
async fn one_list_with_deployment_attrs_carries_what_each_get_carries() {
    let emu = Emulator::start(config(None, 0, Duration::ZERO))
        .await
        .unwrap();
    let base = format!("{}/ak/api/v3", emu.console_url("r1").unwrap());
    let c = client();
    let mut placed = create_body("Placed CA");
    placed["zone"] = json!("zone1");
    placed["region"] = json!("region1");
    placed["resources"] = json!({"ca": {"requests": {"cpu": "200m", "memory": "400Mi"}}});
    for body in [create_body("Plain CA"), placed] {
        let (status, ca) = call(
            &c,
            reqwest::Method::POST,
            format!("{base}/kubernetes/components/fabric-ca"),
            Some(body),
        )
        .await;
        assert_eq!(status, 200, "{ca}");
    }
    let (status, _) = call(
        &c,
        reqwest::Method::PUT,
        format!("{base}/kubernetes/components/fabric-ca/plainca"),
        Some(json!({"version": "1.5.7-0"})),
    )
    .await;
    assert_eq!(status, 200);
    for query in [
        "deployment_attrs=included",
        "deployment_attrs=included&cache=skip",
        "",
    ] {
        let (status, list) = call(
            &c,
            reqwest::Method::GET,
            format!("{base}/components?{query}"),
            None,
        )
        .await;
        assert_eq!(status, 200, "{list}");
        let items = list["components"].as_array().unwrap();
        assert_eq!(items.len(), 2);
        for item in items {
            let id = item["id"].as_str().unwrap();
            let (_, one) = call(
                &c,
                reqwest::Method::GET,
                format!("{base}/components/{id}?{query}"),
                None,
            )
            .await;
            assert_eq!(item, &one, "list item {id} with ?{query}");
            let deployed = query.contains("included");
            for k in ["resources", "storage", "version"] {
                assert_eq!(item.get(k).is_some(), deployed, "{k} of {id} with ?{query}");
            }
            // `fmt_component_resp` hides neither `replicas` nor `config_override` in a plain view.
            for k in [
                "api_url",
                "operations_url",
                "msp",
                "replicas",
                "config_override",
            ] {
                assert!(item.get(k).is_some(), "{k} of {id} with ?{query}");
            }
        }
        if query.contains("included") {
            let by_id = |id: &str| items.iter().find(|i| i["id"] == id).unwrap();
            assert_eq!(by_id("plainca")["version"], "1.5.7-0");
            assert_eq!(by_id("placedca")["zone"], "zone1");
            assert_eq!(by_id("placedca")["region"], "region1");
            assert_eq!(
                by_id("placedca")["resources"]["ca"]["requests"]["cpu"],
                "200m"
            );
            assert!(by_id("placedca")["msp"]["tlsca"]["root_certs"][0].is_string());
        }
    }
    emu.shutdown().await;
}

/// The seeding recipe of `main.rs`: create past the write limit with a high `--rate-limit`, then
/// restart on the same database with the default limits; the components and their CA servers
/// are all back and the limits are the console's again.
#[tokio::test]
async fn seeding_past_the_write_limit_then_restarting_with_default_limits() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("seed.redb");
    let emu = Emulator::start(config(Some(db.clone()), 0, Duration::ZERO))
        .await
        .unwrap();
    let url = emu.console_url("r1").unwrap();
    let port: u16 = url.rsplit(':').next().unwrap().parse().unwrap();
    let c = client();
    for i in 0..30 {
        let (status, body) = call(
            &c,
            reqwest::Method::POST,
            format!("{url}/ak/api/v3/kubernetes/components/fabric-ca"),
            Some(create_body(&format!("Seed {i}"))),
        )
        .await;
        assert_eq!(status, 200, "{body}");
    }
    emu.shutdown().await;

    let defaults = EmulatorConfig {
        rate_limit_writes_per_min: EmulatorConfig::default().rate_limit_writes_per_min,
        ..config(Some(db), port, Duration::ZERO)
    };
    assert_eq!(defaults.rate_limit_writes_per_min, 25);
    let emu = Emulator::start(defaults).await.unwrap();
    let comps = emu.components("r1").await;
    assert_eq!(comps.len(), 30);
    let last = comps.iter().find(|d| d["id"] == "seed29").unwrap();
    let info = wait_for_cainfo(&c, last["api_url"].as_str().unwrap()).await;
    assert_eq!(info["success"], true);
    let mut statuses = Vec::new();
    for _ in 0..26 {
        let (status, _) = call(
            &c,
            reqwest::Method::POST,
            format!("{url}/ak/api/v3/components/fabric-ca"),
            Some(json!({})),
        )
        .await;
        statuses.push(status);
    }
    assert_eq!(
        statuses.iter().filter(|s| **s == 429).count(),
        1,
        "{statuses:?}"
    );
    emu.shutdown().await;
}

#[tokio::test]
async fn a_config_override_update_replaces_the_stored_one_and_replicas_follow_it() {
    let emu = Emulator::start(config(None, 0, Duration::ZERO))
        .await
        .unwrap();
    let base = format!("{}/ak/api/v3", emu.console_url("r1").unwrap());
    let c = client();
    let create = format!("{base}/kubernetes/components/fabric-ca");
    let registry = json!({"maxenrollments": -1, "identities": [{"name": "admin", "pass": "adminpw", "type": "client"}]});
    let pg = json!({"type": "postgres", "datasource": "host=db password=db-secret"});

    // Two replicas without Postgres: the deployer refuses the create, nothing is made.
    let mut body = create_body("Pg CA");
    body["replicas"] = json!(2);
    let (status, refused) = call(&c, reqwest::Method::POST, create.clone(), Some(body)).await;
    assert_eq!(status, 500, "{refused}");
    assert_eq!(
        refused["msg"]["message"],
        "DB Type in CA & TLSCA config override should be `postgres` to allow replicas > 1"
    );
    // With Postgres for ca (copied to tlsca) it is created.
    let body = json!({"display_name": "Pg CA", "replicas": 2,
        "config_override": {"ca": {"registry": registry, "db": pg}}});
    let (status, ca) = call(&c, reqwest::Method::POST, create, Some(body)).await;
    assert_eq!(status, 200, "{ca}");
    assert_eq!(ca["replicas"], 2);
    let get = format!("{base}/components/pgca?deployment_attrs=included&cache=skip");
    let (_, doc) = call(&c, reqwest::Method::GET, get.clone(), None).await;
    // Stored redacted, and no answer carries the datasource.
    let co = &doc["config_override"];
    assert_eq!(co["ca"]["db"], json!({"type": "postgres"}), "{doc}");
    assert_eq!(co["tlsca"]["db"], json!({"type": "postgres"}));
    assert_eq!(co["ca"]["registry"]["identities"][0]["pass"], "[redacted]");
    assert!(!doc.to_string().contains("db-secret"));

    // An override update replaces the stored override (tlsca copied from ca), as sent.
    let url = format!("{base}/kubernetes/components/fabric-ca/pgca");
    let update =
        json!({"config_override": {"ca": {"cfg": {"identities": {"passwordattempts": 3}}}}});
    let (status, body) = call(&c, reqwest::Method::PUT, url.clone(), Some(update)).await;
    assert_eq!(status, 200, "{body}");
    let (_, doc) = call(&c, reqwest::Method::GET, get, None).await;
    let cfg = json!({"cfg": {"identities": {"passwordattempts": 3}}});
    assert_eq!(doc["config_override"], json!({"ca": cfg, "tlsca": cfg}));
    // The deployer checks a replica change against that override, which has no database now.
    let (status, body) = call(
        &c,
        reqwest::Method::PUT,
        url.clone(),
        Some(json!({"replicas": 3})),
    )
    .await;
    assert_eq!(status, 500, "{body}");
    let back = json!({"config_override": {"ca": {"db": pg}, "tlsca": {"db": pg}}});
    let (status, body) = call(&c, reqwest::Method::PUT, url.clone(), Some(back)).await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = call(&c, reqwest::Method::PUT, url, Some(json!({"replicas": 3}))).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["replicas"], 3);
    emu.shutdown().await;
}
